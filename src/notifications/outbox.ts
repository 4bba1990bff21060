// The outbox: notification rows are written by SQL in the same D1 batch as the change that
// causes them (guarded so they exist only if the change happened), then their ids are queued.
// A unique dedupe_key makes every step safe to repeat; a lost enqueue is found by the sweeper.
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { type AccountMailKind, notifications } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { addSeconds } from '../lib/time';
import { MAX_IDS_PER_MESSAGE, type NotificationKind, type NotifyMessage } from './types';

type KeyPart = string | number | SQL;
type Channel = 'email' | 'sms';

/** What a message is about: the key says that, so repeating the step that writes it adds nothing. */
export type DedupeOf =
  /** One message of a booking per kind, channel and start: a reschedule allows new reminders. */
  | { booking: KeyPart; kind: NotificationKind; channel: Channel; start: KeyPart }
  /** The client's "rescheduled" message: one per move (the booking's sequence after it). */
  | { booking: KeyPart; kind: 'booking_rescheduled'; channel: Channel; sequence: KeyPart }
  /** The trainer's mail that the client moved their booking: one per move, as the client's. */
  | { booking: KeyPart; kind: 'booking_rescheduled'; to: 'trainer'; sequence: KeyPart }
  /** One message of a booking per kind (the trainer's own mail). */
  | { booking: KeyPart; kind: 'booking_requested' }
  /** The trainer's mail that the client cancelled (a booking is cancelled once). */
  | { booking: KeyPart; kind: 'booking_cancelled'; to: 'trainer' }
  /** One message about a standing series per change of it (a confirm, a cancel) and channel. */
  | { series: KeyPart; kind: 'series_confirmed' | 'series_cancelled'; channel: Channel; at: string }
  | { payment: string }
  /** The client's mail that their pack was refunded (a pack is refunded once). */
  | { clientPackage: KeyPart; kind: 'package_refunded' }
  /** A calendar connection failing: one message per streak of failures (the instant it began). */
  | { connection: KeyPart; kind: 'calendar_sync_failing'; since: KeyPart }
  /** Account mails: one per request, so each "send it again" sends again. */
  | { user: number; kind: AccountMailKind; at: string };

/**
 * The one format of dedupe keys, as SQL (a part may be a column such as `b.id`):
 * `booking:42:reminder_24h:email:2025-01-15T10:00:00.000Z`, `booking:42:booking_rescheduled:sms:seq:3`,
 * `booking:42:booking_rescheduled:trainer:seq:3`, `booking:42:booking_requested`, `booking:42:booking_cancelled:trainer`, `series:7:series_confirmed:email:2025-01-15T10:00:00.000Z`,
 * `payment:txn_1:receipt`, `package:9:package_refunded`, `user:7:email_verification:2025-01-15T10:00:00.000Z`,
 * `calendar:3:calendar_sync_failing:2025-01-15T10:00:00.000Z`.
 */
export function dedupeKey(of: DedupeOf): SQL {
  const parts: KeyPart[] =
    'payment' in of
      ? ['payment', of.payment, 'receipt']
      : 'clientPackage' in of
        ? ['package', of.clientPackage, of.kind]
        : 'connection' in of
          ? ['calendar', of.connection, of.kind, of.since]
          : 'user' in of
            ? ['user', of.user, of.kind, of.at]
            : 'series' in of
              ? ['series', of.series, of.kind, of.channel, of.at]
              : 'sequence' in of
                ? ['booking', of.booking, of.kind, 'to' in of ? of.to : of.channel, 'seq', of.sequence]
                : 'channel' in of
                  ? ['booking', of.booking, of.kind, of.channel, of.start]
                  : 'to' in of
                    ? ['booking', of.booking, of.kind, of.to]
                    : ['booking', of.booking, of.kind];
  return sql.join(
    parts.map((p) => (typeof p === 'object' ? sql`${p}` : sql`${String(p)}`)),
    sql.raw(` || ':' || `),
  );
}

const REMINDER_KINDS = `('reminder_24h', 'reminder_1h')`;

