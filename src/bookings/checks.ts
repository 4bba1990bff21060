// What a booking command reads (one statement) and the rules the schedule applies to it.
import { type SQL, sql } from 'drizzle-orm';
import { MAX_BUFFER_MINUTES, packageCoversService, reservedCredits } from '../db/fragments';
import {
  bookings,
  type Client,
  classSessions,
  clientPackages,
  clients,
  services,
  type Trainer,
  trainers,
  users,
} from '../db/schema';
import { localDate, MINUTE_MS } from '../lib/calendar';
import { byShape, type Db, Prepared, param } from '../lib/db';
import { cutoff, type Idempotency, priorOf, priorSince } from '../lib/idempotency';
import { conflict, unauthorized } from '../lib/problem';
import {
  parseSchedule,
  rulesOf,
  type ScheduleColumns,
  type ServiceTiming,
  type SlotSettings,
  scheduleColumns,
} from '../scheduling/service';
import {
  breakIntervals,
  coveredBy,
  mergeIntervals,
  occupiedSpan,
  offersSlotAt,
  openIntervals,
  overlapsAny,
} from '../scheduling/slots';
import { bookingColumns, iso } from './queries';
import { type Audience, calendarBusyConflict, type SessionToCheck, sessionValid } from './sql';

export { MAX_BOOKING_MINUTES } from '../db/fragments';
export { timeErrors } from './times';

/** The trainer's settings a booking is checked against, and the name a booking shows. */
export type BookingTrainer = SlotSettings &
  Pick<
    Trainer,
    'id' | 'lateCancelHours' | 'allowClientReschedule' | 'rescheduleCutoffHours' | 'waitlistCutoffHours'
  > & { name: string };
export type BookingClient = Pick<Client, 'id' | 'email' | 'firstName' | 'lastName'>;
export interface BookingPackage {
  id: number;
  clientId: number;
  expiryDate: string | null;
  sessionsRemaining: number;
  reserved: number;
  /** Its package lists no services, or lists the one booked. */
  coversService: boolean;
  purchasedAt: string;
}

/** The service a booking is for, as the command reads it (capacity > 1: a class, booked by place). */
export type BookingService = ServiceTiming & { isActive: boolean; isPublic: boolean; capacity?: number };

export interface BookingRead {
  trainerId: number;
  client: { id: number } | { email: string };
  /** The service named; null: the trainer's default (a moved booking reads its own, with its buffers). */
  serviceId: number | null;
  packageId: number | null;
  /** With no package named: also read the client's packs that could pay for this booking (`pickPackage`). */
  pickPackage: boolean;
  session: SessionToCheck | null;
  idempotency: Idempotency | null;
  /** The booking page: the email proves nothing, so a former (inactive) client's packs are not picked. */
  visitor?: boolean;
  /** A place in this class session: packs are judged for the class's service. */
  classSessionId?: number | null;
}

/** Instants in epoch ms: the span looked at, the booking left out of it, and now. */
export interface ReadSpan {
  start: number;
  end: number;
  excludeId: number;
  now: number;
}

/**
 * Which parts a booking read's SQL has; the request's values fill its placeholders (`ReadValues`).
 * Its text is built once per shape and isolate (`Prepared`): drizzle rebuilding this statement
 * was a ninth of a create's CPU.
 */
interface ReadShape {
  byEmail: boolean;
  session: boolean;
  idempotency: boolean;
  /** A package named (`pkg`), or else the client's packs that could pay (`packs`). */
  pkg: boolean;
  packs: boolean;
  namedService: boolean;
  /** A place in a class: the service packs are judged for is the class session's. */
  classPlace: boolean;
  /** A booking being moved: its own service, and its time left out of the occupied spans. */
  moving: boolean;
  visitor: boolean;
}

const v = (name: keyof ReadValues & string) => param(name);

interface ReadValues extends Record<string, unknown> {
  trainerId: number;
  client: number | string;
  userId: number | null;
  jti: string | null;
  now: string;
  idemScope: string | null;
  idemKey: string | null;
  idemSince: string | null;
  packageId: number | null;
  dayBefore: string;
  serviceId: number | null;
  classSessionId: number | null;
  excludeId: number;
  breakFrom: string;
  breakTo: string;
  busyFrom: string;
  busyTo: string;
}

