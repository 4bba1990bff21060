import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { type BookingStatus, retiredSlugs, sessions, trainers, users } from './schema';

// SQL that several areas share. A rule written here once is the rule everywhere: which
// bookings hold time and credits, and how many credits a pack has promised away.

/**
 * The trainer a booking-page slug names: the one it is, or the one who left it for a new slug
 * (`retired_slugs`), so old links and embeds keep reaching them. `slug` is lower case.
 */
export const trainerOfSlug = (slug: string | SQL): SQL =>
  sql`(${trainers.slug} = ${slug} OR ${trainers.id} = (SELECT ${retiredSlugs.trainerId} FROM ${retiredSlugs} WHERE ${retiredSlugs.slug} = ${slug}))`;

/** Bookings in these states occupy the trainer's time and hold their pack credit. */
export const ACTIVE_BOOKING_STATUSES = ['pending', 'confirmed'] as const satisfies readonly BookingStatus[];

/** `<status column> IN ('pending', 'confirmed')`, for raw SQL (drizzle code can use inArray). */
export const isActiveStatus = (status: SQL | AnyColumn): SQL => sql`${status} IN ('pending', 'confirmed')`;

/**
 * Credits of one client package reserved by its active bookings (a scalar subquery), leaving
 * out `exceptBookingId` (the booking being moved or re-checked). `clientPackageId` is a value
 * or a qualified column of the outer query; the subquery's own table is aliased `rb`.
 */
export const reservedCredits = (
  clientPackageId: SQL | AnyColumn | number | null,
  exceptBookingId: number | SQL = 0,
): SQL<number> =>
  sql<number>`(SELECT count(*) FROM bookings rb WHERE rb.client_package_id = ${clientPackageId} AND ${isActiveStatus(sql`rb.status`)} AND rb.id <> ${exceptBookingId})`;

/** Longest booking and largest buffer: bounds that let an occupied-span test use the start_time indexes. */
export const MAX_BOOKING_MINUTES = 12 * 60;
/** The shortest booking, as the shortest service. */
export const MIN_BOOKING_MINUTES = 5;
export const MAX_BUFFER_MINUTES = 240;

/**
 * A booking's occupied span [occupied_start, occupied_end) overlaps [from, to) (ISO instants).
 * Columns are unqualified, or qualified with `alias`. The start_time bounds are implied by the
 * occupied test (no booking is longer than 12 hours or has a buffer over 240 minutes); they are
 * there so the (trainer, status, start_time) index bounds the scan to the neighbourhood.
 */
export const occupiedOverlaps = (from: string | SQL, to: string | SQL, alias = ''): SQL => {
  const col = (name: string) => sql.raw(alias ? `${alias}.${name}` : name);
  return sql`${col('occupied_start')} < ${to} AND ${col('occupied_end')} > ${from}
    AND ${col('start_time')} < strftime('%Y-%m-%dT%H:%M:%fZ', ${to}, ${`+${MAX_BUFFER_MINUTES} minutes`})
    AND ${col('start_time')} > strftime('%Y-%m-%dT%H:%M:%fZ', ${from}, ${`-${MAX_BOOKING_MINUTES + MAX_BUFFER_MINUTES} minutes`})`;
};

/** Longest calendar_busy row: a longer event is stored as consecutive pieces, so the scan is bounded like bookings'. */
export const MAX_BUSY_MINUTES = 24 * 60;

/**
 * Busy time imported from the trainer's own calendars overlapping [from, to) (ISO instants or SQL
 * expressions): a subquery of rows (start_time, end_time) of calendar_busy. It is occupancy from
 * outside, tested against a booking's whole occupied span (buffers included). The lower start_time
 * bound is implied (no row is longer than MAX_BUSY_MINUTES); it lets the (trainer, start_time)
 * index bound the scan. The one rule for free slots, the object's read and every guarded write.
 */
export const calendarBusyOf = (trainerId: number | SQL, from: string | SQL, to: string | SQL): SQL =>
  sql`SELECT start_time, end_time FROM calendar_busy WHERE trainer_id = ${trainerId}
      AND start_time < ${to} AND end_time > ${from}
      AND start_time > strftime('%Y-%m-%dT%H:%M:%fZ', ${from}, ${`-${MAX_BUSY_MINUTES} minutes`})`;

/**
 * Raises the trainer's schedule version. Every change of windows, breaks, overrides or services
 * runs it in the batch of the change: a booking insert is guarded by the version its checks read.
 */
