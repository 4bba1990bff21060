// Changes that free time or change nothing of the schedule: no schedule object needed.
import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { ACTIVE_BOOKING_STATUSES } from '../db/fragments';
import {
  type BookingStatus,
  bookings,
  clientPackages,
  type LEDGER_REASONS,
  packageLedger,
  trainers,
} from '../db/schema';
import type { Viewer } from '../lib/auth';
import { type Db, statement } from '../lib/db';
import { conflict, notFound } from '../lib/problem';
import {
  cancelPendingFor,
  cancelPendingReminders,
  enqueue,
  heardOf,
  idsOf,
  planForBooking,
} from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { notifyTrainerOfCancel } from './client-notices';
import { asTrainer, findBooking } from './queries';
import type { BookingOut } from './schemas';
import { isLateCancel, lateCancelFrom } from './times';
import { promoteWaitlisted } from './waitlist';

export async function updateNotes(
  db: Db,
  trainerId: number,
  id: number,
  notes: string,
  now: string,
): Promise<BookingOut> {
  const viewer = asTrainer(trainerId);
  await findBooking(db, viewer, id, now);
  await db
    .update(bookings)
    .set({ notes, updatedAt: now })
    .where(and(eq(bookings.id, id), eq(bookings.trainerId, trainerId)));
  return findBooking(db, viewer, id, now);
}

export type Transition = 'confirm' | 'cancel' | 'mark_completed' | 'mark_no_show';

/** The states each transition starts from. */
export const ALLOWED_FROM: Record<Transition, BookingStatus[]> = {
  confirm: ['pending'],
  // A waitlisted place may leave its class's waitlist too.
  cancel: [...ACTIVE_BOOKING_STATUSES, 'waitlisted'],
  mark_completed: ['confirmed'],
  mark_no_show: ['confirmed'],
};
/** The status each transition leaves. */
export const TARGET_STATUS: Record<Transition, BookingStatus> = {
  confirm: 'confirmed',
  cancel: 'cancelled',
  mark_completed: 'completed',
  mark_no_show: 'no_show',
};
/** The transitions that wait for the booking's start: the session has to have begun to have been held or missed. */
export const AFTER_START: readonly Transition[] = ['mark_completed', 'mark_no_show'];
/** Whether `action` may be taken now of a booking starting at `start` (ISO instants). */
export const startAllows = (action: Transition, start: string, nowIso: string): boolean =>
  !AFTER_START.includes(action) || Date.parse(start) <= Date.parse(nowIso);
const VERB: Record<Transition, string> = {
  confirm: 'confirmed',
  cancel: 'cancelled',
  mark_completed: 'completed',
  mark_no_show: 'marked as a no-show',
};
/** The ledger reason of the credit a transition uses up. */
type LedgerReason = (typeof LEDGER_REASONS)[number];
const LEDGER_REASON = {
  cancel: 'late_cancellation',
  mark_completed: 'booking_completed',
  mark_no_show: 'no_show',
} as const satisfies Partial<Record<Transition, LedgerReason>>;

/**
 * What a transition needs besides the booking: the database, the notification queue and now
 * (ISO). `also`: statements the caller needs in the same atomic batch, after the change (e.g. an
 * audit row); each guards itself on the change having happened.
 */
export interface TransitionDeps {
  db: Db;
  queue: Queue<NotifyMessage>;
  now: string;
  also?: D1PreparedStatement[];
}

/** A cancel's variations: the expiry cron cancels only a request still `pending`, never late, by email only. */
export interface TransitionOptions {
  /** Narrows the states the change may start from (checked in the same guarded UPDATE). */
  from?: BookingStatus[];
  /** Whether a cancellation inside the trainer's window counts as late (default: it does). */
  lateCounts?: boolean;
  /** How the client hears of a cancellation (default: email and SMS). */
  clientMessage?: 'both' | 'emailOnly';
  /** The client cancels (their manage link, their portal): the trainer is emailed too. */
  byClient?: boolean;
  /**
   * What the client agreed a cancel may cost, as their page showed it: a cancel that would now be
   * late, or use a pack credit, when they did not agree to that is refused (409), nothing written.
   */
  accepts?: CancelTerms;
}

