// Staff changing a booking: its status, its time and its notes, each a separate action with its
// audit row in the change's own batch. Status goes through the booking rules (`transition`, as
// the trainer API), time through the trainer's schedule object (`rescheduleBooking`), so the
// console can never do what the trainer's own API would refuse, nor double-book.
import { sql } from 'drizzle-orm';
import { unwrapOutcome } from '../bookings/schedule-object';
import { isLateCancel } from '../bookings/times';
import {
  ALLOWED_FROM,
  notStarted,
  startAllows,
  TARGET_STATUS,
  type Transition,
  transition,
} from '../bookings/transitions';
import { activePlaces, isActiveStatus } from '../db/fragments';
import type { BookingStatus } from '../db/schema';
import { statement } from '../lib/db';
import { conflict, invalidField, notFound } from '../lib/problem';
import { enqueue, heardOf } from '../notifications/outbox';
import { MODELS } from './models';
import { person } from './models/kit';
import { audit, type Changes, type Deps, type Detail, findRecord, patchRecord, type Staff } from './service';

const def = MODELS.bookings;
type Values = Record<string, unknown>;
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The order transitions are offered in; which of them apply is ALLOWED_FROM's answer. */
const OFFERED: Transition[] = ['confirm', 'mark_completed', 'mark_no_show', 'cancel'];

/**
 * The transitions a booking in `status` starting at `start` allows now: those whose ALLOWED_FROM
 * holds its status, a completion or no-show only once the start has passed (the trainer API's rule).
 */
export function allowedTransitions(status: string, start: string, nowIso: string): Transition[] {
  return OFFERED.filter((t) => (ALLOWED_FROM[t] as string[]).includes(status) && startAllows(t, start, nowIso));
}

/** The transition whose target is `status` (the API's `status` field), if any. */
export const transitionTo = (status: string): Transition | undefined =>
  (Object.keys(TARGET_STATUS) as Transition[]).find((t) => TARGET_STATUS[t] === status);

/**
 * The 409 of a transition this booking does not allow, before anything is written: `not_started`
 * when only its start stands in the way (as the trainer API answers), else `invalid_transition`.
 */
export function refuseUnless(allowed: Transition[], action: Transition, status: string, start: string) {
  if (allowed.includes(action)) return;
  if ((ALLOWED_FROM[action] as string[]).includes(status)) throw notStarted(action, start);
  throw conflict(
    `A ${status} booking cannot become ${TARGET_STATUS[action].replace('_', '-')} now.`,
    'invalid_transition',
  );
}

/**
 * A status change through the booking rules, its audit row in the transition's own batch
 * (guarded on the state this very change leaves). A cancel needs a reason.
 */
export async function changeStatus(deps: Deps, staff: Staff, current: Values, action: Transition, reason = '') {
  const id = Number(current.id);
  if (action === 'cancel' && !reason.trim()) {
    throw invalidField(
      'cancellation_reason',
      'Enter the reason for cancelling; it goes in the client’s message when they get one.',
    );
  }
  const status = TARGET_STATUS[action];
  const changes: Changes = { status: { before: current.status, after: status } };
  if (action === 'cancel') changes.cancellation_reason = { before: current.cancellation_reason, after: reason };
  const guard = sql`EXISTS (SELECT 1 FROM bookings WHERE id = ${id} AND status = ${status} AND updated_at = ${deps.now})`;
  const also = [audit(deps, staff, def, id, action, changes, guard)];
  const trainerId = Number(current.trainer_id);
  await transition({ db: deps.db, queue: deps.queue, now: deps.now, also }, trainerId, id, action, reason);
}

/**
 * A move through the trainer's schedule object (its checks, its guarded UPDATE, the client's
 * "rescheduled" message); the audit row is written by the object in the move's own batch, with
 * the times the move left (read from the row in that batch).
 */
export async function moveBooking(
  deps: Deps,
  staff: Staff,
  current: Values,
  move: { start: string | null; end: string | null; allowOutsideAvailability: boolean },
) {
  const id = Number(current.id);
  const trainerId = Number(current.trainer_id);
  const auditRow = {
    sql: `INSERT INTO admin_audit_log (staff_user_id, model, record_id, action, changes, at)
      SELECT ?, 'bookings', b.id, 'reschedule', json_object(
        'start_time', json_object('before', ?, 'after', b.start_time),
        'end_time', json_object('before', ?, 'after', b.end_time)), ?
      FROM bookings b WHERE b.id = ? AND b.updated_at = ? AND b.start_time = coalesce(?, b.start_time)
        AND b.end_time = coalesce(?, b.end_time)`,
    params: [
      staff.id,
      text(current.start_time) ?? null,
      text(current.end_time) ?? null,
      deps.now,
      id,
      deps.now,
      move.start,
      move.end,
    ],
  };
  const outcome = await deps.schedule(trainerId).rescheduleBooking({
    trainerId,
    bookingId: id,
    startTime: move.start,
    endTime: move.end,
    allowOutsideAvailability: move.allowOutsideAvailability,
    also: [auditRow],
    now: deps.now,
  });
  const { notificationIds } = unwrapOutcome(outcome);
  await enqueue(deps.queue, notificationIds);
}

