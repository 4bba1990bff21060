// The read model: bookings as the API shows them, one booking, and the filtered lists.
import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { ACTIVE_BOOKING_STATUSES } from '../db/fragments';
import { type Booking, type BookingStatus, bookings, clients, trainers, users } from '../db/schema';
import type { Viewer } from '../lib/auth';
import { addDays, isValidDate, MINUTE_MS, startOfDayMs } from '../lib/calendar';
import { containsAny, type Db } from '../lib/db';
import { clientName, trainerName } from '../lib/names';
import { cursorOf, cursorSlice, keysetAfter, type Listing, pageOffset, parseOrdering } from '../lib/pagination';
import { notFound } from '../lib/problem';
import { toUtcInstant } from '../lib/time';
import type { BookingListQuery, BookingOut } from './schemas';

export const iso = (ms: number) => new Date(ms).toISOString();

/** Pending and confirmed bookings hold time (and their package credit). */
export const isActive = (status: BookingStatus): boolean =>
  (ACTIVE_BOOKING_STATUSES as readonly BookingStatus[]).includes(status);

export const bookingColumns = {
  booking: bookings,
  clientName,
  trainerName: trainerName(),
};

/** A waitlisted place's position: 1 + the entries of its class that joined before it; null otherwise. */
const waitlistPosition = sql<number | null>`CASE WHEN bookings.status = 'waitlisted' THEN 1 + (SELECT count(*)
  FROM bookings w WHERE w.class_session_id = bookings.class_session_id AND w.status = 'waitlisted'
    AND (w.created_at < bookings.created_at OR (w.created_at = bookings.created_at AND w.id < bookings.id))) END`;

const selectBookings = (db: Db) =>
  db
    .select({ ...bookingColumns, waitlistPosition })
    .from(bookings)
    .innerJoin(clients, eq(clients.id, bookings.clientId))
    .innerJoin(trainers, eq(trainers.id, bookings.trainerId))
    .innerJoin(users, eq(users.id, trainers.userId));

