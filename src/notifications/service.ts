import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import {
  type NOTIFICATION_CHANNELS,
  type NOTIFICATION_KINDS,
  type NOTIFICATION_STATUSES,
  type Notification,
  notifications,
  users,
} from '../db/schema';
import { type OutboundMessage, providerFor, type SendResult } from '../jobs/providers';
import { type Bindings, configOf, jwtSecretOf } from '../lib/config';
import { type Db, statement } from '../lib/db';
import { type PageQuery, pageOffset } from '../lib/pagination';
import { conflict, notFound } from '../lib/problem';
import { addSeconds, nowIso } from '../lib/time';
import { renderVerification, verificationToken } from '../users/verification';
import { type BookingContext, type Rendered, renderBooking } from './messages';
import { enqueue, idsOf, planDueReminders, sweepStale } from './outbox';
import type { NotifyMessage } from './types';

/** Deliveries per queue message: 1 + `max_retries` of the consumer in wrangler.toml. */
export const MAX_DELIVERIES = 6;
/** Longest retry delay; kept under the sweeper's 5 minutes so a retrying row never looks lost. */
const MAX_DELAY_SECONDS = 240;

export const retryDelay = (baseSeconds: number, attempt: number): number =>
  Math.min(MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, attempt - 1));

type Row = Notification & {
  clientFirstName: string | null;
  clientName: string | null;
  businessName: string | null;
  timezone: string | null;
  startTime: string | null;
  endTime: string | null;
  bookingNotes: string | null;
  cancellationReason: string | null;
};

