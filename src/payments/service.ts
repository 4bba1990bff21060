import { z } from '@hono/zod-openapi';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { type Payment, payments, type Subscription, subscriptions, trainers, users, webhookEvents } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { formatCents, minorUnitsToCents } from '../lib/money';
import { trainerName } from '../lib/names';
import { type PageQuery, pageOffset } from '../lib/pagination';
import { ApiError, conflict, invalid, invalidField, notFound, unavailable } from '../lib/problem';
import { nowIso, toUtcInstant } from '../lib/time';
import { renderReceipt } from '../notifications/messages';
import { dedupeKey, enqueue, idsOf, trainerMessage } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import {
  minorUnits,
  type PaddleApi,
  PaddleError,
  paddleDate,
  paddleInstant,
  paddleRequest,
  trainerRef,
} from './paddle';
import {
  type CheckoutInput,
  type PaddleEnvelope,
  type PaddleSubscription,
  type PaymentListQuery,
  paddleAdjustment,
  paddleCustomer,
  paddleEnvelope,
  paddleSubscription,
  paddleTransaction,
  type SubscriptionOut,
  type SubscriptionStatus,
  type WebhookResult,
} from './schemas';

/** What the payments area needs from the configuration; all optional, checked where used. */
export interface PaddleSettings {
  apiBase: string | undefined;
  apiKey: string | undefined;
  priceId: string | undefined;
  /** Signs custom_data.trainer_id (see trainerRef). */
  signingSecret: string;
}

function paddleApi(settings: PaddleSettings): PaddleApi {
  const apiKey = settings.apiKey?.trim();
  const apiBase = settings.apiBase?.trim();
  if (!apiKey || !apiBase) {
    throw unavailable(
      'Paddle is not configured on this server: set the PADDLE_API_KEY secret (and PADDLE_API_BASE) to manage subscriptions.',
    );
  }
  return { apiKey, apiBase };
}

