import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import { getDb } from '../src/lib/db';
import { MAX_DELIVERIES, OUTAGE_HOURS } from '../src/notifications/delivery';
import { gsm7Length, SMS_MAX, SMS_TWO_PARTS } from '../src/notifications/gsm7';
import { type BookingContext, renderBooking } from '../src/notifications/messages';
import { type DedupeOf, dedupeKey } from '../src/notifications/outbox';
import {
  api,
  at,
  type BookingBody,
  book,
  countingD1,
  countingQueue,
  createClient,
  futureDay,
  registerTrainer,
  setupTrainer,
  until,
} from './helpers';

type Row = {
  id: number;
  booking_id: number | null;
  kind: string;
  notification_type: string;
  recipient: string;
  status: string;
  attempts: number;
  provider_message_id: string | null;
  failed_reason: string | null;
  subject: string;
  message: string;
  dedupe_key: string;
  retry_at: string | null;
  updated_at: string;
};

const rowsOf = async (bookingId: number) =>
  (await env.DB.prepare('SELECT * FROM notifications WHERE booking_id = ? ORDER BY id').bind(bookingId).all<Row>())
    .results;
const rowById = async (id: number) => env.DB.prepare('SELECT * FROM notifications WHERE id = ?').bind(id).first<Row>();

/** A future start `minutes` from now, on a whole minute. */
const startIn = (minutes: number) =>
  new Date(Math.ceil((Date.now() + minutes * 60_000) / 60_000) * 60_000).toISOString();

/** An outbox row written directly, not queued: the test then drives the consumer itself. */
async function outboxRow(
  bookingId: number,
  trainerId: number,
  kind: string,
  channel: 'email' | 'sms',
  recipient: string,
) {
  const key = `test:${crypto.randomUUID()}`;
  const row = await env.DB.prepare(
    `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message)
     VALUES (?, ?, ?, ?, ?, ?, '') RETURNING id`,
  )
    .bind(trainerId, bookingId, kind, channel, recipient, key)
    .first<{ id: number }>();
  return row?.id as number;
}

const liveEnv = {
  ...env,
  NOTIFY_PROVIDER: 'live',
  SENDGRID_API_KEY: 'SG.test-key',
  SENDGRID_API_BASE: 'https://sendgrid.test',
  TWILIO_ACCOUNT_SID: 'AC123',
  TWILIO_AUTH_TOKEN: 'secret-token',
  TWILIO_API_BASE: 'https://twilio.test',
  EMAIL_FROM: 'Alex Fit <bookings@alexfit.example>',
  SMS_FROM: '+15005550006',
  NOTIFY_RETRY_BASE_SECONDS: '30',
};

/** One delivery of one message; getQueueResult does not report delays, so retry() is watched too. */
async function deliverOnce(
  ids: number[],
  attempts = 1,
  queue = 'trainerhub-notifications',
  id = crypto.randomUUID(),
  withEnv: Record<string, unknown> = liveEnv,
) {
  const batch = createMessageBatch(queue, [{ id, timestamp: new Date(), attempts, body: { ids } }]);
  const message = batch.messages[0] as Message;
  const retries = vi.spyOn(message, 'retry');
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<{ ids: number[] }>, withEnv as unknown as Env);
  const result = await getQueueResult(batch, ctx);
  return { ...result, delays: retries.mock.calls.map((c) => (c[0] as QueueRetryOptions | undefined)?.delaySeconds) };
}

type Call = { url: string; init: RequestInit };
function fakeProviders(answers: (call: Call) => Response) {
  const calls: Call[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call = { url: String(input instanceof Request ? input.url : input), init: init ?? {} };
    calls.push(call);
    return answers(call);
  });
  return calls;
}
const sendgridOk = () => new Response(null, { status: 202, headers: { 'X-Message-Id': `sg-${crypto.randomUUID()}` } });
const twilioOk = () => Response.json({ sid: `SM${crypto.randomUUID().replace(/-/g, '')}` }, { status: 201 });

afterEach(() => vi.restoreAllMocks());

async function confirmedBooking(opts: { phone?: string; start?: string; timezone?: string } = {}) {
  const t = await setupTrainer({ settings: { business_name: 'Alex Fit Studio', timezone: opts.timezone ?? 'UTC' } });
  const client = await createClient(t.token, {
    first_name: 'Sam',
    last_name: 'Lee',
    ...(opts.phone ? { phone: opts.phone } : {}),
  });
  const b = (await book(t.token, { client: client.id, start_time: opts.start ?? at(futureDay(3).date, '15:00') })).body;
  return { t, client, booking: b };
}

