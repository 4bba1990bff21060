// A class's waitlist: who gets a freed place, and when a waitlisted entry lapses.
//
// Promotion is one guarded UPDATE, written in the batch of whatever frees a place (a cancel, a
// capacity raise). The statement itself counts the active places and reads the capacity, so it
// never fills more places than the class has, whoever else writes at the same time: a D1 batch
// runs as one transaction and SQLite writes one transaction at a time. That is why a place's
// cancel does not need the schedule object; creating a place does (and its insert is guarded by
// the same count).
import { type SQL, sql } from 'drizzle-orm';
import { activePlaces, isActiveStatus, reservedCredits } from '../db/fragments';
import { bookings } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { dedupeKey, heardOf, planForBooking } from '../notifications/outbox';

/** The cancellation reason of a waitlisted entry never promoted before the trainer's cut-off. */
export const WAITLIST_EXPIRED_REASON = 'waitlist_expired';

/** A waitlisted row (`alias`) whose class starts within its trainer's `waitlist_cutoff_hours` of now. */
const pastCutoff = (alias: string, nowIso: string) =>
  sql`${sql.raw(alias)}.start_time <= strftime('%Y-%m-%dT%H:%M:%fZ', ${nowIso},
    '+' || (SELECT waitlist_cutoff_hours FROM trainers t WHERE t.id = ${sql.raw(alias)}.trainer_id) || ' hours')`;

/**
 * The earliest waitlisted places of a class (by joining time), as many as it has free places
 * (a scheduled class not yet started), become pending or confirmed (the trainer's
 * `auto_confirm`). One who joined with a pack keeps it when it still has a credit to reserve,
 * and is promoted without it otherwise: the queue's order is never skipped. Entries past the
 * trainer's cut-off are left waiting (the cron lapses them and tells them). Each is told once
 * (`waitlist_promoted`, keyed by booking); a place promoted to pending is the trainer's to confirm,
 * so the trainer is told as of a new request (`booking_requested`), or it would wait unseen
 * until it lapses. `classSessionId` is a value or SQL (a subquery).
 */
export function promoteWaitlisted(db: Db, classSessionId: number | SQL, nowIso: string): D1PreparedStatement[] {
  const free = sql`coalesce((SELECT capacity FROM class_sessions WHERE id = ${classSessionId}
    AND status = 'scheduled' AND start_time > ${nowIso}) - ${activePlaces(classSessionId)}, 0)`;
  const promote = sql`UPDATE ${bookings} SET
      status = CASE WHEN (SELECT auto_confirm FROM trainers t WHERE t.id = bookings.trainer_id) THEN 'confirmed' ELSE 'pending' END,
      client_package_id = CASE WHEN client_package_id IS NULL OR
        (SELECT sessions_remaining FROM client_packages WHERE id = bookings.client_package_id)
          > ${reservedCredits(sql`bookings.client_package_id`)} THEN client_package_id ELSE NULL END,
      sequence = sequence + 1, updated_at = ${nowIso}
    WHERE id IN (SELECT w.id FROM bookings w WHERE w.class_session_id = ${classSessionId} AND w.status = 'waitlisted'
      AND NOT ${pastCutoff('w', nowIso)}
      ORDER BY w.created_at, w.id LIMIT max(0, ${free}))`;
  // The places this very statement promoted: active, changed now, changed once (sequence 1), and
  // not a place the trainer confirmed at the same instant (that one has its confirmation message).
  const promoted = sql`b.class_session_id = ${classSessionId} AND ${isActiveStatus(sql`b.status`)}
    AND b.updated_at = ${nowIso} AND b.sequence = 1
    AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id AND n.kind = 'booking_confirmed')`;
  // The UPDATE returns no rows: callers read every later result of their batch as outbox ids.
  const askTrainer = sql`INSERT OR IGNORE INTO notifications
      (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message, created_at, updated_at)
    SELECT b.trainer_id, b.id, 'booking_requested', 'email', u.email,
      ${dedupeKey({ booking: sql.raw('b.id'), kind: 'booking_requested' })}, '', ${nowIso}, ${nowIso}
    FROM bookings b JOIN trainers t ON t.id = b.trainer_id JOIN users u ON u.id = t.user_id
    WHERE ${promoted} AND b.status = 'pending'
    RETURNING id`;
  return [
    statement(db, promote),
    // "You are on the waitlist", still unsent (the provider down), would arrive after the place is theirs.
    statement(
      db,
      sql`UPDATE notifications SET status = 'cancelled', updated_at = ${nowIso}
        WHERE status = 'pending' AND kind = 'waitlist_joined' AND booking_id IN (SELECT b.id FROM bookings b WHERE ${promoted})`,
    ),
    // A web request promoted to pending is not confirmed yet: like its receipt, it texts nobody
    // (anyone may type any number on the booking page).
    planForBooking(db, {
      bookingId: sql.raw('b.id'),
      kind: 'waitlist_promoted',
      now: nowIso,
      guard: promoted,
      smsGuard: sql`b.status = 'confirmed' OR b.source <> 'public'`,
    }),
    statement(db, askTrainer),
  ];
}

