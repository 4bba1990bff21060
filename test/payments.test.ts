/// <reference types="vite/client" />

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import { type Bindings, configOf } from '../src/lib/config';
import { verifyPaddleSignature } from '../src/payments/paddle';
import vectors from './fixtures/paddle/vectors.json';
import { api, openapiDocument, type ProblemBody, type Reply, registerTrainer } from './helpers';

// ---- fixtures ------------------------------------------------------------------------------

// The event files as raw text: the signature covers their exact bytes.
const eventFiles = import.meta.glob('./fixtures/paddle/events/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;
const EVENTS = Object.entries(eventFiles)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([path, raw]) => ({ name: path.replace(/^.*\//, '').replace(/\.json$/, ''), raw }));

/** PADDLE_WEBHOOK_SECRET's secrets as the server reads them (comma-separated while one is rotated). */
const webhookSecrets = (configured: string | undefined) =>
  configOf({ ...(env as Bindings), PADDLE_WEBHOOK_SECRET: configured }).paddle.webhookSecrets;

const [PRIMARY = '', ROTATED = ''] = webhookSecrets(vectors[0]?.configured_secrets);
const FIXTURE = {
  subscription: 'sub_01jnch95aktppapwanw6xwjp7q',
  customer: 'ctm_01jnebhpvjn2szk1530rvffebv',
  price: 'pri_01jkx4m2v8c6q0w3e5r7t9y1u3',
  txnFirst: 'txn_01jnh39xw3cvqwe7rkc94n37wf',
  txnRefunded: 'txn_01jnhasvbkaq93fc9xec3pfncy',
  txnFailed: 'txn_01jnfe0se6x6294vv011e2afn1',
};

let tagCounter = 0;
/** A short lowercase tag that makes one scenario's Paddle ids unique in the shared test database. */
const newTag = () => `${(tagCounter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 6);

/** Paddle ids with this scenario's tag (same prefix and length, so they still look like Paddle's). */
const idFor = (id: string, tag: string) => id.slice(0, id.length - tag.length) + tag;

/**
 * The tag our checkout puts beside custom_data.trainer_id (HMAC with the app's secret), written
 * with node:crypto, independently of the Worker's WebCrypto code.
 */
const refFor = (trainerId: number) =>
  createHmac('sha256', (env as Bindings).JWT_SECRET ?? '')
    .update(`paddle-trainer:${trainerId}`)
    .digest('hex')
    .slice(0, 32);

/** A fixture body for one trainer and one scenario: every evt/sub/ctm/txn/adj/ntf id retagged. */
function personalize(raw: string, trainerId: number, tag: string): string {
  return raw
    .replace(/"trainer_id": 1\b/g, `"trainer_id": ${trainerId}, "trainer_ref": "${refFor(trainerId)}"`)
    .replace(/\b(?:evt|sub|ctm|txn|adj|ntf)_[a-z\d]{26}\b/g, (id) => idFor(id, tag));
}

function scenario(trainerId: number) {
  const tag = newTag();
  const events = EVENTS.map((e) => ({ ...e, body: personalize(e.raw, trainerId, tag) }));
  return {
    tag,
    events,
    event: (prefix: string) => {
      const found = events.find((e) => e.name.startsWith(prefix));
      if (!found) throw new Error(`no fixture ${prefix}`);
      return found;
    },
    id: (fixtureId: string) => idFor(fixtureId, tag),
  };
}

// The algorithm of the fixtures' sign.mjs, written with node:crypto (independent of the Worker's WebCrypto code).
const hmacHex = (secret: string, ts: number | string, body: string) =>
  createHmac('sha256', secret).update(`${ts}:`).update(body).digest('hex');
const nowTs = () => Math.floor(Date.now() / 1000);
const signedHeader = (body: string, secret = PRIMARY, ts = nowTs()) => `ts=${ts};h1=${hmacHex(secret, ts, body)}`;

type Ack = { event_id: string; result: string };

const deliver = (body: string, header: string | null = signedHeader(body), path = '/api/webhooks/paddle/') =>
  api<Ack & ProblemBody>('POST', path, {
    raw: body,
    headers: { 'Content-Type': 'application/json', ...(header === null ? {} : { 'Paddle-Signature': header }) },
  });

// ---- the API as a client sees it -------------------------------------------------------------

type Subscription = {
  id: number;
  paddle_subscription_id: string | null;
  paddle_customer_id: string | null;
  status: string;
  price_id: string | null;
  next_billing_date: string | null;
  scheduled_cancel_at: string | null;
};
type Payment = {
  id: number;
  subscription: number | null;
  amount: string;
  currency: string;
  paddle_transaction_id: string;
  status: string;
  error_code: string | null;
  created_at: string;
};
type Page<T> = { count: number; next: string | null; previous: string | null; results: T[] };

const subscriptionsOf = async (token: string) =>
  (await api<Page<Subscription>>('GET', '/api/subscriptions/', { token })).body;
const paymentsOf = async (token: string, query = '') =>
  (await api<Page<Payment>>('GET', `/api/payments/${query}`, { token })).body;

/** The app with some bindings changed (e.g. a secret removed), called exactly like the Worker. */
async function apiWith<T = Record<string, unknown>>(
  overrides: Partial<Bindings>,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`, { method, headers, body }),
    { ...(env as Bindings), ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // HTML or text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

const rowCount = async (query: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(query)
      .bind(...params)
      .first<{ n: number }>()
  )?.n ?? 0;

// ---- a fake Paddle API at the fetch boundary ------------------------------------------------

type Call = { method: string; url: string; headers: Headers; body: unknown };

function fakePaddle(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const text = await req.text();
    const call = { method: req.method, url: req.url, headers: req.headers, body: text ? JSON.parse(text) : null };
    calls.push(call);
    return answer(call);
  });
  return calls;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const paddleProblem = (status: number, code: string, detail: string) =>
  json(status, {
    error: { type: 'request_error', code, detail, documentation_url: `https://developer.paddle.com/errors/${code}` },
    meta: { request_id: '00000000-0000-0000-0000-000000000000' },
  });

afterEach(() => {
  vi.restoreAllMocks();
});

const API_KEY = (env as Bindings).PADDLE_API_KEY;
const API_BASE = (env as Bindings).PADDLE_API_BASE;
const DEFAULT_PRICE = (env as Bindings).PADDLE_PRICE_ID;

// ---------------------------------------------------------------------------------------------

describe('Paddle webhook signatures', () => {
  it('the stored signing vectors verify (or not) as documented, with each vector’s own clock', async () => {
    expect(vectors.length).toBeGreaterThanOrEqual(14);
    for (const v of vectors) {
      const ok = await verifyPaddleSignature({
        header: v.header || undefined,
        rawBody: v.body,
        secrets: webhookSecrets(v.configured_secrets),
        nowSeconds: v.now,
        toleranceSeconds: v.tolerance_s,
      });
      expect(ok, `${v.name}: ${v.why}`).toBe(v.valid);
    }
    // The vectors' body is byte-for-byte event 01, and the test signer reproduces the first header.
    const first = vectors[0];
    expect(first?.body).toBe(EVENTS[0]?.raw);
    expect(`ts=${first?.ts};h1=${hmacHex(PRIMARY, first?.ts ?? 0, first?.body ?? '')}`).toBe(first?.header);
  });

  it('over HTTP: a fresh signature is accepted; any flipped byte, old or future ts, wrong secret or no header is 401 and stores nothing', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const body = s.event('09').body;
    const eventId = s.id('evt_01jne9sm68qnka1fm4p9af79ks');
    const stored = () => rowCount('SELECT count(*) AS n FROM webhook_events WHERE event_id = ?', eventId);
    const ts = nowTs();
    const good = signedHeader(body, PRIMARY, ts);
    const h1 = hmacHex(PRIMARY, ts, body);
    const flippedDigit = h1.slice(0, -1) + (h1.endsWith('0') ? '1' : '0');
    const rejected: [string, string, string | null][] = [
      ['flipped body byte', body.replace('"Alex Fit"', '"Alex Fiu"'), good],
      ['re-serialized body', JSON.stringify(JSON.parse(body)), good],
      ['flipped signature digit', body, `ts=${ts};h1=${flippedDigit}`],
      ['flipped timestamp', body, `ts=${ts + 1};h1=${h1}`],
      ['stale ts', body, signedHeader(body, PRIMARY, ts - 3600)],
      ['future ts', body, signedHeader(body, PRIMARY, ts + 900)],
      ['wrong secret', body, signedHeader(body, 'pdl_ntfset_not_configured', ts)],
      ['two h1, none matching', body, `ts=${ts};h1=${flippedDigit};h1=${hmacHex(ROTATED, ts + 1, body)}`],
      ['no h1', body, `ts=${ts}`],
      ['garbage header', body, 'nonsense'],
      ['no header', body, null],
    ];
    for (const [why, sent, header] of rejected) {
      const res = await deliver(sent, header);
      expect(res.status, why).toBe(401);
      expect(res.headers.get('content-type'), why).toContain('application/problem+json');
    }
    expect(await stored()).toBe(0);

    // Rotation: the second configured secret verifies; so does a header whose second h1 matches.
    const rotated = await deliver(body, signedHeader(body, ROTATED));
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ event_id: eventId, result: 'ignored' });
    const other = s.event('01').body;
    const twoH1 = await deliver(
      other,
      `ts=${ts};h1=${hmacHex('pdl_ntfset_old_secret_gone', ts, other)};h1=${hmacHex(PRIMARY, ts, other)}`,
    );
    expect(twoH1.status).toBe(200);
    expect(twoH1.body.result).toBe('processed');
    expect(await stored()).toBe(1);
  });

  it('malformed JSON with a valid signature is 400; a non-event is 400; nothing is stored', async () => {
    const before = await rowCount('SELECT count(*) AS n FROM webhook_events');
    const malformed = '{"event_id": "evt_broken", "event_type": ';
    const bad = await deliver(malformed);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/JSON/);
    const notEvent = JSON.stringify({ hello: 'world' });
    expect((await deliver(notEvent)).status).toBe(400);
    const badTime = JSON.stringify({ event_id: 'evt_x', event_type: 'x.y', occurred_at: 'yesterday', data: {} });
    const res = await deliver(badTime);
    expect(res.status).toBe(400);
    expect(res.body.errors?.occurred_at).toEqual(['Use an ISO 8601 instant.']);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_events')).toBe(before);
  });

  it('the webhook takes bodies up to 1 MB (other JSON routes keep 64 KB); over 1 MB is 413', async () => {
    const event = (pad: number) =>
      JSON.stringify({
        event_id: `evt_big_${newTag()}`,
        event_type: 'customer.updated',
        occurred_at: '2025-05-08T11:30:41.276115Z',
        data: { id: 'ctm_x', pad: 'x'.repeat(pad) },
      });
    for (const path of ['/api/webhooks/paddle/', '/api/webhooks/paddle']) {
      const large = event(300_000);
      const accepted = await deliver(large, signedHeader(large), path);
      expect(accepted.status, path).toBe(200);
      expect(accepted.body.result).toBe('ignored');
    }
    const tooLarge = event(1024 * 1024 + 10);
    const refused = await deliver(tooLarge);
    expect(refused.status).toBe(413);
    const elsewhere = await api('POST', '/api/users/login/', {
      body: { email: 'x@example.com', password: 'p'.repeat(70_000) },
    });
    expect(elsewhere.status).toBe(413);
  });

  it('no PADDLE_WEBHOOK_SECRET configured: 503, nothing stored', async () => {
    const body = JSON.stringify({
      event_id: `evt_nosecret_${newTag()}`,
      event_type: 'customer.updated',
      occurred_at: '2025-05-08T11:30:41.276115Z',
      data: {},
    });
    const res = await apiWith<ProblemBody>({ PADDLE_WEBHOOK_SECRET: '' }, 'POST', '/api/webhooks/paddle/', {
      raw: body,
      headers: { 'Content-Type': 'application/json', 'Paddle-Signature': signedHeader(body) },
    });
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/PADDLE_WEBHOOK_SECRET/);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_events WHERE payload = ?', body)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

async function expectEndState(token: string, s: ReturnType<typeof scenario>) {
  const subs = await subscriptionsOf(token);
  expect(subs.count).toBe(1);
  const sub = subs.results[0];
  expect(sub).toMatchObject({
    paddle_subscription_id: s.id(FIXTURE.subscription),
    paddle_customer_id: s.id(FIXTURE.customer),
    price_id: FIXTURE.price,
    status: 'canceled',
    next_billing_date: null,
    scheduled_cancel_at: null,
  });
  const list = await paymentsOf(token);
  expect(list.count).toBe(3);
  const byTxn = Object.fromEntries(list.results.map((p) => [p.paddle_transaction_id, p]));
  expect(byTxn[s.id(FIXTURE.txnFirst)]).toMatchObject({ amount: '29.00', currency: 'USD', status: 'completed' });
  expect(byTxn[s.id(FIXTURE.txnRefunded)]).toMatchObject({ amount: '29.00', currency: 'USD', status: 'refunded' });
  expect(byTxn[s.id(FIXTURE.txnFailed)]).toMatchObject({
    amount: '29.00',
    currency: 'USD',
    status: 'failed',
    error_code: 'declined',
  });
  for (const p of list.results) expect(p.subscription).toBe(sub?.id);
  // Newest first: the failed May charge, the refunded April one, the first payment in March.
  expect(list.results.map((p) => p.paddle_transaction_id)).toEqual([
    s.id(FIXTURE.txnFailed),
    s.id(FIXTURE.txnRefunded),
    s.id(FIXTURE.txnFirst),
  ]);
  const ids = s.events.map((e) => s.id(JSON.parse(e.raw).event_id));
  const placeholders = ids.map(() => '?').join(',');
  expect(
    await rowCount(
      `SELECT count(*) AS n FROM webhook_events WHERE event_id IN (${placeholders}) AND processed_at IS NOT NULL`,
      ...ids,
    ),
  ).toBe(10);
}

/** A deterministic shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('Paddle webhook events', () => {
  it('events 01 → 10 in order give the documented checkpoints and end state', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const results: string[] = [];
    const send = async (prefix: string) => {
      const res = await deliver(s.event(prefix).body);
      expect(res.status, prefix).toBe(200);
      results.push(res.body.result);
    };
    await send('01');
    let sub = (await subscriptionsOf(t.token)).results[0];
    expect(sub).toMatchObject({ status: 'active', next_billing_date: '2025-04-03', scheduled_cancel_at: null });
    await send('02');
    await send('03');
    sub = (await subscriptionsOf(t.token)).results[0];
    expect(sub?.next_billing_date).toBe('2025-05-03');
    await send('04');
    await send('05');
    await send('06');
    await send('07');
    sub = (await subscriptionsOf(t.token)).results[0];
    expect(sub).toMatchObject({ status: 'past_due', next_billing_date: '2025-06-03' });
    await send('08');
    sub = (await subscriptionsOf(t.token)).results[0];
    expect(sub).toMatchObject({ status: 'past_due', scheduled_cancel_at: '2025-06-03T09:15:00.412233Z' });
    await send('09');
    await send('10');
    expect(results).toEqual([
      'processed',
      'processed',
      'processed',
      'processed',
      'processed',
      'processed',
      'processed',
      'processed',
      'ignored',
      'processed',
    ]);
    await expectEndState(t.token, s);
    // The unhandled customer.updated is stored with its payload, untouched otherwise.
    const row = await env.DB.prepare(
      'SELECT event_type, payload, processed_at, error FROM webhook_events WHERE event_id = ?',
    )
      .bind(s.id('evt_01jne9sm68qnka1fm4p9af79ks'))
      .first<{ event_type: string; payload: string; processed_at: string | null; error: string | null }>();
    expect(row).toMatchObject({ event_type: 'customer.updated', payload: s.event('09').body, error: null });
    expect(row?.processed_at).not.toBeNull();
  });

  it('shuffled and each delivered twice: the same end state, one payment per transaction, repeats answered 200 "duplicate"', async () => {
    for (const seed of [1, 7, 42, 2024]) {
      const t = await registerTrainer();
      const s = scenario(t.user.trainer.id);
      let order = shuffled([...s.events, ...s.events], seed);
      // The one order the end state relies on: Paddle refunds only completed transactions.
      const completed = order.findIndex((e) => e.name.startsWith('04'));
      const earlyRefunds = order.slice(0, completed).filter((e) => e.name.startsWith('05'));
      order = order.filter((e, i) => i >= completed || !e.name.startsWith('05'));
      order.splice(order.findIndex((e) => e.name.startsWith('04')) + 1, 0, ...earlyRefunds);
      const seen = new Set<string>();
      for (const e of order) {
        const res = await deliver(e.body);
        expect(res.status, `seed ${seed} ${e.name}`).toBe(200);
        if (seen.has(e.name)) expect(res.body.result, `seed ${seed} ${e.name}`).toBe('duplicate');
        seen.add(e.name);
      }
      await expectEndState(t.token, s);
      expect(await rowCount('SELECT count(*) AS n FROM payments WHERE trainer_id = ?', t.user.trainer.id)).toBe(3);
      // One receipt per completed transaction, however often and in whatever order events came.
      const receipts = await env.DB.prepare(
        "SELECT recipient, subject FROM notifications WHERE trainer_id = ? AND kind = 'payment_receipt' ORDER BY subject",
      )
        .bind(t.user.trainer.id)
        .all<{ recipient: string; subject: string }>();
      expect(receipts.results).toHaveLength(2);
      expect(
        receipts.results.every(
          (r) => r.recipient === t.email && /^Receipt: \$\d+\.\d{2} for TrainerHub$/.test(r.subject),
        ),
      ).toBe(true);
    }
  });

  it('a refund in any position, even before its transaction, is parked and applied once: always the same end state', async () => {
    type Fixture = ReturnType<typeof scenario>['events'][number];
    const run = async (label: string, order: (s: ReturnType<typeof scenario>) => Fixture[]) => {
      const t = await registerTrainer();
      const s = scenario(t.user.trainer.id);
      let completed = false;
      const seen = new Set<string>();
      for (const e of order(s)) {
        const res = await deliver(e.body);
        expect(res.status, `${label} ${e.name}`).toBe(200);
        if (e.name.startsWith('04')) completed = true;
        // Before its transaction is completed the refund waits; afterwards it applies at once.
        const first = completed ? 'processed' : 'parked';
        if (e.name.startsWith('05')) expect(res.body.result, label).toBe(seen.has(e.name) ? 'duplicate' : first);
        seen.add(e.name);
      }
      await expectEndState(t.token, s);
      expect(await rowCount('SELECT count(*) AS n FROM payments WHERE trainer_id = ?', t.user.trainer.id)).toBe(3);
      expect(
        await rowCount(
          "SELECT count(*) AS n FROM notifications WHERE trainer_id = ? AND kind = 'payment_receipt'",
          t.user.trainer.id,
        ),
        label,
      ).toBe(2);
      const parked = await env.DB.prepare('SELECT waiting_for, processed_at FROM webhook_events WHERE event_id = ?')
        .bind(s.id('evt_01jn6zastm3k9e41x9b3xb675s'))
        .first<{ waiting_for: string | null; processed_at: string | null }>();
      expect(parked?.processed_at, label).not.toBeNull();
      return s;
    };
    // Every position of 05 in the in-order sequence: before 04, right after it, and at the end.
    for (let position = 0; position < 10; position++) {
      await run(`05 at ${position}`, (s) => {
        const others = s.events.filter((e) => !e.name.startsWith('05'));
        others.splice(position, 0, s.event('05'));
        return others;
      });
    }
    // Seeded shuffles of all ten, each delivered twice (repeats, parked ones included, are duplicates).
    for (const seed of [3, 11, 99, 512, 4242]) {
      await run(`seed ${seed}`, (s) => shuffled([...s.events, ...s.events], seed));
    }
    // The refund first of all and redelivered before its transaction: still applied exactly once.
    const s = await run('refund twice first', (s) => [s.event('05'), s.event('05'), ...s.events]);
    const refundEvent = await env.DB.prepare('SELECT waiting_for FROM webhook_events WHERE event_id = ?')
      .bind(s.id('evt_01jn6zastm3k9e41x9b3xb675s'))
      .first<{ waiting_for: string | null }>();
    expect(refundEvent?.waiting_for).toBe(s.id(FIXTURE.txnRefunded));
  });

  it('a refund and its transaction delivered at the same time: the payment ends refunded, the refund applied once', async () => {
    for (let round = 0; round < 5; round++) {
      const t = await registerTrainer();
      const s = scenario(t.user.trainer.id);
      const bodies = round % 2 ? [s.event('05').body, s.event('04').body] : [s.event('04').body, s.event('05').body];
      const replies = await Promise.all(bodies.map((body) => deliver(body)));
      expect(replies.map((r) => r.status)).toEqual([200, 200]);
      const list = await paymentsOf(t.token);
      expect(
        list.results.map((p) => [p.paddle_transaction_id, p.status]),
        `round ${round}`,
      ).toEqual([[s.id(FIXTURE.txnRefunded), 'refunded']]);
      expect(
        await rowCount(
          'SELECT count(*) AS n FROM webhook_events WHERE event_id = ? AND processed_at IS NOT NULL',
          s.id('evt_01jn6zastm3k9e41x9b3xb675s'),
        ),
      ).toBe(1);
    }
  });

  it('the reverse order (refund kept after its payment): older subscription events change nothing', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const reversed = [...s.events].reverse();
    const refund = reversed.findIndex((e) => e.name.startsWith('05'));
    const [adjustment] = reversed.splice(refund, 1);
    if (adjustment) reversed.push(adjustment);
    for (const e of reversed) expect((await deliver(e.body)).status).toBe(200);
    await expectEndState(t.token, s);
  });

  it('the same event delivered five times in parallel is applied once', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const body = s.event('02').body;
    const replies = await Promise.all(Array.from({ length: 5 }, () => deliver(body)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies.filter((r) => r.body.result === 'processed')).toHaveLength(1);
    expect(replies.filter((r) => r.body.result === 'duplicate')).toHaveLength(4);
    expect(await rowCount('SELECT count(*) AS n FROM payments WHERE trainer_id = ?', t.user.trainer.id)).toBe(1);
  });

  it('a completion after a failed attempt wins; a late failure never downgrades a completed payment', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const failed = s.event('06').body;
    expect((await deliver(failed)).status).toBe(200);
    let list = await paymentsOf(t.token);
    expect(list.results[0]).toMatchObject({ status: 'failed', error_code: 'declined' });
    // Paddle retries the same transaction and succeeds: transaction.completed for txn 06.
    const completed = s
      .event('04')
      .body.replaceAll(s.id(FIXTURE.txnRefunded), s.id(FIXTURE.txnFailed))
      .replace(s.id('evt_01jnn40cf6kn9sd8y9qtz5hf0g'), `evt_retry_${s.tag}`)
      .replace('"occurred_at": "2025-04-03T09:15:05.731044Z"', '"occurred_at": "2025-05-04T09:15:05.731044Z"');
    expect((await deliver(completed)).body.result).toBe('processed');
    list = await paymentsOf(t.token);
    expect(list.count).toBe(1);
    expect(list.results[0]).toMatchObject({ status: 'completed', error_code: null, amount: '29.00' });
    const lateFailure = failed.replace(s.id('evt_01jn303pmy4vt85xk25vr3cmng'), `evt_late_${s.tag}`);
    expect((await deliver(lateFailure)).body.result).toBe('processed');
    expect((await paymentsOf(t.token)).results[0]?.status).toBe('completed');
  });

  it('an event for an unknown trainer is stored with an error note and changes nothing', async () => {
    const s = scenario(987_654_321);
    for (const prefix of ['01', '02']) {
      const res = await deliver(s.event(prefix).body);
      expect(res.status).toBe(200);
      expect(res.body.result).toBe('unmatched');
    }
    const row = await env.DB.prepare('SELECT error, processed_at FROM webhook_events WHERE event_id = ?')
      .bind(s.id('evt_01jnph1a7cjh80yckcv70jcw2m'))
      .first<{ error: string | null; processed_at: string | null }>();
    expect(row?.error).toMatch(/No trainer/);
    expect(row?.processed_at).not.toBeNull();
    expect(
      await rowCount(
        'SELECT count(*) AS n FROM subscriptions WHERE paddle_subscription_id = ?',
        s.id(FIXTURE.subscription),
      ),
    ).toBe(0);
    expect(
      await rowCount('SELECT count(*) AS n FROM payments WHERE paddle_transaction_id = ?', s.id(FIXTURE.txnFirst)),
    ).toBe(0);
    // A refund for a transaction not stored (yet) is parked: unprocessed, waiting for it.
    expect((await deliver(s.event('05').body)).body.result).toBe('parked');
  });

  it('a trainer who subscribes again keeps one row, the newer live subscription, in any delivery order', async () => {
    const t = await registerTrainer();
    const first = scenario(t.user.trainer.id);
    const second = scenario(t.user.trainer.id);
    expect((await deliver(first.event('01').body)).body.result).toBe('processed');
    const row = (await subscriptionsOf(t.token)).results[0];
    // The second subscription's event (newer than the row's last) arrives before the first one's
    // cancel: it takes the row, with a note for a person (two live subscriptions bill twice).
    const live = await deliver(second.event('03').body);
    expect(live.body.result).toBe('processed');
    const noted = await env.DB.prepare('SELECT error FROM webhook_events WHERE event_id = ?')
      .bind(live.body.event_id)
      .first<{ error: string | null }>();
    expect(noted?.error).toContain(`replaced ${first.id(FIXTURE.subscription)}`);
    // The first one's cancel, delivered late, never ends the live one the row holds.
    expect((await deliver(first.event('10').body)).body.result).toBe('ignored');
    expect((await subscriptionsOf(t.token)).results).toMatchObject([
      { id: row?.id, paddle_subscription_id: second.id(FIXTURE.subscription), status: 'active' },
    ]);
    // Its later events apply as usual; an older one of the first subscription changes nothing.
    const later = second.event('07').body.replace('2025-05-03T09:15:07.318296Z', '2025-06-01T10:00:00.000000Z');
    expect((await deliver(later)).body.result).toBe('processed');
    expect((await deliver(first.event('03').body)).body.result).toBe('ignored');
    const subs = await subscriptionsOf(t.token);
    expect(subs.count).toBe(1);
    expect(subs.results[0]).toMatchObject({
      id: row?.id,
      paddle_subscription_id: second.id(FIXTURE.subscription),
      paddle_customer_id: second.id(FIXTURE.customer),
      status: 'past_due',
    });
    // A subscription that is still live (here past_due) blocks a second checkout.
    const calls = fakePaddle(() => json(500, {}));
    expect((await api('POST', '/api/subscriptions/create_checkout/', { token: t.token })).status).toBe(409);
    expect(calls).toHaveLength(0);
  });

  it('migration 0034 carries refunds received before it: a parked partial one and a payment marked refunded', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    // Before the migration: a partial refund (10.00) parked for a payment not stored yet, no refund row.
    const parked = s
      .event('05')
      .body.replace(/"type": "full"/g, '"type": "partial"')
      .replace(/"total": "2900"/g, '"total": "1000"');
    const event = JSON.parse(parked) as { event_id: string; event_type: string; occurred_at: string };
    await env.DB.prepare(
      `INSERT INTO webhook_events (event_id, event_type, occurred_at, payload, waiting_for)
       VALUES (?, ?, ?, ?, ?)`,
    )
      .bind(event.event_id, event.event_type, event.occurred_at, parked, s.id(FIXTURE.txnRefunded))
      .run();
    // And a payment the old code marked refunded, its events gone.
    const legacy = `txn_legacy_${s.tag}`;
    await env.DB.prepare(
      `INSERT INTO payments (trainer_id, paddle_transaction_id, amount_cents, currency, status, refunded_cents)
       VALUES (?, ?, 2900, 'USD', 'refunded', 0)`,
    )
      .bind(t.user.trainer.id, legacy)
      .run();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith('0034_'));
    if (!migration) throw new Error('migration 0034 missing');
    for (const query of migration.queries.filter((q) => /^\s*(?:--[^\n]*\n\s*)*(?:INSERT|UPDATE)/i.test(q)))
      await env.DB.prepare(query).run();

    // The parked refund applies, as a partial one, when its payment arrives.
    expect((await deliver(s.event('04').body)).body.result).toBe('processed');
    const byTxn = Object.fromEntries(
      ((await paymentsOf(t.token)).results as (Payment & { refunded_amount: string })[]).map((p) => [
        p.paddle_transaction_id,
        [p.status, p.refunded_amount],
      ]),
    );
    expect(byTxn[s.id(FIXTURE.txnRefunded)]).toEqual(['completed', '10.00']);
    expect(byTxn[legacy]).toEqual(['refunded', '29.00']);
    const processed = await env.DB.prepare('SELECT processed_at FROM webhook_events WHERE event_id = ?')
      .bind(event.event_id)
      .first<{ processed_at: string | null }>();
    expect(processed?.processed_at).not.toBeNull();
  });

  it('a partial refund takes its amount off the payment; refunds add up once each, to refunded at the full amount', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    expect((await deliver(s.event('04').body)).body.result).toBe('processed');
    const refund = (n: number, cents: number) =>
      s
        .event('05')
        .body.replace(/"type": "full"/g, '"type": "partial"')
        .replace(/"total": "2900"/g, `"total": "${cents}"`)
        .replace(s.id('evt_01jn6zastm3k9e41x9b3xb675s'), `evt_partial_${n}_${s.tag}`)
        .replace(s.id('adj_01jr1b01m9e9c98p1emm5s5gm0'), `adj_partial_${n}_${s.tag}`);
    const payment = async () => (await paymentsOf(t.token)).results[0] as Payment & { refunded_amount: string };
    expect((await deliver(refund(1, 500))).body.result).toBe('processed');
    expect(await payment()).toMatchObject({ amount: '29.00', refunded_amount: '5.00', status: 'completed' });
    // The same refund again (adjustment.updated, another event id): counted once.
    const again = refund(1, 500)
      .replace('"adjustment.created"', '"adjustment.updated"')
      .replace(`evt_partial_1_${s.tag}`, `evt_partial_1b_${s.tag}`);
    expect((await deliver(again)).body.result).toBe('processed');
    expect((await payment()).refunded_amount).toBe('5.00');
    expect((await deliver(refund(2, 2400))).body.result).toBe('processed');
    expect(await payment()).toMatchObject({ refunded_amount: '29.00', status: 'refunded' });
  });

  it('without custom_data the trainer is found through the stored subscription / customer', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    expect((await deliver(s.event('01').body)).body.result).toBe('processed');
    const anonymous = s
      .event('03')
      .body.replace(/"custom_data": \{\s*"trainer_id": \d+, "trainer_ref": "[0-9a-f]+"\s*\}/, '"custom_data": null');
    expect(anonymous).not.toContain('"trainer_id"');
    expect((await deliver(anonymous)).body.result).toBe('processed');
    expect((await subscriptionsOf(t.token)).results[0]?.next_billing_date).toBe('2025-05-03');
  });

  it("amounts come in the currency's smallest unit: 2900 USD cents is 29.00, 2900 yen is 2900.00 (¥2,900 in the receipt)", async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const yen = s.event('02').body.replace(/"currency_code": "USD"/g, '"currency_code": "JPY"');
    expect((await deliver(yen)).body.result).toBe('processed');
    const listed = await paymentsOf(t.token);
    expect(listed.results.map((p) => [p.amount, p.currency])).toEqual([['2900.00', 'JPY']]);
    const receipt = await env.DB.prepare(
      "SELECT subject, message FROM notifications WHERE trainer_id = ? AND kind = 'payment_receipt'",
    )
      .bind(t.user.trainer.id)
      .first<{ subject: string; message: string }>();
    expect(receipt?.subject).toBe('Receipt: ¥2,900 for TrainerHub');
    expect(receipt?.message).toContain('subscription payment of ¥2,900 (transaction');
  });

  it('a status we do not know, a negative total or a currency that is no ISO 4217 code: noted, nothing stored', async () => {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    const oddStatus = s.event('01').body.replace(/"status": "active"/, '"status": "frozen"');
    expect(oddStatus).toContain('"frozen"');
    const negative = s.event('02').body.replace(/"grand_total": "\d+"/, '"grand_total": "-2900"');
    expect(negative).toContain('"-2900"');
    const oddCurrency = s
      .event('02')
      .body.replace(/"currency_code": "USD"/g, '"currency_code": "DOLLARS"')
      .replace(/"event_id": "([^"]+)"/, '"event_id": "$1_odd"');
    expect(oddCurrency).toContain('"DOLLARS"');
    const noCurrency = s
      .event('02')
      .body.replace(/"currency_code": "USD"/g, '"currency_code": "ZZZ"')
      .replace(/"event_id": "([^"]+)"/, '"event_id": "$1_zzz"');
    for (const body of [oddStatus, negative, oddCurrency, noCurrency]) {
      const res = await deliver(body);
      expect([res.status, res.body.result]).toEqual([200, 'unmatched']);
    }
    expect((await subscriptionsOf(t.token)).count).toBe(0);
    expect((await paymentsOf(t.token)).count).toBe(0);
  });

  it('a checkout opened elsewhere cannot name another trainer: an unsigned or wrongly signed trainer_id is not trusted', async () => {
    const victim = await registerTrainer();
    for (const forged of [
      (b: string) => b.replace(/, "trainer_ref": "[0-9a-f]+"/g, ''),
      (b: string) => b.replace(/"trainer_ref": "[0-9a-f]+"/g, '"trainer_ref": "00000000000000000000000000000000"'),
    ]) {
      const s = scenario(victim.user.trainer.id);
      const res = await deliver(forged(s.event('01').body));
      expect(res.status).toBe(200);
      expect(res.body.result).toBe('unmatched');
    }
    expect((await subscriptionsOf(victim.token)).results).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

const TXN_ID = 'txn_01jq0d9f5ph3yq6a8m4e2c7k1w';
const CUSTOMER_ID = 'ctm_01jq0d8x3kz7w5v2n9m4b6c1a0';

describe('create_checkout against a fake Paddle API', () => {
  it("creates the trainer's Paddle customer, then a transaction, and returns Paddle's checkout URL; nothing is stored", async () => {
    const t = await registerTrainer();
    const checkoutUrl = `https://app.trainerhub.example/checkout?_ptxn=${TXN_ID}`;
    const calls = fakePaddle((call) =>
      call.url.endsWith('/customers')
        ? json(201, { data: { id: CUSTOMER_ID, email: t.email, status: 'active' }, meta: { request_id: 'r1' } })
        : json(201, {
            data: { id: TXN_ID, status: 'draft', checkout: { url: checkoutUrl } },
            meta: { request_id: 'r2' },
          }),
    );
    const res = await api<{ transaction_id: string; checkout_url: string }>(
      'POST',
      '/api/subscriptions/create_checkout/',
      { token: t.token, body: {} },
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ transaction_id: TXN_ID, checkout_url: checkoutUrl });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `POST ${API_BASE}/customers`,
      `POST ${API_BASE}/transactions`,
    ]);
    for (const call of calls) {
      expect(call.headers.get('Authorization')).toBe(`Bearer ${API_KEY}`);
      expect(call.headers.get('Content-Type')).toBe('application/json');
    }
    const signed = { trainer_id: t.user.trainer.id, trainer_ref: refFor(t.user.trainer.id) };
    expect(calls[0]?.body).toEqual({ email: t.email, custom_data: signed });
    expect(calls[1]?.body).toEqual({
      items: [{ price_id: DEFAULT_PRICE, quantity: 1 }],
      customer_id: CUSTOMER_ID,
      custom_data: signed,
      collection_mode: 'automatic',
    });
    expect((await subscriptionsOf(t.token)).count).toBe(0);
    expect((await paymentsOf(t.token)).count).toBe(0);
  });

  it('an explicit price_id wins; an existing Paddle customer with that email is reused', async () => {
    const t = await registerTrainer();
    const price = 'pri_01jq0dbb2v7x4z6c8e0g2j4l6n';
    const calls = fakePaddle((call) =>
      call.url.endsWith('/customers')
        ? paddleProblem(409, 'customer_already_exists', `customer email conflicts with customer of id ${CUSTOMER_ID}`)
        : json(201, { data: { id: TXN_ID, checkout: { url: 'https://pay.example/checkout?_ptxn=x' } } }),
    );
    const res = await api('POST', '/api/subscriptions/create_checkout/', { token: t.token, body: { price_id: price } });
    expect(res.status).toBe(201);
    expect(calls[1]?.body).toMatchObject({ items: [{ price_id: price, quantity: 1 }], customer_id: CUSTOMER_ID });
  });

  it('a bad price_id, or none configured at all, is 400 naming price_id; no call to Paddle', async () => {
    const t = await registerTrainer();
    const calls = fakePaddle(() => json(500, {}));
    const bad = await api<ProblemBody>('POST', '/api/subscriptions/create_checkout/', {
      token: t.token,
      body: { price_id: 'gold-plan' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.price_id).toEqual(['Use a Paddle price id such as "pri_01jkx4m2v8c6q0w3e5r7t9y1u3".']);
    // A real-looking price the operator does not offer (an old plan, a test price) is refused too.
    const unoffered = await api<ProblemBody>('POST', '/api/subscriptions/create_checkout/', {
      token: t.token,
      body: { price_id: 'pri_01zzzzzzzzzzzzzzzzzzzzzzzz' },
    });
    expect(unoffered.status).toBe(400);
    expect(unoffered.body.errors?.price_id?.[0]).toMatch(/^Choose an offered price: pri_01jkx4m2v8c6q0w3e5r7t9y1u3, /);
    const none = await apiWith<ProblemBody>({ PADDLE_PRICE_ID: '' }, 'POST', '/api/subscriptions/create_checkout/', {
      token: t.token,
      body: {},
    });
    expect(none.status).toBe(400);
    expect(none.body.errors?.price_id).toEqual(['This field is required: no default price (PADDLE_PRICE_ID) is set.']);
    expect(calls).toHaveLength(0);
  });

  it('Paddle 4xx → 502 with Paddle’s detail; Paddle 5xx or no answer → 502; nothing stored', async () => {
    const t = await registerTrainer();
    fakePaddle((call) =>
      call.url.endsWith('/customers')
        ? json(201, { data: { id: CUSTOMER_ID } })
        : paddleProblem(400, 'transaction_price_not_found', 'price pri_01jkx4m2v8c6q0w3e5r7t9y1u3 not found'),
    );
    const refused = await api<ProblemBody>('POST', '/api/subscriptions/create_checkout/', { token: t.token });
    expect(refused.status).toBe(502);
    expect(refused.body.detail).toContain('price pri_01jkx4m2v8c6q0w3e5r7t9y1u3 not found');
    vi.restoreAllMocks();

    fakePaddle(() => json(500, { error: { type: 'api_error', code: 'internal_error', detail: 'boom' } }));
    const down = await api<ProblemBody>('POST', '/api/subscriptions/create_checkout/', { token: t.token });
    expect(down.status).toBe(502);
    expect(down.body.detail).toMatch(/unavailable/i);
    vi.restoreAllMocks();

    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('Network connection lost.'));
    const unreachable = await api<ProblemBody>('POST', '/api/subscriptions/create_checkout/', { token: t.token });
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.detail).toMatch(/could not be reached/);

    expect((await subscriptionsOf(t.token)).count).toBe(0);
    expect((await paymentsOf(t.token)).count).toBe(0);
  });

  it('503 with a clear message when PADDLE_API_KEY is not set; 409 when already subscribed; 401 signed out', async () => {
    const t = await registerTrainer();
    const calls = fakePaddle(() => json(500, {}));
    const noKey = await apiWith<ProblemBody>(
      { PADDLE_API_KEY: undefined },
      'POST',
      '/api/subscriptions/create_checkout/',
      {
        token: t.token,
        body: {},
      },
    );
    expect(noKey.status).toBe(503);
    expect(noKey.body.detail).toMatch(/PADDLE_API_KEY/);

    const s = scenario(t.user.trainer.id);
    expect((await deliver(s.event('01').body)).body.result).toBe('processed');
    const again = await api<ProblemBody>('POST', '/api/subscriptions/create_checkout/', { token: t.token, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_subscribed');
    expect(calls).toHaveLength(0);
    expect((await api('POST', '/api/subscriptions/create_checkout/', { body: {} })).status).toBe(401);
  });
});

describe('cancel against a fake Paddle API', () => {
  const paddleSubscription = (id: string, extra: Record<string, unknown>) => ({
    data: {
      id,
      status: 'active',
      customer_id: CUSTOMER_ID,
      next_billed_at: '2025-04-03T09:15:00.412233Z',
      scheduled_change: null,
      items: [],
      custom_data: null,
      ...extra,
    },
    meta: { request_id: 'r' },
  });

  async function subscribed() {
    const t = await registerTrainer();
    const s = scenario(t.user.trainer.id);
    expect((await deliver(s.event('01').body)).status).toBe(200);
    const sub = (await subscriptionsOf(t.token)).results[0];
    if (!sub) throw new Error('no subscription');
    return { t, s, sub, paddleId: s.id(FIXTURE.subscription) };
  }

  it('at the end of the period by default: Paddle is asked for next_billing_period and scheduled_cancel_at is stored', async () => {
    const { t, sub, paddleId } = await subscribed();
    const effective = '2025-04-03T09:15:00.412233Z';
    const calls = fakePaddle(() =>
      json(
        200,
        paddleSubscription(paddleId, {
          scheduled_change: { action: 'cancel', effective_at: effective, resume_at: null },
        }),
      ),
    );
    const res = await api<Subscription>('POST', `/api/subscriptions/${sub.id}/cancel/`, { token: t.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: sub.id, status: 'active', scheduled_cancel_at: effective });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.url).toBe(`${API_BASE}/subscriptions/${paddleId}/cancel`);
    expect(calls[0]?.headers.get('Authorization')).toBe(`Bearer ${API_KEY}`);
    expect(calls[0]?.body).toEqual({ effective_from: 'next_billing_period' });
    expect((await subscriptionsOf(t.token)).results[0]?.scheduled_cancel_at).toBe(effective);

    // Asking again changes nothing and does not call Paddle.
    const again = await api<ProblemBody>('POST', `/api/subscriptions/${sub.id}/cancel/`, { token: t.token, body: {} });
    expect(again.status).toBe(409);
    expect(calls).toHaveLength(1);
  });

  it('immediately: Paddle is asked for immediately and the subscription is canceled', async () => {
    const { t, sub, paddleId } = await subscribed();
    const calls = fakePaddle(() =>
      json(
        200,
        paddleSubscription(paddleId, { status: 'canceled', next_billed_at: null, canceled_at: '2025-03-04T00:00:00Z' }),
      ),
    );
    const res = await api<Subscription>('POST', `/api/subscriptions/${sub.id}/cancel/`, {
      token: t.token,
      body: { immediately: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'canceled', scheduled_cancel_at: null, next_billing_date: null });
    expect(calls[0]?.body).toEqual({ effective_from: 'immediately' });
    // A canceled subscription no longer blocks a new checkout.
    expect((await api('POST', `/api/subscriptions/${sub.id}/cancel/`, { token: t.token })).status).toBe(409);
  });

  it('a webhook of a change made before the cancel, delivered after it, does not undo it', async () => {
    const { t, s, sub, paddleId } = await subscribed();
    // Paddle's answer: canceled at 2025-04-10, after fixture 03 (active, 2025-04-03) occurred.
    fakePaddle(() =>
      json(
        200,
        paddleSubscription(paddleId, { status: 'canceled', next_billed_at: null, updated_at: '2025-04-10T00:00:00Z' }),
      ),
    );
    const res = await api<Subscription>('POST', `/api/subscriptions/${sub.id}/cancel/`, {
      token: t.token,
      body: { immediately: true },
    });
    expect(res.body.status).toBe('canceled');
    expect((await deliver(s.event('03').body)).status).toBe(200);
    expect((await subscriptionsOf(t.token)).results[0]?.status).toBe('canceled');
  });

  it("another trainer's subscription is 404, before any configuration check (404 before 503)", async () => {
    const { t, sub } = await subscribed();
    const other = await registerTrainer();
    const calls = fakePaddle(() => json(500, {}));
    expect((await api('POST', `/api/subscriptions/${sub.id}/cancel/`, { token: other.token })).status).toBe(404);
    expect((await api('POST', '/api/subscriptions/999999999/cancel/', { token: t.token })).status).toBe(404);
    const noKeyOther = await apiWith({ PADDLE_API_KEY: '' }, 'POST', `/api/subscriptions/${sub.id}/cancel/`, {
      token: other.token,
    });
    expect(noKeyOther.status).toBe(404);
    const noKeyOwn = await apiWith<ProblemBody>(
      { PADDLE_API_KEY: '' },
      'POST',
      `/api/subscriptions/${sub.id}/cancel/`,
      {
        token: t.token,
      },
    );
    expect(noKeyOwn.status).toBe(503);
    expect(noKeyOwn.body.detail).toMatch(/PADDLE_API_KEY/);
    expect(calls).toHaveLength(0);
  });

  it('Paddle refusing the cancel is 502 with its detail, and the subscription is unchanged', async () => {
    const { t, sub } = await subscribed();
    fakePaddle(() =>
      paddleProblem(
        400,
        'subscription_locked_pending_changes',
        'subscription has pending changes and cannot be updated',
      ),
    );
    const res = await api<ProblemBody>('POST', `/api/subscriptions/${sub.id}/cancel/`, { token: t.token });
    expect(res.status).toBe(502);
    expect(res.body.detail).toContain('subscription has pending changes');
    expect((await subscriptionsOf(t.token)).results[0]).toMatchObject({ status: 'active', scheduled_cancel_at: null });
  });
});

describe('subscriptions and payments are tenant-scoped', () => {
  it("lists show only the trainer's own rows; status filter and pagination work", async () => {
    const a = await registerTrainer();
    const b = await registerTrainer();
    const s = scenario(a.user.trainer.id);
    for (const e of s.events) expect((await deliver(e.body)).status).toBe(200);
    expect((await subscriptionsOf(a.token)).count).toBe(1);
    expect((await paymentsOf(a.token)).count).toBe(3);
    expect(await subscriptionsOf(b.token)).toMatchObject({ count: 0, results: [] });
    expect(await paymentsOf(b.token)).toMatchObject({ count: 0, results: [] });

    const refunded = await paymentsOf(a.token, '?status=refunded');
    expect(refunded.count).toBe(1);
    expect(refunded.results[0]?.paddle_transaction_id).toBe(s.id(FIXTURE.txnRefunded));
    const page = await paymentsOf(a.token, '?page_size=2');
    expect(page.results).toHaveLength(2);
    expect(page.next).toMatch(/page=2/);
    const bad = await api<ProblemBody>('GET', '/api/payments/?status=paid', { token: a.token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.status).toEqual(['Choose one of: completed, pending, failed, refunded.']);
    expect((await api('GET', '/api/payments/')).status).toBe(401);
  });
});

describe('the checkout page and the API surface', () => {
  it('GET /checkout loads Paddle.js with a nonce-only CSP limited to Paddle’s origins', async () => {
    const res = await api<string>('GET', '/checkout?_ptxn=txn_01jnh39xw3cvqwe7rkc94n37wf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)' https:\/\/cdn\.paddle\.com(?:;|$)/.exec(csp)?.[1];
    expect(nonce, csp).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('frame-src https://*.paddle.com');
    expect(csp).toContain('connect-src https://*.paddle.com');
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = res.body;
    expect(html).toContain('<script src="https://cdn.paddle.com/paddle/v2/paddle.js"');
    expect(html).toContain("Paddle.Environment.set('sandbox')");
    expect(html).toContain(`Paddle.Initialize({`);
    expect(html).toContain(JSON.stringify((env as Bindings).PADDLE_CLIENT_TOKEN));
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBe(2);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);

    const live = await apiWith<string>({ PADDLE_ENVIRONMENT: 'production' }, 'GET', '/checkout');
    expect(live.status).toBe(200);
    expect(live.body).not.toContain('Paddle.Environment.set');
    const missing = await apiWith<string>({ PADDLE_CLIENT_TOKEN: '' }, 'GET', '/checkout');
    expect(missing.status).toBe(503);
    expect(missing.headers.get('content-type')).toContain('text/html');
    expect(missing.body).not.toContain('<script');
  });

  it('every payments route is in the OpenAPI document and the index lists the areas', async () => {
    const doc = { body: openapiDocument<{ paths: Record<string, Record<string, unknown>> }>() };
    expect(Object.keys(doc.body.paths['/api/subscriptions'] ?? {})).toContain('get');
    expect(Object.keys(doc.body.paths['/api/subscriptions/create_checkout'] ?? {})).toContain('post');
    expect(Object.keys(doc.body.paths['/api/subscriptions/{id}/cancel'] ?? {})).toContain('post');
    expect(Object.keys(doc.body.paths['/api/payments'] ?? {})).toContain('get');
    expect(Object.keys(doc.body.paths['/api/webhooks/paddle'] ?? {})).toContain('post');
    expect(Object.keys(doc.body.paths['/checkout'] ?? {})).toContain('get');
    const index = await api<{ areas: Record<string, string> }>('GET', '/api/');
    expect(index.body.areas.subscriptions).toMatch(/\/api\/subscriptions\/$/);
    expect(index.body.areas.payments).toMatch(/\/api\/payments\/$/);
  });
});