describe('the outbox and the queue (real queue, log provider)', () => {
  it('confirming a booking writes an email and an SMS row that become sent', async () => {
    const { t, booking } = await confirmedBooking({
      phone: '+14155550123',
      timezone: 'America/New_York',
      start: '2030-01-15T15:00:00Z',
    });
    expect(await rowsOf(booking.id)).toEqual([]);
    const res = await api<BookingBody>('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    expect(res.status).toBe(200);
    const rows = await until(
      () => rowsOf(booking.id),
      (r) => r.length === 2 && r.every((x) => x.status === 'sent'),
    );
    expect(rows.map((r) => [r.kind, r.notification_type, r.status])).toEqual([
      ['booking_confirmed', 'email', 'sent'],
      ['booking_confirmed', 'sms', 'sent'],
    ]);
    expect(rows[0]?.provider_message_id).toMatch(/^log-/);
    expect(rows[0]?.subject).toBe('Confirmed: 60-minute session on Tue 15 Jan 10:00 EST');
    // Issue 17: the SMS carries the manage link instead of "Reply to your trainer to change."
    expect(rows[1]?.message).toMatch(
      /^Session with Alex Fit Studio Tue 15 Jan 10:00 EST \(60 min\)\. Manage: http:\/\/localhost:8787\/book\/manage\/[\w-]{43}$/,
    );
    expect(rows[1]?.recipient).toBe('+14155550123');
    const listed = await api<{ count: number; results: { kind: string }[] }>(
      'GET',
      `/api/notifications/?booking=${booking.id}&notification_type=sms`,
      { token: t.token },
    );
    expect(listed.body.count).toBe(1);
  });

  it('cancelling writes a cancellation message and cancels every unsent one of the booking', async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const reminder = await outboxRow(booking.id, t.user.trainer.id, 'reminder_24h', 'email', 'x@example.com');
    await api('POST', `/api/bookings/${booking.id}/cancel/`, { token: t.token, body: { reason: 'Injury' } });
    expect((await rowById(reminder))?.status).toBe('cancelled');
    const rows = await until(
      () => rowsOf(booking.id),
      (r) => r.filter((x) => x.kind === 'booking_cancelled' && x.status === 'sent').length === 2,
    );
    expect(rows.filter((r) => r.kind === 'booking_cancelled').map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(rows.find((r) => r.kind === 'booking_cancelled' && r.notification_type === 'email')?.message).toContain(
      'Reason: Injury',
    );
    expect(rows.some((r) => r.status === 'pending')).toBe(false);
  });
});

describe('providers at the fetch boundary', () => {
  it('SendGrid gets one well-formed JSON request and Twilio one form-encoded request', async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    const emailId = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    const smsId = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'sms', '+14155550123');
    const calls = fakeProviders((c) => (c.url.includes('sendgrid') ? sendgridOk() : twilioOk()));
    const result = await deliverOnce([emailId, smsId]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(calls).toHaveLength(2);
    const sg = calls.find((c) => c.url === 'https://sendgrid.test/v3/mail/send');
    const tw = calls.find((c) => c.url === 'https://twilio.test/2010-04-01/Accounts/AC123/Messages.json');
    expect(sg && tw).toBeTruthy();
    const sgHeaders = new Headers(sg?.init.headers);
    expect(sg?.init.method).toBe('POST');
    expect(sgHeaders.get('Authorization')).toBe('Bearer SG.test-key');
    expect(sgHeaders.get('Content-Type')).toBe('application/json');
    const body = JSON.parse(String(sg?.init.body));
    expect(body).toMatchObject({
      personalizations: [{ to: [{ email: 'sam@example.com' }] }],
      from: { email: 'bookings@alexfit.example', name: 'Alex Fit' },
    });
    expect(body.subject).toMatch(/^Confirmed: 60-minute session on /);
    expect(body.content.map((c: { type: string }) => c.type)).toEqual(['text/plain', 'text/html']);
    const twHeaders = new Headers(tw?.init.headers);
    expect(twHeaders.get('Authorization')).toBe(`Basic ${btoa('AC123:secret-token')}`);
    expect(twHeaders.get('Content-Type')).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(String(tw?.init.body));
    expect(form.get('To')).toBe('+14155550123');
    expect(form.get('From')).toBe('+15005550006');
    expect(form.get('Body')).toMatch(/^Session with Alex Fit Studio /);
    expect(await rowById(emailId)).toMatchObject({ status: 'sent', attempts: 1 });
    expect((await rowById(smsId))?.provider_message_id).toMatch(/^SM/);
  });

  it('500 twice then 202: retried with a growing delay, sent with attempts 3', async () => {
    const { t, booking } = await confirmedBooking();
    const id = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    let n = 0;
    fakeProviders(() => (++n <= 2 ? new Response('oops', { status: 500 }) : sendgridOk()));
    const first = await deliverOnce([id], 1, undefined, 'm1');
    expect(first.retryMessages).toEqual([{ msgId: 'm1' }]);
    expect(first.delays).toEqual([30]);
    expect(await rowById(id)).toMatchObject({ status: 'pending', attempts: 1 });
    const second = await deliverOnce([id], 2, undefined, 'm1');
    expect(second.delays).toEqual([60]);
    const third = await deliverOnce([id], 3, undefined, 'm1');
    expect(third.retryMessages).toEqual([]);
    expect(third.explicitAcks).toEqual(['m1']);
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 3, failed_reason: null });
  });

  it('400 fails at once with the provider message', async () => {
    const { t, booking } = await confirmedBooking();
    const id = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'not-an-address');
    fakeProviders(() => Response.json({ errors: [{ message: 'Does not contain a valid address.' }] }, { status: 400 }));
    const result = await deliverOnce([id]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await rowById(id)).toMatchObject({
      status: 'failed',
      failed_reason: 'SendGrid 400: Does not contain a valid address.',
    });
  });

  it('always 503, a day after it was written: failed after the last delivery, handed to the dead-letter queue, which marks it', async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    const id = await outboxRow(booking.id, t.user.trainer.id, 'reminder_1h', 'sms', '+14155550123');
    const dayAgo = new Date(Date.now() - (OUTAGE_HOURS * 60 + 1) * 60_000).toISOString();
    await env.DB.prepare('UPDATE notifications SET created_at = ? WHERE id = ?').bind(dayAgo, id).run();
    fakeProviders(() => Response.json({ code: 20003, message: 'Service unavailable' }, { status: 503 }));
    for (let attempt = 1; attempt < MAX_DELIVERIES; attempt++) {
      const r = await deliverOnce([id], attempt, undefined, 'm');
      expect(r.delays).toEqual([Math.min(240, 30 * 2 ** (attempt - 1))]);
      expect((await rowById(id))?.status).toBe('pending');
    }
    const last = await deliverOnce([id], MAX_DELIVERIES, undefined, 'm');
    expect(last.retryMessages).toEqual([{ msgId: 'm' }]);
    expect(last.delays).toEqual([undefined]); // no delay: on to the dead-letter queue
    expect(await rowById(id)).toMatchObject({
      status: 'failed',
      attempts: MAX_DELIVERIES,
      failed_reason: 'Twilio 503: Service unavailable',
    });
    const dlq = await deliverOnce([id], 1, 'trainerhub-notifications-dlq', 'm');
    expect(dlq.explicitAcks).toEqual(['m']);
    expect((await rowById(id))?.failed_reason).toBe('Twilio 503: Service unavailable (dead-lettered)');
  });

  it('a provider down past every delivery: the row waits for a later round (10, then 20 minutes), then goes', async () => {
    const { t, booking } = await confirmedBooking();
    const id = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    fakeProviders(() => new Response('down', { status: 503 }));
    const round = async (wait: number) => {
      let last = await deliverOnce([id], 1, undefined, 'r');
      for (let attempt = 2; attempt <= MAX_DELIVERIES; attempt++)
        last = await deliverOnce([id], attempt, undefined, 'r');
      // Off the queue (acked, no dead letter), still pending, with the instant of its next round.
      expect(last.retryMessages).toEqual([]);
      expect(last.explicitAcks).toEqual(['r']);
      const row = await rowById(id);
      expect(row).toMatchObject({ status: 'pending', failed_reason: 'SendGrid 503: HTTP 503' });
      const inMinutes = (Date.parse(String(row?.retry_at)) - Date.now()) / 60_000;
      expect(inMinutes).toBeGreaterThan(wait - 1);
      expect(inMinutes).toBeLessThanOrEqual(wait);
      return row;
    };
    await round(10);
    const second = await round(20);
    expect(second?.attempts).toBe(2 * MAX_DELIVERIES);
    vi.restoreAllMocks(); // the provider is back (the test Worker's queue consumer uses `log`)

    // The sweeper leaves it alone until its round is due, then queues it, and it is sent once.
    await tick(Date.now() + 6 * 60_000);
    expect(await rowById(id)).toMatchObject({ status: 'pending', updated_at: second?.updated_at });
    await tick(Date.parse(String(second?.retry_at)) + 1_000);
    const sent = await until(
      () => rowById(id),
      (r) => r?.status === 'sent',
    );
    expect(sent?.attempts).toBe(2 * MAX_DELIVERIES + 1);
  });

  it('a reminder whose session has begun is never sent; one whose next round could not end before it is not kept', async () => {
    const { t, booking } = await confirmedBooking();
    const begun = await outboxRow(booking.id, t.user.trainer.id, 'reminder_1h', 'email', 'sam@example.com');
    const soon = await outboxRow(booking.id, t.user.trainer.id, 'reminder_24h', 'email', 'sam@example.com');
    const move = (startMs: number) =>
      env.DB.prepare('UPDATE bookings SET start_time = ?, end_time = ? WHERE id = ?')
        .bind(new Date(startMs).toISOString(), new Date(startMs + 3_600_000).toISOString(), booking.id)
        .run();
    const calls = fakeProviders(() => new Response('down', { status: 503 }));
    await move(Date.now() - 60_000);
    await deliverOnce([begun], 1, undefined, 'begun');
    expect(await rowById(begun)).toMatchObject({ status: 'failed', failed_reason: 'The session had begun.' });
    expect(calls).toHaveLength(0);
    // 30 minutes ahead: a round starting in 10 minutes could run past the start.
    await move(Date.now() + 30 * 60_000);
    for (let attempt = 1; attempt <= MAX_DELIVERIES; attempt++) await deliverOnce([soon], attempt, undefined, 'soon');
    expect(await rowById(soon)).toMatchObject({ status: 'failed', retry_at: null });
  });

  it("a 1 h reminder's SMS gets no later round: it fails, and the client gets the reminder by email now", async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const sms = await outboxRow(booking.id, t.user.trainer.id, 'reminder_1h', 'sms', '+14155550123');
    await env.DB.prepare('UPDATE notifications SET dedupe_key = ? WHERE id = ?')
      .bind(`booking:${booking.id}:reminder_1h:sms:${booking.start_time}`, sms)
      .run();
    fakeProviders(() => Response.json({ code: 20003, message: 'Service unavailable' }, { status: 503 }));
    for (let attempt = 1; attempt <= MAX_DELIVERIES; attempt++) await deliverOnce([sms], attempt, undefined, 's');
    expect(await rowById(sms)).toMatchObject({ status: 'failed', retry_at: null });
    const email = (await rowsOf(booking.id)).filter((r) => r.kind === 'reminder_1h' && r.notification_type === 'email');
    expect(email).toHaveLength(1);
  });

  it('the dead-letter queue fails the rows given up, never one of the same message kept for a later round', async () => {
    const { t, booking } = await confirmedBooking();
    const kept = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    const old = await outboxRow(booking.id, t.user.trainer.id, 'booking_cancelled', 'email', 'sam@example.com');
    const dayAgo = new Date(Date.now() - (OUTAGE_HOURS * 60 + 1) * 60_000).toISOString();
    await env.DB.prepare('UPDATE notifications SET created_at = ? WHERE id = ?').bind(dayAgo, old).run();
    fakeProviders(() => new Response('down', { status: 503 }));
    let last = await deliverOnce([kept, old], 1, undefined, 'mixed');
    for (let attempt = 2; attempt <= MAX_DELIVERIES; attempt++)
      last = await deliverOnce([kept, old], attempt, undefined, 'mixed');
    expect(last.retryMessages).toEqual([{ msgId: 'mixed' }]); // on to the dead-letter queue, for `old`
    await deliverOnce([kept, old], 1, 'trainerhub-notifications-dlq', 'mixed');
    expect((await rowById(old))?.failed_reason).toBe('SendGrid 503: HTTP 503 (dead-lettered)');
    expect(await rowById(kept)).toMatchObject({ status: 'pending', failed_reason: 'SendGrid 503: HTTP 503' });
  });

  it('sends at most six at a time (a Worker keeps six connections waiting), and all of them', async () => {
    const { t, booking } = await confirmedBooking();
    const ids: number[] = [];
    for (let i = 0; i < 15; i++) {
      ids.push(await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', `sam${i}@example.com`));
    }
    let open = 0;
    let most = 0;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      most = Math.max(most, ++open);
      await new Promise((resolve) => setTimeout(resolve, 20));
      open--;
      return sendgridOk();
    });
    await deliverOnce(ids, 1, undefined, 'many');
    expect(most).toBe(6);
    expect((await Promise.all(ids.map(rowById))).every((r) => r?.status === 'sent')).toBe(true);
  });

  it('Twilio 429 / code 20429 and network errors are retried', async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    const id = await outboxRow(booking.id, t.user.trainer.id, 'reminder_1h', 'sms', '+14155550123');
    const answers = [
      () => Response.json({ code: 20429, message: 'Too Many Requests' }, { status: 400 }),
      () => {
        throw new TypeError('connection reset');
      },
      () => twilioOk(),
    ];
    let n = 0;
    fakeProviders(() => (answers[n++] as () => Response)());
    expect((await deliverOnce([id], 1)).retryMessages).toHaveLength(1);
    expect((await rowById(id))?.failed_reason).toBe('Twilio 400: Too Many Requests');
    expect((await deliverOnce([id], 2)).retryMessages).toHaveLength(1);
    expect((await rowById(id))?.failed_reason).toMatch(/network error/);
    expect((await deliverOnce([id], 3)).retryMessages).toHaveLength(0);
    expect((await rowById(id))?.status).toBe('sent');
  });

  it("a provider's Retry-After lengthens the wait, up to the longest delay; a date works too", async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    const email = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    const sms = await outboxRow(booking.id, t.user.trainer.id, 'reminder_1h', 'sms', '+14155550123');
    const busy = (retryAfter: string) =>
      fakeProviders(({ url }) =>
        url.startsWith('https://sendgrid.test')
          ? new Response('slow down', { status: 429, headers: { 'Retry-After': retryAfter } })
          : Response.json({ code: 20003, message: 'Service unavailable' }, { status: 503 }),
      );
    busy('120');
    expect((await deliverOnce([email, sms], 1)).delays).toEqual([120]); // not the base 30
    vi.restoreAllMocks();
    busy('3600');
    expect((await deliverOnce([email, sms], 2)).delays).toEqual([240]); // the longest delay (the sweeper's 5 min)
    vi.restoreAllMocks();
    busy(new Date(Date.now() + 100_000).toUTCString());
    const dated = (await deliverOnce([email, sms], 1)).delays[0] ?? 0;
    expect(dated).toBeGreaterThanOrEqual(95); // what the date asks, not the base 30
    expect(dated).toBeLessThanOrEqual(101);
  });

  it('a provider that does not answer within the timeout fails retryably, and the batch goes on', async () => {
    const { t, booking } = await confirmedBooking({ phone: '+14155550123' });
    const email = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    const sms = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'sms', '+14155550123');
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input).startsWith('https://twilio.test')) return twilioOk();
      // SendGrid hangs until the caller gives up.
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    });
    const started = Date.now();
    const r = await deliverOnce([email, sms], 1, undefined, 'slow', {
      ...liveEnv,
      NOTIFY_PROVIDER_TIMEOUT_SECONDS: '1',
    });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(r.retryMessages).toEqual([{ msgId: 'slow' }]);
    expect(await rowById(email)).toMatchObject({ status: 'pending', failed_reason: 'no answer within 1 s' });
    expect(await rowById(sms)).toMatchObject({ status: 'sent' });
  });

  it('the same message delivered twice, one after the other or at once, sends once', async () => {
    const { t, booking } = await confirmedBooking();
    const a = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'a@example.com');
    const b = await outboxRow(booking.id, t.user.trainer.id, 'booking_cancelled', 'email', 'b@example.com');
    const calls = fakeProviders(() => sendgridOk());
    await deliverOnce([a]);
    await deliverOnce([a]);
    await Promise.all([deliverOnce([b]), deliverOnce([b]), deliverOnce([b])]);
    expect(calls.map((c) => JSON.parse(String(c.init.body)).personalizations[0].to[0].email).sort()).toEqual([
      'a@example.com',
      'b@example.com',
    ]);
    expect((await rowById(b))?.attempts).toBe(1);
  });
});

