// SQL the booking commands share: the session check, the overlap test, the guarded insert,
// and a batch whose results are read by step name.
import { type SQL, sql } from 'drizzle-orm';
import {
  activePlaces,
  calendarBusyOf,
  liveSessionRows,
  occupiedSpansOf,
  packageCoversService,
  reservedCredits,
  scheduleVersionIs,
} from '../db/fragments';
import { bookingSeries, bookings, clientPackages, clients } from '../db/schema';
import { byShape, type Db, Prepared, param, statement } from '../lib/db';
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
): SQL => (session ? sql`EXISTS (SELECT 1 FROM ${liveSessionRows({ ...session, now: nowIso, trainerId })})` : sql`1`);

/** A booking's occupied span [start - buffer before, end + buffer after) in ISO text. */
export interface OccupiedSpan {
  trainerId: number | SQL;
  start: string | SQL;
  end: string | SQL;
  /** The booking being moved, which does not overlap itself; 0 for a new one. */
  excludeId: number | SQL;
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
  /** An existing client, or one this batch adds (found again by email). */
  client: { id: number } | { email: string };
  startTime: string;
  endTime: string;
  serviceId: number;
  status: 'pending' | 'confirmed' | 'waitlisted';
  notes: string;
  clientPackageId: number | null;
  source: 'public' | 'trainer';
  clientTimezone: string;
  /** The span no other active booking's occupied span may overlap (nor calendar busy time, unless `overBusy`). */
  occupied: { start: string; end: string };
  /** The trainer books over the busy time of their own calendars (`allow_outside_availability`). */
  overBusy: boolean;
  session: SessionToCheck | null;
  now: string;
  /** The trainer's schedule version the checks read; a schedule write since then refuses the insert. */
  scheduleVersion: number;
  /** An occurrence of the standing series this batch creates (`seriesMadeAt`). */
  inSeries?: boolean;
  /** A place in this class session: guarded by its free places instead of the overlap (the class holds the time). */
  classSessionId?: number | null;
  /** Its pack was picked by an email typed on the booking page (`bookings.pack_by_email`). */
  packByEmail?: boolean;
}

/**
 * The series a batch creates: the newest of the trainer's made at this instant (the batch is one
 * transaction, so no other series can come in between). Guarded by the version like the insert
 * itself: when the insert was refused, this is NULL, never an earlier series of the same instant.
 */
export const seriesMadeAt = (trainerId: number | SQL, nowIso: string | SQL, version: number | SQL): SQL =>
  sql`(SELECT max(id) FROM ${bookingSeries} WHERE trainer_id = ${trainerId} AND created_at = ${nowIso}
    AND ${scheduleVersionIs(trainerId, version)})`;

/** The id of the trainer's client with this email (a client the same batch may add). */
export const clientIdByEmailSql = (trainerId: number | SQL, email: string | SQL): SQL =>
  sql`(SELECT id FROM ${clients} WHERE trainer_id = ${trainerId} AND email = ${email})`;

/** Which parts a guarded insert's SQL has (its text is built once per shape, `Prepared`). */
interface InsertShape {
  byEmail: boolean;
  place: boolean;
  waitlisted: boolean;
  overBusy: boolean;
  pkg: boolean;
  session: boolean;
  series: boolean;
}

type InsertValues = Omit<GuardedInsert, 'client' | 'occupied' | 'overBusy' | 'session' | 'inSeries' | 'packByEmail'> & {
  client: number | string;
  packByEmail: 0 | 1;
  occupiedStart: string;
  occupiedEnd: string;
  userId: number | null;
  jti: string | null;
  classSessionId: number | null;
};

