// Production never sends nothing silently: the provider defaults to `live` there, a send
// without credentials fails visibly (retries, then `failed` and the dead-letter queue), and
// GET /health/ready names every missing or unsafe setting.
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import worker from '../src/index';
import type { Bindings } from '../src/lib/config';
import { MAX_DELIVERIES } from '../src/notifications/delivery';
import { api, at, book, createClient, futureDay, openapiDocument, type ProblemBody, setupTrainer } from './helpers';

afterEach(() => vi.restoreAllMocks());

/** The test bindings with some replaced and some removed (`undefined`). */
function envWith(overrides: Record<string, string | undefined>): Bindings {
  const built: Record<string, unknown> = { ...env, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete built[k];
  return built as unknown as Bindings;
}

async function fetchWith(overrides: Record<string, string | undefined>, path: string) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(`http://example.com${path}`), envWith(overrides), ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, type: res.headers.get('Content-Type'), text: await res.text() };
}

/** A deployed production Worker with every setting it needs. */
const GOOD_PRODUCTION = {
  ENVIRONMENT: 'production',
  APP_ORIGIN: 'https://trainerhub.example',
  JWT_SECRET: 'a-production-secret-of-more-than-32-characters',
  NOTIFY_PROVIDER: undefined,
  SENDGRID_API_KEY: 'SG.production-key',
  TWILIO_ACCOUNT_SID: 'AC0123456789',
  TWILIO_AUTH_TOKEN: 'twilio-production-token',
  SMS_FROM: '+15005550006',
  PADDLE_ENVIRONMENT: 'production',
  PADDLE_API_BASE: 'https://api.paddle.com',
  PADDLE_API_KEY: 'pdl_live_apikey_0123456789',
  PADDLE_WEBHOOK_SECRET: 'pdl_ntfset_production_secret',
  PADDLE_CLIENT_TOKEN: 'live_0123456789abcdef',
  PADDLE_PRICE_ID: 'pri_01production',
};

describe('GET /health/ready', () => {
  it('200 ready for a complete production configuration (and for the tests’ own)', async () => {
    const good = await fetchWith(GOOD_PRODUCTION, '/health/ready');
    expect(good.status).toBe(200);
    expect(JSON.parse(good.text)).toEqual({ status: 'ready' });
    expect((await api('GET', '/health/ready')).status).toBe(200);
  });

  it('503 naming each missing or unsafe setting of a bad production configuration, never a secret value', async () => {
    const bad = await fetchWith(
      {
        ENVIRONMENT: 'production',
        APP_ORIGIN: 'http://trainerhub.example',
        JWT_SECRET: 'short-secret-value',
        NOTIFY_PROVIDER: 'log',
        SENDGRID_API_KEY: undefined,
        TWILIO_ACCOUNT_SID: undefined,
        TWILIO_AUTH_TOKEN: undefined,
        PADDLE_ENVIRONMENT: 'production',
        PADDLE_API_BASE: 'https://sandbox-api.paddle.com',
        PADDLE_API_KEY: undefined,
        PADDLE_WEBHOOK_SECRET: undefined,
        PADDLE_CLIENT_TOKEN: 'live_0123456789abcdef',
      },
      '/health/ready',
    );
    expect(bad.status).toBe(503);
    expect(bad.type).toContain('application/problem+json');
    const body = JSON.parse(bad.text) as ProblemBody;
    expect(Object.keys(body.errors ?? {}).sort()).toEqual([
      'APP_ORIGIN',
      'JWT_SECRET',
      'NOTIFY_PROVIDER',
      'PADDLE_API_BASE',
      'PADDLE_API_KEY',
      'PADDLE_WEBHOOK_SECRET',
    ]);
    expect(body.errors?.NOTIFY_PROVIDER?.[0]).toMatch(/log/);
    expect(bad.text).not.toContain('short-secret-value');

    const live = await fetchWith(
      { ...GOOD_PRODUCTION, SENDGRID_API_KEY: undefined, TWILIO_AUTH_TOKEN: undefined, JWT_SECRET: undefined },
      '/health/ready',
    );
    expect(live.status).toBe(503);
    expect(Object.keys((JSON.parse(live.text) as ProblemBody).errors ?? {}).sort()).toEqual([
      'JWT_SECRET',
      'SENDGRID_API_KEY',
      'TWILIO_AUTH_TOKEN',
    ]);
  });

  it('503 listing malformed settings too; /health stays a liveness answer', async () => {
    const malformed = await fetchWith({ ...GOOD_PRODUCTION, SMS_DAILY_LIMIT_PER_TRAINER: 'lots' }, '/health/ready');
    expect(malformed.status).toBe(503);
    expect(Object.keys((JSON.parse(malformed.text) as ProblemBody).errors ?? {})).toEqual([
      'SMS_DAILY_LIMIT_PER_TRAINER',
    ]);
    const alive = await fetchWith({ ...GOOD_PRODUCTION, JWT_SECRET: undefined }, '/health');
    expect(alive.status).toBe(200);
  });

  it('is declared in the OpenAPI document under the system tag', async () => {
    const spec = openapiDocument<{ paths: Record<string, { get?: { tags: string[]; responses: object } }> }>();
    const op = spec.paths['/health/ready']?.get;
    expect(op?.tags).toEqual(['system']);
    // 400: a malformed x-d1-bookmark, as on every operation (openapi-shared-responses.test.ts).
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '400', '503']);
  });
});