/**
 * Plans `kind` for a booking: an email to the client, plus an SMS when the client has a phone
 * (`smsOrEmail`: the SMS, or the email when there is no phone). Rows appear only when `guard`
 * (SQL over `b`, the booking) holds, so they are tied to the state change in the same batch.
 */
export function planForBooking(
  db: Db,
  args: {
    bookingId: number | SQL;
    kind: NotificationKind;
    now: string;
    guard: SQL;
    mode?: 'both' | 'smsOrEmail' | 'emailOnly';
    /** A further condition of the SMS only (SQL over `b`). */
    smsGuard?: SQL;
    /** The key of each row (SQL over `b`), instead of one per kind, channel and start. */
    key?: (channel: Channel) => SQL;
    /** The time the booking had before, kept with the rows (a "rescheduled" message names it). */
    previous?: { start: string; end: string };
    /** A series message: the ids of the occurrences it lists, kept with the rows. */
    listed?: number[];
  },
) {
  const { bookingId, kind, now, guard } = args;
  const keyOf =
    args.key ??
    ((channel: Channel) => dedupeKey({ booking: sql.raw('b.id'), kind, channel, start: sql.raw('b.start_time') }));
  const prev = args.previous ?? { start: null, end: null };
  const listed = args.listed ? JSON.stringify(args.listed) : null;
  const select = (channel: 'email' | 'sms', recipient: string, extra: SQL) => sql`
    SELECT b.trainer_id, b.id, ${kind}, ${channel}, ${sql.raw(recipient)}, ${keyOf(channel)}, '', ${prev.start}, ${prev.end}, ${listed}, ${now}, ${now}
    FROM bookings b JOIN clients c ON c.id = b.client_id
    WHERE b.id = ${bookingId} AND (${guard}) ${extra}`;
  const emailExtra = args.mode === 'smsOrEmail' ? sql`AND c.phone = ''` : sql``;
  const smsExtra = sql`AND c.phone <> '' ${args.smsGuard ? sql`AND (${args.smsGuard})` : sql``}`;
  const sms = args.mode === 'emailOnly' ? sql`` : sql`UNION ALL ${select('sms', 'c.phone', smsExtra)}`;
  return statement(
    db,
    sql`INSERT OR IGNORE INTO notifications
      (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message,
        previous_start_time, previous_end_time, listed, created_at, updated_at)
      ${select('email', 'c.email', emailExtra)}
      ${sms}
      RETURNING id`,
  );
}

/**
 * The client has heard of booking `b` (SQL over the `b` and `c` of planForBooking): a message
 * about it went to their address on `channel` (or either), whatever its kind (a receipt, a
 * promotion from a waitlist): sent, or claimed by a delivery (`attempts` > 0: it may be on its way
 * or have arrived) and not failed for good. One still waiting for its first delivery has not been
 * heard: the batch that ends the booking withdraws it (`cancelPendingFor`), and the delivery's
 * claim then finds it withdrawn. Who was told of a booking is told of its end, by the channels
 * they heard of it on, even when it was never confirmed.
 */
export const heardOf = (channel?: Channel) =>
  sql`EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id
    AND (n.status = 'sent' OR (n.status = 'pending' AND n.attempts > 0))
    AND n.kind <> 'booking_requested' AND ${
      channel === 'sms'
        ? sql`n.notification_type = 'sms' AND n.recipient = c.phone`
        : channel === 'email'
          ? sql`n.notification_type = 'email' AND n.recipient = c.email`
          : sql`n.recipient IN (c.email, c.phone)`
    })`;

/**
 * A booking its client knows of, so may see (their portal, their calendar feed; SQL over the
 * bookings table named `b`): one confirmed or held, one they asked for themselves (booking page,
 * portal), one the app wrote a message about (sent, waiting, or tried and failed; withdrawn ones
 * do not count), or an occurrence of a series the client was sent a message about (one series
 * message speaks of them all), unless it was cancelled before that message spoke of it. Any message
 * of a booking but the trainer's new-request mail comes from something the client was told of or
 * did, so the address it went to does not matter: a client whose email changed keeps their history.
 * A trainer's draft nobody announced, and a waitlist place the trainer added unannounced, are the
 * trainer's alone: a draft made for the wrong client never shows to that client.
 */
