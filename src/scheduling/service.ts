import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import { calendarBusyOf, MAX_BUFFER_MINUTES, occupiedSpansOf } from '../db/fragments';
import {
  type AvailabilitySlot,
  availabilityOverrides,
  availabilitySlots,
  services,
  type Trainer,
  trainerBreaks,
  trainers,
} from '../db/schema';
import { signedIn } from '../lib/auth';
import { addDays, DAY_MS, MINUTE_MS } from '../lib/calendar';
import type { TrainerClaim } from '../lib/context';
import { type Db, Prepared, param } from '../lib/db';
import { type PageQuery, pageOffset } from '../lib/pagination';
import { invalidField, notFound } from '../lib/problem';
import { classesColumn, type DayOffers, parseClasses, withClasses } from './classes';
import { parseExceptions } from './overrides';
import { type AvailableQuery, MAX_RANGE_DAYS, resolveSpan, type SlotInput } from './schemas';
import {
  type DateOverride,
  type DateSpan,
  dayStartsAnywhere,
  freeSlots,
  type Interval,
  type SlotRules,
  type WeeklyWindow,
} from './slots';
import { withVersionBump } from './writes';

export const toSlotOut = (s: AvailabilitySlot) => ({
  id: s.id,
  day_of_week: s.dayOfWeek,
  start_time: s.startTime,
  end_time: s.endTime,
  is_active: s.isActive,
});

// ---- availability windows -------------------------------------------------------------

