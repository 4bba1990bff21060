// A verified Paddle event, recorded once and applied in one atomic D1 batch.
import { eq, sql } from 'drizzle-orm';
import { webhookEvents } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { ApiError, invalid, invalidField } from '../lib/problem';
import { enqueue, idsOf } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { paddleInstant } from './paddle';
import { type PaddleEnvelope, paddleEnvelope, type WebhookResult } from './schemas';
import { type Plan, type PlanContext, planAdjustment, planSubscription, planTransaction } from './webhook-plans';

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
  if (!occurredAt) throw invalidField('occurred_at', 'Use an ISO 8601 instant.');
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

function planFor(ctx: PlanContext, event: PaddleEnvelope, occurredAt: string): Promise<Plan> | Plan {
  const type = event.event_type;
  if (SUBSCRIPTION_EVENTS.includes(type)) return planSubscription(ctx, event.data, occurredAt);
  if (type === 'transaction.completed' || type === 'transaction.payment_failed') {
    return planTransaction(ctx, type, event.data);
  }
  if (type === 'adjustment.created' || type === 'adjustment.updated') return planAdjustment(ctx, event.data);
  return { kind: 'ignored' };
}

/** A body that parseWebhook accepted. */
export type VerifiedEvent = ReturnType<typeof parseWebhook>;

/**
 * Records a verified event once and applies it. The event row, its effects and its
 * `processed_at` are one D1 batch (atomic): every effect is guarded by "this event row is still
 * unprocessed", so a repeated event_id, even one racing this one, changes nothing. A parked event
 * ('parked') stays unprocessed until the batch storing the row it waits for applies it.
 */
export async function handleWebhook(
  db: Db,
  queue: Queue<NotifyMessage>,
  secret: string,
  { event, text: payload, occurredAt }: VerifiedEvent,
  now: string,
): Promise<WebhookResult> {
  const seen = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(eq(webhookEvents.eventId, event.event_id))
    .get();
  if (seen) return 'duplicate';
  const fresh = sql`EXISTS (SELECT 1 FROM ${webhookEvents} WHERE event_id = ${event.event_id} AND processed_at IS NULL)`;
  const plan = await planFor({ db, secret, fresh, now }, event, occurredAt);
  const note = plan.kind === 'ignored' ? null : (plan.note ?? null);
  const park = plan.kind === 'apply' ? plan.park : undefined;
  const effects = plan.kind === 'apply' ? plan.effects : [];
  // Parked: left unprocessed, waiting for the row it needs; that row's batch applies it.
  const parking = park
    ? [
        sql`UPDATE ${webhookEvents} SET waiting_for = ${park.waitingFor}
          WHERE event_id = ${event.event_id} AND processed_at IS NULL AND NOT ${park.unless}`,
      ]
    : [];
  const results = await db.$client.batch([
    statement(
      db,
      sql`INSERT INTO ${webhookEvents} (event_id, event_type, occurred_at, payload, processed_at, error, created_at)
        VALUES (${event.event_id}, ${event.event_type}, ${occurredAt}, ${payload}, NULL, NULL, ${now})
        ON CONFLICT (event_id) DO NOTHING`,
    ),
    ...[...effects, ...parking].map((effect) => statement(db, effect)),
    statement(
      db,
      sql`UPDATE ${webhookEvents} SET processed_at = ${now}, error = ${note}
        WHERE event_id = ${event.event_id} AND processed_at IS NULL AND waiting_for IS NULL`,
    ),
  ]);
  if (!results[0]?.meta.changes) return 'duplicate';
  await enqueue(queue, idsOf(results));
  if (plan.kind !== 'apply') return plan.kind;
  return parking.length && results[1 + effects.length]?.meta.changes ? 'parked' : 'processed';
}
