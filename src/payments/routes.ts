import { createRoute } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { PADDLE_WEBHOOK_PATH, WEBHOOK_MAX_BYTES } from '../lib/body-limits';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { authenticated, idParam, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageOf, pageQuery } from '../lib/pagination';
import { ApiError, unavailable } from '../lib/problem';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { checkoutResponse } from './checkout-page';
import { verifyPaddleSignature } from './paddle';
import {
  cancelBody,
  checkoutBody,
  checkoutOut,
  paymentListQuery,
  paymentOut,
  subscriptionOut,
  webhookAck,
  webhookBodyDoc,
} from './schemas';
import * as payments from './service';

const subscriptionsTag = { tags: ['subscriptions'], security: authenticated, middleware: requireTrainer };
const paymentsTag = { tags: ['payments'], security: authenticated, middleware: requireTrainer };

const listSubscriptions = createRoute({
  ...subscriptionsTag,
  method: 'get',
  path: '/api/subscriptions',
  summary: "The trainer's TrainerHub subscription (zero or one)",
  request: { query: pageQuery },
  responses: {
    200: jsonResponse(pageSchema(subscriptionOut, 'SubscriptionPage'), 'A page'),
    ...problems(400, 401, 403),
  },
});
const createCheckout = createRoute({
  ...subscriptionsTag,
  method: 'post',
  path: '/api/subscriptions/create_checkout',
  summary: 'Start a Paddle checkout for the subscription price (default PADDLE_PRICE_ID)',
  request: { body: { required: false, content: { 'application/json': { schema: checkoutBody } } } },
  responses: {
    201: jsonResponse(checkoutOut, 'Open checkout_url to pay'),
    ...problems(400, 401, 403, 409, 502, 503),
  },
});
const cancel = createRoute({
  ...subscriptionsTag,
  method: 'post',
  path: '/api/subscriptions/{id}/cancel',
  summary: 'Cancel through Paddle: at the end of the billing period, or immediately',
  request: { params: idParam, body: { required: false, content: { 'application/json': { schema: cancelBody } } } },
  responses: {
    200: jsonResponse(subscriptionOut, 'Canceled or cancellation scheduled'),
    ...problems(400, 401, 403, 404, 409, 502, 503),
  },
});
const listPayments = createRoute({
  ...paymentsTag,
  method: 'get',
  path: '/api/payments',
  summary: "The trainer's subscription payments, newest first",
  request: { query: paymentListQuery },
  responses: { 200: jsonResponse(pageSchema(paymentOut, 'PaymentPage'), 'A page'), ...problems(400, 401, 403) },
});
const webhook = createRoute({
  method: 'post',
  path: PADDLE_WEBHOOK_PATH,
  tags: ['payments'],
  summary: 'Paddle Billing notifications (signed with Paddle-Signature; each event_id applied once)',
  middleware: bodyLimit({
    maxSize: WEBHOOK_MAX_BYTES,
    onError: () => {
      throw new ApiError(413, `Webhook bodies are limited to ${WEBHOOK_MAX_BYTES / 1024 / 1024} MB.`);
    },
  }),
  request: {
    headers: z.object({
      'paddle-signature': z
        .string()
        .optional()
        .openapi({ example: 'ts=1740993303;h1=1de5e98a…', description: "Paddle's signature of the body." }),
    }),
    // A plain JSON Schema, not zod: no validator may consume the body before its bytes are verified.
    body: { required: true, content: { 'application/json': { schema: webhookBodyDoc } } },
  },
  responses: {
    200: jsonResponse(webhookAck, 'Received (also for a repeated or unhandled event)'),
    ...problems(400, 401, 413, 415, 503),
  },
});
const checkoutPage = createRoute({
  method: 'get',
  path: '/checkout',
  tags: ['payments'],
  summary: "Paddle's default payment link: opens Paddle Checkout for ?_ptxn=<transaction id>",
  responses: {
    200: { content: { 'text/html': { schema: z.string() } }, description: 'The checkout page' },
    503: { content: { 'text/html': { schema: z.string() } }, description: 'PADDLE_CLIENT_TOKEN is not set' },
  },
});

export const paymentsRouter = createRouter()
  .openapi(listSubscriptions, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await payments.listSubscriptions(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(createCheckout, async (c) => {
    const trainer = currentTrainer(c);
    const result = await payments.createCheckout(
      c.var.db,
      c.var.config.paddle,
      jwtSecretOf(c.var.config),
      { id: trainer.id, email: c.get('auth').user.email },
      c.req.valid('json'),
    );
    return c.json(result, 201);
  })
  .openapi(cancel, async (c) => {
    const { immediately } = c.req.valid('json');
    const sub = await payments.cancelSubscription(c.var.db, c.var.config.paddle, currentTrainer(c).id, {
      id: c.req.valid('param').id,
      immediately: immediately === true,
      now: isoNow(c.var.clock),
    });
    return c.json(sub, 200);
  })
  .openapi(listPayments, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await payments.listPayments(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(webhook, async (c) => {
    const paddle = c.var.config.paddle;
    const secrets = paddle.webhookSecrets;
    if (secrets.length === 0)
      throw unavailable('PADDLE_WEBHOOK_SECRET is not configured; webhooks cannot be verified.');
    const raw = await c.req.raw.arrayBuffer();
    const valid = await verifyPaddleSignature({
      header: c.req.header('Paddle-Signature'),
      rawBody: raw,
      secrets,
      nowSeconds: Math.floor(c.var.clock() / 1000),
      toleranceSeconds: paddle.webhookToleranceSeconds,
    });
    if (!valid) throw new ApiError(401, 'Missing or invalid Paddle-Signature.');
    const verified = payments.parseWebhook(raw);
    const result = await payments.handleWebhook(
      c.var.db,
      c.env.NOTIFY_QUEUE,
      jwtSecretOf(c.var.config),
      verified,
      isoNow(c.var.clock),
    );
    return c.json({ event_id: verified.event.event_id, result }, 200);
  })
  .openapi(checkoutPage, (c) => checkoutResponse(c));