export async function listSlots(db: Db, trainerId: number, q: PageQuery) {
  const where = eq(availabilitySlots.trainerId, trainerId);
  const [countRows, rows] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(availabilitySlots).where(where),
    db
      .select()
      .from(availabilitySlots)
      .where(where)
      .orderBy(asc(availabilitySlots.dayOfWeek), asc(availabilitySlots.startTime), asc(availabilitySlots.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map(toSlotOut) };
}

async function findSlot(db: Db, trainerId: number, id: number): Promise<AvailabilitySlot> {
  const row = await db
    .select()
    .from(availabilitySlots)
    .where(and(eq(availabilitySlots.id, id), eq(availabilitySlots.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Availability slot not found.');
  return row;
}

export const getSlot = async (db: Db, trainerId: number, id: number) => toSlotOut(await findSlot(db, trainerId, id));

export async function createSlot(db: Db, trainerId: number, input: Required<Omit<SlotInput, 'is_active'>> & SlotInput) {
  const row = await withVersionBump(
    db,
    availabilitySlots,
    trainerId,
    db
      .insert(availabilitySlots)
      .values({
        trainerId,
        dayOfWeek: input.day_of_week,
        startTime: input.start_time,
        endTime: input.end_time,
        isActive: input.is_active ?? true,
      })
      .returning(),
  );
  return toSlotOut(row as AvailabilitySlot);
}

export async function updateSlot(db: Db, trainerId: number, id: number, input: SlotInput, now: string) {
  const current = await findSlot(db, trainerId, id);
  const next = {
    dayOfWeek: input.day_of_week ?? current.dayOfWeek,
    startTime: input.start_time ?? current.startTime,
    endTime: input.end_time ?? current.endTime,
    isActive: input.is_active ?? current.isActive,
  };
  if (next.endTime <= next.startTime) throw invalidField('end_time', 'End time must be after start time.');
  const row = await withVersionBump(
    db,
    availabilitySlots,
    trainerId,
    db
      .update(availabilitySlots)
      .set({ ...next, updatedAt: now })
      .where(and(eq(availabilitySlots.id, id), eq(availabilitySlots.trainerId, trainerId)))
      .returning(),
  );
  return toSlotOut(row ?? { ...current, ...next });
}

export async function deleteSlot(db: Db, trainerId: number, id: number) {
  await findSlot(db, trainerId, id);
  await withVersionBump(
    db,
    availabilitySlots,
    trainerId,
    db.delete(availabilitySlots).where(and(eq(availabilitySlots.id, id), eq(availabilitySlots.trainerId, trainerId))),
  );
}

// Breaks live in breaks.ts; re-exported for the routes and callers that know this module.
export { createBreak, deleteBreak, getBreak, listBreaks, toBreakOut, updateBreak } from './breaks';

// ---- free slots -----------------------------------------------------------------------

/** The trainer settings the free-slot rules come from. */
export type SlotSettings = Pick<
  Trainer,
  'timezone' | 'slotIntervalMinutes' | 'minNoticeMinutes' | 'bookingHorizonDays'
>;

/** The trainer values a free-slot read needs: its id, zone and slot settings. */
export type ScheduleTrainer = Pick<Trainer, 'id' | 'waitlistCutoffHours'> & SlotSettings;

/** What a booking of a service takes: its length and the buffers it keeps free around it. */
export interface ServiceTiming {
  id: number;
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
}

export const rulesOf = (t: SlotSettings, service: ServiceTiming, durationMinutes?: number): SlotRules => ({
  timezone: t.timezone,
  durationMinutes: durationMinutes ?? service.durationMinutes,
  slotIntervalMinutes: t.slotIntervalMinutes,
  bufferBeforeMinutes: service.bufferBeforeMinutes,
  bufferAfterMinutes: service.bufferAfterMinutes,
  minNoticeMinutes: t.minNoticeMinutes,
  bookingHorizonDays: t.bookingHorizonDays,
});

/** The service an availability question is about: the one named (active; public when a visitor asks), or the default. */
export interface ServiceAsk {
  serviceId: number | undefined;
  visitor: boolean;
  /** A length other than the service's (the trainer's `?duration=`). */
  durationMinutes?: number;
  /** A booking to move: its own timing over the service's, and its own time not counted as taken. */
  moving?: { bookingId: number; timing: Partial<ServiceTiming> };
}

/** The asked service's timing as a JSON column (NULL when there is no such service); `param('serviceId')` when named. */
const serviceColumn = (trainerId: SQL, named: boolean, visitor: boolean) => {
  // A visitor sees public, active services only: a private default must be named by nobody.
  const which = sql`${named ? sql`id = ${param('serviceId')}` : sql`is_default = 1`} AND is_active = 1${
    visitor ? sql` AND is_public = 1` : sql``
  }`;
  return sql`(SELECT json_object('id', id, 'durationMinutes', duration_minutes, 'bufferBeforeMinutes', buffer_before_minutes,
      'bufferAfterMinutes', buffer_after_minutes, 'capacity', capacity) FROM ${services} WHERE trainer_id = ${trainerId} AND ${which}) AS service`;
};

/** What a schedule read asks for: breaks touching two local dates, bookings overlapping two instants. */
export interface ScheduleSpan {
  trainerId: number | SQL;
  breakFrom: string | SQL;
  breakTo: string | SQL;
  busyFrom: string | SQL;
  busyTo: string | SQL;
  excludeBookingId: number | SQL;
}

/**
 * Active windows, the overrides of the dates looked at, breaks, the occupied spans of bookings and
 * classes and the busy time of the trainer's own calendars (`calendar_busy`) as JSON columns of one row, and the trainer's schedule version they were read at: one
 * statement, one small result, where several row sets would each cost the runtime a parse.
 */
export const scheduleColumns = (s: ScheduleSpan) => sql`
  (SELECT json_group_array(json_array(day_of_week, start_time, end_time)) FROM ${availabilitySlots}
    WHERE trainer_id = ${s.trainerId} AND is_active = 1) AS windows,
  (SELECT json_group_array(json_array(date, json(${availabilityOverrides.windows}))) FROM ${availabilityOverrides}
    WHERE trainer_id = ${s.trainerId} AND date >= ${s.breakFrom} AND date <= ${s.breakTo}) AS overrides,
  (SELECT schedule_version FROM ${trainers} WHERE id = ${s.trainerId}) AS schedule_version,
  (SELECT json_group_array(json_array(start_date, end_date, start_time, end_time)) FROM ${trainerBreaks}
    WHERE trainer_id = ${s.trainerId} AND end_date >= ${s.breakFrom} AND start_date <= ${s.breakTo}) AS breaks,
  (SELECT json_group_array(json_array(occupied_start, occupied_end))
    FROM (${occupiedSpansOf(s.trainerId, s.busyFrom, s.busyTo, s.excludeBookingId)})) AS busy,
  (SELECT json_group_array(json_array(start_time, end_time))
    FROM (${calendarBusyOf(s.trainerId, s.busyFrom, s.busyTo)})) AS calendar_busy`;

export interface ScheduleColumns {
  windows: string;
  overrides: string;
  schedule_version: number;
  breaks: string;
  busy: string;
  calendar_busy: string;
}

export function parseSchedule(row: ScheduleColumns): {
  windows: WeeklyWindow[];
  breaks: DateSpan[];
  bookings: Interval[];
  calendarBusy: Interval[];
  overrides: DateOverride[];
  scheduleVersion: number;
} {
  const windows = JSON.parse(row.windows) as [number, string, string][];
  const breaks = JSON.parse(row.breaks) as [string, string, string | null, string | null][];
  const spans = (text: string) =>
    (JSON.parse(text) as [string, string][]).map(([start, end]) => ({
      start: Date.parse(start),
      end: Date.parse(end),
    }));
  return {
    windows: windows.map(([dayOfWeek, startTime, endTime]) => ({ dayOfWeek, startTime, endTime })),
    breaks: breaks.map(([startDate, endDate, startTime, endTime]) => ({ startDate, endDate, startTime, endTime })),
    bookings: spans(row.busy),
    calendarBusy: spans(row.calendar_busy),
    ...parseExceptions(row),
  };
}

/** The values of a free-slot read (`scheduleRead`). */
interface ScheduleValues extends Record<string, unknown> {
  trainerId: number;
  breakFrom: string;
  breakTo: string;
  busyFrom: string;
  busyTo: string;
  classFrom: string;
  classTo: string;
  serviceId: number | undefined;
  excludeBookingId: number;
}

/** The free-slot read for a named service or the default one, for a visitor or the trainer: built once each. */
const scheduleReads = [false, true].map((named) =>
  [false, true].map(
    (visitor) =>
      new Prepared<ScheduleValues>(() => {
        const trainerId = param('trainerId');
        const span = {
          trainerId,
          breakFrom: param('breakFrom'),
          breakTo: param('breakTo'),
          busyFrom: param('busyFrom'),
          busyTo: param('busyTo'),
          excludeBookingId: param('excludeBookingId'),
        };
        const classes = classesColumn({ trainerId, from: param('classFrom'), to: param('classTo'), visitor });
        return sql`SELECT ${scheduleColumns(span)}, ${serviceColumn(trainerId, named, visitor)}, ${classes}`;
      }),
  ),
);

type ScheduleRow = ScheduleColumns & { service: string | null; classes: string };

/**
 * The one D1 statement of everything free-slot checks need between two local dates, the service
 * asked about and the class sessions starting on those dates. Its instants are bounded for any
 * zone (`dayStartsAnywhere`: a day more either side than the trainer's zone needs; slot math
 * ignores what lies outside), so it needs only the trainer's id and can run in the batch that
 * checks the session (`signedIn`).
 */
export function scheduleStatement(db: Db, trainerId: number, fromDate: string, toDate: string, ask: ServiceAsk) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const [firstStart] = dayStartsAnywhere(fromDate);
  const [, lastEnd] = dayStartsAnywhere(addDays(toDate, 1));
  const buffer = MAX_BUFFER_MINUTES * MINUTE_MS;
  const read = scheduleReads[ask.serviceId === undefined ? 0 : 1]?.[ask.visitor ? 1 : 0];
  if (!read) throw new Error('Every service ask has its read.');
  return read.bind(db, {
    trainerId,
    breakFrom: addDays(fromDate, -1),
    breakTo: addDays(toDate, 1),
    // The day before and the day after count too (a slot's span may reach over midnight).
    busyFrom: iso(firstStart - DAY_MS - buffer),
    busyTo: iso(lastEnd + DAY_MS + buffer),
    classFrom: iso(firstStart),
    classTo: iso(lastEnd),
    serviceId: ask.serviceId,
    excludeBookingId: ask.moving?.bookingId ?? 0,
  });
}

/** What the 400 naming `service` says: none such offered, or (none named) a default not on the page, or none. */
export const missingService = (named: boolean, visitor: boolean): string =>
  named
    ? 'No such service is offered; choose one of the trainer’s services.'
    : visitor
      ? 'The trainer’s default service is not offered on the booking page: choose one of its services with `service`.'
      : 'The trainer has no default service.';

/** The free-slot read's row as slot-math values; a 400 naming `service` when there is no such service. */
export function scheduleOfRow(row: ScheduleRow | undefined, ask: ServiceAsk) {
  if (!row) throw new Error('A SELECT without FROM returns one row.');
  if (!row.service) {
    const named = ask.serviceId !== undefined;
    throw invalidField('service', missingService(named, ask.visitor));
  }
  const service = JSON.parse(row.service) as ServiceTiming & { capacity: number };
  return { ...parseSchedule(row), service, classes: parseClasses(row.classes) };
}

export type LoadedSchedule = ReturnType<typeof scheduleOfRow>;

/** The free-slot read on its own (`scheduleStatement`): 1 D1 statement. */
export async function loadSchedule(db: Db, trainerId: number, fromDate: string, toDate: string, ask: ServiceAsk) {
  return scheduleOfRow(
    (await scheduleStatement(db, trainerId, fromDate, toDate, ask).first<ScheduleRow>()) ?? undefined,
    ask,
  );
}

/**
 * Free slots for a service between two local dates (inclusive), as of `now` (ISO), from what
 * `scheduleStatement` read, with the service and rules they were computed for, and each day's
 * class sessions. When the service asked about is a class (capacity > 1), only its sessions are
 * listed, and a visitor is offered no private slots of it (a class is booked by its sessions).
 */
export function availableTimesOf(
  trainer: ScheduleTrainer,
  span: { fromDate: string; toDate: string },
  ask: ServiceAsk,
  now: string,
  loaded: LoadedSchedule,
): { service: ServiceTiming; rules: SlotRules; days: DayOffers[] } {
  const { service: asked, classes, ...schedule } = loaded;
  const service = ask.moving ? { ...asked, ...ask.moving.timing } : asked;
  const rules = rulesOf(trainer, service, ask.durationMinutes);
  const nowMs = Date.parse(now);
  const isClass = service.capacity > 1;
  const slots = freeSlots({ ...span, ...schedule, rules, now: nowMs });
  const days = isClass && ask.visitor ? slots.map((d) => ({ ...d, slots: [] })) : slots;
  const listed = isClass ? classes.filter((c) => c.serviceId === service.id) : classes;
  const classRules = { ...rules, waitlistCutoffHours: trainer.waitlistCutoffHours };
  return { service, rules, days: withClasses(days, listed, classRules, nowMs) };
}

/** `availableTimesOf` over its own read: 1 D1 statement. */
export async function getAvailableTimes(
  db: Db,
  trainer: ScheduleTrainer,
  span: { fromDate: string; toDate: string },
  ask: ServiceAsk,
  now: string,
) {
  const loaded = await loadSchedule(db, trainer.id, span.fromDate, span.toDate, ask);
  return availableTimesOf(trainer, span, ask, now, loaded);
}

/**
 * The trainer's free slots for a day or a range, for a service (default: the default service):
 * the session check, the trainer's settings and the read in one D1 batch (`signedIn`).
 */
export async function trainerAvailability(db: Db, claim: TrainerClaim, q: AvailableQuery, now: string) {
  const span = resolveSpan(q, MAX_RANGE_DAYS);
  const ask = { serviceId: q.service, visitor: false, durationMinutes: q.duration };
  const dates = { fromDate: span.from, toDate: span.to };
  const { trainer, results } = await signedIn(db, claim, now, () => [
    scheduleStatement(db, claim.trainerId, span.from, span.to, ask),
  ]);
  const loaded = scheduleOfRow(results[0]?.results[0] as ScheduleRow | undefined, ask);
  const { service, rules, days } = availableTimesOf(trainer, dates, ask, now, loaded);
  const head = { timezone: trainer.timezone, service: service.id, duration_minutes: rules.durationMinutes };
  const day = days[0];
  return span.single
    ? { date: span.from, ...head, slots: day?.slots ?? [], classes: day?.classes ?? [] }
    : { ...head, days };
}
