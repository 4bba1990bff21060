// The queue consumer: sends the outbox rows named by a batch of queue messages.
import { sql } from 'drizzle-orm';
import { reservedCredits } from '../db/fragments';
import { isAccountMail, type Notification } from '../db/schema';
import type { NotifyConfig } from '../lib/config';
import { type Db, statement } from '../lib/db';
import { manageToken, sha256Hex } from '../lib/tokens';
import { addressOf } from './calendar';
import { placeOf, type ServicePlace, serviceNameOf } from './location';
import { type BookingContext, type Rendered, renderBooking } from './messages';
import { dedupeKey, enqueue, idsOf } from './outbox';
import { type OutboundMessage, providerFor, type SendResult } from './providers';
import { type SmsQuota, smsQuota, takeSms } from './quota';
import { type ListedOccurrence, renderSeries } from './series-messages';
import type { NotifyMessage } from './types';

/** Deliveries per queue message: 1 + `max_retries` of the consumer in wrangler.toml. */
export const MAX_DELIVERIES = 6;
/** Longest retry delay; kept under the sweeper's 5 minutes so a retrying row never looks lost. */
const MAX_DELAY_SECONDS = 240;

/** The wait before delivery `attempt + 1`: doubling from the base, or longer when a provider asked (Retry-After). */
export const retryDelay = (baseSeconds: number, attempt: number, asked = 0): number =>
  Math.min(MAX_DELAY_SECONDS, Math.max(asked, baseSeconds * 2 ** Math.max(0, attempt - 1)));

/**
 * Sends in flight at once. A Worker's invocation keeps at most six connections waiting for an
 * answer and queues the rest, while a send's timeout counts from its fetch() call: more at once
 * would time out sends still waiting for a connection, and abort some the provider had accepted.
 */
const SEND_CONCURRENCY = 6;

