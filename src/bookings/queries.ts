// The read model: bookings as the API shows them, one booking, and the filtered lists.
import { and, asc, desc, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { QueryBuilder, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { ACTIVE_BOOKING_STATUSES } from '../db/fragments';
import { type Booking, type BookingStatus, bookings, clients, trainers, users } from '../db/schema';
import { signedIn, type Viewer } from '../lib/auth';
import { addDays, isValidDate, MINUTE_MS, startOfDayMs } from '../lib/calendar';
import type { TrainerClaim } from '../lib/context';
import { byShape, containsAny, type Db, Prepared, param, rowReader } from '../lib/db';
import { clientName, clientNameContains, sortKey, trainerName } from '../lib/names';
import { cursorOf, cursorSlice, keysetAfter, type Listing, pageOffset, parseOrdering } from '../lib/pagination';
import { invalidField, notFound } from '../lib/problem';
import { boundIso, toUtcInstant } from '../lib/time';
import { knownToClient } from '../notifications/outbox';
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

/** A trainer's bookings, or a client user's bookings with any trainer: those they know of (knownToClient). */
export const bookingScope = (viewer: Viewer): SQL =>
  viewer.kind === 'trainer'
    ? eq(bookings.trainerId, viewer.trainerId)
    : sql`${eq(clients.email, viewer.email)} AND ${knownToClient('bookings')}`;

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
  if (isValidDate(value)) return boundIso(startOfDayMs(end ? addDays(value, 1) : value, timeZone));
  return toUtcInstant(value) ?? value;
}

export type ListMode = 'all' | 'upcoming' | 'past';

/** What a list's statements depend on besides their values: each shape's SQL is built once (`listStatements`). */
interface ListShape {
  viewer: Viewer['kind'];
  mode: ListMode;
  field: 'start_time' | 'created_at';
  desc: boolean;
  /**
   * Page mode (offset): page 1, or a later page (`deep`: its rows found first by id alone); a
   * cursor list's first page, or the rows after a cursor.
   */
  page: 'offset' | 'deep' | 'first' | 'after';
  counted: boolean;
  filters: {
    status: boolean;
    client: boolean;
    service: boolean;
    series: boolean;
    from: boolean;
    to: boolean;
    search: boolean;
  };
}

/** A list row: the booking's columns under their names, and the names and waitlist position beside them. */
const listFields = {
  ...getTableColumns(bookings),
  client_name: clientName.as('client_name'),
  trainer_name: trainerName().as('trainer_name'),
  waitlist_position: waitlistPosition.as('waitlist_position'),
};
const readBooking = rowReader(bookings);
const readListRow = (raw: Record<string, unknown>) => ({
  booking: readBooking(raw),
  clientName: raw.client_name as string,
  trainerName: raw.trainer_name as string,
  waitlistPosition: raw.waitlist_position as number | null,
});

/** A list's count and rows with `param`s where a request's values go (see `listValues`). */
function buildList(shape: ListShape) {
  const f = shape.filters;
  const conditions: SQL[] = [
    shape.viewer === 'trainer'
      ? eq(bookings.trainerId, param('scope'))
      : sql`${eq(clients.email, param('scope'))} AND ${knownToClient('bookings')}`,
  ];
  if (f.status) conditions.push(eq(bookings.status, param('status')));
  if (f.client) conditions.push(eq(bookings.clientId, param('client')));
  if (f.service) conditions.push(eq(bookings.serviceId, param('service')));
  if (f.series) conditions.push(eq(bookings.seriesId, param('series')));
  if (f.from) conditions.push(gte(bookings.startTime, param('from')));
  if (f.to) conditions.push(lt(bookings.startTime, param('to')));
  if (f.search)
    conditions.push(
      sql`(${clientNameContains(param('searchKey'), param('search'))} OR ${containsAny([bookings.notes], param('search'))})`,
    );
  if (shape.mode === 'upcoming') {
    conditions.push(inArray(bookings.status, [...ACTIVE_BOOKING_STATUSES]), gte(bookings.startTime, param('now')));
  }
  if (shape.mode === 'past') conditions.push(lt(bookings.endTime, param('now')));
  const where = and(...conditions);
  const column = shape.field === 'start_time' ? bookings.startTime : bookings.createdAt;
  const after =
    shape.page === 'after'
      ? keysetAfter(column, shape.desc, bookings.id, shape.desc, { key: param('cursorKey'), id: param('cursorId') })
      : undefined;
  const order = orderBy(column, shape.desc);
  const qb = new QueryBuilder();
  // The client join only when a condition needs it (a search, a client user's scope): a trainer's
  // plain count is then an index-only count of (trainer_id, …), no lookup per booking.
  const needsClient = f.search || shape.viewer !== 'trainer';
  const counting = qb.select({ n: sql<number>`count(*)`.as('n') }).from(bookings);
  // All of a trainer's bookings: the count the trainer's row keeps (trainers.booking_count).
  const everything = shape.viewer === 'trainer' && shape.mode === 'all' && !Object.values(f).some(Boolean);
  const count = everything
    ? sql`SELECT ${keptCount} AS n`
    : needsClient
      ? counting.innerJoin(clients, eq(clients.id, bookings.clientId)).where(where)
      : counting.where(where);
  const deep = shape.page === 'deep';
  const joined = (
    deep
      ? qb
          .select(listFields)
          .from(deepPageIds(where, shape.desc, column, needsClient, everything))
          .innerJoin(bookings, sql`${bookings.id} = page.id`)
      : qb.select(listFields).from(bookings)
  )
    .$dynamic()
    .innerJoin(clients, eq(clients.id, bookings.clientId))
    .innerJoin(trainers, eq(trainers.id, bookings.trainerId))
    .innerJoin(users, eq(users.id, trainers.userId));
  const rows = deep
    ? joined.orderBy(...order)
    : joined
        .where(and(where, after))
        .orderBy(...order)
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset'));
  return { count, rows };
}

/** A list's order: the column, then the id, both one way. */
const orderBy = (column: SQLiteColumn, descending: boolean): SQL[] =>
  descending ? [desc(column), desc(bookings.id)] : [asc(column), asc(bookings.id)];

/**
 * All of a trainer's bookings (`scope`), as the trainer's row keeps the count
 * (trainers.booking_count); 0 without the row (a replica behind), so no page reads a NULL offset.
 */
const keptCount = sql`coalesce((SELECT ${trainers.bookingCount} FROM ${trainers} WHERE ${trainers.id} = ${param('scope')}), 0)`;

/**
 * The ids of a later page by number (`page`), for a deferred join: the `offset` matches before it
 * are skipped through the index the order follows, with only the joins the conditions need, at an
 * index step each (no row, join or subquery; a client user's list also checks, per booking, that
 * they know of it: knownToClient, through indexed lookups). The whole list (`everything`) knows its count
 * without counting (trainers.booking_count), so a page past the middle is found from the other
 * end: it skips `count - offset - limit` entries in the reverse order instead, and a deep page
 * costs at most half the list. The caller orders the page's rows.
 */
function deepPageIds(
  where: SQL | undefined,
  descending: boolean,
  column: SQLiteColumn,
  needsClient: boolean,
  everything: boolean,
) {
  const [limit, offset] = [param('limit'), param('offset')];
  const ids = (desc: boolean, lim: SQL, off: SQL) =>
    sql`SELECT id FROM (SELECT ${bookings.id} AS id FROM ${bookings}
      ${needsClient ? sql`INNER JOIN ${clients} ON ${clients.id} = ${bookings.clientId}` : sql``}
      WHERE ${where}
      ORDER BY ${sql.join(orderBy(column, desc), sql`, `)}
      LIMIT ${lim} OFFSET ${off})`;
  if (!everything) return sql`(${ids(descending, limit, offset)}) AS page`;
  // The half not taken gets LIMIT 0, which SQLite answers before reading anything (a condition
  // in WHERE would be tested on every row, the whole list scanned).
  const fromStart = ids(descending, sql`CASE WHEN ${offset} * 2 <= ${keptCount} THEN ${limit} ELSE 0 END`, offset);
  const fromEnd = ids(
    !descending,
    sql`CASE WHEN ${offset} * 2 > ${keptCount} THEN max(0, min(${limit}, ${keptCount} - ${offset})) ELSE 0 END`,
    sql`max(0, ${keptCount} - ${offset} - ${limit})`,
  );
  return sql`(${fromStart} UNION ALL ${fromEnd}) AS page`;
}

type ListValues = Record<string, unknown>;

/** The count and rows statements of a list shape, their SQL built once per isolate. */
const listStatements = byShape((shape: ListShape) => {
  const built = buildList(shape);
  return { count: new Prepared<ListValues>(() => built.count), rows: new Prepared<ListValues>(() => built.rows) };
});

/** Runs a list's statements in one D1 batch: on their own, or beside a session check (`signedIn`). */
export type ListRunner = (reads: () => D1PreparedStatement[]) => Promise<D1Result<Record<string, unknown>>[]>;

/**
 * A page of the viewer's bookings; upcoming and past are judged at `now` (ISO). Page mode counts
 * every match; cursor mode (`q.cursor`) reads the rows after the cursor through the
 * (trainer_id, start_time) or (trainer_id, created_at) index and counts only when asked. One D1
 * batch, through `run`.
 */
export async function listBookings(
  db: Db,
  viewer: Viewer,
  timeZone: string,
  q: BookingListQuery,
  mode: ListMode,
  now: string,
  run: ListRunner = (reads) => db.$client.batch(reads()),
): Promise<Listing<BookingOut>> {
  const fallback = { field: 'start_time' as const, desc: mode !== 'upcoming' };
  const order = parseOrdering(q.ordering, ['start_time', 'created_at'] as const, fallback);
  const ordering = `${order.desc ? '-' : ''}${order.field}`;
  const cursor = cursorOf(q, ordering);
  const counted = !cursor || q.count === true;
  const statements = listStatements({
    viewer: viewer.kind,
    mode,
    field: order.field,
    desc: order.desc,
    page: cursor === null ? (q.page > 1 ? 'deep' : 'offset') : cursor === 'first' ? 'first' : 'after',
    counted,
    filters: {
      status: Boolean(q.status),
      client: Boolean(q.client),
      service: Boolean(q.service),
      series: Boolean(q.series),
      from: Boolean(q.from),
      to: Boolean(q.to),
      search: Boolean(q.search),
    },
  });
  const [from, to] = [q.from && boundOf(q.from, timeZone, false), q.to && boundOf(q.to, timeZone, true)];
  if (from && to && to < from) throw invalidField('to', 'to must not be before from.');
  const values: ListValues = {
    scope: viewer.kind === 'trainer' ? viewer.trainerId : viewer.email,
    status: q.status,
    client: q.client,
    service: q.service,
    series: q.series,
    from,
    to,
    search: q.search?.toLowerCase(),
    searchKey: q.search && sortKey(q.search),
    now,
    limit: cursor ? q.page_size + 1 : q.page_size,
    offset: cursor ? 0 : pageOffset(q),
    cursorKey: cursor && cursor !== 'first' ? cursor.key : null,
    cursorId: cursor && cursor !== 'first' ? cursor.id : null,
  };
  const results = await run(() =>
    counted
      ? [statements.count.bind(db, values), statements.rows.bind(db, values)]
      : [statements.rows.bind(db, values)],
  );
  const rows = (results.at(-1)?.results ?? []).map(readListRow);
  const at = Date.parse(now);
  const count = counted ? Number(results[0]?.results[0]?.n ?? 0) : undefined;
  if (!cursor) return { count, results: rows.map((r) => toBookingOut(r, at)) };
  const page = cursorSlice(rows, q.page_size, (r) => ({
    ordering,
    key: order.field === 'start_time' ? r.booking.startTime : r.booking.createdAt,
    id: r.booking.id,
  }));
  return { count, results: page.rows.map((r) => toBookingOut(r, at)), after: page.after };
}

/**
 * A page of a trainer's bookings for a token whose session is checked in the list's own D1
 * batch (`signedIn`): one round trip. A date bound (`from`/`to` as a date) is a local date of
 * the trainer's zone, which only the checked row gives: then the check runs first, on its own.
 */
export async function claimedBookings(db: Db, claim: TrainerClaim, q: BookingListQuery, mode: ListMode, now: string) {
  const viewer: Viewer = { kind: 'trainer', trainerId: claim.trainerId, userId: claim.userId };
  const dated = [q.from, q.to].some((bound) => bound !== undefined && isValidDate(bound));
  const zone = dated ? (await signedIn(db, claim, now, () => [])).trainer.timezone : 'UTC';
  return listBookings(db, viewer, zone, q, mode, now, async (reads) => (await signedIn(db, claim, now, reads)).results);
}

/** The occurrences of one of the trainer's series, soonest first, as of `now` (ISO). */
export async function seriesBookings(db: Db, trainerId: number, seriesId: number, now: string) {
  const rows = await selectBookings(db)
    .where(and(eq(bookings.trainerId, trainerId), eq(bookings.seriesId, seriesId)))
    .orderBy(asc(bookings.startTime), asc(bookings.id));
  const at = Date.parse(now);
  return rows.map((r) => toBookingOut(r, at));
}
