// A standing series create honours Idempotency-Key as the booking create does: the same key and
// body within 24 h makes one series and replays the first answer (Idempotency-Replayed: true),
// also when the two requests run at once; another body is 422; keys are scoped per user.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleSeries } from '../src/bookings/series-commands';
import { getDb } from '../src/lib/db';
import { idempotencyOf } from '../src/lib/idempotency';
import { planSeries } from '../src/series/service';
import { api, at, changingAfterRead, futureDay, openapiDocument, type ProblemBody, setupTrainer } from './helpers';

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;
type Created = {
  id: number;
  bookings: { id: number; status: string }[];
  occurrences: { booking: number | null; conflict: string | null }[];
};
type Reply = { status: number; body: Created & ProblemBody; headers: Headers };

const SERIES = '/api/booking-series/';

const create = (t: Trainer, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api<Created & ProblemBody>('POST', SERIES, {
    token: t.token,
    body: { client: t.client.id, ...body },
    headers,
  }) as Promise<Reply>;

const weekly = (days: number, n: number, time = '09:00') => ({
  start_time: at(futureDay(days).date, time),
  repeat: { count: n },
});

const count = async (query: string, ...binds: unknown[]) =>
  (await env.DB.prepare(query)
    .bind(...binds)
    .first<number>('n')) ?? -1;
const seriesOf = (t: Trainer) =>
  count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', t.user.trainer.id);
const bookingsOf = (t: Trainer) => count('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?', t.user.trainer.id);

describe('Idempotency-Key on a series create', () => {
  it('the same key and body twice: one series, the same body, Idempotency-Replayed on the second', async () => {
    const t = await setupTrainer();
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    const first = await create(t, weekly(3, 4), key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get('Idempotency-Replayed')).toBeNull();
    expect(first.body.occurrences.filter((o) => o.booking !== null)).toHaveLength(4);

    const again = await create(t, weekly(3, 4), key);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.headers.get('Idempotency-Replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await seriesOf(t)).toBe(1);
    expect(await bookingsOf(t)).toBe(4);

    // The first answer, even after the series changed: as a booking create's replay.
    expect((await api('POST', `${SERIES}${first.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const later = await create(t, weekly(3, 4), key);
    expect(later.headers.get('Idempotency-Replayed')).toBe('true');
    expect(later.body).toEqual(first.body);
    expect(later.body.bookings.every((b) => b.status === 'pending')).toBe(true);

    // Without the key, or with another, the same body is a new request (here: every time taken).
    const fresh = await create(t, weekly(3, 4), { 'Idempotency-Key': crypto.randomUUID() });
    expect(fresh.status).toBe(409);
    expect(fresh.body.code).toBe('series_conflict');
    expect(await seriesOf(t)).toBe(1);
  });

  it('the same key fired twice at once: one series, both 201, no 500', async () => {
    const t = await setupTrainer();
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    const [a, b] = await Promise.all([create(t, weekly(4, 3), key), create(t, weekly(4, 3), key)]);
    expect([a.status, b.status], JSON.stringify([a.body, b.body])).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);
    const replays = [a, b].map((r) => r.headers.get('Idempotency-Replayed'));
    expect(replays.sort()).toEqual(['true', null].sort());
    expect(a.body.occurrences).toEqual(b.body.occurrences);
    expect(await seriesOf(t)).toBe(1);
    expect(await bookingsOf(t)).toBe(3);

    // Five at once with a new key: still one more series.
    const other = { 'Idempotency-Key': crypto.randomUUID() };
    const many = await Promise.all(Array.from({ length: 5 }, () => create(t, weekly(4, 3, '12:00'), other)));
    expect(many.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(many.map((r) => r.body.id)).size).toBe(1);
    expect(many.filter((r) => r.headers.get('Idempotency-Replayed') === null)).toHaveLength(1);
    expect(await seriesOf(t)).toBe(2);
    expect(await bookingsOf(t)).toBe(6);
  });

  it('another body with the same key is 422 and stores nothing; a refused create keeps no key', async () => {
    const t = await setupTrainer();
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    expect((await create(t, weekly(5, 2), key)).status).toBe(201);
    const other = await create(t, weekly(5, 3), key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await seriesOf(t)).toBe(1);
    expect(await bookingsOf(t)).toBe(2);

    // all_or_nothing refused (409): nothing stored, so the key is free for the request that works.
    const refusedKey = { 'Idempotency-Key': crypto.randomUUID() };
    const refused = await create(t, { ...weekly(5, 2), mode: 'all_or_nothing' }, refusedKey);
    expect(refused.status).toBe(409);
    const works = await create(t, weekly(5, 2, '15:00'), refusedKey);
    expect(works.status, JSON.stringify(works.body)).toBe(201);
    expect(works.headers.get('Idempotency-Replayed')).toBeNull();
    expect(await seriesOf(t)).toBe(2);

    const bad = await create(t, weekly(5, 2, '17:00'), { 'Idempotency-Key': 'ä' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.['Idempotency-Key']).toBeDefined();
  });

  it('keys are scoped per user: another trainer may use the same key; after 24 h it is free again', async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const key = { 'Idempotency-Key': `shared-${crypto.randomUUID()}` };
    const first = await create(a, weekly(6, 2), key);
    const theirs = await create(b, weekly(6, 2), key);
    expect([first.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get('Idempotency-Replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(first.body.id);
    // A booking create with the same key is another operation.
    const booking = await api('POST', '/api/bookings/', {
      token: a.token,
      body: { client: a.client.id, start_time: at(futureDay(6).date, '14:00') },
      headers: key,
    });
    expect(booking.status).toBe(201);
    expect(booking.headers.get('Idempotency-Replayed')).toBeNull();

    const dayLater = { ...key, 'X-Test-Now': new Date(Date.now() + 25 * 3600_000).toISOString() };
    const expired = await create(a, weekly(6, 2, '11:00'), dayLater);
    expect(expired.status, JSON.stringify(expired.body)).toBe(201);
    expect(expired.headers.get('Idempotency-Replayed')).toBeNull();
    expect(expired.body.id).not.toBe(first.body.id);
  });

  it('all_or_nothing undone in its batch (a booking written past the object) keeps no key', async () => {
    const t = await setupTrainer();
    const start = at(futureDay(9).date, '15:00');
    const second = new Date(Date.parse(start) + 7 * 86_400_000).toISOString();
    const racing = changingAfterRead(async (n) => {
      if (n > 0) return;
      await env.DB.prepare(
        `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status) VALUES (?, ?, ?, ?, 'confirmed')`,
      )
        .bind(t.user.trainer.id, t.client.id, second, new Date(Date.parse(second) + 3600_000).toISOString())
        .run();
    });
    const body = { client: t.client.id, start_time: start, repeat: { count: 3 } };
    const key = crypto.randomUUID();
    const idempotency = await idempotencyOf(key, `user:${t.user.id}:POST /api/booking-series`, body);
    const outcome = await scheduleSeries(
      getDb(racing.db),
      {
        trainerId: t.user.trainer.id,
        clientId: t.client.id,
        serviceId: null,
        clientPackageId: null,
        notes: '',
        mode: 'all_or_nothing',
        ...planSeries({ id: t.user.trainer.id, timezone: 'UTC' }, body, new Date().toISOString()),
        links: [],
        idempotency,
      },
      Date.now(),
    );
    expect(outcome).toMatchObject({ ok: false, status: 409, code: 'series_conflict' });
    expect(await seriesOf(t)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM idempotency_keys WHERE key = ?', key)).toBe(0);
  });

  it('a retry after the first occurrence has started still replays the series (the key before the body)', async () => {
    const t = await setupTrainer();
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    // Weekly from two hours from now, outside the windows: the first start soon passes.
    const startMs = Math.ceil((Date.now() + 2 * 3600_000) / 3600_000) * 3600_000;
    const body = {
      start_time: new Date(startMs).toISOString(),
      repeat: { count: 3 },
      allow_outside_availability: true,
    };
    const first = await create(t, body, key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const later = { ...key, 'X-Test-Now': new Date(startMs + 3600_000).toISOString() };
    const again = await create(t, body, later);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.headers.get('Idempotency-Replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await seriesOf(t)).toBe(1);
    // Another body under the key is still 422; without a key the past start is the 400 it always was.
    const other = await create(t, { ...body, notes: 'other' }, later);
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
    const unkeyed = await create(t, body, { 'X-Test-Now': later['X-Test-Now'] });
    expect(unkeyed.status).toBe(400);
    expect(Object.keys(unkeyed.body.errors ?? {})).toContain('start_time');
  });

  it('replays agree with each other when the first request never saved its answer', async () => {
    const t = await setupTrainer();
    const key = crypto.randomUUID();
    const first = await create(t, weekly(3, 3), { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    // The first request's Worker stopped before saving (the object had not kept its occurrences either).
    await env.DB.prepare("UPDATE idempotency_keys SET response_body = '' WHERE key = ?").bind(key).run();
    const replay = await create(t, weekly(3, 3), { 'Idempotency-Key': key });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    // Rebuilt from the series' bookings: one occurrence per booking, as the first answer had.
    expect(replay.body.occurrences).toEqual(first.body.occurrences);
    expect((await api('POST', `${SERIES}${first.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const later = await create(t, weekly(3, 3), { 'Idempotency-Key': key });
    expect(later.body).toEqual(replay.body);
    expect(later.body.bookings.map((b) => b.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('is documented in the API document', () => {
    type Op = { description?: string; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> };
    const op = openapiDocument<{ paths: Record<string, Record<string, Op>> }>().paths['/api/booking-series']?.post;
    expect(op?.description).toContain('Idempotency-Key');
    expect(op?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')).toBe(true);
    expect(Object.keys(op?.responses ?? {})).toContain('422');
  });
});