/** A booking as the API shows it; upcoming and past are judged at `now` (epoch ms). */
export function toBookingOut(
  row: { booking: Booking; clientName: string; trainerName: string; waitlistPosition?: number | null },
  now: number,
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
    is_upcoming: start > now && isActive(b.status),
    is_past: end < now,
    client_package: b.clientPackageId,
    service: b.serviceId ?? 0,
    series: b.seriesId,
    class_session: b.classSessionId,
    waitlist_position: row.waitlistPosition ?? null,
    cancelled_at: b.cancelledAt,
    late_cancellation: b.lateCancellation,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

/** A trainer's bookings, or a client user's bookings with any trainer. */
export const bookingScope = (viewer: Viewer): SQL =>
  viewer.kind === 'trainer' ? eq(bookings.trainerId, viewer.trainerId) : eq(clients.email, viewer.email);

/** The trainer's own view, for code acting on the trainer's behalf (the schedule object, state changes). */
export const asTrainer = (trainerId: number): Viewer => ({ kind: 'trainer', trainerId, userId: 0 });

/** One booking the viewer may see, as of `now` (ISO). */
export async function findBooking(db: Db, viewer: Viewer, id: number, now: string): Promise<BookingOut> {
  const row = await selectBookings(db)
    .where(and(eq(bookings.id, id), bookingScope(viewer)))
    .get();
  if (!row) throw notFound('Booking not found.');
  return toBookingOut(row, Date.parse(now));
}

/** A list bound: a local date (the trainer's zone, else UTC) or an instant. */
function boundOf(value: string, timeZone: string, end: boolean): string {
  if (isValidDate(value)) return iso(startOfDayMs(end ? addDays(value, 1) : value, timeZone));
  return toUtcInstant(value) ?? value;
}

export type ListMode = 'all' | 'upcoming' | 'past';

function listConditions(viewer: Viewer, timeZone: string, q: BookingListQuery, mode: ListMode, now: string): SQL[] {
  const conditions: SQL[] = [bookingScope(viewer)];
  if (q.status) conditions.push(eq(bookings.status, q.status));
  if (q.client) conditions.push(eq(bookings.clientId, q.client));
  if (q.service) conditions.push(eq(bookings.serviceId, q.service));
  if (q.series) conditions.push(eq(bookings.seriesId, q.series));
  if (q.from) conditions.push(gte(bookings.startTime, boundOf(q.from, timeZone, false)));
  if (q.to) conditions.push(lt(bookings.startTime, boundOf(q.to, timeZone, true)));
  if (q.search) conditions.push(containsAny([clients.firstName, clients.lastName, bookings.notes], q.search));
  if (mode === 'upcoming') {
    conditions.push(inArray(bookings.status, [...ACTIVE_BOOKING_STATUSES]), gte(bookings.startTime, now));
  }
  if (mode === 'past') conditions.push(lt(bookings.endTime, now));
  return conditions;
}

/**
 * A page of the viewer's bookings; upcoming and past are judged at `now` (ISO). Page mode counts
 * every match; cursor mode (`q.cursor`) reads the rows after the cursor through the
 * (trainer_id, start_time) or (trainer_id, created_at) index and counts only when asked.
 */
export async function listBookings(
  db: Db,
  viewer: Viewer,
  timeZone: string,
  q: BookingListQuery,
  mode: ListMode,
  now: string,
): Promise<Listing<BookingOut>> {
  const fallback = { field: 'start_time' as const, desc: mode !== 'upcoming' };
  const order = parseOrdering(q.ordering, ['start_time', 'created_at'] as const, fallback);
  const ordering = `${order.desc ? '-' : ''}${order.field}`;
  const cursor = cursorOf(q, ordering);
  const where = and(...listConditions(viewer, timeZone, q, mode, now));
  const column = order.field === 'start_time' ? bookings.startTime : bookings.createdAt;
  const after =
    cursor && cursor !== 'first' ? keysetAfter(column, order.desc, bookings.id, order.desc, cursor) : undefined;
  const rowsQuery = selectBookings(db)
    .where(and(where, after))
    .orderBy(order.desc ? desc(column) : asc(column), order.desc ? desc(bookings.id) : asc(bookings.id))
    .limit(cursor ? q.page_size + 1 : q.page_size)
    .offset(cursor ? 0 : pageOffset(q));
  // The client join only when a condition needs it (a search, a client user's scope): a trainer's
  // plain count is then an index-only count of (trainer_id, …), no lookup per booking.
  const counting = db.select({ n: sql<number>`count(*)` }).from(bookings);
  const countQuery =
    q.search || viewer.kind !== 'trainer'
      ? counting.innerJoin(clients, eq(clients.id, bookings.clientId)).where(where)
      : counting.where(where);
  const counted = !cursor || q.count === true;
  const [countRows, rows] = counted ? await db.batch([countQuery, rowsQuery]) : [undefined, await rowsQuery];
  const at = Date.parse(now);
  const count = countRows ? (countRows[0]?.n ?? 0) : undefined;
  if (!cursor) return { count, results: rows.map((r) => toBookingOut(r, at)) };
  const page = cursorSlice(rows, q.page_size, (r) => ({
    ordering,
    key: order.field === 'start_time' ? r.booking.startTime : r.booking.createdAt,
    id: r.booking.id,
  }));
  return { count, results: page.rows.map((r) => toBookingOut(r, at)), after: page.after };
}

/** The occurrences of one of the trainer's series, soonest first, as of `now` (ISO). */
export async function seriesBookings(db: Db, trainerId: number, seriesId: number, now: string) {
  const rows = await selectBookings(db)
    .where(and(eq(bookings.trainerId, trainerId), eq(bookings.seriesId, seriesId)))
    .orderBy(asc(bookings.startTime), asc(bookings.id));
  const at = Date.parse(now);
  return rows.map((r) => toBookingOut(r, at));
}