/** The rows of a batch with what their messages need, in one query (ids as one JSON parameter). */
async function loadRows(db: Db, ids: number[]): Promise<Map<number, Row>> {
  const rows = await db.all<Row>(sql`
    SELECT n.*, n.trainer_id AS trainerId, n.booking_id AS bookingId, n.notification_type AS notificationType,
      n.dedupe_key AS dedupeKey, n.provider_message_id AS providerMessageId, n.sent_at AS sentAt,
      n.failed_reason AS failedReason, n.created_at AS createdAt, n.updated_at AS updatedAt,
      c.first_name AS clientFirstName,
      coalesce(nullif(trim(c.first_name || ' ' || c.last_name), ''), c.email) AS clientName,
      coalesce(nullif(t.business_name, ''), nullif(trim(u.first_name || ' ' || u.last_name), ''), u.email) AS businessName,
      t.timezone AS timezone, b.start_time AS startTime, b.end_time AS endTime, b.notes AS bookingNotes,
      b.cancellation_reason AS cancellationReason
    FROM notifications n
    JOIN trainers t ON t.id = n.trainer_id
    JOIN users u ON u.id = t.user_id
    LEFT JOIN bookings b ON b.id = n.booking_id
    LEFT JOIN clients c ON c.id = b.client_id
    WHERE n.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
  return new Map(rows.map((r) => [r.id, r]));
}

function render(row: Row): Rendered {
  if (row.message) return { subject: row.subject, text: row.message, html: row.html };
  const ctx: BookingContext = {
    kind: row.kind,
    channel: row.notificationType,
    clientFirstName: row.clientFirstName ?? '',
    clientName: row.clientName ?? '',
    businessName: row.businessName ?? '',
    timezone: row.timezone ?? 'UTC',
    startTime: row.startTime ?? row.createdAt,
    endTime: row.endTime ?? row.createdAt,
    notes: row.bookingNotes ?? '',
    cancellationReason: row.cancellationReason ?? '',
  };
  return renderBooking(ctx);
}

/** SMS_DAILY_LIMIT_PER_TRAINER, or 200 when unset or not a whole number ≥ 0. */
export function smsDailyLimit(env: Bindings): number {
  const n = Number(env.SMS_DAILY_LIMIT_PER_TRAINER);
  return env.SMS_DAILY_LIMIT_PER_TRAINER?.trim() && Number.isSafeInteger(n) && n >= 0 ? n : 200;
}

/**
 * How many more SMS each trainer of these rows may send: the daily limit less what was sent in
 * the last 24 h (one query, only when there is an SMS). Sends in flight elsewhere are not
 * counted, so parallel deliveries can pass the limit by a batch: a cost cap, not an exact quota.
 */
async function smsAllowance(db: Db, env: Bindings, rows: Row[], now: string): Promise<Map<number, number>> {
  const trainers = [...new Set(rows.filter((r) => r.notificationType === 'sms').map((r) => r.trainerId))];
  const left = new Map<number, number>();
  if (!trainers.length) return left;
  const limit = smsDailyLimit(env);
  for (const t of trainers) left.set(t, limit);
  const sent = await db.all<{ trainerId: number; n: number }>(sql`
    SELECT trainer_id AS trainerId, count(*) AS n FROM ${notifications}
    WHERE trainer_id IN (SELECT value FROM json_each(${JSON.stringify(trainers)}))
      AND notification_type = 'sms' AND status = 'sent' AND sent_at > ${addSeconds(now, -24 * 3600)}
    GROUP BY trainer_id`);
  for (const s of sent) left.set(s.trainerId, limit - s.n);
  return left;
}

export interface DeliveryOptions {
  retryBaseSeconds: number;
  now?: () => string;
}

/**
 * The queue consumer. Loads every row of the batch at once, claims the pending ones with a
 * compare-and-set on `attempts` (so a message delivered twice at the same time sends once),
 * sends each through its provider, and records the outcomes in one batch. A message is retried
 * (with a growing delay) while one of its rows failed retryably; on its last delivery those rows
 * become `failed` and the message goes on to the dead-letter queue.
 */
export async function deliver(
  db: Db,
  env: Bindings,
  batch: { messages: readonly Message<NotifyMessage>[] },
  opts: DeliveryOptions,
) {
  const now = opts.now ?? nowIso;
  const ids = [...new Set(batch.messages.flatMap((m) => (Array.isArray(m.body?.ids) ? m.body.ids : [])))];
  const rows = ids.length ? await loadRows(db, ids) : new Map<number, Row>();
  const pending = [...rows.values()].filter((r) => r.status === 'pending');
  const claimed = new Set<number>();
  if (pending.length) {
    const keys = JSON.stringify(pending.map((r) => `${r.id}:${r.attempts}`));
    const won = await db.all<{ id: number }>(sql`
      UPDATE notifications SET attempts = attempts + 1, updated_at = ${now()}
      WHERE status = 'pending' AND (id || ':' || attempts) IN (SELECT value FROM json_each(${keys}))
      RETURNING id`);
    for (const w of won) claimed.add(w.id);
  }

  const results = new Map<number, SendResult & { rendered: Rendered }>();
  const smsLeft = await smsAllowance(
    db,
    env,
    [...claimed].map((id) => rows.get(id) as Row),
    now(),
  );
  await Promise.all(
    [...claimed].map(async (id) => {
      const row = rows.get(id) as Row;
      const rendered = render(row);
      if (row.notificationType === 'sms') {
        const left = smsLeft.get(row.trainerId) ?? 0;
        smsLeft.set(row.trainerId, left - 1);
        if (left <= 0) {
          const reason = `SMS limit reached: ${smsDailyLimit(env)} per trainer in 24 h.`;
          results.set(id, { ok: false, retryable: false, reason, rendered });
          return;
        }
      }
      const message: OutboundMessage = {
        channel: row.notificationType,
        to: row.recipient,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
      };
      results.set(id, { ...(await providerFor(env, row.notificationType).send(message)), rendered });
    }),
  );

  const writes: D1PreparedStatement[] = [];
  for (const msg of batch.messages) {
    const msgIds: number[] = Array.isArray(msg.body?.ids) ? msg.body.ids : [];
    const final = msg.attempts >= MAX_DELIVERIES;
    let retry = false;
    for (const id of msgIds) {
      const r = results.get(id);
      if (!r) {
        // Not claimed: sent or cancelled already, or being sent by a concurrent delivery.
        continue;
      }
      const { subject, text, html } = r.rendered;
      if (r.ok) {
        writes.push(
          statement(
            db,
            sql`UPDATE notifications SET status = 'sent', provider_message_id = ${r.id}, sent_at = ${now()},
              subject = ${subject}, message = ${text}, html = ${html}, failed_reason = NULL, updated_at = ${now()}
              WHERE id = ${id} AND status = 'pending'`,
          ),
        );
      } else if (!r.retryable || final) {
        writes.push(
          statement(
            db,
            sql`UPDATE notifications SET status = 'failed', failed_reason = ${r.reason}, subject = ${subject},
              message = ${text}, html = ${html}, updated_at = ${now()} WHERE id = ${id} AND status = 'pending'`,
          ),
        );
        if (r.retryable) retry = true; // the last delivery: on to the dead-letter queue
      } else {
        writes.push(
          statement(
            db,
            sql`UPDATE notifications SET failed_reason = ${r.reason}, updated_at = ${now()} WHERE id = ${id}`,
          ),
        );
        retry = true;
      }
    }
    if (retry) msg.retry(final ? {} : { delaySeconds: retryDelay(opts.retryBaseSeconds, msg.attempts) });
    else msg.ack();
  }
  if (writes.length) await db.$client.batch(writes);
  return { claimed: claimed.size };
}

/** Mails each user its verification link; retried like any send, dropped once verified. */
export async function sendVerifications(
  db: Db,
  env: Bindings,
  messages: readonly Message<NotifyMessage>[],
  retryBaseSeconds: number,
) {
  const secret = jwtSecretOf(configOf(env));
  const origin = env.APP_ORIGIN.replace(/\/$/, '');
  for (const msg of messages) {
    const userId = msg.body.verifyUserId ?? 0;
    const user = await db
      .select({ email: users.email, verified: users.emailVerifiedAt })
      .from(users)
      .where(eq(users.id, userId))
      .get();
    if (!user || user.verified) {
      msg.ack();
      continue;
    }
    const token = await verificationToken(secret, userId, user.email);
    const rendered = renderVerification(`${origin}/api/users/verify-email/?token=${encodeURIComponent(token)}`);
    const result = await providerFor(env, 'email').send({ channel: 'email', to: user.email, ...rendered });
    if (result.ok || !result.retryable || msg.attempts >= MAX_DELIVERIES) {
      if (!result.ok)
        console.error(
          JSON.stringify({ level: 'error', msg: 'verification email not sent', userId, reason: result.reason }),
        );
      msg.ack();
    } else {
      msg.retry({ delaySeconds: retryDelay(retryBaseSeconds, msg.attempts) });
    }
  }
}

/** Messages that exhausted their deliveries: rows still pending are failed, and the row says it was dead-lettered. */
export async function deadLetter(db: Db, batch: MessageBatch<NotifyMessage>, now = nowIso()) {
  const ids = [...new Set(batch.messages.flatMap((m) => (Array.isArray(m.body?.ids) ? m.body.ids : [])))];
  if (ids.length) {
    await db.run(sql`
      UPDATE notifications SET status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
        failed_reason = coalesce(failed_reason, 'no delivery succeeded') || ' (dead-lettered)', updated_at = ${now}
      WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND status IN ('pending', 'failed')
        AND coalesce(failed_reason, '') NOT LIKE '%(dead-lettered)'`);
  }
  for (const m of batch.messages) m.ack();
}

/** The cron tick: plan due reminders, re-queue stale pending rows. Two D1 queries in all. */
export async function tick(db: Db, queue: Queue<NotifyMessage>, now = nowIso()) {
  const [planned, stale] = await db.$client.batch([planDueReminders(db, now), sweepStale(db, now)]);
  const plannedIds = idsOf(planned ? [planned] : []);
  const staleIds = idsOf(stale ? [stale] : []);
  const calls = await enqueue(queue, [...plannedIds, ...staleIds]);
  return { planned: plannedIds.length, requeued: staleIds.length, sendBatchCalls: calls };
}

// ---- the trainer's view --------------------------------------------------------------------

export const toNotificationOut = (n: Notification) => ({
  id: n.id,
  booking: n.bookingId,
  kind: n.kind,
  notification_type: n.notificationType,
  recipient: n.recipient,
  subject: n.subject,
  message: n.message,
  status: n.status,
  attempts: n.attempts,
  provider_message_id: n.providerMessageId,
  sent_at: n.sentAt,
  failed_reason: n.failedReason,
  created_at: n.createdAt,
});

export interface NotificationFilters {
  status?: (typeof NOTIFICATION_STATUSES)[number];
  notification_type?: (typeof NOTIFICATION_CHANNELS)[number];
  kind?: (typeof NOTIFICATION_KINDS)[number];
  booking?: number;
}

export async function listNotifications(db: Db, trainerId: number, q: PageQuery & NotificationFilters) {
  const conditions: SQL[] = [eq(notifications.trainerId, trainerId)];
  if (q.status) conditions.push(eq(notifications.status, q.status));
  if (q.notification_type) conditions.push(eq(notifications.notificationType, q.notification_type));
  if (q.kind) conditions.push(eq(notifications.kind, q.kind));
  if (q.booking) conditions.push(eq(notifications.bookingId, q.booking));
  const where = and(...conditions);
  const [countRows, rows] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(notifications).where(where),
    db
      .select()
      .from(notifications)
      .where(where)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map(toNotificationOut) };
}

/** A failed notification back to pending and onto the queue. */
export async function retryNotification(db: Db, queue: Queue<NotifyMessage>, trainerId: number, id: number) {
  const row = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.id, id), eq(notifications.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Notification not found.');
  const updated = await db
    .update(notifications)
    .set({ status: 'pending', failedReason: null, updatedAt: nowIso() })
    .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
    .returning()
    .get();
  if (!updated)
    throw conflict(`Only failed notifications can be retried; this one is ${row.status}.`, 'invalid_transition');
  await enqueue(queue, [id]);
  return toNotificationOut(updated);
}
