import { PAYMENT_STATUSES } from '../db/schema';
import { isCurrency } from '../lib/money';
import { pageQuery } from '../lib/pagination';
import { singleLineRefined } from '../lib/text';
import * as z from '../lib/zod';

/** Paddle's subscription statuses, spelled as Paddle spells them. */
export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'paused', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

// ---- our API -----------------------------------------------------------------------------

export const subscriptionOut = z
  .object({
    id: z.number().int(),
    paddle_subscription_id: z.string().nullable().openapi({ example: 'sub_01jnch95aktppapwanw6xwjp7q' }),
    paddle_customer_id: z.string().nullable().openapi({ example: 'ctm_01jnebhpvjn2szk1530rvffebv' }),
    status: z.enum(SUBSCRIPTION_STATUSES),
    price_id: z.string().nullable(),
    next_billing_date: z.string().nullable().openapi({ description: 'YYYY-MM-DD (UTC)', example: '2025-04-03' }),
    scheduled_cancel_at: z.string().nullable().openapi({ description: 'When a scheduled cancellation takes effect' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Subscription');
export type SubscriptionOut = z.infer<typeof subscriptionOut>;

export const checkoutBody = z
  .strictObject({
    price_id: singleLineRefined()
      .trim()
      .regex(/^pri_[a-z\d]{26}$/, 'Use a Paddle price id such as "pri_01jkx4m2v8c6q0w3e5r7t9y1u3".')
      .optional()
      .openapi({
        description: 'Defaults to PADDLE_PRICE_ID; one of PADDLE_PRICE_ID and PADDLE_PRICE_IDS (400 otherwise).',
      }),
  })
  .openapi('CheckoutCreate');
export type CheckoutInput = z.infer<typeof checkoutBody>;

export const checkoutOut = z
  .object({
    transaction_id: z.string().openapi({ example: 'txn_01jnh39xw3cvqwe7rkc94n37wf' }),
    checkout_url: z
      .string()
      .openapi({ example: 'https://app.example.com/checkout?_ptxn=txn_01jnh39xw3cvqwe7rkc94n37wf' }),
  })
  .openapi('Checkout');

export const cancelBody = z
  .strictObject({
    immediately: z
      .boolean()
      .optional()
      .openapi({ description: 'false (default): at the end of the billing period; true: now' }),
  })
  .openapi('SubscriptionCancel');

export const paymentOut = z
  .object({
    id: z.number().int(),
    subscription: z.number().int().nullable(),
    amount: z.string().openapi({ example: '29.00' }),
    currency: z.string().openapi({ example: 'USD' }),
    paddle_transaction_id: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    refunded_amount: z.string().openapi({
      example: '0.00',
      description: 'What Paddle refunded of it (part of a `completed` payment; all of a `refunded` one).',
    }),
    error_code: z
      .string()
      .nullable()
      .openapi({ description: "Paddle's error code of a failed payment", example: 'declined' }),
    created_at: z.string(),
  })
  .openapi('Payment');

export const paymentListQuery = pageQuery.extend({ status: z.enum(PAYMENT_STATUSES).optional() });
export type PaymentListQuery = z.infer<typeof paymentListQuery>;

export const webhookAck = z
  .object({
    event_id: z.string(),
    result: z.enum(['processed', 'parked', 'duplicate', 'ignored', 'unmatched']),
  })
  .openapi('PaddleWebhookAck');
export type WebhookResult = z.infer<typeof webhookAck>['result'];

/** The webhook body as the OpenAPI document shows it; it is read raw (the signature covers the bytes). */
export const webhookBodyDoc = {
  type: 'object' as const,
  required: ['event_id', 'event_type', 'occurred_at', 'data'],
  properties: {
    event_id: { type: 'string' as const, example: 'evt_01jnph1a7cjh80yckcv70jcw2m' },
    event_type: { type: 'string' as const, example: 'subscription.created' },
    occurred_at: { type: 'string' as const, format: 'date-time' },
    notification_id: { type: 'string' as const },
    data: { type: 'object' as const, description: 'The Paddle subscription, transaction or adjustment entity' },
  },
};

// ---- what Paddle sends and answers ---------------------------------------------------------

export const paddleEnvelope = z.object({
  event_id: z.string().min(1).max(200),
  event_type: z.string().min(1).max(200),
  occurred_at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type PaddleEnvelope = z.infer<typeof paddleEnvelope>;

const customData = z.record(z.string(), z.unknown()).nullable().optional();

/** An ISO 4217 code the runtime knows, upper-cased ("usd" → "USD"; "ZZZ" is refused). */
const currencyCode = z
  .string()
  .transform((code) => code.toUpperCase())
  .refine(isCurrency);

// What we store from an event is what our API answers: a status outside the ones we know, or a
// currency that is no ISO 4217 code, leaves the event unmatched (kept, with the reason) instead.
export const paddleSubscription = z.object({
  id: z.string().min(1),
  status: z.enum(SUBSCRIPTION_STATUSES),
  customer_id: z.string().nullable().optional(),
  next_billed_at: z.string().nullable().optional(),
  scheduled_change: z
    .object({ action: z.string(), effective_at: z.string().nullable().optional() })
    .nullable()
    .optional(),
  items: z
    .array(z.object({ price: z.object({ id: z.string() }).nullable().optional() }))
    .nullable()
    .optional(),
  custom_data: customData,
  /** When Paddle last changed it (the API's answers and the events' data carry it). */
  updated_at: z.string().nullable().optional(),
});
export type PaddleSubscription = z.infer<typeof paddleSubscription>;

export const paddleTransaction = z.object({
  id: z.string().min(1),
  status: z.string(),
  customer_id: z.string().nullable().optional(),
  subscription_id: z.string().nullable().optional(),
  currency_code: currencyCode,
  custom_data: customData,
  created_at: z.string().nullable().optional(),
  billed_at: z.string().nullable().optional(),
  details: z
    .object({ totals: z.object({ grand_total: z.string() }) })
    .nullable()
    .optional(),
  payments: z
    .array(
      z.object({
        status: z.string(),
        error_code: z.string().nullable().optional(),
        created_at: z.string().nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
  checkout: z.object({ url: z.string().nullable().optional() }).nullable().optional(),
});
export type PaddleTransaction = z.infer<typeof paddleTransaction>;

/** A refund's or credit's data: `totals.total` is what it gives back, in the currency's smallest unit. */
export const paddleAdjustment = z.object({
  id: z.string().min(1),
  action: z.string(),
  status: z.string(),
  type: z.string().nullable().optional(),
  transaction_id: z.string().min(1),
  currency_code: currencyCode,
  totals: z.object({ total: z.string() }),
});

export const paddleCustomer = z.object({ id: z.string().min(1) });