/** What a client agreed to when cancelling: a late cancellation, a pack credit used. */
export interface CancelTerms {
  late: boolean;
  credit: boolean;
}

/**
 * confirm: pending → confirmed; cancel: pending|confirmed → cancelled (late when inside the
 * trainer's late-cancel window, unless the trainer declines a request never confirmed); mark_completed: confirmed → completed; mark_no_show: confirmed →
 * no_show; both of these only once the start has passed. A package credit is consumed by completion, by a late
 * cancellation and by a no-show when the trainer's `no_show_uses_credit` is on (these two never for
 * a pack picked by a typed email, `bookings.pack_by_email`), in the same batch
 * as the status change; otherwise leaving the active states releases the booking's reservation.
 */
export async function transition(
  { db, queue, now: nowIso, also = [] }: TransitionDeps,
  trainerId: number,
  id: number,
  action: Transition,
  reason = '',
  options: TransitionOptions = {},
): Promise<BookingOut> {
  const viewer = asTrainer(trainerId);
  const trainer = await db.select().from(trainers).where(eq(trainers.id, trainerId)).get();
  if (!trainer) throw notFound('Trainer not found.');
  const allowed = options.from ?? ALLOWED_FROM[action];
  let current = await findBooking(db, viewer, id, nowIso);
  // What the change decides from (late or not, a credit used or not) is the booking as read: the
  // guarded UPDATE requires it unchanged. A confirm, a move or a pack change in between makes it
  // decide again from a fresh read (a confirm racing a late cancel must not skip the credit).
  for (let attempt = 1; ; attempt++) {
    const done = await transitionOnce({ db, queue, now: nowIso, also }, trainer, current, action, reason, options);
    if (done) return done;
    const fresh = await findBooking(db, viewer, id, nowIso);
    if (attempt >= 3 || !allowed.includes(fresh.status) || !decidedOn.some((k) => fresh[k] !== current[k])) {
      throw await refusal(db, viewer, id, action, nowIso);
    }
    current = fresh;
  }
}

/** Whether the booking's pack was picked by an email typed on the booking page (it never changes). */
async function packByEmail(db: Db, id: number): Promise<boolean> {
  const row = await db.select({ v: bookings.packByEmail }).from(bookings).where(eq(bookings.id, id)).get();
  return row?.v === true;
}

/**
 * A client's cancel that would cost more than the page they confirmed it on said (the trainer
 * moved the booking since, or the late window began): 409 `late_cancellation` or
 * `credit_would_be_used`, so that they decide again.
 */
function refuseUnagreed(
  accepts: CancelTerms,
  late: boolean,
  usesCredit: boolean,
  start: string,
  t: { lateCancelHours: number },
) {
  if (late && !accepts.late) {
    throw conflict(
      `Cancelling now counts as late (from ${lateCancelFrom(start, t.lateCancelHours)}, ${t.lateCancelHours} h before the start)${usesCredit ? ' and uses a credit of your pack' : ''}. Send late_ok: true to cancel anyway.`,
      'late_cancellation',
    );
  }
  if (usesCredit && !accepts.credit) {
    throw conflict(
      'Cancelling now uses a credit of your pack. Send credit_ok: true to cancel anyway.',
      'credit_would_be_used',
    );
  }
}

/** The fields of a booking a transition's decision rests on. */
const decidedOn = ['status', 'start_time', 'client_package'] as const;

