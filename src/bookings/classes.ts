// Putting class sessions on the trainer's calendar: inside the trainer's schedule object, like a
// booking, because a class takes the trainer's time (its own occupied span, whatever its places).
import { sql } from 'drizzle-orm';
import { calendarBusyOf, occupiedSpansOf, scheduleVersionIs } from '../db/fragments';
import { classSessions } from '../db/schema';
import { MINUTE_MS, type Occurrence, type WeeklyRepeat } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { ApiError, type FieldErrors, invalid, notFound, unauthorized } from '../lib/problem';
import { occupiedSpan } from '../scheduling/slots';
import { type BookingService, type BookingTrainer, checkSchedule, readForBooking, type ScheduleRead } from './checks';
import { iso } from './queries';
import { occurrenceConflicts, planRepeat } from './repeat';
import {
  occupancyRefusal,
  retryOnScheduleChange,
  type SessionToCheck,
  scheduleChanged,
  scheduleMoved,
  sessionValid,
} from './sql';
import { repeatStartErrors } from './times';

export interface CreateClassCommand {
  trainerId: number;
  serviceId: number;
  startTime: string;
  /** A weekly repeat from the first start (its wall-clock time in the trainer's zone); null: one session. */
  repeat: WeeklyRepeat | null;
  /** With a repeat: create the occurrences that fit and report the others, instead of refusing all. */
  skipConflicts: boolean;
  allowOutsideAvailability: boolean;
  session: SessionToCheck | null;
}

/** One occurrence of the request: the class session made, or why not. */
export interface ClassOccurrence {
  date: string;
  start_time: string | null;
  class_session: number | null;
  conflict: string | null;
}

export interface ClassCreated {
  ok: true;
  occurrences: ClassOccurrence[];
}

/** Creates the class sessions; a schedule change between the read and the write re-checks once. */
export const scheduleClasses = (db: Db, cmd: CreateClassCommand, now: number): Promise<ClassCreated> =>
  retryOnScheduleChange(() => scheduleClassesOnce(db, cmd, now));

/** The read of a class command: the trainer, the service and the schedule over [start, end). */
const readSpan = (db: Db, cmd: CreateClassCommand, span: { start: number; end: number; now: number }) =>
  readForBooking(
    db,
    {
      trainerId: cmd.trainerId,
      client: { id: 0 },
      serviceId: cmd.serviceId,
      packageId: null,
      pickPackage: false,
      session: cmd.session,
      idempotency: null,
    },
    { ...span, excludeId: 0 },
  );

/** The trainer, the class service and the occurrences asked for, or a 400 naming every bad field. */
function checkedClass(
  t: BookingTrainer | undefined,
  service: BookingService | undefined,
  cmd: CreateClassCommand,
  now: number,
) {
  if (!t) throw notFound('Trainer not found.');
  const start = Date.parse(cmd.startTime);
  const plan = cmd.repeat && planRepeat(start, t.timezone, cmd.repeat);
  const errors: FieldErrors = {};
  if (!service?.isActive) errors.service = ['No such service is offered.'];
  else if ((service.capacity ?? 1) < 2) {
    errors.service = [
      'This service is for one client at a time: give it a capacity of 2 or more to run it as a class.',
    ];
  }
  const last = Math.max(start, ...(plan?.occurrences ?? []).map((o) => o.start ?? start));
  Object.assign(errors, repeatStartErrors(start, last, now), plan?.errors);
  if (Object.keys(errors).length || !service) throw invalid(errors);
  const occurrences: Occurrence[] = plan ? plan.occurrences : [{ date: '', start }];
  return { t, service, occurrences };
}

