// SQL the booking commands share: the session check, the overlap test, the guarded insert,
// and a batch whose results are read by step name.
import { type SQL, sql } from 'drizzle-orm';
import {
  activePlaces,
  calendarBusyOf,
  occupiedSpansOf,
  packageCoversService,
  reservedCredits,
  scheduleVersionIs,
} from '../db/fragments';
import { bookings, clientPackages, sessions, trainers, users } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { ApiError, conflict } from '../lib/problem';
import { cancelRemindersNotAt } from '../notifications/outbox';

export interface SessionToCheck {
  userId: number;
  jti: string;
}

/** True when the session row exists, is unexpired, and belongs to an active user who is this trainer. */
export const sessionValid = (
  session: { [K in keyof SessionToCheck]: SessionToCheck[K] | SQL } | null,
  trainerId: number | SQL,
  nowIso: string | SQL,
): SQL =>
  session
    ? sql`EXISTS (SELECT 1 FROM ${sessions} s JOIN ${users} u ON u.id = s.user_id JOIN ${trainers} t ON t.user_id = u.id
        WHERE s.jti = ${session.jti} AND s.user_id = ${session.userId} AND s.expires_at > ${nowIso}
          AND u.is_active = 1 AND t.id = ${trainerId})`
    : sql`1`;

/** A booking's occupied span [start - buffer before, end + buffer after) in ISO text. */
export interface OccupiedSpan {
  trainerId: number;
  start: string;
  end: string;
  /** The booking being moved, which does not overlap itself; 0 for a new one. */
  excludeId: number;
}

/**
 * True when another active booking's occupied span, or a scheduled class session's, overlaps
 * this one (places in a class hold no time of their own: their class session does).
 */
export const occupiedOverlapsActive = (s: OccupiedSpan): SQL =>
  sql`EXISTS (${occupiedSpansOf(s.trainerId, s.start, s.end, s.excludeId)})`;

/** True when busy time of the trainer's own calendars overlaps this occupied span. */
export const calendarBusyOverlaps = (s: OccupiedSpan): SQL =>
  sql`EXISTS (${calendarBusyOf(s.trainerId, s.start, s.end)})`;

/**
 * The occupancy guard of a booking's write: no other occupied span overlaps it, nor (unless the
 * trainer books over it: `allow_outside_availability`) the busy time of the trainer's calendars.
 */
export const occupancyFree = (s: OccupiedSpan, overBusy: boolean): SQL =>
  overBusy
    ? sql`NOT ${occupiedOverlapsActive(s)}`
    : sql`NOT ${occupiedOverlapsActive(s)} AND NOT ${calendarBusyOverlaps(s)}`;

/** Who a refusal speaks to: the trainer (their own calendar named) or a client (only that the time is taken). */
export type Audience = 'trainer' | 'client';

/** The 409 for a time the trainer's own calendar has busy: a client learns nothing of the event. */
export const calendarBusyConflict = (who: Audience) =>
  conflict(
    who === 'trainer'
      ? 'That time is busy in your calendar. Book it with allow_outside_availability to keep it anyway.'
      : 'That time is no longer available. Please pick another time from the availability list.',
    'calendar_busy',
  );

/**
 * Why an occupancy guard refused spans ([start, end) ISO pairs of occupied spans), as things are
 * now: another booking's or class's span (booking_overlap), else, when it counts, the busy time of
 * the trainer's calendars (calendar_busy). One statement, read only after a refused write.
 */
