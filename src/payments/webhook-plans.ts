// What each kind of Paddle event changes: guarded statements for the event's batch.
import { eq, type SQL, sql } from 'drizzle-orm';
import { paymentRefunds, payments, subscriptions, trainers, users, webhookEvents } from '../db/schema';
import type { Db } from '../lib/db';
import { displayAmount, minorUnitsToCents } from '../lib/money';
import { trainerName } from '../lib/names';
import { toUtcInstant } from '../lib/time';
import { renderReceipt } from '../notifications/messages';
import { dedupeKey, trainerMessage } from '../notifications/outbox';
import { minorUnits, paddleDate, paddleInstant, trainerRef } from './paddle';
import { type PaddleSubscription, paddleAdjustment, paddleSubscription, paddleTransaction } from './schemas';

/**
 * What one event does: statements to run in the event's batch, or why it changes nothing. `park`:
 * the event waits for `waitingFor` (a row that is not stored yet) unless `unless` holds after its
 * effects ran; the batch that stores that row applies it (see `applyParkedRefunds`).
 */
export type Plan =
  | { kind: 'apply'; effects: SQL[]; park?: { waitingFor: string; unless: SQL }; note?: string }
  | { kind: 'ignored' }
  | { kind: 'unmatched'; note: string };

/**
 * What every plan works with: `fresh` is the guard "this event is still unprocessed" that each
 * effect carries; `secret` verifies custom_data.trainer_ref; `now` stamps the rows.
 */
export interface PlanContext {
  db: Db;
  secret: string;
  fresh: SQL;
  now: string;
}

const unmatched = (note: string): Plan => ({ kind: 'unmatched', note });