export const knownToClient = (bookingsAs = 'b') => {
  const b = sql.raw(bookingsAs);
  const told = sql`n.status IN ('pending', 'sent', 'failed')`;
  const messaged = sql`EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = ${b}.id AND ${told}
    AND n.kind <> 'booking_requested')`;
  const seriesTold = sql`${b}.series_id IS NOT NULL AND EXISTS (SELECT 1 FROM bookings sb
    JOIN notifications n ON n.booking_id = sb.id
    WHERE sb.series_id = ${b}.series_id AND n.kind IN ('series_confirmed', 'series_cancelled') AND ${told}
      AND (${b}.status <> 'cancelled' OR (n.kind = 'series_cancelled' AND n.created_at = ${b}.cancelled_at)))`;
  return sql`(${b}.status IN ('confirmed', 'completed', 'no_show') OR ${b}.source = 'public'
    OR ${messaged} OR (${seriesTold}))`;
};

/**
 * The client's "rescheduled" message (email, and SMS when they have a phone and the booking is
 * confirmed or was texted of before), naming the time it had before; written only if `moved` (SQL over `b`) holds after
 * the move. One per move: the key carries the booking's sequence after it.
 */
export function planClientReschedule(
  db: Db,
  args: { bookingId: number; previous: { start: string; end: string }; now: string; moved: SQL },
) {
  const kind = 'booking_rescheduled';
  return planForBooking(db, {
    bookingId: args.bookingId,
    kind,
    now: args.now,
    guard: args.moved,
    smsGuard: sql`b.status = 'confirmed' OR ${heardOf('sms')}`,
    key: (channel) => dedupeKey({ booking: sql.raw('b.id'), kind, channel, sequence: sql.raw('b.sequence') }),
    previous: args.previous,
  });
}

/** The trainer's own email (new booking requests and receipts), as SQL for the caller's batch. */
export function trainerMessage(args: {
  trainerId: number;
  bookingId: number | SQL | null;
  kind: NotificationKind;
  dedupeKey: SQL;
  now: string;
  guard: SQL;
  rendered?: { subject: string; text: string; html: string };
}): SQL {
  const r = args.rendered ?? { subject: '', text: '', html: '' };
  return sql`INSERT OR IGNORE INTO notifications
      (trainer_id, booking_id, kind, notification_type, recipient, subject, message, html, dedupe_key, created_at, updated_at)
      SELECT t.id, ${args.bookingId}, ${args.kind}, 'email', u.email, ${r.subject}, ${r.text}, ${r.html}, ${args.dedupeKey}, ${args.now}, ${args.now}
      FROM trainers t JOIN users u ON u.id = t.user_id
      WHERE t.id = ${args.trainerId} AND (${args.guard})
      RETURNING id`;
}

/** An email to the client of a client package (its refund), stored as rendered, as SQL for the caller's batch. */
export function clientPackageMessage(args: {
  clientPackageId: number;
  kind: NotificationKind;
  dedupeKey: SQL;
  now: string;
  guard: SQL;
  rendered: { subject: string; text: string; html: string };
}): SQL {
  const r = args.rendered;
  return sql`INSERT OR IGNORE INTO notifications
      (trainer_id, booking_id, kind, notification_type, recipient, subject, message, html, dedupe_key, created_at, updated_at)
      SELECT c.trainer_id, NULL, ${args.kind}, 'email', c.email, ${r.subject}, ${r.text}, ${r.html}, ${args.dedupeKey}, ${args.now}, ${args.now}
      FROM client_packages cp JOIN clients c ON c.id = cp.client_id
      WHERE cp.id = ${args.clientPackageId} AND (${args.guard})
      RETURNING id`;
}