async function tick(at: number, dbProxy?: D1Database, queue?: Queue) {
  const ctx = createExecutionContext();
  await worker.scheduled(
    createScheduledController({ scheduledTime: at, cron: '*/5 * * * *' }),
    { ...env, ...(dbProxy ? { DB: dbProxy } : {}), ...(queue ? { NOTIFY_QUEUE: queue } : {}) } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
}

describe('the SMS limit per trainer', () => {
  it('SMS past the daily limit are failed unsent; emails still go; another trainer is not affected', async () => {
    const capped = { ...liveEnv, SMS_DAILY_LIMIT_PER_TRAINER: '2' };
    const a = await confirmedBooking({ phone: '+14155550123' });
    const b = await confirmedBooking({ phone: '+14155550124' });
    const sms = (x: typeof a, n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          outboxRow(x.booking.id, x.t.user.trainer.id, 'booking_confirmed', 'sms', '+14155550123'),
        ),
      );
    const aSms = await sms(a, 3);
    const aEmail = await outboxRow(a.booking.id, a.t.user.trainer.id, 'booking_confirmed', 'email', 'sam@example.com');
    const calls = fakeProviders((c) => (c.url.includes('sendgrid') ? sendgridOk() : twilioOk()));

    const first = await deliverOnce([...aSms, aEmail], 1, undefined, undefined, capped);
    expect(first.explicitAcks).toHaveLength(1);
    expect(calls.filter((c) => c.url.includes('twilio'))).toHaveLength(2);
    expect(calls.filter((c) => c.url.includes('sendgrid'))).toHaveLength(1);
    const statuses = await Promise.all(aSms.map(rowById));
    expect(statuses.map((r) => r?.status).sort()).toEqual(['failed', 'sent', 'sent']);
    expect(statuses.find((r) => r?.status === 'failed')?.failed_reason).toBe(
      'SMS limit reached: 2 per trainer in 24 h.',
    );
    expect((await rowById(aEmail))?.status).toBe('sent');

    // A later delivery counts what was sent in the last 24 h; another trainer has its own limit.
    const [later] = await sms(a, 1);
    const [other] = await sms(b, 1);
    await deliverOnce([later as number, other as number], 1, undefined, undefined, capped);
    expect((await rowById(later as number))?.status).toBe('failed');
    expect((await rowById(other as number))?.status).toBe('sent');
    expect(calls.filter((c) => c.url.includes('twilio'))).toHaveLength(3);
  });

  it('a 1 h reminder whose SMS is refused goes by email instead, once; a 24 h one has its email already', async () => {
    const none = { ...liveEnv, SMS_DAILY_LIMIT_PER_TRAINER: '0' };
    const { t, client, booking } = await confirmedBooking({ phone: '+14155550123' });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const keyed = async (kind: string) => {
      const id = await outboxRow(booking.id, t.user.trainer.id, kind, 'sms', '+14155550123');
      await env.DB.prepare('UPDATE notifications SET dedupe_key = ? WHERE id = ?')
        .bind(`booking:${booking.id}:${kind}:sms:${booking.start_time}`, id)
        .run();
      return id;
    };
    const hour = await keyed('reminder_1h');
    const day = await keyed('reminder_24h');
    fakeProviders((c) => (c.url.includes('sendgrid') ? sendgridOk() : twilioOk()));
    await deliverOnce([hour, day], 1, undefined, undefined, none);
    await deliverOnce([hour, day], 2, undefined, undefined, none);
    expect((await rowById(hour))?.failed_reason).toBe('SMS limit reached: 0 per trainer in 24 h.');
    expect((await rowById(day))?.status).toBe('failed');
    const emails = (await rowsOf(booking.id)).filter(
      (r) => r.kind.startsWith('reminder') && r.notification_type === 'email',
    );
    expect(emails.map((r) => [r.kind, r.recipient, r.dedupe_key])).toEqual([
      ['reminder_1h', client.email, `booking:${booking.id}:reminder_1h:email:${booking.start_time}`],
    ]);
  });
});