const bookingRead = byShape(
  (shape: ReadShape) =>
    new Prepared<ReadValues>(() => {
      const trainerId = v('trainerId');
      const clientMatch = shape.byEmail ? sql`email = ${v('client')}` : sql`id = ${v('client')}`;
      const session = shape.session ? { userId: v('userId'), jti: v('jti') } : null;
      const prior = shape.idempotency
        ? priorSince({ scope: v('idemScope'), key: v('idemKey') }, v('idemSince'))
        : sql`NULL`;
      return sql`SELECT ${sessionValid(session, trainerId, v('now'))} AS signed_in,
      ${prior} AS prior,
      (SELECT json_object('id', ${trainers.id}, 'timezone', ${trainers.timezone},
          'slotIntervalMinutes', ${trainers.slotIntervalMinutes},
          'minNoticeMinutes', ${trainers.minNoticeMinutes}, 'bookingHorizonDays', ${trainers.bookingHorizonDays},
          'lateCancelHours', ${trainers.lateCancelHours},
          'allowClientReschedule', json(CASE WHEN ${trainers.allowClientReschedule} THEN 'true' ELSE 'false' END),
          'rescheduleCutoffHours', ${trainers.rescheduleCutoffHours},
          'waitlistCutoffHours', ${trainers.waitlistCutoffHours},
          'name', ${bookingColumns.trainerName})
        FROM ${trainers} JOIN ${users} ON ${users.id} = ${trainers.userId} WHERE ${trainers.id} = ${trainerId}) AS trainer,
      (SELECT json_object('id', id, 'email', email, 'firstName', first_name, 'lastName', last_name)
        FROM ${clients} WHERE trainer_id = ${trainerId} AND ${clientMatch}) AS client,
      ${shape.pkg ? packageColumn(shape) : sql`NULL`} AS pkg,
      ${shape.packs ? packsColumn(shape, clientMatch) : sql`NULL`} AS packs,
      ${serviceColumn(shape)} AS service,
      ${scheduleColumns({
        trainerId,
        breakFrom: v('breakFrom'),
        breakTo: v('breakTo'),
        busyFrom: v('busyFrom'),
        busyTo: v('busyTo'),
        excludeBookingId: shape.moving ? v('excludeId') : 0,
      })}`;
    }),
);

/**
 * One D1 statement, one row: the session still to be checked, the idempotency record, the
 * trainer, the client, the package, and windows, breaks and bookings near [start, end). Each
 * part is a JSON column, so the runtime parses one small result.
 */
export async function readForBooking(db: Db, q: BookingRead, span: ReadSpan) {
  const nowIso = iso(span.now);
  const near = (ms: number, minutes: number) => iso(ms + minutes * MINUTE_MS);
  const shape: ReadShape = {
    byEmail: !('id' in q.client),
    session: q.session !== null,
    idempotency: q.idempotency !== null,
    pkg: q.packageId !== null,
    packs: q.pickPackage && q.packageId === null,
    namedService: q.serviceId !== null,
    classPlace: (q.classSessionId ?? null) !== null,
    moving: span.excludeId !== 0,
    visitor: q.visitor === true,
  };
  const values: ReadValues = {
    trainerId: q.trainerId,
    client: 'id' in q.client ? q.client.id : q.client.email,
    userId: q.session?.userId ?? null,
    jti: q.session?.jti ?? null,
    now: nowIso,
    idemScope: q.idempotency?.scope ?? null,
    idemKey: q.idempotency?.key ?? null,
    idemSince: cutoff(nowIso),
    packageId: q.packageId,
    // Expired a day before now in UTC: gone in every zone.
    dayBefore: iso(span.now - 24 * 60 * MINUTE_MS).slice(0, 10),
    serviceId: q.serviceId,
    classSessionId: q.classSessionId ?? null,
    excludeId: span.excludeId,
    // Break dates are local; UTC dates two days either side cover every zone.
    breakFrom: near(span.start, -2 * 24 * 60).slice(0, 10),
    breakTo: near(span.end, 2 * 24 * 60).slice(0, 10),
    busyFrom: near(span.start, -MAX_BUFFER_MINUTES),
    busyTo: near(span.end, MAX_BUFFER_MINUTES),
  };
  const row = await bookingRead(shape).bind(db, values).first<
    ScheduleColumns & {
      signed_in: number;
      prior: string | null;
      trainer: string | null;
      client: string | null;
      pkg: string | null;
      packs: string | null;
      service: string | null;
    }
  >();
  if (!row) throw new Error('A SELECT without FROM returns one row.');
  // Nothing of the trainer's is looked at for a request whose session is gone.
  if (!row.signed_in) throw unauthorized('Invalid or expired token.');
  const json = <T>(text: string | null): T | undefined => (text ? (JSON.parse(text) as T) : undefined);
  const schedule = parseSchedule(row);
  return {
    prior: priorOf(row.prior, q.idempotency),
    trainer: json<BookingTrainer>(row.trainer),
    client: json<BookingClient>(row.client),
    pkg: json<BookingPackage>(row.pkg),
    packs: json<BookingPackage[]>(row.packs) ?? [],
    service: json<BookingService>(row.service),
    windows: schedule.windows,
    breaks: schedule.breaks,
    busy: schedule.bookings,
    /** Busy time of the trainer's own calendars near the booking (`calendarBusyOf`). */
    calendarBusy: schedule.calendarBusy,
    overrides: schedule.overrides,
    /** The trainer's schedule version this read saw: the write is guarded by it. */
    scheduleVersion: schedule.scheduleVersion,
  };
}