async function scheduleClassesOnce(db: Db, cmd: CreateClassCommand, now: number): Promise<ClassCreated> {
  const first = Date.parse(cmd.startTime);
  const probe = await readSpan(db, cmd, { start: first, end: first, now });
  const { t, service, occurrences } = checkedClass(probe.trainer, probe.service, cmd, now);
  const length = service.durationMinutes * MINUTE_MS;
  const starts = occurrences.flatMap((o) => (o.start === null ? [] : [o.start]));
  const last = Math.max(first, ...starts);
  const read = cmd.repeat ? await readSpan(db, cmd, { start: first, end: last + length, now }) : probe;

  const conflicts = occurrenceConflicts(
    occurrences.map((o) => o.start),
    service,
    (span, taken) =>
      checkSchedule(
        t,
        { ...read, busy: [...read.busy, ...taken] },
        service,
        span,
        cmd.allowOutsideAvailability,
        'trainer',
      ),
  );
  const planned = occurrences.map(
    (o, i): ClassOccurrence => ({
      date: o.date,
      start_time: o.start === null ? null : iso(o.start),
      class_session: null,
      conflict: conflicts[i] ?? null,
    }),
  );
  const refused = planned.filter((o) => o.conflict);
  if (!cmd.repeat && refused.length) {
    // One session: the conflict as a booking would have it.
    checkSchedule(t, read, service, { start: first, end: first + length }, cmd.allowOutsideAvailability, 'trainer');
  }
  if (refused.length && !cmd.skipConflicts) {
    throw new ApiError(409, 'Some occurrences conflict with the schedule; nothing was created.', {
      code: 'repeat_conflicts',
      errors: { repeat: refused.map((o) => `${o.date}: ${o.conflict}`) },
    });
  }
  const accepted = planned.filter((o) => !o.conflict);
  const ids = accepted.length ? await insertClasses(db, cmd, t, service, accepted, read, now) : [];
  accepted.forEach((o, i) => {
    o.class_session = ids[i] ?? null;
  });
  return { ok: true, occurrences: planned };
}

/**
 * One guarded INSERT of every accepted occurrence (as one JSON parameter: D1 binds at most 100):
 * all or none, refused if any overlaps an occupied span written since the read, the schedule
 * version moved or the session is gone. The new ids in start order.
 */
async function insertClasses(
  db: Db,
  cmd: CreateClassCommand,
  t: BookingTrainer,
  service: BookingService,
  accepted: ClassOccurrence[],
  read: ScheduleRead,
  now: number,
): Promise<number[]> {
  const nowIso = iso(now);
  const rows = accepted.map((o) => {
    const start = Date.parse(o.start_time ?? '');
    const end = start + service.durationMinutes * MINUTE_MS;
    const occ = occupiedSpan(start, end, service);
    return [iso(start), iso(end), iso(occ.start), iso(occ.end)];
  });
  const json = JSON.stringify(rows);
  const col = (i: number) => sql.raw(`json_extract(o.value, '$[${i}]')`);
  const [from, to] = [sql.raw(`json_extract(x.value, '$[2]')`), sql.raw(`json_extract(x.value, '$[3]')`)];
  // Busy time of the trainer's calendars counts unless the trainer schedules over it.
  const busy = cmd.allowOutsideAvailability ? sql`` : sql` OR EXISTS (${calendarBusyOf(t.id, from, to)})`;
  const result = await statement(
    db,
    sql`INSERT INTO ${classSessions} (trainer_id, service_id, start_time, end_time, occupied_start, occupied_end,
        capacity, status, created_at, updated_at)
      SELECT ${t.id}, ${service.id}, ${col(0)}, ${col(1)}, ${col(2)}, ${col(3)},
        (SELECT capacity FROM services WHERE id = ${service.id}), 'scheduled', ${nowIso}, ${nowIso}
      FROM json_each(${json}) o
      WHERE NOT EXISTS (SELECT 1 FROM json_each(${json}) x
          WHERE EXISTS (${occupiedSpansOf(t.id, from, to)})${busy})
        AND ${scheduleVersionIs(t.id, read.scheduleVersion)} AND ${sessionValid(cmd.session, t.id, nowIso)}
      ORDER BY o.key
      RETURNING id`,
  ).all<{ id: number }>();
  const ids = result.results.map((r) => r.id).sort((a, b) => a - b);
  if (ids.length === rows.length) return ids;
  if (cmd.session && !(await statement(db, sql`SELECT ${sessionValid(cmd.session, t.id, nowIso)} AS ok`).first('ok'))) {
    throw unauthorized('Invalid or expired token.');
  }
  if (await scheduleMoved(db, t.id, read.scheduleVersion)) throw scheduleChanged();
  throw await occupancyRefusal(db, {
    trainerId: t.id,
    spans: rows.map((r) => [r[2] as string, r[3] as string]),
    excludeId: 0,
    busyCounts: !cmd.allowOutsideAvailability,
    who: 'trainer',
  });
}
