import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  type Booking,
  type BookingStatus,
  bookingLinks,
  bookings,
  type Client,
  clientPackages,
  clients,
  idempotencyKeys,
  packageLedger,
  sessions,
  type Trainer,
  trainers,
  users,
} from '../db/schema';
import type { Viewer } from '../lib/auth';
import { containsPattern, type Db, isUniqueViolation, statement } from '../lib/db';
import { type Idempotency, priorColumn, priorOf } from '../lib/idempotency';
import { clientName, trainerName } from '../lib/names';
import { pageOffset, parseOrdering } from '../lib/pagination';
import { ApiError, conflict, type FieldErrors, invalid, notFound, unauthorized } from '../lib/problem';
import { toUtcInstant } from '../lib/time';
import {
  cancelPendingFor,
  cancelRemindersNotAt,
  dedupeKey,
  enqueue,
  idsOf,
  planForBooking,
  trainerMessage,
} from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { reservedCount } from '../packages/service';
import { MAX_BUFFER_MINUTES, parseSchedule, type ScheduleColumns, scheduleColumns } from '../scheduling/service';
import {
  addDays,
  breakIntervals,
  busyIntervals,
  coveredBy,
  isValidDate,
  localDate,
  MINUTE_MS,
  openIntervals,
  overlapsAny,
  startOfDayMs,
} from '../scheduling/slots';
import type { BookingListQuery, BookingOut } from './schemas';

export const MAX_BOOKING_MINUTES = 12 * 60;
const ACTIVE: BookingStatus[] = ['pending', 'confirmed'];
const iso = (ms: number) => new Date(ms).toISOString();

// ---- reading --------------------------------------------------------------------------

const bookingColumns = {
  booking: bookings,
  clientName,
  trainerName: trainerName(),
};

const selectBookings = (db: Db) =>
  db
    .select(bookingColumns)
    .from(bookings)
    .innerJoin(clients, eq(clients.id, bookings.clientId))
    .innerJoin(trainers, eq(trainers.id, bookings.trainerId))
    .innerJoin(users, eq(users.id, trainers.userId));

