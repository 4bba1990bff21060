import { HOUR_MS } from '../lib/calendar';
import { conflict } from '../lib/problem';
import type { BookingTrainer } from './checks';
import type { BookingOut } from './schemas';
import { isLateCancel, lateCancelFrom } from './times';

/** The trainer's settings that decide whether and until when a client may reschedule. */
export type RescheduleRules = Pick<
  BookingTrainer,
  'lateCancelHours' | 'allowClientReschedule' | 'rescheduleCutoffHours'
>;

/** Hours before the start after which a client can no longer reschedule (default: the late-cancel window). */
export const rescheduleCutoffHours = (t: RescheduleRules): number => t.rescheduleCutoffHours ?? t.lateCancelHours;

/** The last instant (epoch ms) a client may reschedule a booking starting at `start`. */
export const rescheduleDeadline = (t: RescheduleRules, start: number): number =>
  start - rescheduleCutoffHours(t) * HOUR_MS;

/** Null when the client may move the booking now, else the reason a client reads. */
export function clientRescheduleRefusal(
  t: RescheduleRules,
  booking: { status: string; start: number },
  now: number,
): string | null {
  if (booking.status !== 'pending' && booking.status !== 'confirmed') {
    return `A ${booking.status} booking cannot be rescheduled.`;
  }
  if (!t.allowClientReschedule) return 'Your trainer does not allow rescheduling online; please contact them.';
  if (now >= rescheduleDeadline(t, booking.start)) {
    const hours = rescheduleCutoffHours(t);
    return `Bookings can be rescheduled online until ${hours} hour${hours === 1 ? '' : 's'} before they start; please contact your trainer.`;
  }
  return null;
}

/** The 409 of moving a place in a class: it keeps its class's time. */
export const classPlaceRefusal = () =>
  conflict('A place in a class cannot be moved; cancel it and book another class.', 'class_place');

/**
 * The refusal a client's move would get before any time is looked at (a place in a class, a
 * status, the trainer's rule or cut-off), so the times of a move are never offered for a booking
 * that cannot move: 409 class_place or reschedule_not_allowed.
 */
export function checkClientMove(
  t: RescheduleRules,
  booking: { status: string; startTime: string; classPlace: boolean },
  now: number,
) {
  if (booking.classPlace) throw classPlaceRefusal();
  const refusal = clientRescheduleRefusal(t, { status: booking.status, start: Date.parse(booking.startTime) }, now);
  if (refusal) throw conflict(refusal, 'reschedule_not_allowed');
}

/** Throws 409 reschedule_not_allowed when the client may not move this booking now. */
export function checkClientReschedule(t: RescheduleRules, booking: BookingOut, now: number) {
  const refusal = clientRescheduleRefusal(t, { status: booking.status, start: Date.parse(booking.start_time) }, now);
  if (refusal) throw conflict(refusal, 'reschedule_not_allowed');
}

/**
 * What a client may do with a booking now, and what a cancellation would cost: the same rules
 * `transition('cancel')` and the reschedule command apply (late inside `late_cancel_hours`; a
 * late cancellation of a confirmed booking uses a credit of its package; a waitlisted place,
 * which holds no seat, may leave the waitlist, never late and never for a credit).
 */
export function clientOptions(
  t: RescheduleRules,
  booking: { status: string; startTime: string; hasPackage: boolean; classPlace: boolean },
  now: number,
) {
  const start = Date.parse(booking.startTime);
  const waitlisted = booking.status === 'waitlisted';
  const canCancel = (booking.status === 'pending' || booking.status === 'confirmed' || waitlisted) && start > now;
  const late = canCancel && isLateCancel(booking, t.lateCancelHours, now, true);
  return {
    can_cancel: canCancel,
    // A place keeps its class's time (the move answers 409 class_place).
    can_reschedule:
      !booking.classPlace && start > now && clientRescheduleRefusal(t, { status: booking.status, start }, now) === null,
    late_cancellation_if_cancelled_now: late,
    credit_used_if_cancelled_now: late && booking.status === 'confirmed' && booking.hasPackage,
    late_cancellation_from: lateCancelFrom(booking.startTime, t.lateCancelHours),
    reschedule_until: t.allowClientReschedule ? new Date(rescheduleDeadline(t, start)).toISOString() : null,
  };
}