/** The API's PATCH of a booking: status or time (never both), then its plain fields. */
export async function patchBooking(deps: Deps, staff: Staff, id: number, input: Values): Promise<Detail> {
  const current = await findRecord(deps.db, def, id);
  const action =
    input.status !== undefined && input.status !== current.status ? transitionTo(text(input.status) ?? '') : undefined;
  const start = text(input.start_time);
  const end = text(input.end_time);
  const moves =
    (start !== undefined && start !== current.start_time) || (end !== undefined && end !== current.end_time);
  // Each is its own write (and may be refused), so one request does one, never half of two.
  if (action && moves) throw invalidField('status', 'Change the status and the time in separate requests.');
  if (action) await changeStatus(deps, staff, current, action, text(input.cancellation_reason) ?? '');
  if (moves) {
    const allowOutsideAvailability = input.allow_outside_availability === true;
    await moveBooking(deps, staff, current, { start: start ?? null, end: end ?? null, allowOutsideAvailability });
  }
  return patchRecord(deps, staff, def, id, input);
}

// ---- what a change will do, said before it is made -------------------------------------

export interface Message {
  channel: 'email' | 'SMS';
  to: string;
  who: string;
}

/** What a status change will do, read from the same rules `transition` applies. */
export interface Consequences {
  action: Transition;
  status: BookingStatus;
  /** A cancel inside the trainer's late-cancel window. */
  late: boolean;
  lateCancelHours: number;
  /** The booking's pack credit: spent, released, kept reserved, or no pack involved. */
  credit: { pack: string; remaining: number; effect: 'spent' | 'released' | 'kept' } | null;
  messages: Message[];
  /** Unsent messages of the booking (reminders) that are cancelled. */
  remindersCancelled: boolean;
  /**
   * A cancel of a place in a class people wait for: who gets a place (as promoteWaitlisted will
   * decide: as many as the class has free places after the cancel, in the waitlist's order), and
   * the places taken of its capacity when that is no one.
   */
  waitlist: {
    promoted: { name: string; messages: Message[] }[];
    confirmed: boolean;
    capacity: number;
    taken: number;
  } | null;
}

interface Facts {
  status: BookingStatus;
  start_time: string;
  client_name: string;
  client_email: string;
  client_phone: string;
  /** 'trainer': a booking announced only by its confirmation; 'public': the client's own request. */
  source: 'trainer' | 'public';
  late_cancel_hours: number;
  no_show_uses_credit: number;
  auto_confirm: number;
  pack_name: string | null;
  sessions_remaining: number | null;
  /** 1: the client has heard of the booking (`heardOf`: a message to them sent or claimed by a delivery); heard_sms: by SMS. */
  heard: number;
  heard_sms: number;
  /** 1: the pack was picked by a typed email, so only a completion spends its credit. */
  pack_by_email: number;
  /** The class's capacity while it can still promote (scheduled, not started); null otherwise or no class. */
  class_capacity: number | null;
  /** Places of the class taken once this booking has left them. */
  places_after: number | null;
  /** JSON [[created_at, id, name, email, phone, source], …]: the class's other waitlisted entries not past the cut-off. */
  waitlisted: string | null;
}

async function factsOf(deps: Deps, id: number): Promise<Facts> {
  const facts = await statement(
    deps.db,
    sql`SELECT b.status, b.start_time, b.source, ${sql.raw(person('c'))} AS client_name, c.email AS client_email,
      c.phone AS client_phone, tr.late_cancel_hours, tr.no_show_uses_credit, tr.auto_confirm,
      sp.name AS pack_name, cp.sessions_remaining, b.pack_by_email, cs.capacity AS class_capacity,
      ${heardOf()} AS heard, ${heardOf('sms')} AS heard_sms,
      ${activePlaces(sql`b.class_session_id`)} - (${isActiveStatus(sql`b.status`)}) AS places_after,
      (SELECT json_group_array(json_array(w.created_at, w.id, ${sql.raw(person('wc'))}, wc.email, wc.phone, w.source))
        FROM bookings w JOIN clients wc ON wc.id = w.client_id
        WHERE w.class_session_id = b.class_session_id AND w.status = 'waitlisted' AND w.id <> b.id
          AND w.start_time > strftime('%Y-%m-%dT%H:%M:%fZ', ${deps.now}, '+' || tr.waitlist_cutoff_hours || ' hours')
      ) AS waitlisted
    FROM bookings b JOIN clients c ON c.id = b.client_id JOIN trainers tr ON tr.id = b.trainer_id
      LEFT JOIN client_packages cp ON cp.id = b.client_package_id
      LEFT JOIN session_packages sp ON sp.id = cp.session_package_id
      LEFT JOIN class_sessions cs ON cs.id = b.class_session_id AND cs.status = 'scheduled' AND cs.start_time > ${deps.now}
    WHERE b.id = ${id}`,
  ).first<Facts>();
  if (!facts) throw notFound(`No booking with id ${id}.`);
  return facts;
}