/** Unsent messages of a booking become `cancelled` (all of them, or only those `scope` selects). */
export function cancelPendingFor(db: Db, args: { bookingId: number; now: string; guard: SQL; scope?: SQL }) {
  return statement(
    db,
    sql`UPDATE notifications SET status = 'cancelled', updated_at = ${args.now}
      WHERE booking_id = ${args.bookingId} AND status = 'pending' ${args.scope ?? sql``}
        AND EXISTS (SELECT 1 FROM bookings b WHERE b.id = ${args.bookingId} AND (${args.guard}))`,
  );
}

/** A booking's unsent reminders become `cancelled` (e.g. once it is marked a no-show). */
export const cancelPendingReminders = (db: Db, args: { bookingId: number; now: string; guard: SQL }) =>
  cancelPendingFor(db, { ...args, scope: sql`AND kind IN ${sql.raw(REMINDER_KINDS)}` });

/**
 * A rescheduled booking's unsent reminders become `cancelled`, except those planned for `start`
 * (the booking's new start: moving only the end keeps them, and the cron would not plan them again).
 * Each one cancelled gives up its key (`…:cancelled:<id>`), so a move back to that start plans its
 * reminders again; a reminder already sent keeps its key and is never sent twice for one start.
 */
export function cancelRemindersNotAt(db: Db, args: { bookingId: number; now: string; guard: SQL; start: string }) {
  const keep = (['reminder_24h', 'reminder_1h'] as const).flatMap((kind) =>
    (['email', 'sms'] as const).map((channel) =>
      dedupeKey({ booking: args.bookingId, kind, channel, start: args.start }),
    ),
  );
  return statement(
    db,
    sql`UPDATE notifications SET status = 'cancelled', dedupe_key = dedupe_key || ':cancelled:' || id,
        updated_at = ${args.now}
      WHERE booking_id = ${args.bookingId} AND status = 'pending' AND kind IN ${sql.raw(REMINDER_KINDS)}
        AND dedupe_key NOT IN (${sql.join(keep, sql`, `)})
        AND EXISTS (SELECT 1 FROM bookings b WHERE b.id = ${args.bookingId} AND (${args.guard}))`,
  );
}

/**
 * Every reminder due now for every trainer, in one statement: the 24 h reminder (email, and SMS
 * when there is a phone) from start − 24 h until start − 1 h, the 1 h reminder (SMS, or email
 * without a phone) from start − 1 h until start, each skipped for a booking confirmed or moved
 * inside that last stretch. Already planned ones are ignored by dedupe_key.
 */
export function planDueReminders(db: Db, nowIso: string) {
  const in1h = addSeconds(nowIso, 3600);
  const in24h = addSeconds(nowIso, 24 * 3600);
  const reminder = (
    kind: 'reminder_24h' | 'reminder_1h',
    channel: Channel,
    recipient: string,
    window: SQL,
    phone: string,
  ) => sql`
    SELECT b.trainer_id, b.id, ${kind}, ${channel}, ${sql.raw(recipient)},
      ${dedupeKey({ booking: sql.raw('b.id'), kind, channel, start: sql.raw('b.start_time') })}, '', ${nowIso}, ${nowIso}
    FROM bookings b JOIN clients c ON c.id = b.client_id
    WHERE b.status = 'confirmed' AND ${window} ${sql.raw(phone)}`;
  // A booking confirmed less than 24 h before its start gets no 24 h reminder, and one confirmed
  // inside its last hour no 1 h reminder ("in one hour" would be wrong): its confirmation just
  // went. Confirmed means the trainer's confirmation, a waitlisted place promoted ("You're in"),
  // or the confirmation of the series it belongs to (which listed it). A move into that stretch
  // likewise: its "rescheduled" message has just named the new time.
  const toldWithin = (hours: 24 | 1) => {
    const since = sql`strftime('%Y-%m-%dT%H:%M:%fZ', b.start_time, ${`-${hours} hours`})`;
    return sql`NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id
        AND n.kind IN ('booking_confirmed', 'waitlist_promoted', 'booking_rescheduled') AND n.created_at > ${since})
      AND NOT (b.series_id IS NOT NULL AND EXISTS (SELECT 1 FROM notifications n JOIN bookings sb ON sb.id = n.booking_id
        WHERE sb.series_id = b.series_id AND n.kind = 'series_confirmed' AND n.created_at > ${since}))`;
  };
  const day = sql`b.start_time > ${in1h} AND b.start_time <= ${in24h} AND ${toldWithin(24)}`;
  const hour = sql`b.start_time > ${nowIso} AND b.start_time <= ${in1h} AND ${toldWithin(1)}`;
  return statement(
    db,
    sql`INSERT OR IGNORE INTO notifications
      (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message, created_at, updated_at)
      ${reminder('reminder_24h', 'email', 'c.email', day, '')}
      UNION ALL ${reminder('reminder_24h', 'sms', 'c.phone', day, `AND c.phone <> ''`)}
      UNION ALL ${reminder('reminder_1h', 'sms', 'c.phone', hour, `AND c.phone <> ''`)}
      UNION ALL ${reminder('reminder_1h', 'email', 'c.email', hour, `AND c.phone = ''`)}
      RETURNING id`,
  );
}

