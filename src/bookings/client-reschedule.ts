// A client changing their own booking (the manage link, the client portal): the trainer's rules
// for moving it, and the messages that tell the trainer of a move or a cancellation.
import type { SQL } from 'drizzle-orm';
import { html } from 'hono/html';
import { type Db, statement } from '../lib/db';
import { conflict } from '../lib/problem';
import { oneLine } from '../lib/text';
import { formatLocal } from '../lib/time';
import { dedupeKey, trainerMessage } from '../notifications/outbox';
import type { BookingTrainer } from './checks';
import type { BookingOut } from './schemas';

const HOUR_MS = 3600 * 1000;

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

/** Throws 409 reschedule_not_allowed when the client may not move this booking now. */
export function checkClientReschedule(t: RescheduleRules, booking: BookingOut, now: number) {
  const refusal = clientRescheduleRefusal(t, { status: booking.status, start: Date.parse(booking.start_time) }, now);
  if (refusal) throw conflict(refusal, 'reschedule_not_allowed');
}

/**
 * The trainer's "rescheduled by the client" email, naming the old and the new time in the
 * trainer's zone; written only if the move happened (`moved`: SQL true after the move).
 */
export function notifyTrainerOfReschedule(
  db: Db,
  args: { t: BookingTrainer; booking: BookingOut; newStart: string; now: string; moved: SQL },
) {
  const { t, booking, newStart } = args;
  const before = formatLocal(booking.start_time, t.timezone, true);
  const after = formatLocal(newStart, t.timezone, true);
  const line = `${booking.client_name} moved their session from ${before} to ${after}.`;
  return statement(
    db,
    trainerMessage({
      trainerId: t.id,
      bookingId: booking.id,
      kind: 'booking_rescheduled',
      dedupeKey: dedupeKey({ booking: booking.id, kind: 'booking_rescheduled', channel: 'email', start: newStart }),
      now: args.now,
      guard: args.moved,
      rendered: {
        subject: oneLine(`Rescheduled: ${booking.client_name}, now ${after}`),
        text: `${line}\nThe old time is free again.`,
        html: String(
          html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>${line}</p><p>The old time is free again.</p></body></html>`,
        ),
      },
    }),
  );
}

/**
 * What a client may do with a booking now, and what a cancellation would cost: the same rules
 * `transition('cancel')` and the reschedule command apply (late inside `late_cancel_hours`; a
 * late cancellation of a confirmed booking uses a credit of its package).
 */
export function clientOptions(
  t: RescheduleRules,
  booking: { status: string; startTime: string; hasPackage: boolean },
  now: number,
) {
  const start = Date.parse(booking.startTime);
  const active = booking.status === 'pending' || booking.status === 'confirmed';
  const canCancel = active && start > now;
  const late = canCancel && start - now < t.lateCancelHours * HOUR_MS;
  return {
    can_cancel: canCancel,
    can_reschedule: start > now && clientRescheduleRefusal(t, { status: booking.status, start }, now) === null,
    late_cancellation_if_cancelled_now: late,
    credit_used_if_cancelled_now: late && booking.status === 'confirmed' && booking.hasPackage,
    late_cancellation_from: new Date(start - t.lateCancelHours * HOUR_MS).toISOString(),
    reschedule_until: t.allowClientReschedule ? new Date(rescheduleDeadline(t, start)).toISOString() : null,
  };
}

/**
 * The trainer's "cancelled by the client" email, in the trainer's zone, with the client's reason
 * and whether it was late (and used a pack credit); written only if the cancel happened
 * (`cancelled`: SQL true after it).
 */
export function notifyTrainerOfCancel(
  db: Db,
  args: {
    t: Pick<BookingTrainer, 'id' | 'timezone' | 'lateCancelHours'>;
    booking: BookingOut;
    late: boolean;
    usedCredit: boolean;
    reason: string;
    now: string;
    cancelled: SQL;
  },
) {
  const { t, booking } = args;
  const when = formatLocal(booking.start_time, t.timezone, true);
  const lines = [
    `${booking.client_name} cancelled their ${booking.status === 'pending' ? 'request for a session' : 'session'} on ${when}.`,
    ...(args.reason ? [`Their reason: ${args.reason}`] : []),
    ...(args.late
      ? [
          `A late cancellation: inside your ${t.lateCancelHours}-hour window${args.usedCredit ? '; it used a credit of their pack' : ''}.`,
        ]
      : []),
    booking.class_session === null ? 'The time is free again.' : 'Their place in the class is free again.',
  ];
  return statement(
    db,
    trainerMessage({
      trainerId: t.id,
      bookingId: booking.id,
      kind: 'booking_cancelled',
      dedupeKey: dedupeKey({ booking: booking.id, kind: 'booking_cancelled', to: 'trainer' }),
      now: args.now,
      guard: args.cancelled,
      rendered: {
        subject: oneLine(`Cancelled: ${booking.client_name}, ${formatLocal(booking.start_time, t.timezone)}`),
        text: lines.join('\n'),
        html: String(
          html`<!doctype html><html><body style="font-family:system-ui,sans-serif">${lines.map((l) => html`<p>${l}</p>`)}</body></html>`,
        ),
      },
    }),
  );
}
