import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import type { BookingStatus } from './schema';

// SQL that several areas share. A rule written here once is the rule everywhere: which
// bookings hold time and credits, and how many credits a pack has promised away.

/** Bookings in these states occupy the trainer's time and hold their pack credit. */
export const ACTIVE_BOOKING_STATUSES = ['pending', 'confirmed'] as const satisfies readonly BookingStatus[];

/** `<status column> IN ('pending', 'confirmed')`, for raw SQL (drizzle code can use inArray). */
export const isActiveStatus = (status: SQL | AnyColumn): SQL => sql`${status} IN ('pending', 'confirmed')`;

/**
 * Credits of one client package reserved by its active bookings (a scalar subquery), leaving
 * out `exceptBookingId` (the booking being moved or re-checked). `clientPackageId` is a value
 * or a qualified column of the outer query; the subquery's own table is aliased `rb`.
 */
export const reservedCredits = (clientPackageId: SQL | AnyColumn | number | null, exceptBookingId = 0): SQL<number> =>
  sql<number>`(SELECT count(*) FROM bookings rb WHERE rb.client_package_id = ${clientPackageId} AND ${isActiveStatus(sql`rb.status`)} AND rb.id <> ${exceptBookingId})`;

/**
 * Raises the trainer's schedule version. Every change of windows, breaks, overrides or services
 * runs it in the batch of the change: a booking insert is guarded by the version its checks read.
 */
export const bumpScheduleVersion = (trainerId: number): SQL =>
  sql`UPDATE trainers SET schedule_version = schedule_version + 1 WHERE id = ${trainerId}`;

/** True while the trainer's schedule version is still the one a booking's checks read (a guard for its write). */
export const scheduleVersionIs = (trainerId: number, version: number): SQL =>
  sql`(SELECT schedule_version FROM trainers WHERE id = ${trainerId}) = ${version}`;