/** One try of `transition` against the booking as read; null when the guarded UPDATE found it changed. */
async function transitionOnce(
  { db, queue, now: nowIso, also = [] }: TransitionDeps,
  trainer: typeof trainers.$inferSelect,
  current: BookingOut,
  action: Transition,
  reason: string,
  options: TransitionOptions,
): Promise<BookingOut | null> {
  const { id } = current;
  const viewer = asTrainer(trainer.id);
  const now = Date.parse(nowIso);
  const guard = and(
    eq(bookings.id, id),
    eq(bookings.trainerId, trainer.id),
    inArray(bookings.status, options.from ?? ALLOWED_FROM[action]),
    eq(bookings.status, current.status),
    eq(bookings.startTime, current.start_time),
    current.client_package === null
      ? isNull(bookings.clientPackageId)
      : eq(bookings.clientPackageId, current.client_package),
    // Checked in the guarded UPDATE itself, so a move of the start in between cannot slip past it.
    AFTER_START.includes(action) ? lte(bookings.startTime, nowIso) : undefined,
  );

  const late =
    action === 'cancel' &&
    options.lateCounts !== false &&
    isLateCancel(
      { status: current.status, startTime: current.start_time },
      trainer.lateCancelHours,
      now,
      options.byClient,
    );
  // A request the trainer never confirmed costs the client nothing, however late it is declined.
  // A pack picked by an email typed on the booking page pays only for a session held: whoever typed
  // the email proved nothing, so a late cancel or a no-show must not spend the owner's credit.
  const consumes =
    action === 'mark_completed' ||
    (((action === 'mark_no_show' && trainer.noShowUsesCredit) || (late && current.status === 'confirmed')) &&
      !(current.client_package !== null && (await packByEmail(db, id))));
  if (action === 'cancel' && options.accepts) {
    refuseUnagreed(options.accepts, late, consumes && current.client_package !== null, current.start_time, trainer);
  }
  const statusUpdate = db
    .update(bookings)
    .set(statusChange(action, reason, late, nowIso))
    .where(guard)
    .returning({ id: bookings.id });

  const writes = [statement(db, statusUpdate)];
  if (consumes && current.client_package !== null) {
    writes.push(...consumeCredit(db, current.client_package, id, LEDGER_REASON[action], nowIso));
  }
  writes.push(...outboxWrites(db, action, id, nowIso, options, current.status));
  if (action === 'cancel' && options.byClient && current.status !== 'waitlisted') {
    const cancelled = sql`EXISTS (SELECT 1 FROM ${bookings} b WHERE b.id = ${id} AND ${cancelledNow(nowIso)})`;
    const usedCredit = consumes && current.client_package !== null;
    writes.push(
      notifyTrainerOfCancel(db, { t: trainer, booking: current, late, usedCredit, reason, now: nowIso, cancelled }),
    );
  }
  // A place given up goes to the class's first waitlisted person, in this batch (see waitlist.ts).
  if (action === 'cancel' && current.class_session !== null) {
    writes.push(...promoteWaitlisted(db, current.class_session, nowIso));
  }
  const [changed, ...outbox] = await db.$client.batch<{ id: number }>([...writes, ...also]);
  if (!changed?.results[0]) return null;
  await enqueue(queue, idsOf(outbox));
  return findBooking(db, viewer, id, nowIso);
}

/** The columns a transition sets: the new status, a cancellation's details, the raised sequence. */
function statusChange(action: Transition, reason: string, late: boolean, nowIso: string) {
  const common = { status: TARGET_STATUS[action], sequence: sql`${bookings.sequence} + 1`, updatedAt: nowIso };
  if (action !== 'cancel') return common;
  return { ...common, cancellationReason: reason, cancelledAt: nowIso, lateCancellation: late };
}

/** The booking `b` was cancelled by this very change (SQL over `b`): the guard of what a cancel writes. */
const cancelledNow = (nowIso: string) => sql`b.status = 'cancelled' AND b.cancelled_at = ${nowIso}`;

/**
 * The outbox rows a transition writes or cancels; they exist only if this very change happened
 * (same batch, guarded on its values). A completion and a no-show tell the client nothing.
 */
