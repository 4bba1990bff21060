// Whether a pack can pay for a booking, and which of a client's packs a web booking picks.
import { localDate, MINUTE_MS } from '../lib/calendar';
import { type ApiError, conflict } from '../lib/problem';
import type { BookingPackage, BookingTrainer } from './checks';

/**
 * Why a pack cannot pay for a booking at `start` (a 409 to throw), or null when it can: it covers
 * the service, has expired neither today nor by the session's day in the trainer's zone, and has
 * a credit its active bookings do not reserve.
 */
function packRefusal(t: BookingTrainer, pkg: BookingPackage, start: number, now: number): ApiError | null {
  if (!pkg.coversService) {
    return conflict('This package cannot be used for this service.', 'package_not_valid_for_service');
  }
  if (pkg.expiryDate !== null && pkg.expiryDate < localDate(now, t.timezone)) {
    return conflict(`This package expired on ${pkg.expiryDate}.`, 'package_expired');
  }
  if (pkg.expiryDate !== null && pkg.expiryDate < localDate(start, t.timezone)) {
    return conflict(`This package expires on ${pkg.expiryDate}, before the session.`, 'package_expired');
  }
  if (pkg.sessionsRemaining - pkg.reserved <= 0) {
    return conflict('This package has no sessions left to book.', 'package_exhausted');
  }
  return null;
}

/** Times a web booking or place is checked again after the pack it picked ran out between its read and its write. */
export const PICK_RETRIES = 2;

/**
 * The pack a booking at `start` is paid with when the client names none: of those that can pay
 * (`packRefusal`), the one that expires first (never-expiring last), then the oldest purchase,
 * then the lowest id. Undefined when none can pay.
 */
export function pickPackage(
  t: BookingTrainer,
  packs: BookingPackage[],
  start: number,
  now: number,
): BookingPackage | undefined {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const byExpiry = (a: string | null, b: string | null) =>
    a === null || b === null ? Number(a === null) - Number(b === null) : cmp(a, b);
  const order = (a: BookingPackage, b: BookingPackage) =>
    byExpiry(a.expiryDate, b.expiryDate) || cmp(a.purchasedAt, b.purchasedAt) || a.id - b.id;
  return packs.filter((p) => packRefusal(t, p, start, now) === null).sort(order)[0];
}

/** A package's and the booking window's verdict on a new booking at `start`. */
export function checkPackageAndWindow(
  t: BookingTrainer,
  pkg: BookingPackage | undefined,
  start: number,
  now: number,
  enforceBookingWindow: boolean,
) {
  const refusal = pkg && packRefusal(t, pkg, start, now);
  if (refusal) throw refusal;
  if (enforceBookingWindow) {
    if (start < now + t.minNoticeMinutes * MINUTE_MS) {
      throw conflict(`Bookings need at least ${t.minNoticeMinutes} minutes' notice.`, 'outside_availability');
    }
    if (start > now + t.bookingHorizonDays * 24 * 60 * MINUTE_MS) {
      throw conflict(`Bookings open at most ${t.bookingHorizonDays} days ahead.`, 'outside_availability');
    }
  }
}