export async function occupancyRefusal(
  db: Db,
  r: { trainerId: number; spans: [string, string][]; excludeId: number; busyCounts: boolean; who: Audience },
): Promise<ApiError> {
  const json = JSON.stringify(r.spans);
  const [from, to] = [sql.raw(`json_extract(x.value, '$[0]')`), sql.raw(`json_extract(x.value, '$[1]')`)];
  const row = await statement(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM json_each(${json}) x
        WHERE EXISTS (${occupiedSpansOf(r.trainerId, from, to, r.excludeId)})) AS overlap,
      EXISTS (SELECT 1 FROM json_each(${json}) x WHERE EXISTS (${calendarBusyOf(r.trainerId, from, to)})) AS busy`,
  ).first<{ overlap: number; busy: number }>();
  if (r.busyCounts && row && !row.overlap && row.busy) return calendarBusyConflict(r.who);
  return conflict('That time overlaps another booking.', 'booking_overlap');
}

export interface GuardedInsert {
  trainerId: number;
  clientId: SQL;
  startTime: string;
  endTime: string;
  serviceId: number;
  status: 'pending' | 'confirmed' | 'waitlisted';
  notes: string;
  clientPackageId: number | null;
  source: 'public' | 'trainer';
  clientTimezone: string;
  /** The span no other active booking's occupied span may overlap (nor calendar busy time, unless `overBusy`). */
  occupied: OccupiedSpan;
  /** The trainer books over the busy time of their own calendars (`allow_outside_availability`). */
  overBusy: boolean;
  session: SessionToCheck | null;
  now: string;
  /** The trainer's schedule version the checks read; a schedule write since then refuses the insert. */
  scheduleVersion: number;
  /** The standing series the booking is an occurrence of (SQL: found inside the batch), if any. */
  seriesId?: SQL;
  /** A place in this class session: guarded by its free places instead of the overlap (the class holds the time). */
  classSessionId?: number | null;
}

/**
 * A place's guard: the class still scheduled and not started; an active place only while the
 * class has a free place, a waitlisted one only while it has none (else it would wait for nothing).
 */
const placeGuard = (b: GuardedInsert, classSessionId: number): SQL => {
  const capacity = sql`(SELECT capacity FROM class_sessions WHERE id = ${classSessionId} AND trainer_id = ${b.trainerId}
    AND status = 'scheduled' AND start_time > ${b.now})`;
  return b.status === 'waitlisted'
    ? sql`${activePlaces(classSessionId)} >= ${capacity}`
    : sql`${activePlaces(classSessionId)} < ${capacity}`;
};

/**
 * The pack pays: a credit left (a waitlisted place reserves none) and the service covered, as
 * they are now. Without a pack, nothing: D1 compiles every statement afresh, so a guard that
 * can only be true is left out of the text.
 */
const packageGuard = (b: GuardedInsert): SQL =>
  b.clientPackageId === null
    ? sql`1`
    : sql`(${sql.raw(b.status === 'waitlisted' ? '1' : '0')} OR (
      SELECT sessions_remaining FROM ${clientPackages} WHERE id = ${b.clientPackageId}) > ${reservedCredits(b.clientPackageId)})
      AND ${packageCoversService(b.clientPackageId, b.serviceId)}`;

/**
 * The booking insert the database itself guards: no overlap and no calendar busy time unless
 * `overBusy` (for a place: a free place; the class holds the time), a
 * package credit left and the package valid for the service (as they are now, whatever the
 * checks read), the session still valid, the trainer's schedule (windows, breaks, overrides,
 * services) unchanged since the checks read it. Returns the new id, or no row when a guard refused it.
 */
export const guardedInsert = (db: Db, b: GuardedInsert) =>
  statement(
    db,
    sql`
    INSERT INTO ${bookings} (trainer_id, client_id, start_time, end_time, service_id, occupied_start, occupied_end,
      status, notes, client_package_id, source, client_timezone, class_session_id, created_at, updated_at, series_id)
    SELECT ${b.trainerId}, ${b.clientId}, ${b.startTime}, ${b.endTime}, ${b.serviceId}, ${b.occupied.start}, ${b.occupied.end},
      ${b.status}, ${b.notes}, ${b.clientPackageId}, ${b.source}, ${b.clientTimezone}, ${b.classSessionId ?? null}, ${b.now}, ${b.now},
      ${b.seriesId ?? null}
    WHERE ${b.classSessionId ? placeGuard(b, b.classSessionId) : occupancyFree(b.occupied, b.overBusy)}
    AND ${packageGuard(b)}
    AND ${sessionValid(b.session, b.trainerId, b.now)}
    AND ${scheduleVersionIs(b.trainerId, b.scheduleVersion)}
    RETURNING id`,
  );

/**
 * Reminders planned for a rescheduled booking's old time will not be sent (the cron plans the
 * new ones); written only if the move itself happened (start and updated_at as it left them).
 */
export const cancelRemindersOfOldTime = (db: Db, args: { bookingId: number; newStart: string; now: string }) =>
  cancelRemindersNotAt(db, {
    bookingId: args.bookingId,
    now: args.now,
    guard: sql`b.start_time = ${args.newStart} AND b.updated_at = ${args.now}`,
    start: args.newStart,
  });

export type Row = { id: number };

/**
 * Runs the named statements as one batch, in the order they were named, skipping the absent
 * ones; each result comes back under its statement's name.
 */
export async function batchByName<K extends string>(
  db: Db,
  steps: Partial<Record<K, D1PreparedStatement | null>>,
): Promise<Partial<Record<K, D1Result<Row>>>> {
  const named = (Object.entries(steps) as [K, D1PreparedStatement | null | undefined][]).filter(
    (e): e is [K, D1PreparedStatement] => e[1] != null,
  );
  const results = await db.$client.batch<Row>(named.map(([, stmt]) => stmt));
  const byName: Partial<Record<K, D1Result<Row>>> = {};
  named.forEach(([name], i) => {
    byName[name] = results[i];
  });
  return byName;
}

/** The 409 of a write whose schedule changed under it twice (or once, where no re-check is made). */
export const scheduleChanged = () =>
  conflict(
    "The trainer's schedule changed while this booking was being checked. Please try again.",
    'schedule_changed',
  );

/** True when the trainer's schedule version is no longer `version` (a refused guarded write: was that why?). */
export const scheduleMoved = async (db: Db, trainerId: number, version: number): Promise<boolean> =>
  !(await statement(db, sql`SELECT ${scheduleVersionIs(trainerId, version)} AS ok`).first<number>('ok'));

/**
 * Runs a command; if its guarded write was refused because the schedule changed after its read
 * (`schedule_changed`), runs it once more, reading and checking again. A second change is the 409.
 */
export async function retryOnScheduleChange<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError && err.extra.code === 'schedule_changed') return run();
    throw err;
  }
}