/** The id of the service booked, as SQL: the class session's for a place, the one named, or the trainer's default. */
const serviceIdOf = (shape: ReadShape): SQL => {
  if (shape.classPlace) {
    return sql`(SELECT service_id FROM ${classSessions} WHERE id = ${v('classSessionId')} AND trainer_id = ${v('trainerId')})`;
  }
  return shape.namedService
    ? v('serviceId')
    : sql`(SELECT id FROM ${services} WHERE trainer_id = ${v('trainerId')} AND is_default = 1)`;
};

/** The json_object arguments of a client package row (the table unaliased) as a booking judges it. */
const packageFields = (shape: ReadShape) =>
  sql`'id', ${clientPackages.id}, 'clientId', ${clientPackages.clientId}, 'expiryDate', ${clientPackages.expiryDate},
    'sessionsRemaining', ${clientPackages.sessionsRemaining},
    'reserved', ${reservedCredits(clientPackages.id, shape.moving ? v('excludeId') : 0)}, 'purchasedAt', ${clientPackages.purchasedAt},
    'coversService', json(CASE WHEN ${packageCoversService(clientPackages.id, serviceIdOf(shape))} THEN 'true' ELSE 'false' END)`;

/**
 * The package named, as a JSON column. D1 compiles every statement afresh, so the package's
 * subqueries are left out of the common booking without one (`ReadShape.pkg`).
 */
const packageColumn = (shape: ReadShape) =>
  sql`(SELECT json_object(${packageFields(shape)}) FROM ${clientPackages} WHERE id = ${v('packageId')})`;

/**
 * The client's packs (a former client's too, active again once booked, unless a visitor typed the email: migration 0033) that could pay for the booking: they
 * cover the service and have unreserved credits; the expiry, which needs the trainer's zone, is
 * judged by `pickPackage`, after those expired a day before now (`dayBefore`) are left out.
 */
const packsColumn = (shape: ReadShape, clientMatch: SQL) =>
  sql`(SELECT json_group_array(json_object(${packageFields(shape)}))
    FROM ${clientPackages} WHERE ${clientPackages.clientId} =
      (SELECT id FROM ${clients} WHERE trainer_id = ${v('trainerId')} AND ${clientMatch}${shape.visitor ? sql` AND is_active = 1` : sql``})
    AND (${clientPackages.expiryDate} IS NULL OR ${clientPackages.expiryDate} >= ${v('dayBefore')})
    AND ${clientPackages.sessionsRemaining} > ${reservedCredits(clientPackages.id, shape.moving ? v('excludeId') : 0)}
    AND ${packageCoversService(clientPackages.id, serviceIdOf(shape))})`;