function customTrainerId(custom: Record<string, unknown> | null | undefined): number | null {
  const raw = custom?.trainer_id;
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
  return id !== null && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** The trainer an event belongs to: custom_data.trainer_id, else the stored subscription or customer. */
async function trainerFor(
  db: Db,
  secret: string,
  custom: Record<string, unknown> | null | undefined,
  paddleSubscriptionId: string | null | undefined,
  paddleCustomerId: string | null | undefined,
): Promise<number | null> {
  const fromCustom = customTrainerId(custom);
  // Only a trainer id this server signed is trusted; an unsigned one falls back to stored ids.
  if (fromCustom !== null && custom?.trainer_ref === (await trainerRef(secret, fromCustom))) {
    const row = await db.select({ id: trainers.id }).from(trainers).where(eq(trainers.id, fromCustom)).get();
    if (row) return row.id;
  }
  if (paddleSubscriptionId) {
    const row = await db
      .select({ trainerId: subscriptions.trainerId })
      .from(subscriptions)
      .where(eq(subscriptions.paddleSubscriptionId, paddleSubscriptionId))
      .get();
    if (row) return row.trainerId;
  }
  if (paddleCustomerId) {
    const row = await db
      .select({ trainerId: subscriptions.trainerId })
      .from(subscriptions)
      .where(eq(subscriptions.paddleCustomerId, paddleCustomerId))
      .get();
    if (row) return row.trainerId;
  }
  return null;
}

const trainerSubscription = (trainerId: number) =>
  sql`(SELECT id FROM ${subscriptions} WHERE trainer_id = ${trainerId})`;

export async function planSubscription(
  { db, secret, fresh, now }: PlanContext,
  data: unknown,
  occurredAt: string,
): Promise<Plan> {
  const parsed = paddleSubscription.safeParse(data);
  if (!parsed.success) return unmatched('The subscription entity in data could not be read.');
  const sub: PaddleSubscription = parsed.data;
  const trainerId = await trainerFor(db, secret, sub.custom_data, sub.id, sub.customer_id);
  if (trainerId === null) {
    return unmatched(`No trainer matches subscription ${sub.id} (custom_data.trainer_id or a stored customer).`);
  }
  const owner = await db
    .select({ trainerId: subscriptions.trainerId })
    .from(subscriptions)
    .where(eq(subscriptions.paddleSubscriptionId, sub.id))
    .get();
  if (owner && owner.trainerId !== trainerId) {
    return unmatched(`Subscription ${sub.id} is stored for trainer ${owner.trainerId}, not ${trainerId}.`);
  }
  // One row per trainer, whatever order Paddle delivers in: another subscription's live event
  // newer than the row's last takes the row from a live one (the trainer subscribed again, the old
  // one's cancel still on its way; noted, as two live subscriptions would bill twice), and another
  // subscription's cancel never ends the live one the row holds.
  const current = await db.select().from(subscriptions).where(eq(subscriptions.trainerId, trainerId)).get();
  const other =
    current?.paddleSubscriptionId && current.paddleSubscriptionId !== sub.id && current.status !== 'canceled';
  if (other && (sub.status === 'canceled' || occurredAt <= (current.lastEventAt ?? ''))) return { kind: 'ignored' };
  const note = other
    ? `Subscription ${sub.id} replaced ${current.paddleSubscriptionId} (${current.status} here) as trainer ${trainerId}'s; if both are live in Paddle, the trainer is billed twice.`
    : undefined;
  const priceId = sub.items?.find((item) => item.price?.id)?.price?.id ?? null;
  const cancelAt = sub.scheduled_change?.action === 'cancel' ? paddleInstant(sub.scheduled_change.effective_at) : null;
  // Applied only when this event is newer than the last one applied: Paddle does not promise
  // delivery order. A canceled subscription may be replaced by the trainer's next one.
  const upsert = sql`INSERT INTO ${subscriptions} (trainer_id, paddle_subscription_id, paddle_customer_id, status,
      price_id, next_billing_date, scheduled_cancel_at, last_event_at, created_at, updated_at)
    SELECT ${trainerId}, ${sub.id}, ${sub.customer_id ?? null}, ${sub.status}, ${priceId},
      ${paddleDate(sub.next_billed_at)}, ${cancelAt}, ${occurredAt}, ${now}, ${now}
    WHERE ${fresh}
    ON CONFLICT (trainer_id) DO UPDATE SET
      paddle_subscription_id = excluded.paddle_subscription_id,
      paddle_customer_id = coalesce(excluded.paddle_customer_id, subscriptions.paddle_customer_id),
      status = excluded.status,
      price_id = coalesce(excluded.price_id, subscriptions.price_id),
      next_billing_date = excluded.next_billing_date,
      scheduled_cancel_at = excluded.scheduled_cancel_at,
      last_event_at = excluded.last_event_at,
      updated_at = excluded.updated_at
    WHERE (subscriptions.last_event_at IS NULL OR excluded.last_event_at > subscriptions.last_event_at)
      AND (subscriptions.paddle_subscription_id IS NULL
        OR subscriptions.paddle_subscription_id = excluded.paddle_subscription_id
        OR subscriptions.status = 'canceled' OR excluded.status <> 'canceled')
    ON CONFLICT DO NOTHING`;
  // A transaction may arrive before its subscription: attach the trainer's orphan payments now.
  const link = sql`UPDATE ${payments} SET subscription_id = ${trainerSubscription(trainerId)}, updated_at = ${now}
    WHERE trainer_id = ${trainerId} AND subscription_id IS NULL AND ${fresh}`;
  return { kind: 'apply', effects: [upsert, link], note };
}

/** The error code of the newest failed payment attempt. */
function failureCode(attempts: { status: string; error_code?: string | null; created_at?: string | null }[]) {
  const failed = attempts
    .filter((a) => a.status === 'error' || a.status === 'failed' || a.error_code)
    .sort((a, b) => (paddleInstant(b.created_at) ?? '').localeCompare(paddleInstant(a.created_at) ?? ''));
  return failed[0]?.error_code ?? null;
}

export async function planTransaction(
  { db, secret, fresh, now }: PlanContext,
  type: 'transaction.completed' | 'transaction.payment_failed',
  data: unknown,
): Promise<Plan> {
  const parsed = paddleTransaction.safeParse(data);
  if (!parsed.success) return unmatched('The transaction entity in data could not be read.');
  const txn = parsed.data;
  const trainerId = await trainerFor(db, secret, txn.custom_data, txn.subscription_id, txn.customer_id);
  if (trainerId === null) {
    return unmatched(`No trainer matches transaction ${txn.id} (custom_data.trainer_id or a stored subscription).`);
  }
  const minor = minorUnits(txn.details?.totals.grand_total);
  if (minor === null) return unmatched(`Transaction ${txn.id} has no usable details.totals.grand_total.`);
  const subscriptionId = txn.subscription_id ? trainerSubscription(trainerId) : sql`NULL`;
  const createdAt = toUtcInstant(txn.billed_at ?? txn.created_at ?? '') ?? now;
  const currency = txn.currency_code;
  // Paddle sends the currency's smallest unit: cents for USD, whole yen for JPY.
  const amount = minorUnitsToCents(minor, currency);
  if (type === 'transaction.completed') {
    // Once per transaction; a completion wins over an earlier failed attempt, never over a refund.
    const upsert = sql`INSERT INTO ${payments} (trainer_id, subscription_id, paddle_transaction_id, amount_cents,
        currency, status, error_code, created_at, updated_at)
      SELECT ${trainerId}, ${subscriptionId}, ${txn.id}, ${amount}, ${currency}, 'completed', NULL, ${createdAt}, ${now}
      WHERE ${fresh}
      ON CONFLICT (paddle_transaction_id) DO UPDATE SET
        status = 'completed', error_code = NULL, amount_cents = excluded.amount_cents, currency = excluded.currency,
        subscription_id = coalesce(payments.subscription_id, excluded.subscription_id),
        updated_at = excluded.updated_at
      WHERE payments.trainer_id = excluded.trainer_id AND payments.status IN ('pending', 'failed')`;
    // The trainer's receipt, in the same batch, once per transaction (dedupe key), only once completed.
    const receipt = trainerMessage({
      trainerId,
      bookingId: null,
      kind: 'payment_receipt',
      dedupeKey: dedupeKey({ payment: txn.id }),
      now,
      guard: sql`${fresh} AND EXISTS (SELECT 1 FROM ${payments} WHERE paddle_transaction_id = ${txn.id} AND status = 'completed')`,
      rendered: renderReceipt({
        businessName: await trainerDisplayName(db, trainerId),
        amount: displayAmount(amount, currency),
        transactionId: txn.id,
      }),
    });
    return { kind: 'apply', effects: [upsert, receipt, ...applyParkedRefunds(txn.id, fresh, now)] };
  }
  const upsert = sql`INSERT INTO ${payments} (trainer_id, subscription_id, paddle_transaction_id, amount_cents,
      currency, status, error_code, created_at, updated_at)
    SELECT ${trainerId}, ${subscriptionId}, ${txn.id}, ${amount}, ${currency}, 'failed',
      ${failureCode(txn.payments ?? [])}, ${createdAt}, ${now}
    WHERE ${fresh}
    ON CONFLICT (paddle_transaction_id) DO UPDATE SET
      error_code = excluded.error_code, updated_at = excluded.updated_at
    WHERE payments.trainer_id = excluded.trainer_id AND payments.status IN ('pending', 'failed')`;
  return { kind: 'apply', effects: [upsert] };
}

/**
 * The payment of `transactionId`, once completed, takes the sum of its refunds (at most its
 * amount), and is `refunded` once that is all of it; while `guard` holds.
 */
const applyRefunds = (transactionId: string, guard: SQL, now: string) => {
  const sum = sql`(SELECT coalesce(sum(amount_cents), 0) FROM ${paymentRefunds} WHERE paddle_transaction_id = ${transactionId})`;
  return sql`UPDATE ${payments} SET refunded_cents = min(amount_cents, ${sum}),
      status = CASE WHEN ${sum} >= amount_cents THEN 'refunded' ELSE 'completed' END, updated_at = ${now}
    WHERE paddle_transaction_id = ${transactionId} AND status IN ('completed', 'refunded') AND ${sum} > 0 AND ${guard}`;
};

/** The payment a refund applies to is stored and completed (or refunded already). */
const paidOut = (transactionId: string) =>
  sql`EXISTS (SELECT 1 FROM ${payments} WHERE paddle_transaction_id = ${transactionId} AND status IN ('completed', 'refunded'))`;

/**
 * An approved refund, full or partial: recorded once by its adjustment id (a refund Paddle sends
 * again, created and then updated, counts once), then the payment takes the sum of its refunds.
 * Paddle does not promise delivery order, so one that arrives before its transaction is completed
 * here is parked (decided in the batch, so a transaction stored meanwhile is seen) and that
 * transaction's batch applies it.
 */
export function planAdjustment({ fresh, now }: PlanContext, data: unknown): Plan {
  const parsed = paddleAdjustment.safeParse(data);
  if (!parsed.success) return unmatched('The adjustment entity in data could not be read.');
  const adj = parsed.data;
  if (adj.action !== 'refund' || adj.status !== 'approved') return { kind: 'ignored' };
  const minor = minorUnits(adj.totals.total);
  if (minor === null) return unmatched(`Adjustment ${adj.id} has no usable totals.total.`);
  const record = sql`INSERT INTO ${paymentRefunds} (paddle_adjustment_id, paddle_transaction_id, amount_cents, created_at)
    SELECT ${adj.id}, ${adj.transaction_id}, ${minorUnitsToCents(minor, adj.currency_code)}, ${now} WHERE ${fresh}
    ON CONFLICT (paddle_adjustment_id) DO NOTHING`;
  return {
    kind: 'apply',
    effects: [record, applyRefunds(adj.transaction_id, fresh, now)],
    park: { waitingFor: adj.transaction_id, unless: paidOut(adj.transaction_id) },
  };
}

/**
 * For a transaction's completion batch, after the payment is stored: its refunds recorded
 * meanwhile apply, and the refund events parked for it are marked processed, once (only
 * unprocessed parked rows count).
 */
function applyParkedRefunds(transactionId: string, fresh: SQL, now: string): SQL[] {
  const waiting = sql`${webhookEvents}.waiting_for = ${transactionId} AND ${webhookEvents}.processed_at IS NULL
    AND ${webhookEvents}.event_type LIKE 'adjustment.%'`;
  return [
    applyRefunds(transactionId, fresh, now),
    sql`UPDATE ${webhookEvents} SET processed_at = ${now}
      WHERE ${waiting} AND ${fresh} AND ${paidOut(transactionId)}`,
  ];
}

/** The name a trainer's own messages greet. */
async function trainerDisplayName(db: Db, trainerId: number): Promise<string> {
  const row = await db
    .select({
      name: trainerName(),
    })
    .from(trainers)
    .innerJoin(users, eq(users.id, trainers.userId))
    .where(eq(trainers.id, trainerId))
    .get();
  return row?.name ?? '';
}