/** `fn` over the items, at most `limit` at a time. */
async function eachAtMost<T>(limit: number, items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** How long after its creation a message is still worth sending through a provider's outage. */
export const OUTAGE_HOURS = 24;
/** Account mail (a confirmation or reset link) is kept for as long as its link is likely to work. */
const ACCOUNT_MAIL_OUTAGE_HOURS = 1;
/** The longest a round of MAX_DELIVERIES takes: every retry delay at its ceiling. */
const ROUND_MS = (MAX_DELIVERIES - 1) * MAX_DELAY_SECONDS * 1000;

const isReminder = (row: Row) => row.kind === 'reminder_24h' || row.kind === 'reminder_1h';

/** A reminder whose session has begun says something no longer true: it is never sent. */
const tooLate = (row: Row, nowMs: number) =>
  isReminder(row) && row.startTime !== null && Date.parse(row.startTime) <= nowMs;

/**
 * When a row whose deliveries all failed retryably (a provider down or limiting) gets its next
 * round of MAX_DELIVERIES, or null when it is no longer worth sending: a day after it was written
 * (an hour for account mail), or a reminder whose next round could not end before its session. A
 * 1 h reminder's SMS gets none: it fails now, and the client gets the reminder by email instead
 * (`emailInstead`). Rounds wait 10, 20, 40 minutes, then an hour each.
 */
function nextRound(row: Row, now: string): string | null {
  const nowMs = Date.parse(now);
  const hours = isAccountMail(row.kind) ? ACCOUNT_MAIL_OUTAGE_HOURS : OUTAGE_HOURS;
  if (Date.parse(row.createdAt) < nowMs - hours * 3_600_000) return null;
  if (row.kind === 'reminder_1h' && row.notificationType === 'sms') return null;
  const round = Math.ceil((row.attempts + 1) / MAX_DELIVERIES); // row.attempts: before this delivery
  const at = nowMs + Math.min(60, 10 * 2 ** (round - 1)) * 60_000;
  return tooLate(row, at + ROUND_MS) ? null : new Date(at).toISOString();
}

/** What the consumer uses of a queue message (tests hand in look-alikes). */
export type QueuedMessage = Pick<Message<NotifyMessage>, 'body' | 'attempts' | 'ack' | 'retry'>;

const idsOfMessage = (m: QueuedMessage): number[] => (Array.isArray(m.body?.ids) ? m.body.ids : []);

/** Every row id named by the messages, once. */
export const queuedIds = (messages: readonly QueuedMessage[]): number[] => [...new Set(messages.flatMap(idsOfMessage))];

type Row = Notification & {
  /** The booking's service: its name and where it happens (location.ts). */
  service: ServicePlace;
  clientPhone: string | null;
  clientFirstName: string | null;
  clientName: string | null;
  businessName: string | null;
  timezone: string | null;
  startTime: string | null;
  endTime: string | null;
  bookingNotes: string | null;
  cancellationReason: string | null;
  /** 1: the booking is a place in a class; movedUp: 1 when it came off the class's waitlist. */
  inClass: number | null;
  movedUp: number | null;
  /** 1: the booking's late cancel spent its pack's credit (a ledger row says so). */
  creditSpentOnCancel: number | null;
  clientEmail: string | null;
  clientTimezone: string | null;
  bookingStatus: string | null;
  sequence: number | null;
  previousStart: string | null;
  previousEnd: string | null;
  /** "salt tokenHash" of the booking's newest derivable manage link. */
  linkSalt: string | null;
  /** JSON {name, left}: the pack paying for the booking and its credits left after it. */
  pack: string | null;
  /** A series message: the occurrences it lists, as JSON [[start, end], …] (null for every other kind). */
  seriesOccurrences: string | null;
};

/** The row as the query returns it: the service's columns flat. */
type FlatRow = Omit<Row, 'service'> & {
  serviceName: string | null;
  locationType: ServicePlace['locationType'];
  serviceLocation: string | null;
  videoUrl: string | null;
};

const withService = ({ serviceName, locationType, serviceLocation, videoUrl, ...r }: FlatRow): Row => ({
  ...r,
  service: { name: serviceName, locationType, location: serviceLocation, videoUrl },
});

type Outcome = SendResult & { rendered: Rendered };

/**
 * The pack of booking `b`: its name and credits left (JSON or NULL). An active booking's credit is
 * among those reserved, and an ended one's is spent or back: the credits left are those neither
 * spent nor reserved. A waitlisted place would take one more once it has its place.
 */
const packOfBooking = sql`(SELECT json_object('name', sp.name,
    'left', cp.sessions_remaining - ${reservedCredits(sql`cp.id`)} - (b.status = 'waitlisted'))
  FROM client_packages cp JOIN session_packages sp ON sp.id = cp.session_package_id WHERE cp.id = b.client_package_id)`;

/** Booking `b` was promoted from its class's waitlist (the promotion writes `waitlist_promoted`). */
const movedUp = sql`EXISTS (SELECT 1 FROM notifications wp WHERE wp.booking_id = b.id AND wp.kind = 'waitlist_promoted')`;

/** Booking `b`'s late cancel spent its pack's credit: the ledger has the charge (not every late cancel makes one). */
const creditSpentOnCancel = sql`EXISTS (SELECT 1 FROM package_ledger pl
  WHERE pl.client_package_id = b.client_package_id AND pl.booking_id = b.id AND pl.reason = 'late_cancellation')`;

/**
 * What a series message lists, at send time: a confirmation, the series' occurrences confirmed
 * and not yet begun when it was planned; a cancellation, those cancelled by that very cancel
 * (their cancelled_at is the row's created_at) that the client knew of (the row's `listed`; a
 * row written before it was kept lists them all).
 */
const seriesOccurrences = sql`CASE n.kind
  WHEN 'series_confirmed' THEN (SELECT json_group_array(json_array(o.start_time, o.end_time)) FROM (
    SELECT start_time, end_time FROM bookings WHERE series_id = b.series_id AND status = 'confirmed'
      AND start_time >= n.created_at ORDER BY start_time) o)
  WHEN 'series_cancelled' THEN (SELECT json_group_array(json_array(o.start_time, o.end_time)) FROM (
    SELECT start_time, end_time FROM bookings WHERE series_id = b.series_id AND status = 'cancelled'
      AND cancelled_at = n.created_at
      AND (n.listed IS NULL OR id IN (SELECT value FROM json_each(n.listed))) ORDER BY start_time) o)
  END`;

/**
 * A client's "rescheduled" message describes its own move even when the booking moved again
 * before it was sent: its new time is the time the next such message of the booking moved from
 * (the booking's own time when there is none), and its SEQUENCE the one in its key. One join on
 * that next message (`nm`) serves all three.
 */
const laterMove = sql.raw(`LEFT JOIN notifications nm ON nm.id = (SELECT n2.id FROM notifications n2
    WHERE n.kind = 'booking_rescheduled' AND n2.booking_id = n.booking_id AND n2.kind = 'booking_rescheduled'
    AND n2.notification_type = n.notification_type AND n2.id > n.id AND n2.previous_start_time IS NOT NULL
    ORDER BY n2.id LIMIT 1)`);
const keySequence = sql.raw(`CAST(substr(n.dedupe_key, instr(n.dedupe_key, ':seq:') + 5) AS INTEGER)`);

/** The rows of a batch with what their messages need, in one query (ids as one JSON parameter). */
async function loadRows(db: Db, ids: number[]): Promise<Map<number, Row>> {
  if (!ids.length) return new Map();
  const rows = await db.all<FlatRow>(sql`
    SELECT n.*, n.trainer_id AS trainerId, n.user_id AS userId, n.booking_id AS bookingId,
      n.notification_type AS notificationType,
      n.dedupe_key AS dedupeKey, n.provider_message_id AS providerMessageId, n.sent_at AS sentAt,
      n.failed_reason AS failedReason, n.previous_start_time AS previousStart, n.previous_end_time AS previousEnd, n.created_at AS createdAt, n.updated_at AS updatedAt,
      c.first_name AS clientFirstName,
      coalesce(nullif(trim(c.first_name || ' ' || c.last_name), ''), c.email) AS clientName,
      coalesce(nullif(t.business_name, ''), nullif(trim(u.first_name || ' ' || u.last_name), ''), u.email) AS businessName,
      t.timezone AS timezone, coalesce(nm.previous_start_time, b.start_time) AS startTime,
      coalesce(nm.previous_end_time, b.end_time) AS endTime, b.notes AS bookingNotes,
      b.cancellation_reason AS cancellationReason, ${creditSpentOnCancel} AS creditSpentOnCancel, c.email AS clientEmail,
      b.class_session_id IS NOT NULL AS inClass, ${movedUp} AS movedUp,
      coalesce(nullif(b.client_timezone, ''), t.timezone) AS clientTimezone, b.status AS bookingStatus,
      CASE WHEN nm.id IS NOT NULL AND instr(n.dedupe_key, ':seq:') > 0 THEN ${keySequence}
        ELSE b.sequence END AS sequence, c.phone AS clientPhone,
      s.name AS serviceName, s.location_type AS locationType, s.location AS serviceLocation, s.video_url AS videoUrl,
      (SELECT l.salt || ' ' || l.token_hash FROM booking_links l WHERE l.booking_id = b.id AND l.salt <> ''
        ORDER BY l.id DESC LIMIT 1) AS linkSalt,
      ${packOfBooking} AS pack,
      ${seriesOccurrences} AS seriesOccurrences
    FROM notifications n
    LEFT JOIN trainers t ON t.id = n.trainer_id
    LEFT JOIN users u ON u.id = t.user_id
    LEFT JOIN bookings b ON b.id = n.booking_id
    LEFT JOIN clients c ON c.id = b.client_id
    LEFT JOIN services s ON s.id = b.service_id
    ${laterMove}
    WHERE n.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
  return new Map(rows.map((r) => [r.id, withService(r)]));
}

/**
 * The booking's manage page, derived from its link's salt; null without a derivable link, or when
 * the derived token is not the stored one (the JWT key changed since): a message never carries a
 * link that does not open the booking.
 */
async function manageUrlOf(config: NotifyConfig, row: Row): Promise<string | null> {
  const [salt, hash] = (row.linkSalt ?? '').split(' ');
  if (!salt || !hash || !config.linkSecret) return null;
  const token = await manageToken(config.linkSecret, salt);
  return (await sha256Hex(token)) === hash ? `${config.appOrigin}/book/manage/${token}` : null;
}

/** The stored message (account mails, receipts), or the booking message rendered from the row's booking. */
async function render(config: NotifyConfig, row: Row, now: string): Promise<Rendered> {
  if (row.message || isAccountMail(row.kind)) return { subject: row.subject, text: row.message, html: row.html };
  const timezone = row.timezone ?? 'UTC';
  const ctx: BookingContext = {
    kind: row.kind,
    channel: row.notificationType,
    bookingId: row.bookingId ?? 0,
    clientFirstName: row.clientFirstName ?? '',
    clientName: row.clientName ?? '',
    clientEmail: row.clientEmail ?? '',
    businessName: row.businessName ?? '',
    timezone,
    clientTimezone: row.clientTimezone ?? timezone,
    startTime: row.startTime ?? row.createdAt,
    endTime: row.endTime ?? row.createdAt,
    status: row.bookingStatus ?? 'pending',
    sequence: row.sequence ?? 0,
    previous: row.previousStart && row.previousEnd ? { start: row.previousStart, end: row.previousEnd } : null,
    notes: row.bookingNotes ?? '',
    serviceName: serviceNameOf(row.service),
    place: placeOf(row.service, row.clientPhone ?? ''),
    cancellationReason: row.cancellationReason ?? '',
    creditSpentOnCancel: row.creditSpentOnCancel === 1,
    classPlace: row.inClass === 1 ? (row.movedUp === 1 ? 'moved_up' : 'booked') : null,
    manageUrl: await manageUrlOf(config, row),
    pack: row.pack ? (JSON.parse(row.pack) as BookingContext['pack']) : null,
    appOrigin: config.appOrigin,
    replyTo: addressOf(config.emailFrom),
    // A reminder speaks as of when the cron planned it ("tomorrow" then), retries included.
    now: isReminder(row) ? row.createdAt : now,
  };
  if (row.seriesOccurrences) {
    const listed = (JSON.parse(row.seriesOccurrences) as [string, string][]).map(
      ([start, end]): ListedOccurrence => ({ start, end }),
    );
    return renderSeries(ctx, listed);
  }
  return renderBooking(ctx);
}

/** Claims the pending rows with a compare-and-set on `attempts`: a row delivered twice at once sends once. */
async function claim(db: Db, rows: Map<number, Row>, now: string): Promise<Row[]> {
  const pending = [...rows.values()].filter((r) => r.status === 'pending');
  if (!pending.length) return [];
  const keys = JSON.stringify(pending.map((r) => `${r.id}:${r.attempts}`));
  const won = await db.all<{ id: number }>(sql`
    UPDATE notifications SET attempts = attempts + 1, updated_at = ${now}
    WHERE status = 'pending' AND (id || ':' || attempts) IN (SELECT value FROM json_each(${keys}))
    RETURNING id`);
  return won.map((w) => rows.get(w.id) as Row);
}

/**
 * Sends one claimed row through its provider, unless it is an SMS past the trainer's quota or a
 * reminder whose session has begun (a provider's outage held it that long).
 */
async function send(config: NotifyConfig, row: Row, quota: SmsQuota, now: string): Promise<Outcome> {
  const rendered = await render(config, row, now);
  if (tooLate(row, Date.parse(now))) return { ok: false, retryable: false, reason: 'The session had begun.', rendered };
  if (row.notificationType === 'sms' && row.trainerId !== null) {
    const refused = takeSms(quota, row.trainerId);
    if (refused) return { ok: false, retryable: false, reason: refused, rendered };
  }
  const message: OutboundMessage = {
    channel: row.notificationType,
    to: row.recipient,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    attachments: rendered.attachments ?? [],
  };
  return { ...(await providerFor(config, row.notificationType).send(message)), rendered };
}

/** The row's new state after an outcome; `retry` when the message is to be delivered again. */
function record(db: Db, row: Row, r: Outcome, final: boolean, now: string) {
  const { id } = row;
  const { subject, text, html } = r.rendered;
  if (r.ok) {
    const write = sql`UPDATE notifications SET status = 'sent', provider_message_id = ${r.id}, sent_at = ${now}, retry_at = NULL,
      subject = ${subject}, message = ${text}, html = ${html}, failed_reason = NULL, updated_at = ${now}
      WHERE id = ${id} AND status = 'pending'`;
    return { write: statement(db, write), retry: false };
  }
  const later = r.retryable && final ? nextRound(row, now) : null;
  if (later) {
    // Kept pending, out of the queue: the sweeper queues it again from `later` (outbox.ts sweepStale).
    const write = sql`UPDATE notifications SET failed_reason = ${r.reason}, retry_at = ${later}, updated_at = ${now}
      WHERE id = ${id} AND status = 'pending'`;
    return { write: statement(db, write), retry: false };
  }
  if (!r.retryable || final) {
    const write = sql`UPDATE notifications SET status = 'failed', failed_reason = ${r.reason}, subject = ${subject},
      message = ${text}, html = ${html}, updated_at = ${now} WHERE id = ${id} AND status = 'pending'`;
    // On the last delivery a retryable failure goes on to the dead-letter queue.
    return { write: statement(db, write), retry: r.retryable };
  }
  const write = sql`UPDATE notifications SET failed_reason = ${r.reason}, updated_at = ${now} WHERE id = ${id}`;
  return { write: statement(db, write), retry: true };
}

/**
 * A 1 h reminder is an SMS when the client has a phone, and nothing else; when that SMS fails for
 * good (the trainer's SMS limit, a number the provider refuses) the client gets it by email
 * instead, once: while the booking is still confirmed at the start the SMS was for, and not begun.
 * Runs after the SMS row's `failed` write in the same batch, and only if that write happened now.
 */
const emailInstead = (db: Db, row: Row, now: string) =>
  statement(
    db,
    sql`INSERT OR IGNORE INTO notifications
      (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message, created_at, updated_at)
      SELECT b.trainer_id, b.id, 'reminder_1h', 'email', c.email,
        ${dedupeKey({ booking: sql.raw('b.id'), kind: 'reminder_1h', channel: 'email', start: sql.raw('b.start_time') })},
        '', ${now}, ${now}
      FROM bookings b JOIN clients c ON c.id = b.client_id
      WHERE b.id = ${row.bookingId} AND b.status = 'confirmed' AND b.start_time > ${now} AND c.email <> ''
        AND EXISTS (SELECT 1 FROM notifications n WHERE n.id = ${row.id} AND n.status = 'failed' AND n.updated_at = ${now}
          AND n.dedupe_key = ${dedupeKey({ booking: sql.raw('b.id'), kind: 'reminder_1h', channel: 'sms', start: sql.raw('b.start_time') })})
      RETURNING id`,
  );

/**
 * The queue consumer. Loads every row of the batch at once, claims the pending ones, sends each
 * through its provider, records each one sent as soon as it is, and the other outcomes in one
 * batch. A message is retried (with a
 * growing delay) while one of its rows failed retryably; on its last delivery those rows become
 * `failed` and the message goes on to the dead-letter queue.
 */
export async function deliver(
  db: Db,
  config: NotifyConfig,
  messages: readonly QueuedMessage[],
  now: string,
  queue?: Queue<NotifyMessage>,
) {
  const rows = await loadRows(db, queuedIds(messages));
  const claimed = await claim(db, rows, now);
  const smsTrainers = claimed.flatMap((r) =>
    r.notificationType === 'sms' && r.trainerId !== null ? [r.trainerId] : [],
  );
  const quota = await smsQuota(db, config.smsDailyLimitPerTrainer, smsTrainers, now);
  const outcomes = new Map<number, Outcome>();
  await eachAtMost(SEND_CONCURRENCY, claimed, async (row) => {
    const outcome = await send(config, row, quota, now);
    outcomes.set(row.id, outcome);
    // A message the provider took is recorded at once: if the Worker dies before the batch's
    // other outcomes are written, only rows not yet sent are delivered again, never this one.
    if (outcome.ok) await record(db, row, outcome, false, now).write.run();
  });

  const writes: D1PreparedStatement[] = [];
  const fallbacks: D1PreparedStatement[] = [];
  for (const msg of messages) {
    const final = msg.attempts >= MAX_DELIVERIES;
    let retry = false;
    let asked = 0;
    for (const id of idsOfMessage(msg)) {
      const r = outcomes.get(id);
      const row = rows.get(id);
      if (!r || !row) continue; // not claimed: sent or cancelled already, or being sent by a concurrent delivery
      if (r.ok) continue; // recorded as it went
      const next = record(db, row, r, final, now);
      writes.push(next.write);
      retry ||= next.retry;
      asked = Math.max(asked, r.retryAfterSeconds ?? 0);
      if ((final || !r.retryable) && row.kind === 'reminder_1h' && row.notificationType === 'sms')
        fallbacks.push(emailInstead(db, row, now));
    }
    if (retry) msg.retry(final ? {} : { delaySeconds: retryDelay(config.retryBaseSeconds, msg.attempts, asked) });
    else msg.ack();
  }
  if (writes.length) {
    const results = await db.$client.batch([...writes, ...fallbacks]);
    // Without a queue (or if sending fails) the sweeper finds the new rows within minutes.
    const instead = idsOf(results.slice(writes.length));
    if (instead.length && queue) await enqueue(queue, instead);
  }
  return { claimed: claimed.length };
}