/**
 * The service as a JSON column: the one named or the default; for a booking being moved, its
 * own service with the length and buffers it was booked with (from its stored occupied span).
 */
function serviceColumn(shape: ReadShape) {
  const minutesBetween = (a: string, b: string) =>
    sql.raw(`CAST(round((julianday(${b}) - julianday(${a})) * 1440) AS INTEGER)`);
  if (shape.moving) {
    return sql`(SELECT json_object('id', service_id, 'durationMinutes', ${minutesBetween('start_time', 'end_time')},
        'bufferBeforeMinutes', ${minutesBetween('occupied_start', 'start_time')},
        'bufferAfterMinutes', ${minutesBetween('end_time', 'occupied_end')}, 'isActive', json('true'), 'isPublic', json('true'))
      FROM ${bookings} WHERE id = ${v('excludeId')} AND trainer_id = ${v('trainerId')})`;
  }
  return sql`(SELECT json_object('id', id, 'durationMinutes', duration_minutes, 'bufferBeforeMinutes', buffer_before_minutes,
      'bufferAfterMinutes', buffer_after_minutes, 'isActive', json(CASE WHEN is_active THEN 'true' ELSE 'false' END),
      'isPublic', json(CASE WHEN is_public THEN 'true' ELSE 'false' END), 'capacity', capacity)
    FROM ${services} WHERE trainer_id = ${v('trainerId')} AND ${shape.namedService ? sql`id = ${v('serviceId')}` : sql`is_default = 1`})`;
}

export type ScheduleRead = Awaited<ReturnType<typeof readForBooking>>;

/**
 * The schedule's verdict on [start, end): throws the 409 a client must branch on. A trainer's
 * `allowOutside` waives the windows and the busy time of their own calendars, never a break or
 * another booking; `who` words the calendar_busy refusal (a client, the default, learns only that the time is taken).
 */
export function checkSchedule(
  t: BookingTrainer,
  read: Pick<ScheduleRead, 'breaks' | 'windows' | 'overrides' | 'busy' | 'calendarBusy'>,
  service: ServiceTiming,
  span: { start: number; end: number },
  allowOutside: boolean,
  who: Audience = 'client',
) {
  const { start, end } = span;
  const [first, last] = [localDate(start, t.timezone), localDate(end, t.timezone)];
  // No breaks near: nothing to lay out in local days (the most common case, and not free).
  if (read.breaks.length && overlapsAny(breakIntervals(read.breaks, t.timezone, first, last), start, end)) {
    throw conflict('The trainer is on a break at that time.', 'trainer_break');
  }
  if (!allowOutside) {
    const open = openIntervals(read.windows, t.timezone, first, last, read.overrides);
    if (!coveredBy(open, start, end)) {
      throw conflict("That time is outside the trainer's availability.", 'outside_availability');
    }
  }
  const occupied = occupiedSpan(start, end, service);
  if (overlapsAny(mergeIntervals(read.busy), occupied.start, occupied.end)) {
    throw conflict('That time overlaps another booking.', 'booking_overlap');
  }
  if (!allowOutside && overlapsAny(mergeIntervals(read.calendarBusy), occupied.start, occupied.end)) {
    throw calendarBusyConflict(who);
  }
}

/**
 * A public booking starts only where the public availability offers a slot (the same free-slot
 * computation over the same read, for the booking's service and length): a 409 otherwise.
 */
export function checkOfferedSlot(
  t: BookingTrainer,
  read: ScheduleRead,
  service: ServiceTiming,
  slot: { start: number; end: number },
  now: number,
) {
  const schedule = {
    windows: read.windows,
    breaks: read.breaks,
    bookings: read.busy,
    calendarBusy: read.calendarBusy,
    overrides: read.overrides,
  };
  const rules = rulesOf(t, service, Math.round((slot.end - slot.start) / MINUTE_MS));
  if (!offersSlotAt({ ...schedule, rules, now }, slot.start)) {
    throw conflict(
      `That start time is not one of the offered times: sessions start every ${t.slotIntervalMinutes} minutes within the trainer's hours. Please pick a time from the availability list.`,
      'slot_not_offered',
    );
  }
}