/**
 * Pending rows untouched for 5 minutes (their enqueue was lost), or whose next round after a
 * provider's outage is due (`retry_at`): touched and returned for re-queueing.
 */
export function sweepStale(db: Db, nowIso: string, limit = 10_000) {
  return statement(
    db,
    sql`UPDATE notifications SET updated_at = ${nowIso}
      WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND updated_at < ${addSeconds(nowIso, -300)}
        AND (retry_at IS NULL OR retry_at <= ${nowIso}) ORDER BY created_at LIMIT ${limit})
      RETURNING id`,
  );
}

/** The ids RETURNING-ed by statements of a D1 batch. */
export const idsOf = (results: D1Result[]): number[] =>
  results.flatMap((r) =>
    (r.results as { id?: number }[]).map((row) => row.id).filter((id): id is number => typeof id === 'number'),
  );

/**
 * Queues the ids, MAX_IDS_PER_MESSAGE per message and 100 messages per sendBatch call. A failure
 * is logged, never thrown: the rows are already in the outbox and the sweeper will find them.
 */
export async function enqueue(queue: Queue<NotifyMessage>, ids: number[]): Promise<number> {
  const messages: { body: NotifyMessage }[] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE)
    messages.push({ body: { ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE) } });
  let calls = 0;
  for (let i = 0; i < messages.length; i += 100) {
    calls++;
    try {
      await queue.sendBatch(messages.slice(i, i + 100));
    } catch (err) {
      console.error(
        JSON.stringify({ level: 'error', msg: 'enqueue failed; the sweeper will retry', err: String(err) }),
      );
    }
  }
  return calls;
}

/**
 * An account mail (no trainer: email verification, password reset), rendered now and kept in the row; the
 * consumer sends it like any other. Returns the row's id for the caller to queue.
 */
export async function writeAccountMail(
  db: Db,
  mail: {
    userId: number;
    kind: AccountMailKind;
    to: string;
    now: string;
    subject: string;
    text: string;
    html: string;
  },
): Promise<number | undefined> {
  const key = dedupeKey({ user: mail.userId, kind: mail.kind, at: mail.now });
  const [row] = await db.all<{ id: number }>(sql`INSERT OR IGNORE INTO notifications
      (user_id, kind, notification_type, recipient, subject, message, html, dedupe_key, created_at, updated_at)
      VALUES (${mail.userId}, ${mail.kind}, 'email', ${mail.to}, ${mail.subject}, ${mail.text}, ${mail.html}, ${key}, ${mail.now}, ${mail.now})
      RETURNING id`);
  return row?.id;
}

/** A user's unsent account mails of a kind become `cancelled` (e.g. verification links once verified). */
export function cancelAccountMails(db: Db, args: { userId: number; kind: AccountMailKind; now: string }) {
  return db
    .update(notifications)
    .set({ status: 'cancelled', updatedAt: args.now })
    .where(
      and(
        eq(notifications.userId, args.userId),
        eq(notifications.kind, args.kind),
        eq(notifications.status, 'pending'),
      ),
    );
}