/** The email, and the SMS when there is a phone, that planForBooking writes for a person. */
const messagesTo = (who: string, email: string, phone: string, sms = true): Message[] => [
  ...(email ? [{ channel: 'email' as const, to: email, who }] : []),
  ...(sms && phone ? [{ channel: 'SMS' as const, to: phone, who }] : []),
];

/** The credit effect of a transition (as `transition` decides it), or null without a pack. */
function creditOf(f: Facts, action: Transition, late: boolean): Consequences['credit'] {
  if (f.pack_name === null || f.sessions_remaining === null || f.status === 'waitlisted') return null;
  const spends =
    action === 'mark_completed' ||
    (((action === 'mark_no_show' && f.no_show_uses_credit === 1) ||
      (action === 'cancel' && late && f.status === 'confirmed')) &&
      f.pack_by_email !== 1);
  const effect = action === 'confirm' ? 'kept' : spends && f.sessions_remaining > 0 ? 'spent' : 'released';
  return { pack: f.pack_name, remaining: f.sessions_remaining, effect };
}

/**
 * Who a cancel moves up from the class's waitlist, as promoteWaitlisted decides it in the cancel's
 * batch: the first entries (by joining time) not past the cut-off, as many as the class then has
 * free places (its capacity less the places still taken), which is none in a class over capacity.
 */
function waitlistOf(f: Facts, action: Transition): Consequences['waitlist'] {
  if (action !== 'cancel' || f.class_capacity === null || !f.waitlisted) return null;
  const queue = (JSON.parse(f.waitlisted) as [string, number, string, string, string, Facts['source']][]).sort(
    (a, b) => a[0].localeCompare(b[0]) || a[1] - b[1],
  );
  if (!queue.length) return null;
  const taken = f.places_after ?? 0;
  const free = Math.max(0, f.class_capacity - taken);
  // A booking-page entry promoted to a pending request is told by email only, like its receipt.
  const promoted = queue.slice(0, free).map(([, , name, email, phone, source]) => ({
    name,
    messages: messagesTo(name, email, phone, f.auto_confirm === 1 || source !== 'public'),
  }));
  return { promoted, confirmed: f.auto_confirm === 1, capacity: f.class_capacity, taken };
}

export async function consequencesOf(deps: Deps, id: number, action: Transition): Promise<Consequences> {
  const f = await factsOf(deps, id);
  // As `transition` decides (staff act for the trainer): a request declined is not late; the
  // client hears only of what they were told of.
  const late =
    action === 'cancel' &&
    isLateCancel({ status: f.status, startTime: f.start_time }, f.late_cancel_hours, Date.parse(deps.now));
  return {
    action,
    status: f.status,
    late,
    lateCancelHours: f.late_cancel_hours,
    credit: creditOf(f, action, late),
    messages: clientMessagesOf(f, action, deps.now),
    remindersCancelled: action === 'cancel' || action === 'mark_no_show',
    waitlist: waitlistOf(f, action),
  };
}

/**
 * What the client is told of a confirm or a cancel, as `transition` writes it: a confirmation only
 * before the start; a cancel of a booking never confirmed (a request, a waitlisted place) only when
 * it was their own or they heard of it, by email, and by SMS if they were texted of it.
 */
function clientMessagesOf(f: Facts, action: Transition, now: string): Message[] {
  const who = `${f.client_name} (the client)`;
  if (action === 'confirm') return f.start_time > now ? messagesTo(who, f.client_email, f.client_phone) : [];
  if (action !== 'cancel') return [];
  if (f.status === 'confirmed') return messagesTo(who, f.client_email, f.client_phone);
  const told = f.source === 'public' || f.heard === 1;
  return told ? messagesTo(who, f.client_email, f.client_phone, f.heard_sms === 1) : [];
}

/** A short fingerprint of what a change does, so a confirmation made on stale facts is asked again. */
export const factsKey = (c: Consequences): string =>
  JSON.stringify([
    c.status,
    c.late,
    c.credit?.effect ?? null,
    c.messages.map((m) => m.to),
    c.waitlist?.promoted.map((p) => p.name) ?? null,
  ]);

/**
 * What a move tells the client: the "rescheduled" email, and an SMS to a confirmed booking's
 * phone (or one texted of it); nothing for a trainer's booking still pending that the client has
 * not heard of.
 */
export async function moveMessages(deps: Deps, id: number): Promise<Message[]> {
  const f = await factsOf(deps, id);
  if (f.status === 'pending' && f.source !== 'public' && f.heard !== 1) return [];
  const sms = f.status === 'confirmed' || f.heard_sms === 1;
  return messagesTo(`${f.client_name} (the client)`, f.client_email, f.client_phone, sms);
}
