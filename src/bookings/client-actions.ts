// What a client may do themselves, through the manage link or signed in to their account: book
// an offered time, cancel under the trainer's rules, move the booking to another offered time.
// Both ways in call these, so the rules cannot drift apart.
import { sql } from 'drizzle-orm';
import type { BookingStatus } from '../db/schema';
import type { Db } from '../lib/db';
import { idempotencyOf } from '../lib/idempotency';
import { conflict } from '../lib/problem';
import { manageToken, newManageLink } from '../lib/tokens';
import { enqueue } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import type { ClientByEmail } from './commands';
import { type ScheduleNamespace, scheduleOf, unwrapOutcome } from './schedule-object';
import type { BookingOut, ClientCancelInput } from './schemas';
import { transition } from './transitions';

/** The schedule objects, the notification queue, the database and the request's now (ISO). */
export interface ClientActionDeps {
  db: Db;
  schedules: ScheduleNamespace;
  queue: Queue<NotifyMessage>;
  now: string;
}

/** A client's booking request, as the public page or a signed-in client makes it. */
export interface ClientBookingRequest {
  trainer: { id: number; autoConfirm: boolean };
  client: ClientByEmail;
  serviceId: number | null;
  startTime: string;
  /** A place in this class session ('' start time): see CreateBookingCommand. */
  classSessionId?: number | null;
  waitlist?: boolean;
  notes: string;
  clientPackageId: number | null;
  /** With no pack named: pay with the client's pack that expires first, if one covers the service. */
  pickPackage: boolean;
  /** The booking page: the client is known by the email typed, not signed in (`pickedByEmail`). */
  pickedByEmail?: boolean;
  /** The client's IANA zone for their messages; '' = the trainer's. */
  clientTimezone: string;
  /** The Idempotency-Key header, the scope it is remembered under and the body it must match. */
  idempotency: { header: string | undefined; scope: string; body: unknown };
}

/**
 * A client books: the trainer's schedule object with every visitor rule (an offered slot, the
 * minimum notice, the horizon, public services only), confirmed at once when the trainer
 * auto-confirms, else a request the expiry cron lapses; the trainer and the client are told.
 * Every new booking gets a link of its own (a random salt); a replay answers the link of the
 * booking it replays, derived from that link's stored salt as its emails are. (Deriving the link
 * from the Idempotency-Key made a key sent again after its record expired collide with the old
 * booking's link.)
 */
export async function bookAsClient(
  deps: ClientActionDeps & { secret: string },
  req: ClientBookingRequest,
): Promise<{ booking: BookingOut; replayed: boolean; manageToken: string }> {
  const { header, scope, body } = req.idempotency;
  const idempotency = await idempotencyOf(header, scope, body);
  const link = await newManageLink(deps.secret);
  const outcome = await scheduleOf(deps.schedules, req.trainer.id, deps.db).createBooking({
    trainerId: req.trainer.id,
    client: req.client,
    startTime: req.startTime,
    classSessionId: req.classSessionId ?? null,
    waitlist: req.waitlist ?? false,
    endTime: null,
    notes: req.notes,
    serviceId: req.serviceId,
    clientPackageId: req.clientPackageId,
    pickPackage: req.pickPackage,
    pickedByEmail: req.pickedByEmail === true,
    allowOutsideAvailability: false,
    enforceBookingWindow: true,
    status: req.trainer.autoConfirm ? 'confirmed' : 'pending',
    idempotency,
    session: null,
    manageLink: { tokenHash: link.tokenHash, salt: link.salt },
    source: 'public',
    clientTimezone: req.clientTimezone,
    notify: 'public',
    now: deps.now,
  });
  const { booking, replayed, notificationIds } = unwrapOutcome(outcome);
  await enqueue(deps.queue, notificationIds);
  if (!replayed) return { booking, replayed, manageToken: link.token };
  const [stored] = await deps.db.all<{ salt: string }>(
    sql`SELECT salt FROM booking_links WHERE booking_id = ${booking.id} AND salt <> '' ORDER BY id DESC LIMIT 1`,
  );
  // A replay is of a booking made within the key's 24 hours, so its link has a salt (stored since
  // migration 0012); the salt is what the link's token is made from.
  return { booking, replayed, manageToken: stored ? await manageToken(deps.secret, stored.salt) : link.token };
}

/** The booking a client acts on: whose schedule it is in, its status and start. */
export interface ClientBookingRef {
  id: number;
  trainerId: number;
  status: BookingStatus;
  startTime: string;
}

/**
 * The client cancels under the trainer's rules: only a booking not yet started; late inside the
 * trainer's late-cancel window (a confirmed one then uses its pack credit), unless the client said
 * they did not agree to that (`late_ok`, `credit_ok` false); the client and the trainer are told.
 */
export async function cancelAsClient(
  deps: Omit<ClientActionDeps, 'schedules'>,
  booking: ClientBookingRef,
  input: ClientCancelInput,
): Promise<BookingOut> {
  if (booking.status === 'cancelled') throw conflict('This booking is already cancelled.', 'invalid_transition');
  if (Date.parse(booking.startTime) <= Date.parse(deps.now)) {
    throw conflict('This booking has already started or passed.', 'invalid_transition');
  }
  const accepts = { late: input.late_ok ?? true, credit: input.credit_ok ?? true };
  return transition(deps, booking.trainerId, booking.id, 'cancel', input.reason ?? '', { byClient: true, accepts });
}

/**
 * The client moves the booking: the trainer's schedule object checks it (the trainer allows it,
 * before the cut-off, an offered free slot) and tells the trainer.
 */
export async function rescheduleAsClient(
  deps: ClientActionDeps,
  booking: Pick<ClientBookingRef, 'id' | 'trainerId'>,
  startTime: string,
): Promise<BookingOut> {
  const outcome = await scheduleOf(deps.schedules, booking.trainerId, deps.db).rescheduleBooking({
    trainerId: booking.trainerId,
    bookingId: booking.id,
    startTime,
    endTime: null,
    allowOutsideAvailability: false,
    byClient: true,
    now: deps.now,
  });
  const { booking: moved, notificationIds } = unwrapOutcome(outcome);
  await enqueue(deps.queue, notificationIds);
  return moved;
}
