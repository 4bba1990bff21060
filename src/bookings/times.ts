// The times a booking command gives, judged before anything is read.
import { MAX_BOOKING_MINUTES, MIN_BOOKING_MINUTES } from '../db/fragments';
import { HOUR_MS, MINUTE_MS } from '../lib/calendar';
import type { FieldErrors } from '../lib/problem';

/**
 * A booking's times: in the future, at least MIN_BOOKING_MINUTES and at most 12 hours long, and
 * each time `sent` on a whole minute (calendars and messages show minutes; an .ics time has no
 * fraction of a second). A time derived from the other, or kept from the booking, is not judged
 * for its seconds: the error names only a field the caller sent.
 */
export function timeErrors(
  start: number,
  end: number,
  now: number,
  sent: { start: boolean; end: boolean } = { start: true, end: true },
): FieldErrors {
  const errors: FieldErrors = {};
  if (sent.start && start % MINUTE_MS !== 0) errors.start_time = [WHOLE];
  else if (start <= now) errors.start_time = [FUTURE];
  if (sent.end && end % MINUTE_MS !== 0) errors.end_time = [WHOLE];
  else if (end <= start) errors.end_time = ['End time must be after start time.'];
  else if (end - start < MIN_BOOKING_MINUTES * MINUTE_MS)
    errors.end_time = [`A booking lasts at least ${MIN_BOOKING_MINUTES} minutes.`];
  else if (end - start > MAX_BOOKING_MINUTES * MINUTE_MS) errors.end_time = ['A booking lasts at most 12 hours.'];
  // An end the request did not send follows from its start (the service's length): the start is named.
  else if (end > LATEST_END)
    errors[sent.end ? 'end_time' : 'start_time'] = ['A booking must end before December 9999.'];
  return errors;
}

/**
 * The first start of a series or of classes (one, or a weekly repeat) as the single booking's is
 * judged: on a whole minute and in the future; and the last occurrence, however long, ends before
 * LATEST_END. Named `start_time`, the one time such a request sends.
 */
export function repeatStartErrors(first: number, last: number, now: number): FieldErrors {
  if (first % MINUTE_MS !== 0) return { start_time: [WHOLE] };
  if (first <= now) return { start_time: [FUTURE] };
  if (last + MAX_BOOKING_MINUTES * MINUTE_MS > LATEST_END)
    return { start_time: ['Every occurrence must end before December 9999.'] };
  return {};
}

/**
 * Whether cancelling now is a late cancellation: inside the trainer's `late_cancel_hours` before
 * the start, of a booking the client holds. Never a waitlisted place (it holds no seat), and never
 * a request the trainer or their staff decline before confirming it (the client's own cancel of
 * their request, `byClient`, is late as any of theirs).
 */
export function isLateCancel(
  booking: { status: string; startTime: string },
  lateCancelHours: number,
  now: number,
  byClient = false,
): boolean {
  if (booking.status === 'waitlisted' || (booking.status === 'pending' && !byClient)) return false;
  return Date.parse(booking.startTime) - now < lateCancelHours * HOUR_MS;
}

/** The instant from which a cancel of a booking starting at `startTime` is late (start − late_cancel_hours). */
export const lateCancelFrom = (startTime: string, lateCancelHours: number): string =>
  new Date(Date.parse(startTime) - lateCancelHours * HOUR_MS).toISOString();

const WHOLE = 'Give a time on a whole minute (no seconds).';
const FUTURE = 'Start time must be in the future.';
/** Where bookings stop: past 9999 an instant's ISO text ("+010000-…") sorts before every other. */
const LATEST_END = Date.parse('9999-12-01T00:00:00.000Z');