function outboxWrites(
  db: Db,
  action: Transition,
  id: number,
  nowIso: string,
  options: TransitionOptions,
  from: BookingStatus,
) {
  if (action === 'confirm') {
    // Confirmed once it has begun (to record attendance next): a confirmation of a past session tells the client nothing.
    const guard = sql`b.status = 'confirmed' AND b.updated_at = ${nowIso} AND b.start_time > ${nowIso}`;
    return [planForBooking(db, { bookingId: id, kind: 'booking_confirmed', now: nowIso, guard })];
  }
  if (action === 'cancel') {
    const guard = cancelledNow(nowIso);
    // Never the cancellation message itself: a second cancel at the same instant (two cron runs of
    // one trigger) passes this guard too, after the first has written that message. Nor a series
    // message pointing at this booking: it speaks of the series' other occurrences too.
    const scope = sql`AND kind NOT IN ('booking_cancelled', 'waitlist_left', 'series_confirmed', 'series_cancelled')`;
    const mode = options.clientMessage ?? 'both';
    // Nobody confirmed it yet (a request, or a place on a class's waitlist). A trainer's booking is
    // announced with its confirmation, so its cancellation by the trainer tells the client nothing
    // unless they heard of it some other way (a place promoted from a waitlist): no reason of the
    // trainer's reaches someone who never heard of the session.
    // Their own cancel, through the portal, is confirmed to them by email. A request the client
    // made (booking page or portal) was answered by email, and so is its end; an SMS goes only to
    // a number that was texted of it before (anyone may type any number on the booking page). The
    // same rule as a class's cancel (waitlist.ts). The message is planned before the unsent ones
    // are withdrawn: one a delivery has claimed may be on its way, so counts as heard of; one still
    // waiting for its first delivery does not (`heardOf`). A confirmed booking's cancel is always
    // told, whatever became of its messages: better told twice than coming to a cancelled session.
    const unconfirmed = from !== 'confirmed';
    const told = unconfirmed && !options.byClient ? sql`${guard} AND (b.source = 'public' OR ${heardOf()})` : guard;
    const smsGuard = unconfirmed ? heardOf('sms') : undefined;
    return [
      // A place that only waited in line is told it is off the waitlist, not that a session was cancelled.
      planForBooking(db, {
        bookingId: id,
        kind: from === 'waitlisted' ? 'waitlist_left' : 'booking_cancelled',
        now: nowIso,
        guard: told,
        mode,
        smsGuard,
      }),
      cancelPendingFor(db, { bookingId: id, now: nowIso, guard, scope }),
    ];
  }
  if (action === 'mark_no_show') {
    // A reminder still unsent (its queue message lost) must not go out after the client missed the session.
    const guard = sql`b.status = 'no_show' AND b.updated_at = ${nowIso}`;
    return [cancelPendingReminders(db, { bookingId: id, now: nowIso, guard })];
  }
  return [];
}

/** The 409 of a refused transition: the booking's status, or a completion or no-show marked before the start. */
async function refusal(db: Db, viewer: Viewer, id: number, action: Transition, nowIso: string) {
  const fresh = await findBooking(db, viewer, id, nowIso);
  if (ALLOWED_FROM[action].includes(fresh.status) && !startAllows(action, fresh.start_time, nowIso)) {
    return notStarted(action, fresh.start_time);
  }
  return conflict(`A ${fresh.status} booking cannot be ${VERB[action]}.`, 'invalid_transition');
}

/** The 409 `not_started` of a completion or no-show asked for before the booking's start. */
export const notStarted = (action: Transition, start: string) =>
  conflict(`This booking starts at ${start}; it can be ${VERB[action]} only once it has started.`, 'not_started');

/** The package credit a completion, late cancellation or no-show uses up, if the status change happened. */
export function consumeCredit(db: Db, pkgId: number, bookingId: number, reasonCode: LedgerReason, nowIso: string) {
  return [
    // changes() is the row count of the statement before: the status change, then the decrement;
    // the ledger row reads the balance the decrement left, inside the same batch.
    statement(
      db,
      sql`UPDATE ${clientPackages} SET sessions_remaining = sessions_remaining - 1
        WHERE id = ${pkgId} AND sessions_remaining > 0 AND changes() = 1`,
    ),
    statement(
      db,
      sql`INSERT INTO ${packageLedger} (client_package_id, booking_id, delta, reason, at, balance_after)
        SELECT id, ${bookingId}, -1, ${reasonCode}, ${nowIso}, sessions_remaining FROM ${clientPackages}
        WHERE id = ${pkgId} AND changes() = 1`,
    ),
  ];
}
