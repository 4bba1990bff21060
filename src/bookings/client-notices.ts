// What is told when a client asks for a booking (the request to the trainer, the first message to
// the client), and what the trainer is told when a client changes their own booking (the manage
// link, the client portal): a move or a cancellation, each an email rendered now in the trainer's
// zone and written in the change's own batch, guarded on the change having happened.
import { type SQL, sql } from 'drizzle-orm';
import { html } from 'hono/html';
import { type Db, statement } from '../lib/db';
import { oneLine } from '../lib/text';
import { formatLocal } from '../lib/time';
import { dedupeKey, planForBooking, trainerMessage } from '../notifications/outbox';
import type { BookingTrainer } from './checks';
import type { BookingOut } from './schemas';

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
      // One per move, as the client's: keyed by the booking's sequence after it (a move back to an
      // earlier time is a new move; one to the time it has changes nothing and is not sent again).
      dedupeKey: dedupeKey({
        booking: booking.id,
        kind: 'booking_rescheduled',
        to: 'trainer',
        sequence: sql`(SELECT sequence FROM bookings WHERE id = ${booking.id})`,
      }),
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
    booking.class_session === null
      ? 'The time is free again.'
      : 'Their place in the class goes to the first on its waitlist, if there is one.',
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

/** The trainer's "new booking request" email, written only if the booking went in. */
export const notifyTrainerOfRequest = (db: Db, trainerId: number, created: SQL, nowIso: string) =>
  statement(
    db,
    trainerMessage({
      trainerId,
      bookingId: created,
      kind: 'booking_requested',
      dedupeKey: dedupeKey({ booking: created, kind: 'booking_requested' }),
      now: nowIso,
      guard: sql`${created} IS NOT NULL`,
    }),
  );

const CLIENT_KINDS = {
  confirmed: 'booking_confirmed',
  pending: 'booking_request_received',
  // In line for a full class, with the link to leave it; told again when promoted or lapsed.
  waitlisted: 'waitlist_joined',
} as const;

/** The client's first message of a booking they asked for: confirmed, received, or in line. */
export const notifyClientOfBooking = (db: Db, status: keyof typeof CLIENT_KINDS, created: SQL, nowIso: string) =>
  planForBooking(db, {
    bookingId: created,
    kind: CLIENT_KINDS[status],
    now: nowIso,
    guard: sql`b.id = ${created}`,
    // An unconfirmed request texts nobody: a public form must not send SMS to any number typed in.
    mode: status === 'confirmed' ? 'both' : 'emailOnly',
  });