export const toSubscriptionOut = (s: Subscription): SubscriptionOut => ({
  id: s.id,
  paddle_subscription_id: s.paddleSubscriptionId,
  paddle_customer_id: s.paddleCustomerId,
  // Mirrors Paddle's spelling; Paddle is the only writer of this column.
  status: s.status as SubscriptionStatus,
  price_id: s.priceId,
  next_billing_date: s.nextBillingDate,
  scheduled_cancel_at: s.scheduledCancelAt,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

export const toPaymentOut = (p: Payment) => ({
  id: p.id,
  subscription: p.subscriptionId,
  amount: formatCents(p.amountCents),
  currency: p.currency,
  paddle_transaction_id: p.paddleTransactionId,
  status: p.status,
  error_code: p.errorCode,
  created_at: p.createdAt,
});

// ---- the trainer's subscription ----------------------------------------------------------

export async function listSubscriptions(db: Db, trainerId: number, q: PageQuery) {
  const where = eq(subscriptions.trainerId, trainerId);
  const [countRows, rows] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(subscriptions).where(where),
    db
      .select()
      .from(subscriptions)
      .where(where)
      .orderBy(desc(subscriptions.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map(toSubscriptionOut) };
}

/**
 * Statuses in which a trainer still has a subscription, so a second checkout would bill them twice.
 * `paused` too: it is resumed, not bought again (and a trainer has one subscription row).
 */
const SUBSCRIBED: readonly string[] = ['active', 'trialing', 'past_due', 'paused'];

const customerAnswer = z.object({ data: paddleCustomer });
const transactionAnswer = z.object({ data: paddleTransaction.pick({ id: true, checkout: true }) });

/** The Paddle customer for this trainer's email: created, or found when Paddle already has that email. */
async function customerFor(
  api: PaddleApi,
  trainer: { id: number; email: string },
  customData: Record<string, unknown>,
): Promise<string> {
  try {
    const created = await paddleRequest(
      api,
      'POST',
      '/customers',
      { email: trainer.email, custom_data: customData },
      customerAnswer,
    );
    return created.data.id;
  } catch (err) {
    // Paddle has no create-if-absent: a known email is a 409 whose detail names the existing customer.
    const existing =
      err instanceof PaddleError && err.paddleCode === 'customer_already_exists'
        ? /\bctm_[a-z\d]+\b/.exec(err.paddleDetail)?.[0]
        : undefined;
    if (existing) return existing;
    throw err;
  }
}

/**
 * Opens a Paddle transaction for the subscription price and returns its checkout link. Nothing is
 * stored here: the subscription and its payments arrive through the webhook.
 */
export async function createCheckout(
  db: Db,
  settings: PaddleSettings,
  trainer: { id: number; email: string },
  input: CheckoutInput,
) {
  const current = await db.select().from(subscriptions).where(eq(subscriptions.trainerId, trainer.id)).get();
  if (current && SUBSCRIBED.includes(current.status)) {
    throw conflict(
      `You already have a TrainerHub subscription (status ${current.status}); cancel it before starting another.`,
      'already_subscribed',
    );
  }
  const priceId = input.price_id ?? (settings.priceId?.trim() || undefined);
  if (!priceId) throw invalidField('price_id', 'This field is required: no default price (PADDLE_PRICE_ID) is set.');
  const api = paddleApi(settings);
  const customData = { trainer_id: trainer.id, trainer_ref: await trainerRef(settings.signingSecret, trainer.id) };
  const customerId = current?.paddleCustomerId ?? (await customerFor(api, trainer, customData));
  const txn = await paddleRequest(
    api,
    'POST',
    '/transactions',
    {
      items: [{ price_id: priceId, quantity: 1 }],
      customer_id: customerId,
      custom_data: customData,
      collection_mode: 'automatic',
    },
    transactionAnswer,
  );
  const url = txn.data.checkout?.url;
  if (!url) {
    throw new ApiError(
      502,
      "Paddle created the transaction but returned no checkout URL: set the default payment link in Paddle's checkout settings (this server's /checkout page).",
      { code: 'paddle_error' },
    );
  }
  return { transaction_id: txn.data.id, checkout_url: url };
}

async function findSubscription(db: Db, trainerId: number, id: number): Promise<Subscription> {
  const row = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.id, id), eq(subscriptions.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Subscription not found.');
  return row;
}

const subscriptionAnswer = z.object({ data: paddleSubscription });

/** Cancels at the end of the billing period (default) or at once, through Paddle. */
export async function cancelSubscription(
  db: Db,
  settings: PaddleSettings,
  trainerId: number,
  id: number,
  immediately: boolean,
): Promise<SubscriptionOut> {
  const row = await findSubscription(db, trainerId, id);
  if (row.status === 'canceled') throw conflict('This subscription is already canceled.', 'subscription_canceled');
  if (!immediately && row.scheduledCancelAt) {
    throw conflict(`A cancellation is already scheduled for ${row.scheduledCancelAt}.`, 'cancel_scheduled');
  }
  if (!row.paddleSubscriptionId) throw conflict('This subscription is not known to Paddle yet.', 'not_in_paddle');
  const api = paddleApi(settings);
  const answer = await paddleRequest(
    api,
    'POST',
    `/subscriptions/${encodeURIComponent(row.paddleSubscriptionId)}/cancel`,
    { effective_from: immediately ? 'immediately' : 'next_billing_period' },
    subscriptionAnswer,
  );
  const sub = answer.data;
  const canceledNow = immediately || sub.status === 'canceled';
  const change = sub.scheduled_change;
  const updated = await db
    .update(subscriptions)
    .set(
      canceledNow
        ? { status: 'canceled', scheduledCancelAt: null, nextBillingDate: null, updatedAt: nowIso() }
        : {
            scheduledCancelAt: change?.action === 'cancel' ? paddleInstant(change.effective_at) : null,
            updatedAt: nowIso(),
          },
    )
    .where(and(eq(subscriptions.id, row.id), eq(subscriptions.trainerId, trainerId)))
    .returning()
    .get();
  if (!updated) throw notFound('Subscription not found.');
  return toSubscriptionOut(updated);
}

// ---- payments ------------------------------------------------------------------------------

export async function listPayments(db: Db, trainerId: number, q: PaymentListQuery) {
  const where = and(eq(payments.trainerId, trainerId), q.status ? eq(payments.status, q.status) : undefined);
  const [countRows, rows] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(payments).where(where),
    db
      .select()
      .from(payments)
      .where(where)
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map(toPaymentOut) };
}

// ---- webhooks ------------------------------------------------------------------------------

/** The verified body as a Paddle event envelope; 400 when it is not JSON or not an event. */
export function parseWebhook(raw: ArrayBuffer): { event: PaddleEnvelope; text: string; occurredAt: string } {
  let text: string;
  let json: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
    json = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'Malformed JSON in request body.');
  }
  const parsed = paddleEnvelope.safeParse(json);
  if (!parsed.success) {
    throw invalid({
      non_field_errors: ['Not a Paddle event: event_id, event_type, occurred_at and data are required.'],
    });
  }
  const occurredAt = paddleInstant(parsed.data.occurred_at);
  if (!occurredAt) throw invalidField('occurred_at', 'Expected an ISO 8601 instant.');
  return { event: parsed.data, text, occurredAt };
}

const SUBSCRIPTION_EVENTS: readonly string[] = [
  'subscription.created',
  'subscription.activated',
  'subscription.updated',
  'subscription.trialing',
  'subscription.past_due',
  'subscription.paused',
  'subscription.resumed',
  'subscription.canceled',
];

/** What one event does: statements to run in the event's batch, or why it changes nothing. */
type Plan = { kind: 'apply'; effects: SQL[] } | { kind: 'ignored' } | { kind: 'unmatched'; note: string };

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