type Row = { status: string; attempts: number; failed_reason: string | null };
const rowById = (id: number) =>
  env.DB.prepare('SELECT status, attempts, failed_reason FROM notifications WHERE id = ?').bind(id).first<Row>();

async function deliverOnce(id: number, attempts: number, withEnv: Bindings, queue = 'trainerhub-notifications') {
  const batch = createMessageBatch(queue, [{ id: 'm', timestamp: new Date(), attempts, body: { ids: [id] } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<{ ids: number[] }>, withEnv as unknown as Env);
  return getQueueResult(batch, ctx);
}

describe('notifications in production without provider credentials', () => {
  it('a booking message is retried for a day, then failed and dead-lettered; never recorded as sent', async () => {
    const t = await setupTrainer();
    const client = await createClient(t.token, { phone: '+14155550123' });
    const booking = (await book(t.token, { client: client.id, start_time: at(futureDay(4).date, '15:00') })).body;
    const email = await env.DB.prepare(
      `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message)
       VALUES (?, ?, 'booking_confirmed', 'email', 'sam@example.com', ?, '') RETURNING id`,
    )
      .bind(t.user.trainer.id, booking.id, `test:${crypto.randomUUID()}`)
      .first<{ id: number }>();
    const id = email?.id as number;
    const fetches = vi.spyOn(globalThis, 'fetch');
    // Production as wrangler.toml deploys it, secrets not set: NOTIFY_PROVIDER left to its default.
    const production = envWith({
      ENVIRONMENT: 'production',
      NOTIFY_PROVIDER: undefined,
      SENDGRID_API_KEY: undefined,
      TWILIO_ACCOUNT_SID: undefined,
      TWILIO_AUTH_TOKEN: undefined,
    });
    for (let attempt = 1; attempt < MAX_DELIVERIES; attempt++) {
      const r = await deliverOnce(id, attempt, production);
      expect(r.retryMessages, `delivery ${attempt}`).toEqual([{ msgId: 'm' }]);
      expect(await rowById(id)).toMatchObject({ status: 'pending', attempts: attempt });
    }
    // Past the last delivery it waits for a later round (set the secret meanwhile and it goes)…
    const last = await deliverOnce(id, MAX_DELIVERIES, production);
    expect(last.retryMessages).toEqual([]);
    expect(await rowById(id)).toMatchObject({
      status: 'pending',
      attempts: MAX_DELIVERIES,
      failed_reason: 'SENDGRID_API_KEY is not configured',
    });
    // … for a day after it was written; then it fails, on to the dead-letter queue.
    await env.DB.prepare(
      "UPDATE notifications SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-25 hours') WHERE id = ?",
    )
      .bind(id)
      .run();
    const given = await deliverOnce(id, MAX_DELIVERIES, production);
    expect(given.retryMessages).toEqual([{ msgId: 'm' }]);
    expect(await rowById(id)).toMatchObject({
      status: 'failed',
      attempts: MAX_DELIVERIES + 1,
      failed_reason: 'SENDGRID_API_KEY is not configured',
    });
    const dlq = await deliverOnce(id, 1, production, 'trainerhub-notifications-dlq');
    expect(dlq.explicitAcks).toEqual(['m']);
    expect((await rowById(id))?.failed_reason).toBe('SENDGRID_API_KEY is not configured (dead-lettered)');
    expect(fetches).not.toHaveBeenCalled();
  });

  it('development and the tests keep the log provider with no secrets', async () => {
    const t = await setupTrainer();
    const dev = await fetchWith({ ENVIRONMENT: 'development', JWT_SECRET: undefined }, '/health/ready');
    expect(dev.status).toBe(200);
    const client = await createClient(t.token);
    const booking = (await book(t.token, { client: client.id, start_time: at(futureDay(4).date, '16:00') })).body;
    const row = await env.DB.prepare(
      `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message)
       VALUES (?, ?, 'booking_confirmed', 'email', 'sam@example.com', ?, '') RETURNING id`,
    )
      .bind(t.user.trainer.id, booking.id, `test:${crypto.randomUUID()}`)
      .first<{ id: number }>();
    for (const environment of ['development', 'test']) {
      await env.DB.prepare("UPDATE notifications SET status = 'pending' WHERE id = ?").bind(row?.id).run();
      await deliverOnce(row?.id as number, 1, envWith({ ENVIRONMENT: environment, NOTIFY_PROVIDER: undefined }));
      expect((await rowById(row?.id as number))?.status, environment).toBe('sent');
    }
  });
});