describe('reminders from the cron', () => {
  it('two ticks at once and two ticks inside the window plan each reminder once', async () => {
    const start = '2031-03-10T15:00:00.000Z';
    const { t, booking } = await confirmedBooking({ phone: '+14155550123', start });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const s = Date.parse(start);
    await Promise.all([tick(s - 20 * 3600_000), tick(s - 20 * 3600_000)]);
    await tick(s - 10 * 3600_000);
    const reminders = (await rowsOf(booking.id)).filter((r) => r.kind.startsWith('reminder'));
    expect(reminders.map((r) => `${r.kind}/${r.notification_type}`).sort()).toEqual([
      'reminder_24h/email',
      'reminder_24h/sms',
    ]);
    await Promise.all([tick(s - 30 * 60_000), tick(s - 25 * 60_000)]);
    const all = (await rowsOf(booking.id)).filter((r) => r.kind.startsWith('reminder'));
    expect(all.map((r) => `${r.kind}/${r.notification_type}`).sort()).toEqual([
      'reminder_1h/sms',
      'reminder_24h/email',
      'reminder_24h/sms',
    ]);
    // Nothing after the start.
    await tick(s + 60_000);
    expect((await rowsOf(booking.id)).filter((r) => r.kind.startsWith('reminder'))).toHaveLength(3);
  });

  it('a booking confirmed 30 minutes before its start gets no reminder (its confirmation just went); one confirmed 2 h before gets the 1 h one', async () => {
    const late = await confirmedBooking({ start: startIn(30) });
    const early = await confirmedBooking({ start: startIn(120) });
    for (const { t, booking } of [late, early])
      await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    await tick(Date.now());
    await tick(Date.now() + 65 * 60_000);
    const reminders = async (id: number) =>
      (await rowsOf(id)).filter((r) => r.kind.startsWith('reminder')).map((r) => `${r.kind}/${r.notification_type}`);
    expect(await reminders(late.booking.id)).toEqual([]);
    expect(await reminders(early.booking.id)).toEqual(['reminder_1h/email']);
  });

  it('a booking cancelled before its reminder gets none; pending ones become cancelled', async () => {
    const start = '2031-04-10T09:00:00.000Z';
    const { t, booking } = await confirmedBooking({ phone: '+14155550123', start });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    await api('POST', `/api/bookings/${booking.id}/cancel/`, { token: t.token });
    await tick(Date.parse(start) - 20 * 3600_000);
    await tick(Date.parse(start) - 30 * 60_000);
    expect((await rowsOf(booking.id)).filter((r) => r.kind.startsWith('reminder'))).toEqual([]);
    expect((await rowsOf(booking.id)).some((r) => r.kind !== 'booking_cancelled' && r.status === 'pending')).toBe(
      false,
    );
  });

  it('a rescheduled booking gets reminders for the new time only', async () => {
    const oldStart = '2031-05-10T09:00:00.000Z';
    const newStart = '2031-05-12T11:00:00.000Z';
    const { t, booking } = await confirmedBooking({ phone: '+14155550123', start: oldStart });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const stale = await outboxRow(booking.id, t.user.trainer.id, 'reminder_24h', 'email', 'x@example.com');
    await env.DB.prepare('UPDATE notifications SET dedupe_key = ? WHERE id = ?')
      .bind(`booking:${booking.id}:reminder_24h:email:${oldStart}`, stale)
      .run();
    const moved = await api<BookingBody>('PATCH', `/api/bookings/${booking.id}/`, {
      token: t.token,
      body: { start_time: newStart },
    });
    expect(moved.status).toBe(200);
    expect((await rowById(stale))?.status).toBe('cancelled');
    await tick(Date.parse(oldStart) - 20 * 3600_000);
    await tick(Date.parse(newStart) - 20 * 3600_000);
    const reminders = (await rowsOf(booking.id)).filter(
      (r) => r.kind.startsWith('reminder') && r.status !== 'cancelled',
    );
    expect(reminders.map((r) => r.dedupe_key.endsWith(newStart))).toEqual([true, true]);
  });

  it('moved away and back before its reminder went: the reminder is planned again for that start, once', async () => {
    const start = '2031-05-20T09:00:00.000Z';
    const { t, booking } = await confirmedBooking({ start });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const planned = await outboxRow(booking.id, t.user.trainer.id, 'reminder_1h', 'email', 'x@example.com');
    await env.DB.prepare('UPDATE notifications SET dedupe_key = ? WHERE id = ?')
      .bind(`booking:${booking.id}:reminder_1h:email:${start}`, planned)
      .run();
    const move = (to: string) =>
      api('PATCH', `/api/bookings/${booking.id}/`, { token: t.token, body: { start_time: to } });
    expect((await move('2031-05-21T09:00:00.000Z')).status).toBe(200);
    expect((await rowById(planned))?.status).toBe('cancelled');
    expect((await move(start)).status).toBe(200);
    await tick(Date.parse(start) - 30 * 60_000);
    await tick(Date.parse(start) - 25 * 60_000);
    const live = (await rowsOf(booking.id)).filter((r) => r.kind === 'reminder_1h' && r.status !== 'cancelled');
    expect(live.map((r) => r.dedupe_key)).toEqual([`booking:${booking.id}:reminder_1h:email:${start}`]);
  });

  it('moving only the end keeps the unsent reminders of the unchanged start', async () => {
    const start = '2031-06-10T09:00:00.000Z';
    const { t, booking } = await confirmedBooking({ phone: '+14155550123', start });
    await api('POST', `/api/bookings/${booking.id}/confirm/`, { token: t.token });
    const keyed = async (kind: string, channel: 'email' | 'sms', at: string) => {
      const id = await outboxRow(booking.id, t.user.trainer.id, kind, channel, 'x@example.com');
      await env.DB.prepare('UPDATE notifications SET dedupe_key = ? WHERE id = ?')
        .bind(`booking:${booking.id}:${kind}:${channel}:${at}`, id)
        .run();
      return id;
    };
    const kept = await keyed('reminder_24h', 'sms', start);
    const stale = await keyed('reminder_1h', 'email', '2031-06-09T09:00:00.000Z');
    const moved = await api<BookingBody>('PATCH', `/api/bookings/${booking.id}/`, {
      token: t.token,
      body: { end_time: '2031-06-10T09:45:00.000Z' },
    });
    expect(moved.status).toBe(200);
    expect((await rowById(kept))?.status).toBe('pending');
    expect((await rowById(stale))?.status).toBe('cancelled');
  });

  it('5,000 confirmed bookings due in one tick: at most 5 D1 queries, at most 50 sendBatch calls, one reminder each', {
    timeout: 120_000,
  }, async () => {
    const t = await registerTrainer();
    const client = await createClient(t.token);
    const base = Date.parse('2032-01-01T00:00:00Z');
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
       INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status)
       SELECT ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+' || (i * 10) || ' seconds'), strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+' || (i * 10 + 3600) || ' seconds'), 'confirmed' FROM n`,
    )
      .bind(t.user.trainer.id, client.id, new Date(base).toISOString(), new Date(base).toISOString())
      .run();
    const counted = countingD1(env.DB);
    const { queue, sendBatchCalls } = countingQueue(env.NOTIFY_QUEUE);
    await tick(base - 2 * 3600_000, counted.db, queue);
    expect(counted.count()).toBeGreaterThan(0);
    expect(counted.count()).toBeLessThanOrEqual(5);
    expect(sendBatchCalls()).toBeLessThanOrEqual(50);
    const { n, bookings } = (await env.DB.prepare(
      "SELECT count(*) AS n, count(DISTINCT booking_id) AS bookings FROM notifications WHERE trainer_id = ? AND kind = 'reminder_24h'",
    )
      .bind(t.user.trainer.id)
      .first<{ n: number; bookings: number }>()) ?? { n: 0, bookings: 0 };
    expect(n).toBe(5000);
    expect(bookings).toBe(5000);
  });
});

describe('dedupe keys', () => {
  it('have one format, built in one place, whether parts are values or columns', async () => {
    const db = getDb(env.DB);
    const keyOf = async (of: DedupeOf) =>
      (await db.all<{ k: string }>(sql`SELECT ${dedupeKey(of)} AS k FROM (SELECT 42 AS id)`))[0]?.k;
    const start = '2025-01-15T10:00:00.000Z';
    expect(await keyOf({ booking: 42, kind: 'reminder_24h', channel: 'email', start })).toBe(
      `booking:42:reminder_24h:email:${start}`,
    );
    expect(await keyOf({ booking: sql.raw('id'), kind: 'reminder_1h', channel: 'sms', start })).toBe(
      `booking:42:reminder_1h:sms:${start}`,
    );
    expect(await keyOf({ booking: sql.raw('id'), kind: 'booking_requested' })).toBe('booking:42:booking_requested');
    expect(await keyOf({ payment: 'txn_01' })).toBe('payment:txn_01:receipt');
    expect(await keyOf({ user: 7, kind: 'email_verification', at: start })).toBe(`user:7:email_verification:${start}`);
  });
});

const MANAGE_URL = `https://app.trainerhub.example/book/manage/${'A'.repeat(43)}`;

describe('messages', () => {
  /** An SMS of a confirmed one-hour session on 14 July 2025 (London), with `over` changed. */
  const sms = (over: Partial<BookingContext>) =>
    renderBooking({
      kind: 'booking_confirmed',
      channel: 'sms',
      clientFirstName: 'Sam',
      clientName: 'Sam Lee',
      businessName: 'Alex Fit',
      timezone: 'Europe/London',
      startTime: '2025-07-14T09:00:00.000Z',
      endTime: '2025-07-14T10:00:00.000Z',
      notes: '',
      serviceName: '60-minute session',
      place: null,
      cancellationReason: '',
      bookingId: 1,
      clientEmail: 'sam@example.com',
      clientTimezone: 'Europe/London',
      status: 'confirmed',
      sequence: 0,
      manageUrl: MANAGE_URL,
      appOrigin: 'https://app.trainerhub.example',
      replyTo: 'bookings@trainerhub.example',
      now: '2025-07-13T09:00:00.000Z',
      ...over,
    });

  it('SMS bodies stay within 160 GSM-7 characters for long names; names shorten, never the time', () => {
    const long = `Ünïcode Fitness & Performance Coaching 💪 ${'Extraordinarily Long Business Name '.repeat(5)}`;
    for (const kind of ['booking_confirmed', 'booking_cancelled', 'reminder_24h', 'reminder_1h'] as const) {
      const r = sms({ kind, businessName: long });
      expect(gsm7Length(r.text), r.text).toBeLessThanOrEqual(SMS_MAX);
      expect(r.text).toContain(MANAGE_URL);
      expect(r.text).toContain('Mon 14 Jul 10:00 BST');
      expect(r.text).toContain('Ünicode Fitness'); // Ü is GSM-7; ï and the emoji are not
    }
  });

  it('an SMS writes typographic quotes and dashes plainly, Polish letters without their marks, and leaves emoji out', () => {
    const r = sms({
      clientFirstName: 'Ola',
      clientName: 'Ola Nowak',
      businessName: 'Żaneta’s — Łódź™ 💪🏽',
      timezone: 'Europe/Warsaw',
      clientEmail: 'ola@example.com',
      clientTimezone: 'Europe/Warsaw',
    });
    expect(r.text).toContain("Zaneta's - LodzTM");
    expect(r.text).not.toContain('?');
    expect(gsm7Length(r.text)).toBeLessThanOrEqual(SMS_MAX);
  });

  it('an SMS whose link leaves no room for a letter of the name takes two parts rather than lose the name', () => {
    const longLink = `https://bookings.a-very-long-studio-domain.example/book/manage/${'x'.repeat(90)}`;
    const r = sms({
      kind: 'waitlist_expired',
      businessName: 'Harbour Strength',
      serviceName: 'Circuits',
      cancellationReason: 'waitlist_expired',
      status: 'cancelled',
      sequence: 1,
      manageUrl: longLink,
    });
    expect(gsm7Length(r.text)).toBeGreaterThan(SMS_MAX);
    expect(gsm7Length(r.text)).toBeLessThanOrEqual(SMS_TWO_PARTS);
    expect(r.text).toContain('with Harbour Strength Mon 14 Jul');
    expect(r.text).toContain(longLink);
  });
});

describe('the notifications API', () => {
  it('lists with filters, retries a failed one, refuses others, and is tenant-scoped', {
    timeout: 30_000,
  }, async () => {
    const { t, booking } = await confirmedBooking();
    const failed = await outboxRow(booking.id, t.user.trainer.id, 'booking_confirmed', 'email', 'x@example.com');
    await env.DB.prepare("UPDATE notifications SET status = 'failed', failed_reason = 'bounced' WHERE id = ?")
      .bind(failed)
      .run();
    const list = await api<{ count: number; results: { id: number }[] }>('GET', '/api/notifications/?status=failed', {
      token: t.token,
    });
    expect(list.body.results.map((r) => r.id)).toEqual([failed]);
    const other = await registerTrainer();
    expect((await api('POST', `/api/notifications/${failed}/retry/`, { token: other.token })).status).toBe(404);
    expect((await api<{ count: number }>('GET', '/api/notifications/', { token: other.token })).body.count).toBe(0);
    const retried = await api<{ status: string; failed_reason: string | null }>(
      'POST',
      `/api/notifications/${failed}/retry/`,
      { token: t.token },
    );
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'pending', failed_reason: null });
    const sent = await until(
      () => rowById(failed),
      (r) => r?.status === 'sent',
    );
    expect(sent?.status).toBe('sent');
    expect((await api('POST', `/api/notifications/${failed}/retry/`, { token: t.token })).status).toBe(409);
    expect((await api('GET', '/api/notifications/?kind=nope', { token: t.token })).status).toBe(400);
  });
});