async function planSubscription(
  db: Db,
  secret: string,
  data: unknown,
  occurredAt: string,
  fresh: SQL,
  now: string,
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
  const current = await db.select().from(subscriptions).where(eq(subscriptions.trainerId, trainerId)).get();
  if (current?.paddleSubscriptionId && current.paddleSubscriptionId !== sub.id && current.status !== 'canceled') {
    // One subscription per trainer: a second live one is left for a person to sort out in Paddle.
    return unmatched(
      `Trainer ${trainerId} already has subscription ${current.paddleSubscriptionId} (${current.status}); ${sub.id} was not applied.`,
    );
  }
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
        OR subscriptions.status = 'canceled')
    ON CONFLICT DO NOTHING`;
  // A transaction may arrive before its subscription: attach the trainer's orphan payments now.
  const link = sql`UPDATE ${payments} SET subscription_id = ${trainerSubscription(trainerId)}, updated_at = ${now}
    WHERE trainer_id = ${trainerId} AND subscription_id IS NULL AND ${fresh}`;
  return { kind: 'apply', effects: [upsert, link] };
}

/** The error code of the newest failed payment attempt. */
function failureCode(attempts: { status: string; error_code?: string | null; created_at?: string | null }[]) {
  const failed = attempts
    .filter((a) => a.status === 'error' || a.status === 'failed' || a.error_code)
    .sort((a, b) => (paddleInstant(b.created_at) ?? '').localeCompare(paddleInstant(a.created_at) ?? ''));
  return failed[0]?.error_code ?? null;
}

async function planTransaction(
  db: Db,
  secret: string,
  type: 'transaction.completed' | 'transaction.payment_failed',
  data: unknown,
  fresh: SQL,
  now: string,
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
  const currency = txn.currency_code.toUpperCase();
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
        amount: formatCents(amount),
        currency,
        transactionId: txn.id,
      }),
    });
    return { kind: 'apply', effects: [upsert, receipt] };
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

async function planAdjustment(db: Db, data: unknown, fresh: SQL, now: string): Promise<Plan> {
  const parsed = paddleAdjustment.safeParse(data);
  if (!parsed.success) return unmatched('The adjustment entity in data could not be read.');
  const adj = parsed.data;
  if (adj.action !== 'refund' || adj.status !== 'approved') return { kind: 'ignored' };
  const payment = await db
    .select({ id: payments.id })
    .from(payments)
    .where(eq(payments.paddleTransactionId, adj.transaction_id))
    .get();
  if (!payment) return unmatched(`No payment is stored for transaction ${adj.transaction_id}.`);
  const refund = sql`UPDATE ${payments} SET status = 'refunded', updated_at = ${now}
    WHERE id = ${payment.id} AND status = 'completed' AND ${fresh}`;
  return { kind: 'apply', effects: [refund] };
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

async function planFor(
  db: Db,
  secret: string,
  event: PaddleEnvelope,
  occurredAt: string,
  fresh: SQL,
  now: string,
): Promise<Plan> {
  const type = event.event_type;
  if (SUBSCRIPTION_EVENTS.includes(type)) return planSubscription(db, secret, event.data, occurredAt, fresh, now);
  if (type === 'transaction.completed' || type === 'transaction.payment_failed') {
    return planTransaction(db, secret, type, event.data, fresh, now);
  }
  if (type === 'adjustment.created' || type === 'adjustment.updated') return planAdjustment(db, event.data, fresh, now);
  return { kind: 'ignored' };
}

/**
 * Records a verified event once and applies it. The event row, its effects and its
 * `processed_at` are one D1 batch (atomic): every effect is guarded by "this event row is still
 * unprocessed", so a repeated event_id, even one racing this one, changes nothing.
 */
export async function handleWebhook(
  db: Db,
  queue: Queue<NotifyMessage>,
  secret: string,
  event: PaddleEnvelope,
  payload: string,
  occurredAt: string,
): Promise<WebhookResult> {
  const seen = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(eq(webhookEvents.eventId, event.event_id))
    .get();
  if (seen) return 'duplicate';
  const now = nowIso();
  const fresh = sql`EXISTS (SELECT 1 FROM ${webhookEvents} WHERE event_id = ${event.event_id} AND processed_at IS NULL)`;
  const plan = await planFor(db, secret, event, occurredAt, fresh, now);
  const note = plan.kind === 'unmatched' ? plan.note : null;
  const results = await db.$client.batch([
    statement(
      db,
      sql`INSERT INTO ${webhookEvents} (event_id, event_type, occurred_at, payload, processed_at, error, created_at)
        VALUES (${event.event_id}, ${event.event_type}, ${occurredAt}, ${payload}, NULL, NULL, ${now})
        ON CONFLICT (event_id) DO NOTHING`,
    ),
    ...(plan.kind === 'apply' ? plan.effects : []).map((effect) => statement(db, effect)),
    statement(
      db,
      sql`UPDATE ${webhookEvents} SET processed_at = ${now}, error = ${note}
        WHERE event_id = ${event.event_id} AND processed_at IS NULL`,
    ),
  ]);
  if (!results[0]?.meta.changes) return 'duplicate';
  await enqueue(queue, idsOf(results));
  return plan.kind === 'apply' ? 'processed' : plan.kind;
}