const insertStatements = byShape(
  (shape: InsertShape) =>
    new Prepared<InsertValues>(() => {
      const v = (name: keyof InsertValues & string) => param(name);
      const trainerId = v('trainerId');
      const now = v('now');
      const clientId = shape.byEmail ? clientIdByEmailSql(trainerId, v('client')) : v('client');
      const occupied = { trainerId, start: v('occupiedStart'), end: v('occupiedEnd'), excludeId: 0 };
      // A place: the class still scheduled and not started; an active place only while the class has
      // a free place, a waitlisted one only while it has none (else it would wait for nothing).
      const capacity = sql`(SELECT capacity FROM class_sessions WHERE id = ${v('classSessionId')} AND trainer_id = ${trainerId}
        AND status = 'scheduled' AND start_time > ${now})`;
      const places = activePlaces(v('classSessionId'));
      const room = shape.place
        ? sql`${places} ${sql.raw(shape.waitlisted ? '>=' : '<')} ${capacity}`
        : occupancyFree(occupied, shape.overBusy);
      // The pack pays: a credit left (a waitlisted place reserves none) and the service covered, as
      // they are now. Without a pack, nothing: D1 compiles every statement afresh, so a guard that
      // can only be true is left out of the text.
      const pack = v('clientPackageId');
      const paid = shape.pkg
        ? sql`(${sql.raw(shape.waitlisted ? '1' : '0')} OR (
          SELECT sessions_remaining FROM ${clientPackages} WHERE id = ${pack}) > ${reservedCredits(pack)})
          AND ${packageCoversService(pack, v('serviceId'))}`
        : sql`1`;
      const session = shape.session ? { userId: v('userId'), jti: v('jti') } : null;
      return sql`
    INSERT INTO ${bookings} (trainer_id, client_id, start_time, end_time, service_id, occupied_start, occupied_end,
      status, notes, client_package_id, pack_by_email, source, client_timezone, class_session_id, created_at, updated_at, series_id)
    SELECT ${trainerId}, ${clientId}, ${v('startTime')}, ${v('endTime')}, ${v('serviceId')}, ${occupied.start}, ${occupied.end},
      ${v('status')}, ${v('notes')}, ${pack}, ${v('packByEmail')}, ${v('source')}, ${v('clientTimezone')}, ${v('classSessionId')}, ${now}, ${now},
      ${shape.series ? seriesMadeAt(trainerId, now, v('scheduleVersion')) : sql`NULL`}
    WHERE ${room}
    AND ${paid}
    AND ${sessionValid(session, trainerId, now)}
    AND ${scheduleVersionIs(trainerId, v('scheduleVersion'))}
    RETURNING id`;
    }),
);

/**
 * The booking insert the database itself guards: no overlap and no calendar busy time unless
 * `overBusy` (for a place: a free place; the class holds the time), a
 * package credit left and the package valid for the service (as they are now, whatever the
 * checks read), the session still valid, the trainer's schedule (windows, breaks, overrides,
 * services) unchanged since the checks read it. Returns the new id, or no row when a guard refused
 * it. Its SQL text is built once per shape (drizzle would build it for every booking).
 */
export function guardedInsert(db: Db, b: GuardedInsert) {
  const shape: InsertShape = {
    byEmail: !('id' in b.client),
    place: !!b.classSessionId,
    waitlisted: b.status === 'waitlisted',
    overBusy: b.overBusy,
    pkg: b.clientPackageId !== null,
    session: b.session !== null,
    series: !!b.inSeries,
  };
  return insertStatements(shape).bind(db, {
    trainerId: b.trainerId,
    client: 'id' in b.client ? b.client.id : b.client.email,
    startTime: b.startTime,
    endTime: b.endTime,
    serviceId: b.serviceId,
    occupiedStart: b.occupied.start,
    occupiedEnd: b.occupied.end,
    status: b.status,
    notes: b.notes,
    clientPackageId: b.clientPackageId,
    packByEmail: b.packByEmail ? 1 : 0,
    source: b.source,
    clientTimezone: b.clientTimezone,
    classSessionId: b.classSessionId ?? null,
    now: b.now,
    userId: b.session?.userId ?? null,
    jti: b.session?.jti ?? null,
    scheduleVersion: b.scheduleVersion,
  });
}

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