export const bumpScheduleVersion = (trainerId: number): SQL =>
  sql`UPDATE trainers SET schedule_version = schedule_version + 1 WHERE id = ${trainerId}`;

/** True while the trainer's schedule version is still the one a booking's checks read (a guard for its write). */
export const scheduleVersionIs = (trainerId: number | SQL, version: number | SQL): SQL =>
  sql`(SELECT schedule_version FROM trainers WHERE id = ${trainerId}) = ${version}`;

/**
 * The client package's credits may be spent on the service: its package lists no services (so
 * every one), or lists this one. Both arguments are values or qualified columns of the outer query.
 */
export const packageCoversService = (
  clientPackageId: SQL | AnyColumn | number | null,
  serviceId: SQL | AnyColumn | number | null,
): SQL => {
  const listed = sql`SELECT 1 FROM session_package_services ps WHERE ps.session_package_id =
    (SELECT cs.session_package_id FROM client_packages cs WHERE cs.id = ${clientPackageId})`;
  return sql`(NOT EXISTS (${listed}) OR EXISTS (${listed} AND ps.service_id = ${serviceId}))`;
};

/**
 * The occupied spans of a trainer overlapping [from, to): active bookings that are not places
 * in a class (a place holds no time of its own) and scheduled class sessions (which hold the
 * class's time however many places it has). A subquery of rows (occupied_start, occupied_end);
 * `excludeBookingId` is the booking being moved (0: none).
 */
export const occupiedSpansOf = (
  trainerId: number | SQL,
  from: string | SQL,
  to: string | SQL,
  excludeBookingId: number | SQL = 0,
): SQL =>
  sql`SELECT occupied_start, occupied_end FROM bookings WHERE trainer_id = ${trainerId}
      AND ${isActiveStatus(sql`status`)} AND class_session_id IS NULL AND ${occupiedOverlaps(from, to)}
      AND id <> ${excludeBookingId}
    UNION ALL
    SELECT occupied_start, occupied_end FROM class_sessions WHERE trainer_id = ${trainerId}
      AND status = 'scheduled' AND ${occupiedOverlaps(from, to)}`;

/** Places of a class session that hold a seat (a scalar subquery; `classSessionId` a value or a column). */
export const activePlaces = (classSessionId: SQL | AnyColumn | number): SQL<number> =>
  sql<number>`(SELECT count(*) FROM bookings ap WHERE ap.class_session_id = ${classSessionId} AND ${isActiveStatus(sql`ap.status`)})`;

// The live-session rule's own names for its tables, so a value passed in as SQL that names a
// table-qualified column of an outer statement is never taken for one of them (an unqualified
// column name would still resolve to the inner tables first: pass values and placeholders).
const liveSession = alias(sessions, 'live_session');
const liveUser = alias(users, 'live_user');
const liveTrainer = alias(trainers, 'live_trainer');

/** The trainer row of `liveSessionRows`, every column: `SELECT ${LIVE_TRAINER_COLUMNS} FROM …`. */
export const LIVE_TRAINER_COLUMNS = sql`${liveTrainer}.*`;

/**
 * The rows of a live trainer session, as a FROM clause with its WHERE: the session exists and is
 * unexpired, its user is active, and that user is this trainer. The one statement of the rule
 * for a trainer's claim not yet checked: `signedIn`'s trainer read (lib/auth.ts) selects from it;
 * the booking commands' read (`signed_in`) and the guarded booking and class-place inserts
 * (`sessionValid`, bookings/sql.ts) ask whether it has a row. (`authenticate`, the full check of
 * any token, reads the session and its user for clients too.)
 */
export const liveSessionRows = (v: {
  jti: string | SQL;
  userId: number | SQL;
  now: string | SQL;
  trainerId: number | SQL;
}): SQL =>
  sql`${sessions} AS ${liveSession} JOIN ${users} AS ${liveUser} ON ${liveUser.id} = ${liveSession.userId}
    JOIN ${trainers} AS ${liveTrainer} ON ${liveTrainer.userId} = ${liveUser.id}
    WHERE ${liveSession.jti} = ${v.jti} AND ${liveSession.userId} = ${v.userId} AND ${liveSession.expiresAt} > ${v.now}
      AND ${liveUser.isActive} = 1 AND ${liveTrainer.id} = ${v.trainerId}`;