export function toBookingOut(
  row: { booking: Booking; clientName: string; trainerName: string },
  now = Date.now(),
): BookingOut {
  const b = row.booking;
  const start = Date.parse(b.startTime);
  const end = Date.parse(b.endTime);
  return {
    id: b.id,
    trainer: b.trainerId,
    client: b.clientId,
    client_name: row.clientName,
    trainer_name: row.trainerName,
    start_time: b.startTime,
    end_time: b.endTime,
    status: b.status,
    notes: b.notes,
    cancellation_reason: b.cancellationReason,
    duration_minutes: Math.round((end - start) / MINUTE_MS),
    is_upcoming: start > now && ACTIVE.includes(b.status),
    is_past: end < now,
    client_package: b.clientPackageId,
    cancelled_at: b.cancelledAt,
    late_cancellation: b.lateCancellation,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

/** A trainer's bookings, or a client user's bookings with any trainer. */
export const bookingScope = (viewer: Viewer): SQL =>
  viewer.kind === 'trainer' ? eq(bookings.trainerId, viewer.trainerId) : eq(clients.email, viewer.email);

export async function findBooking(db: Db, viewer: Viewer, id: number): Promise<BookingOut> {
  const row = await selectBookings(db)
    .where(and(eq(bookings.id, id), bookingScope(viewer)))
    .get();
  if (!row) throw notFound('Booking not found.');
  return toBookingOut(row);
}

/** A list bound: a local date (the trainer's zone, else UTC) or an instant. */
function boundOf(value: string, timeZone: string, end: boolean): string {
  if (isValidDate(value)) return iso(startOfDayMs(end ? addDays(value, 1) : value, timeZone));
  return toUtcInstant(value) ?? value;
}

export type ListMode = 'all' | 'upcoming' | 'past';

export async function listBookings(
  db: Db,
  viewer: Viewer,
  timeZone: string,
  q: BookingListQuery,
  mode: ListMode = 'all',
  extra?: SQL,
) {
  const nowIso = new Date().toISOString();
  const fallback =
    mode === 'upcoming'
      ? { field: 'start_time' as const, desc: false }
      : mode === 'past'
        ? { field: 'start_time' as const, desc: true }
        : { field: 'start_time' as const, desc: true };
  const order = parseOrdering(q.ordering, ['start_time', 'created_at'] as const, fallback);
  const conditions: SQL[] = [bookingScope(viewer)];
  if (extra) conditions.push(extra);
  if (q.status) conditions.push(eq(bookings.status, q.status));
  if (q.client) conditions.push(eq(bookings.clientId, q.client));
  if (q.from) conditions.push(gte(bookings.startTime, boundOf(q.from, timeZone, false)));
  if (q.to) conditions.push(lt(bookings.startTime, boundOf(q.to, timeZone, true)));
  if (q.search) {
    const p = containsPattern(q.search.toLowerCase());
    conditions.push(
      sql`(lower(${clients.firstName}) LIKE ${p} ESCAPE '\\' OR lower(${clients.lastName}) LIKE ${p} ESCAPE '\\' OR lower(${bookings.notes}) LIKE ${p} ESCAPE '\\')`,
    );
  }
  if (mode === 'upcoming') conditions.push(inArray(bookings.status, ACTIVE), gte(bookings.startTime, nowIso));
  if (mode === 'past') conditions.push(lt(bookings.endTime, nowIso));
  const where = and(...conditions);
  const column = order.field === 'start_time' ? bookings.startTime : bookings.createdAt;
  const [countRows, rows] = await db.batch([
    db
      .select({ n: sql<number>`count(*)` })
      .from(bookings)
      .innerJoin(clients, eq(clients.id, bookings.clientId))
      .where(where),
    selectBookings(db)
      .where(where)
      .orderBy(order.desc ? desc(column) : asc(column), order.desc ? desc(bookings.id) : asc(bookings.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  const now = Date.now();
  return { count: countRows[0]?.n ?? 0, results: rows.map((r) => toBookingOut(r, now)) };
}

// ---- creating and rescheduling (run inside the trainer's TrainerSchedule object) --------

/** A client a public form names: found by email, or created; an existing one is never overwritten. */
export interface ClientByEmail {
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
}

export interface CreateBookingCommand {
  trainerId: number;
  client: { id: number } | ClientByEmail;
  startTime: string;
  endTime: string | null;
  notes: string;
  clientPackageId: number | null;
  allowOutsideAvailability: boolean;
  /** Public bookings must respect the minimum notice and the horizon; a trainer may book any future time. */
  enforceBookingWindow: boolean;
  status: 'pending' | 'confirmed';
  idempotency: Idempotency | null;
  /** A trainer's session whose row is still to be checked (see requireTrainerClaim); null when checked or public. */
  session: SessionToCheck | null;
  /** SHA-256 of the public manage token, stored with the booking. */
  manageTokenHash: string | null;
  /** Public requests tell the trainer and the client at once; a trainer's own booking waits for confirm. */
  notify: 'none' | 'public';
}

export interface RescheduleCommand {
  trainerId: number;
  bookingId: number;
  startTime: string | null;
  endTime: string | null;
  allowOutsideAvailability: boolean;
}

/** A schedule object's answer: plain data, so it crosses Durable Object RPC unchanged. */
export type Outcome =
  | { ok: true; booking: BookingOut; replayed: boolean; notificationIds: number[] }
  | { ok: false; status: ContentfulStatusCode; detail: string; errors?: FieldErrors; code?: string };

export const outcomeOfError = (err: ApiError): Outcome => ({
  ok: false,
  status: err.status,
  detail: err.detail,
  ...(err.extra.errors && { errors: err.extra.errors }),
  ...(err.extra.code && { code: err.extra.code }),
});

/** The booking of a successful outcome; a refusal becomes the ApiError it was. */
export function unwrapOutcome(outcome: Outcome): { booking: BookingOut; replayed: boolean; notificationIds: number[] } {
  if (!outcome.ok) {
    if (outcome.status === 401) throw unauthorized(outcome.detail);
    throw new ApiError(outcome.status, outcome.detail, { errors: outcome.errors, code: outcome.code });
  }
  return outcome;
}

/** The trainer's settings a booking is checked against, and the name a booking shows. */
type BookingTrainer = Pick<
  Trainer,
  'id' | 'timezone' | 'sessionDurationMinutes' | 'bufferMinutes' | 'minNoticeMinutes' | 'bookingHorizonDays'
> & { name: string };
type BookingClient = Pick<Client, 'id' | 'email' | 'firstName' | 'lastName'>;
interface BookingPackage {
  clientId: number;
  expiryDate: string | null;
  sessionsRemaining: number;
  reserved: number;
}

export interface SessionToCheck {
  userId: number;
  jti: string;
}

interface BookingRead {
  trainerId: number;
  client: { id: number } | { email: string };
  packageId: number | null;
  session: SessionToCheck | null;
  idempotency: Idempotency | null;
}

/** True when the session row exists, is unexpired, and belongs to an active user who is this trainer. */
const sessionValid = (session: SessionToCheck | null, trainerId: number, nowIso: string) =>
  session
    ? sql`EXISTS (SELECT 1 FROM ${sessions} s JOIN ${users} u ON u.id = s.user_id JOIN ${trainers} t ON t.user_id = u.id
        WHERE s.jti = ${session.jti} AND s.user_id = ${session.userId} AND s.expires_at > ${nowIso}
          AND u.is_active = 1 AND t.id = ${trainerId})`
    : sql`1`;

/**
 * One D1 statement, one row: the session still to be checked, the idempotency record, the
 * trainer, the client, the package, and windows, breaks and bookings near [start, end). Each
 * part is a JSON column, so the runtime parses one small result.
 */
async function readForBooking(db: Db, q: BookingRead, start: number, end: number, excludeId: number, nowIso: string) {
  const near = (ms: number, minutes: number) => iso(ms + minutes * MINUTE_MS);
  const clientMatch = 'id' in q.client ? sql`id = ${q.client.id}` : sql`email = ${q.client.email}`;
  const row = await statement(
    db,
    sql`SELECT ${sessionValid(q.session, q.trainerId, nowIso)} AS signed_in,
      ${priorColumn(q.idempotency, nowIso)} AS prior,
      (SELECT json_object('id', ${trainers.id}, 'timezone', ${trainers.timezone},
          'sessionDurationMinutes', ${trainers.sessionDurationMinutes}, 'bufferMinutes', ${trainers.bufferMinutes},
          'minNoticeMinutes', ${trainers.minNoticeMinutes}, 'bookingHorizonDays', ${trainers.bookingHorizonDays},
          'name', ${bookingColumns.trainerName})
        FROM ${trainers} JOIN ${users} ON ${users.id} = ${trainers.userId} WHERE ${trainers.id} = ${q.trainerId}) AS trainer,
      (SELECT json_object('id', id, 'email', email, 'firstName', first_name, 'lastName', last_name)
        FROM ${clients} WHERE trainer_id = ${q.trainerId} AND ${clientMatch}) AS client,
      (SELECT json_object('clientId', client_id, 'expiryDate', expiry_date, 'sessionsRemaining', sessions_remaining,
          'reserved', ${reservedCount(excludeId)})
        FROM ${clientPackages} WHERE id = ${q.packageId ?? 0}) AS pkg,
      ${scheduleColumns({
        trainerId: q.trainerId,
        // Break dates are local; UTC dates two days either side cover every zone.
        breakFrom: near(start, -2 * 24 * 60).slice(0, 10),
        breakTo: near(end, 2 * 24 * 60).slice(0, 10),
        busyFrom: near(start, -MAX_BUFFER_MINUTES),
        busyTo: near(end, MAX_BUFFER_MINUTES),
        excludeBookingId: excludeId,
      })}`,
  ).first<
    ScheduleColumns & {
      signed_in: number;
      prior: string | null;
      trainer: string | null;
      client: string | null;
      pkg: string | null;
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
    windows: schedule.windows,
    breaks: schedule.breaks,
    busy: schedule.bookings,
  };
}

type ScheduleRead = Awaited<ReturnType<typeof readForBooking>>;

/** The schedule's verdict on [start, end): throws the 409 a client must branch on. */
function checkSchedule(t: BookingTrainer, read: ScheduleRead, start: number, end: number, allowOutside: boolean) {
  if (overlapsAny(breakIntervals(read.breaks, t.timezone), start, end)) {
    throw conflict('The trainer is on a break on that day.', 'trainer_break');
  }
  if (!allowOutside) {
    const open = openIntervals(read.windows, t.timezone, localDate(start, t.timezone), localDate(end, t.timezone));
    if (!coveredBy(open, start, end)) {
      throw conflict("That time is outside the trainer's availability.", 'outside_availability');
    }
  }
  if (overlapsAny(busyIntervals(read.busy, t.bufferMinutes), start, end)) {
    throw conflict('That time overlaps another booking.', 'booking_overlap');
  }
}

function timeErrors(start: number, end: number, now: number): FieldErrors {
  const errors: FieldErrors = {};
  if (start <= now) errors.start_time = ['Start time must be in the future.'];
  if (end <= start) errors.end_time = ['End time must be after start time.'];
  else if (end - start > MAX_BOOKING_MINUTES * MINUTE_MS) errors.end_time = ['A booking lasts at most 12 hours.'];
  return errors;
}

const today = (timeZone: string, now: number) => localDate(now, timeZone);

export async function scheduleBooking(db: Db, cmd: CreateBookingCommand, now: number): Promise<Outcome> {
  const nowIso = iso(now);
  const start = Date.parse(cmd.startTime);
  // Until the trainer row is read the default length is unknown; read with the longest.
  const provisionalEnd = cmd.endTime ? Date.parse(cmd.endTime) : start + MAX_BOOKING_MINUTES * MINUTE_MS;
  const read = await readForBooking(db, { ...cmd, packageId: cmd.clientPackageId }, start, provisionalEnd, 0, nowIso);
  const { prior } = read;
  if (prior) {
    const booking: BookingOut = prior.responseBody
      ? JSON.parse(prior.responseBody)
      : await findBooking(db, { kind: 'trainer', trainerId: cmd.trainerId, userId: 0 }, prior.resourceId ?? 0);
    return { ok: true, booking, replayed: true, notificationIds: [] };
  }

  const { trainer: t, client, pkg } = read;
  if (!t) throw notFound('Trainer not found.');
  const end = cmd.endTime ? provisionalEnd : start + t.sessionDurationMinutes * MINUTE_MS;

  const errors = timeErrors(start, end, now);
  if (!client && 'id' in cmd.client) errors.client = ['Client not found.'];
  if (cmd.clientPackageId !== null && (!pkg || pkg.clientId !== client?.id)) {
    errors.client_package = ['Package not found for this client.'];
  }
  if (Object.keys(errors).length) throw invalid(errors);

  if (pkg) {
    if (pkg.expiryDate !== null && pkg.expiryDate < today(t.timezone, now)) {
      throw conflict(`This package expired on ${pkg.expiryDate}.`, 'package_expired');
    }
    if (pkg.expiryDate !== null && pkg.expiryDate < localDate(start, t.timezone)) {
      throw conflict(`This package expires on ${pkg.expiryDate}, before the session.`, 'package_expired');
    }
    if (pkg.sessionsRemaining - pkg.reserved <= 0) {
      throw conflict('This package has no sessions left to book.', 'package_exhausted');
    }
  }
  if (cmd.enforceBookingWindow) {
    if (start < now + t.minNoticeMinutes * MINUTE_MS) {
      throw conflict(`Bookings need at least ${t.minNoticeMinutes} minutes' notice.`, 'outside_availability');
    }
    if (start > now + t.bookingHorizonDays * 24 * 60 * MINUTE_MS) {
      throw conflict(`Bookings open at most ${t.bookingHorizonDays} days ahead.`, 'outside_availability');
    }
  }
  checkSchedule(t, read, start, end, cmd.allowOutsideAvailability);

  // The guarded insert: the database itself refuses an overlap (or an overdrawn package),
  // even if a second writer ever slipped past this object.
  const buffer = t.bufferMinutes * MINUTE_MS;
  const newClient = 'email' in cmd.client && !client ? cmd.client : null;
  const clientIdSql = client
    ? sql`${client.id}`
    : sql`(SELECT id FROM ${clients} WHERE trainer_id = ${t.id} AND email = ${newClient?.email ?? ''})`;
  // The booking this batch creates, found again by what makes it unique among active bookings.
  const created = sql`(SELECT id FROM ${bookings} WHERE trainer_id = ${t.id} AND start_time = ${iso(start)}
    AND status IN ('pending', 'confirmed') AND created_at = ${nowIso})`;
  const idem = cmd.idempotency;
  const writes: D1PreparedStatement[] = [];
  if (idem) {
    writes.push(statement(db, sql`DELETE FROM ${idempotencyKeys} WHERE scope = ${idem.scope} AND key = ${idem.key}`));
  }
  if (newClient) {
    writes.push(
      statement(
        db,
        sql`INSERT OR IGNORE INTO ${clients} (trainer_id, email, first_name, last_name, phone, created_at, updated_at)
          VALUES (${t.id}, ${newClient.email}, ${newClient.firstName}, ${newClient.lastName}, ${newClient.phone}, ${nowIso}, ${nowIso})`,
      ),
    );
  }
  const insertAt = writes.length;
  writes.push(
    statement(
      db,
      sql`
    INSERT INTO ${bookings} (trainer_id, client_id, start_time, end_time, status, notes, client_package_id, created_at, updated_at)
    SELECT ${t.id}, ${clientIdSql}, ${iso(start)}, ${iso(end)}, ${cmd.status}, ${cmd.notes}, ${cmd.clientPackageId}, ${nowIso}, ${nowIso}
    WHERE NOT EXISTS (
      SELECT 1 FROM ${bookings} WHERE trainer_id = ${t.id} AND status IN ('pending', 'confirmed')
        AND start_time < ${iso(end + buffer)} AND end_time > ${iso(start - buffer)})
    AND (${cmd.clientPackageId} IS NULL OR (
      SELECT sessions_remaining FROM ${clientPackages} WHERE id = ${cmd.clientPackageId}) > (
      SELECT count(*) FROM ${bookings} WHERE client_package_id = ${cmd.clientPackageId} AND status IN ('pending', 'confirmed')))
    AND ${sessionValid(cmd.session, t.id, nowIso)}
    RETURNING id`,
    ),
  );
  // Everything below exists only if the booking went in.
  if (idem) {
    writes.push(
      statement(
        db,
        sql`INSERT INTO ${idempotencyKeys} (scope, key, request_hash, status_code, response_body, resource_id, created_at)
          SELECT ${idem.scope}, ${idem.key}, ${idem.hash}, 201, '', ${created}, ${nowIso} WHERE ${created} IS NOT NULL`,
      ),
    );
  }
  if (cmd.manageTokenHash) {
    writes.push(
      statement(
        db,
        sql`INSERT INTO ${bookingLinks} (booking_id, token_hash, created_at)
          SELECT ${created}, ${cmd.manageTokenHash}, ${nowIso} WHERE ${created} IS NOT NULL`,
      ),
    );
  }
  const notifyFrom = writes.length;
  if (cmd.notify === 'public') {
    const guard = sql`b.id = ${created}`;
    writes.push(
      statement(
        db,
        trainerMessage({
          trainerId: t.id,
          bookingId: created,
          kind: 'booking_requested',
          dedupeKey: dedupeKey({ booking: created, kind: 'booking_requested' }),
          now: nowIso,
          guard: sql`${created} IS NOT NULL`,
        }),
      ),
      planForBooking(db, {
        bookingId: created,
        kind: cmd.status === 'confirmed' ? 'booking_confirmed' : 'booking_request_received',
        now: nowIso,
        guard,
        // An unconfirmed request texts nobody: a public form must not send SMS to any number typed in.
        mode: cmd.status === 'confirmed' ? 'both' : 'emailOnly',
      }),
    );
  }
  let results: D1Result<{ id: number }>[];
  try {
    results = await db.$client.batch<{ id: number }>(writes);
  } catch (err) {
    // Only a manage link derived from an Idempotency-Key reused after its 24 h can collide.
    if (isUniqueViolation(err)) {
      throw new ApiError(422, 'This Idempotency-Key was already used; send a new one.', {
        code: 'idempotency_key_reused',
      });
    }
    throw err;
  }
  const id = results[insertAt]?.results[0]?.id;
  if (id === undefined) {
    // Refused by the guard: an overlap, an overdrawn package, or a session revoked since the read.
    if (
      cmd.session &&
      !(await statement(db, sql`SELECT ${sessionValid(cmd.session, t.id, nowIso)} AS ok`).first('ok'))
    ) {
      throw unauthorized('Invalid or expired token.');
    }
    throw conflict('That time overlaps another booking.', 'booking_overlap');
  }
  const notificationIds = idsOf(results.slice(notifyFrom));
  const who = client ?? { firstName: newClient?.firstName, lastName: newClient?.lastName, email: newClient?.email };

  const booking = toBookingOut(
    {
      booking: {
        id,
        trainerId: t.id,
        clientId: client?.id ?? (await clientIdByEmail(db, t.id, newClient?.email ?? '')),
        startTime: iso(start),
        endTime: iso(end),
        status: cmd.status,
        notes: cmd.notes,
        cancellationReason: '',
        clientPackageId: cmd.clientPackageId,
        cancelledAt: null,
        lateCancellation: false,
        createdAt: nowIso,
        updatedAt: nowIso,
      },
      clientName: [who.firstName, who.lastName].filter(Boolean).join(' ') || (who.email ?? ''),
      trainerName: t.name,
    },
    now,
  );
  if (idem) {
    await db
      .update(idempotencyKeys)
      .set({ responseBody: JSON.stringify(booking) })
      .where(and(eq(idempotencyKeys.scope, idem.scope), eq(idempotencyKeys.key, idem.key)));
  }
  return { ok: true, booking, replayed: false, notificationIds };
}

async function clientIdByEmail(db: Db, trainerId: number, email: string): Promise<number> {
  const row = await db
    .select({ id: clients.id })
    .from(clients)
    .where(and(eq(clients.trainerId, trainerId), eq(clients.email, email)))
    .get();
  return row?.id ?? 0;
}

export async function rescheduleBooking(db: Db, cmd: RescheduleCommand, now: number): Promise<Outcome> {
  const viewer: Viewer = { kind: 'trainer', trainerId: cmd.trainerId, userId: 0 };
  const current = await findBooking(db, viewer, cmd.bookingId);
  if (!ACTIVE.includes(current.status)) {
    throw conflict(`A ${current.status} booking cannot be rescheduled.`, 'invalid_transition');
  }
  const oldStart = Date.parse(current.start_time);
  const oldEnd = Date.parse(current.end_time);
  const start = cmd.startTime ? Date.parse(cmd.startTime) : oldStart;
  // Moving only the start keeps the length; moving only the end keeps the start.
  const end = cmd.endTime ? Date.parse(cmd.endTime) : cmd.startTime ? start + (oldEnd - oldStart) : oldEnd;
  const errors = timeErrors(start, end, now);
  if (Object.keys(errors).length) throw invalid(errors);

  const read = await readForBooking(
    db,
    { trainerId: cmd.trainerId, client: { id: current.client }, packageId: null, session: null, idempotency: null },
    start,
    end,
    cmd.bookingId,
    iso(now),
  );
  if (!read.trainer) throw notFound('Trainer not found.');
  checkSchedule(read.trainer, read, start, end, cmd.allowOutsideAvailability);

  const buffer = read.trainer.bufferMinutes * MINUTE_MS;
  const nowIso = iso(now);
  const [updateResult] = await db.$client.batch<{ id: number }>([
    statement(
      db,
      sql`
    UPDATE ${bookings} SET start_time = ${iso(start)}, end_time = ${iso(end)}, updated_at = ${nowIso}
    WHERE id = ${cmd.bookingId} AND trainer_id = ${cmd.trainerId} AND status IN ('pending', 'confirmed')
      AND NOT EXISTS (
        SELECT 1 FROM ${bookings} other WHERE other.trainer_id = ${cmd.trainerId} AND other.id <> ${cmd.bookingId}
          AND other.status IN ('pending', 'confirmed')
          AND other.start_time < ${iso(end + buffer)} AND other.end_time > ${iso(start - buffer)})
    RETURNING id`,
    ),
    // Reminders planned for the old time will not be sent; the cron plans the new ones.
    cancelRemindersNotAt(db, {
      bookingId: cmd.bookingId,
      now: nowIso,
      guard: sql`b.start_time = ${iso(start)} AND b.updated_at = ${nowIso}`,
      start: iso(start),
    }),
  ]);
  const updated = updateResult?.results ?? [];
  if (!updated[0]) throw conflict('That time overlaps another booking.', 'booking_overlap');
  return { ok: true, booking: await findBooking(db, viewer, cmd.bookingId), replayed: false, notificationIds: [] };
}

// ---- changes that free time or change nothing (no Durable Object needed) ---------------

export async function updateNotes(db: Db, trainerId: number, id: number, notes: string): Promise<BookingOut> {
  const viewer: Viewer = { kind: 'trainer', trainerId, userId: 0 };
  await findBooking(db, viewer, id);
  await db
    .update(bookings)
    .set({ notes, updatedAt: iso(Date.now()) })
    .where(and(eq(bookings.id, id), eq(bookings.trainerId, trainerId)));
  return findBooking(db, viewer, id);
}

export type Transition = 'confirm' | 'cancel' | 'mark_completed';

const FROM: Record<Transition, BookingStatus[]> = {
  confirm: ['pending'],
  cancel: ['pending', 'confirmed'],
  mark_completed: ['confirmed'],
};
const VERB: Record<Transition, string> = { confirm: 'confirmed', cancel: 'cancelled', mark_completed: 'completed' };

/**
 * confirm: pending → confirmed; cancel: pending|confirmed → cancelled (late when inside the
 * trainer's late-cancel window); mark_completed: confirmed → completed. A package credit is
 * consumed by completion and by a late cancellation, in the same batch as the status change.
 */
export async function transition(
  db: Db,
  queue: Queue<NotifyMessage>,
  trainerId: number,
  id: number,
  action: Transition,
  reason = '',
): Promise<BookingOut> {
  const viewer: Viewer = { kind: 'trainer', trainerId, userId: 0 };
  const current = await findBooking(db, viewer, id);
  const trainer = await db.select().from(trainers).where(eq(trainers.id, trainerId)).get();
  if (!trainer) throw notFound('Trainer not found.');
  const now = Date.now();
  const nowIso = iso(now);
  const allowed = FROM[action];
  const guard = and(eq(bookings.id, id), eq(bookings.trainerId, trainerId), inArray(bookings.status, allowed));

  const late = action === 'cancel' && Date.parse(current.start_time) - now < trainer.lateCancelHours * 3600 * 1000;
  // A request the trainer never confirmed costs the client nothing, however late it is declined.
  const consumes = action === 'mark_completed' || (late && current.status === 'confirmed');
  const statusUpdate = db
    .update(bookings)
    .set(
      action === 'cancel'
        ? {
            status: 'cancelled',
            cancellationReason: reason,
            cancelledAt: nowIso,
            lateCancellation: late,
            updatedAt: nowIso,
          }
        : { status: action === 'confirm' ? 'confirmed' : 'completed', updatedAt: nowIso },
    )
    .where(guard)
    .returning({ id: bookings.id });

  const writes = [statement(db, statusUpdate)];
  if (consumes && current.client_package !== null) {
    const pkgId = current.client_package;
    const reasonCode = action === 'cancel' ? 'late_cancellation' : 'booking_completed';
    writes.push(
      // changes() is the row count of the statement before: the status change, then the decrement.
      statement(
        db,
        sql`UPDATE ${clientPackages} SET sessions_remaining = sessions_remaining - 1
          WHERE id = ${pkgId} AND sessions_remaining > 0 AND changes() = 1`,
      ),
      statement(
        db,
        sql`INSERT INTO ${packageLedger} (client_package_id, booking_id, delta, reason, at)
          SELECT ${pkgId}, ${id}, -1, ${reasonCode}, ${nowIso} WHERE changes() = 1`,
      ),
    );
  }
  // The outbox rows exist only if this very change happened (same batch, guarded on its values).
  if (action === 'confirm') {
    const guard = sql`b.status = 'confirmed' AND b.updated_at = ${nowIso}`;
    writes.push(planForBooking(db, { bookingId: id, kind: 'booking_confirmed', now: nowIso, guard }));
  } else if (action === 'cancel') {
    const guard = sql`b.status = 'cancelled' AND b.cancelled_at = ${nowIso}`;
    writes.push(cancelPendingFor(db, { bookingId: id, now: nowIso, guard }));
    writes.push(planForBooking(db, { bookingId: id, kind: 'booking_cancelled', now: nowIso, guard }));
  }
  const results = await db.$client.batch<{ id: number }>(writes);
  const changed = results[0]?.results ?? [];
  if (changed[0]) await enqueue(queue, idsOf(results.slice(1)));
  if (!changed[0]) {
    const fresh = await findBooking(db, viewer, id);
    throw conflict(`A ${fresh.status} booking cannot be ${VERB[action]}.`, 'invalid_transition');
  }
  return findBooking(db, viewer, id);
}