/**
 * Waitlisted entries whose class starts within their trainer's `waitlist_cutoff_hours` lapse:
 * cancelled with reason `waitlist_expired`, each told once (keyed by booking, so a second run
 * writes nothing). One batch for every trainer; returns the new message ids.
 */
export async function expireWaitlists(db: Db, nowIso: string): Promise<{ expired: number; ids: number[] }> {
  const lapse = sql`UPDATE ${bookings} SET status = 'cancelled', cancellation_reason = ${WAITLIST_EXPIRED_REASON},
      cancelled_at = ${nowIso}, sequence = sequence + 1, updated_at = ${nowIso}
    WHERE status = 'waitlisted' AND class_session_id IS NOT NULL AND ${pastCutoff('bookings', nowIso)}
    RETURNING id`;
  const lapsed = sql`b.status = 'cancelled' AND b.cancellation_reason = ${WAITLIST_EXPIRED_REASON} AND b.cancelled_at = ${nowIso}`;
  const [changed, told] = await db.$client.batch<{ id: number }>([
    statement(db, lapse),
    // Told as a cancel of the place would tell (transitions.ts): one joined on the booking page by
    // email, a number only if it was texted of the place before, a place the trainer added and
    // nobody told of, nothing.
    planForBooking(db, {
      bookingId: sql.raw('b.id'),
      kind: 'waitlist_expired',
      now: nowIso,
      guard: sql`${lapsed} AND (b.source = 'public' OR ${heardOf()})`,
      smsGuard: heardOf('sms'),
    }),
    // What the place still had unsent ("on the waitlist") would arrive after "no place".
    statement(
      db,
      sql`UPDATE notifications SET status = 'cancelled', updated_at = ${nowIso}
        WHERE status = 'pending' AND kind <> 'waitlist_expired'
          AND booking_id IN (SELECT b.id FROM bookings b WHERE ${lapsed})`,
    ),
  ]);
  return { expired: changed?.results.length ?? 0, ids: (told?.results ?? []).map((r) => r.id) };
}

/**
 * A class session cancelled: every place and waitlisted entry cancelled (never late: no credit is
 * spent, reservations are released), their unsent messages dropped, and a message to each who was
 * told of their place, as a single booking's cancel tells (transitions.ts): a confirmed place by
 * email and SMS; a request or waitlisted place made on the booking page or in the portal by email
 * only (its number was typed, never confirmed); a place the trainer made and never confirmed,
 * nothing, unless its client heard of it (promoted from the waitlist), by the channels they heard
 * on. A place hears `class_cancelled` (its calendar event is cancelled), a waitlisted entry
 * `waitlist_class_cancelled` (nothing was booked, no calendar file). Statements for the batch of
 * the class's own cancel, after it; each runs only if it happened. The messages come first, so
 * that they read each place as it was. The first two statements' rows are the new message ids.
 */
export function cancelPlaces(db: Db, classSessionId: number, reason: string, nowIso: string): D1PreparedStatement[] {
  const classCancelled = sql`(SELECT cancelled_at FROM class_sessions WHERE id = ${classSessionId} AND status = 'cancelled') = ${nowIso}`;
  const cancelled = sql`b.class_session_id = ${classSessionId} AND b.status = 'cancelled' AND b.cancelled_at = ${nowIso}`;
  const told = (statuses: SQL) => sql`b.class_session_id = ${classSessionId} AND b.status IN ${statuses}
    AND ${classCancelled} AND (b.status = 'confirmed' OR b.source = 'public' OR ${heardOf()})`;
  const plan = (kind: 'class_cancelled' | 'waitlist_class_cancelled', statuses: SQL) =>
    planForBooking(db, {
      bookingId: sql.raw('b.id'),
      kind,
      now: nowIso,
      guard: told(statuses),
      smsGuard: sql`b.status = 'confirmed' OR ${heardOf('sms')}`,
    });
  return [
    plan('class_cancelled', sql`('pending', 'confirmed')`),
    plan('waitlist_class_cancelled', sql`('waitlisted')`),
    statement(
      db,
      sql`UPDATE ${bookings} SET status = 'cancelled', cancellation_reason = ${reason}, cancelled_at = ${nowIso},
          late_cancellation = 0, sequence = sequence + 1, updated_at = ${nowIso}
        WHERE class_session_id = ${classSessionId} AND status IN ('pending', 'confirmed', 'waitlisted') AND ${classCancelled}
        RETURNING id`,
    ),
    // Whatever the places had still unsent (a reminder, a receipt, "on the waitlist") is dropped,
    // as a single cancel drops it: only the class's cancel is news now.
    statement(
      db,
      sql`UPDATE notifications SET status = 'cancelled', updated_at = ${nowIso}
        WHERE status = 'pending' AND kind NOT IN ('class_cancelled', 'waitlist_class_cancelled')
          AND booking_id IN (SELECT b.id FROM bookings b WHERE ${cancelled})`,
    ),
  ];
}
