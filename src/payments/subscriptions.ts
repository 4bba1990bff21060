// The trainer's commands on their subscription, carried out through Paddle's API.

import { and, eq, sql } from 'drizzle-orm';
import { type Subscription, subscriptions } from '../db/schema';
import type { PaddleConfig } from '../lib/config';
import type { Db } from '../lib/db';
import { ApiError, conflict, invalidField, notFound, unavailable } from '../lib/problem';
import * as z from '../lib/zod';
import { type PaddleApi, PaddleError, paddleInstant, paddleRequest, trainerRef } from './paddle';
import { toSubscriptionOut } from './queries';
import {
  type CheckoutInput,
  paddleCustomer,
  paddleSubscription,
  paddleTransaction,
  type SubscriptionOut,
} from './schemas';

function paddleApi(paddle: PaddleConfig): PaddleApi {
  const { apiKey, apiBase } = paddle;
  if (!apiKey || !apiBase) {
    throw unavailable(
      'Paddle is not configured on this server: set the PADDLE_API_KEY secret (and PADDLE_API_BASE) to manage subscriptions.',
    );
  }
  return { apiKey, apiBase };
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
  paddle: PaddleConfig,
  signingSecret: string,
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
  const priceId = input.price_id ?? (paddle.priceId || undefined);
  if (!priceId) throw invalidField('price_id', 'This field is required: no default price (PADDLE_PRICE_ID) is set.');
  // Only a price the operator offers: any other price of the Paddle catalogue (an old plan, a test
  // price) is not the trainer's to pick.
  if (!paddle.priceIds.includes(priceId))
    throw invalidField('price_id', `Choose an offered price: ${paddle.priceIds.join(', ') || 'none is configured'}.`);
  const api = paddleApi(paddle);
  const customData = { trainer_id: trainer.id, trainer_ref: await trainerRef(signingSecret, trainer.id) };
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
  paddle: PaddleConfig,
  trainerId: number,
  cmd: { id: number; immediately: boolean; now: string },
): Promise<SubscriptionOut> {
  const { id, immediately, now } = cmd;
  const row = await findSubscription(db, trainerId, id);
  if (row.status === 'canceled') throw conflict('This subscription is already canceled.', 'subscription_canceled');
  if (!immediately && row.scheduledCancelAt) {
    throw conflict(`A cancellation is already scheduled for ${row.scheduledCancelAt}.`, 'cancel_scheduled');
  }
  if (!row.paddleSubscriptionId) throw conflict('This subscription is not known to Paddle yet.', 'not_in_paddle');
  const api = paddleApi(paddle);
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
  // The cancel is a change like an event's: a webhook of an earlier change, delivered late, must
  // not undo it (events apply only when newer than last_event_at).
  const changedAt = paddleInstant(sub.updated_at) ?? paddleInstant(now) ?? now;
  const lastEventAt = sql`max(coalesce(${subscriptions.lastEventAt}, ''), ${changedAt})`;
  const updated = await db
    .update(subscriptions)
    .set(
      canceledNow
        ? { status: 'canceled', scheduledCancelAt: null, nextBillingDate: null, lastEventAt, updatedAt: now }
        : {
            scheduledCancelAt: change?.action === 'cancel' ? paddleInstant(change.effective_at) : null,
            lastEventAt,
            updatedAt: now,
          },
    )
    .where(and(eq(subscriptions.id, row.id), eq(subscriptions.trainerId, trainerId)))
    .returning()
    .get();
  if (!updated) throw notFound('Subscription not found.');
  return toSubscriptionOut(updated);
}
