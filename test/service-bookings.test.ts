// Bookings carry their service: its length and buffers decide free slots and overlaps, each
// booking keeps its own occupied span, and trainers who never name a service see what they saw.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, at, book, futureDay, openapiDocument, setupTrainer, uniqueEmail } from './helpers';

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

/** A service of the trainer's, made through the services API. */
async function addService(t: Trainer, body: Record<string, unknown>): Promise<number> {
  const res = await api<{ id: number }>('POST', '/api/services/', {
    token: t.token,
    body: { name: 'Service', duration_minutes: 60, ...body },
  });
  if (res.status !== 201) throw new Error(`service create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

type Day = { date: string; slots: { start_time: string }[] };
const hhmm = (slots: { start_time: string }[]) => slots.map((s) => s.start_time.slice(11, 16));

async function freeTimes(t: Trainer, date: string, service?: number) {
  const q = service ? `&service=${service}` : '';
  const res = await api<Day & { service: number; duration_minutes: number }>(
    'GET',
    `/api/availability-slots/available/?date=${date}${q}`,
    { token: t.token },
  );
  expect(res.status).toBe(200);
  return res.body;
}

describe('bookings carry their service', () => {
  it('50 parallel creates of two services whose times overlap only through buffers: exactly one 201', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    // A 30-minute check-in with 30 minutes after it; a 60-minute session with 15 minutes before it.
    const checkIn = await addService(t, { name: 'Check-in', duration_minutes: 30, buffer_after_minutes: 30 });
    const session = await addService(t, { name: 'Session', duration_minutes: 60, buffer_before_minutes: 15 });
    const date = futureDay(20).date;
    // 10:00–10:30 (+30) and 11:00–12:00 (15 before): the sessions never touch, their buffers overlap 10:45–11:00.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        book(t.token, {
          client: t.client.id,
          service: i % 2 ? checkIn : session,
          start_time: at(date, i % 2 ? '10:00' : '11:00'),
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(new Set(results.filter((r) => r.status === 409).map((r) => r.body.code))).toEqual(
      new Set(['booking_overlap']),
    );
    const { results: rows } = await env.DB.prepare(
      `SELECT service_id, start_time, end_time, occupied_start, occupied_end FROM bookings WHERE trainer_id = ? AND status = 'pending'`,
    )
      .bind(t.user.trainer.id)
      .all<{ service_id: number; start_time: string; occupied_start: string; occupied_end: string }>();
    expect(rows).toHaveLength(1);
    const row = rows[0];
    if (row?.service_id === checkIn) {
      expect([row.occupied_start, row.occupied_end]).toEqual([`${date}T10:00:00.000Z`, `${date}T11:00:00.000Z`]);
    } else {
      expect([row?.occupied_start, row?.occupied_end]).toEqual([`${date}T10:45:00.000Z`, `${date}T12:00:00.000Z`]);
    }
  });

  it('a 90-minute home visit with 30 minutes after it blocks what it should, in the answer, the list filter and the free slots', async () => {
    const t = await setupTrainer({
      open: ['08:00', '14:00'],
      settings: { min_notice_minutes: 0, slot_interval_minutes: 30 },
    });
    const visit = await addService(t, {
      name: 'Home assessment',
      duration_minutes: 90,
      buffer_after_minutes: 30,
      location_type: 'client_address',
    });
    const checkIn = await addService(t, { name: 'Check-in', duration_minutes: 30 });
    const date = futureDay(21).date;

    const made = await book(t.token, { client: t.client.id, service: visit, start_time: at(date, '09:00') });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ service: visit, end_time: `${date}T10:30:00.000Z`, duration_minutes: 90 });

    // The check-in may start when the visit's buffer ends (11:00), not in it.
    const refused = await book(t.token, { client: t.client.id, service: checkIn, start_time: at(date, '10:30') });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('booking_overlap');
    const after = await book(t.token, { client: t.client.id, service: checkIn, start_time: at(date, '11:00') });
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ service: checkIn, duration_minutes: 30 });

    const checkInDay = await freeTimes(t, date, checkIn);
    expect(checkInDay).toMatchObject({ service: checkIn, duration_minutes: 30 });
    expect(hhmm(checkInDay.slots)).toEqual(['08:00', '08:30', '11:30', '12:00', '12:30', '13:00', '13:30']);
    const visitDay = await freeTimes(t, date, visit);
    // 90 minutes + 30 after must not reach 09:00 or 11:00–11:30; the session itself must end by 14:00.
    expect(hhmm(visitDay.slots)).toEqual(['11:30', '12:00', '12:30']);

    const list = await api<{ count: number; results: { id: number }[] }>('GET', `/api/bookings/?service=${visit}`, {
      token: t.token,
    });
    expect(list.body.results.map((b) => b.id)).toEqual([made.body.id]);
  });

  it('a moved booking keeps its own buffers, even after its service changes', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    const visit = await addService(t, { name: 'Visit', duration_minutes: 60, buffer_after_minutes: 30 });
    const date = futureDay(22).date;
    const first = await book(t.token, { client: t.client.id, service: visit, start_time: at(date, '09:00') });
    expect(first.status).toBe(201);
    await env.DB.prepare('UPDATE services SET buffer_after_minutes = 0 WHERE id = ?').bind(visit).run();
    const moved = await api<{ start_time: string }>('PATCH', `/api/bookings/${first.body.id}/`, {
      token: t.token,
      body: { start_time: at(date, '13:00') },
    });
    expect(moved.status).toBe(200);
    const row = await env.DB.prepare('SELECT occupied_start, occupied_end FROM bookings WHERE id = ?')
      .bind(first.body.id)
      .first();
    expect(row).toEqual({ occupied_start: `${date}T13:00:00.000Z`, occupied_end: `${date}T14:30:00.000Z` });
    const blocked = await book(t.token, { client: t.client.id, start_time: at(date, '14:00') });
    expect(blocked.status).toBe(409);
  });

  it('every bad service is named: unknown, another trainer’s, archived; visitors get public ones only', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    const other = await setupTrainer();
    const theirs = await addService(other, { name: 'Theirs' });
    const archived = await addService(t, { name: 'Old' });
    await api('PATCH', `/api/services/${archived}/`, { token: t.token, body: { is_active: false } });
    const hidden = await addService(t, { name: 'Private', is_public: false, duration_minutes: 45 });
    const date = futureDay(23).date;
    for (const service of [999_999, theirs, archived]) {
      const res = await book(t.token, { client: t.client.id, service, start_time: at(date, '09:00') });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors ?? {})).toEqual(['service']);
      const free = await api('GET', `/api/availability-slots/available/?date=${date}&service=${service}`, {
        token: t.token,
      });
      expect(free.status).toBe(400);
    }
    // The trainer may book a private service; a visitor may not even ask for its slots.
    expect((await book(t.token, { client: t.client.id, service: hidden, start_time: at(date, '09:00') })).status).toBe(
      201,
    );
    const slug = t.user.trainer.slug;
    const publicFree = await api<{ errors: Record<string, string[]> }>(
      'GET',
      `/api/public/trainers/${slug}/availability?from=${date}&to=${date}&service=${hidden}`,
    );
    expect(publicFree.status).toBe(400);
    expect(Object.keys(publicFree.body.errors)).toEqual(['service']);
    const publicBook = await api<{ errors: Record<string, string[]> }>(
      'POST',
      `/api/public/trainers/${slug}/bookings`,
      {
        body: {
          service: hidden,
          start_time: at(date, '15:00'),
          first_name: 'Vi',
          last_name: 'Sitor',
          email: uniqueEmail('visitor'),
        },
      },
    );
    expect(publicBook.status).toBe(400);
    expect(Object.keys(publicBook.body.errors)).toEqual(['service']);
  });

  it('a visitor books a public service at one of its offered times; its length comes from the service', async () => {
    const t = await setupTrainer({ open: ['09:00', '12:00'], settings: { min_notice_minutes: 0 } });
    const short = await addService(t, { name: 'Check-in', duration_minutes: 20, buffer_after_minutes: 10 });
    const slug = t.user.trainer.slug;
    const date = futureDay(24).date;
    const free = await api<{ service: number; duration_minutes: number; days: Day[] }>(
      'GET',
      `/api/public/trainers/${slug}/availability?from=${date}&to=${date}&service=${short}`,
    );
    expect(free.status).toBe(200);
    expect(free.body).toMatchObject({ service: short, duration_minutes: 20 });
    const slot = free.body.days[0]?.slots.at(-1)?.start_time ?? '';
    expect(slot).toBe(`${date}T11:30:00.000Z`);
    const made = await api<{ end_time: string }>('POST', `/api/public/trainers/${slug}/bookings`, {
      body: { service: short, start_time: slot, first_name: 'Vi', last_name: 'Sitor', email: uniqueEmail('v') },
    });
    expect(made.status).toBe(201);
    expect(made.body.end_time).toBe(`${date}T11:50:00.000Z`);
  });
});

describe('the services migration', () => {
  it('an existing trainer’s bookings and availability answer exactly as before the backfill', async () => {
    const t = await setupTrainer({
      open: ['08:00', '13:00'],
      settings: { session_duration_minutes: 45, buffer_minutes: 15, min_notice_minutes: 0, slot_interval_minutes: 15 },
    });
    const date = futureDay(25).date;
    for (const time of ['09:00', '11:00']) {
      expect((await book(t.token, { client: t.client.id, start_time: at(date, time) })).status).toBe(201);
    }
    const snapshot = async () => ({
      free: (await freeTimes(t, date)).slots,
      list: (await api<{ results: Record<string, unknown>[] }>('GET', '/api/bookings/', { token: t.token })).body
        .results,
    });
    const before = await snapshot();

    // Back to the rows as they were before services: no service, no occupied span, no service row.
    const id = t.user.trainer.id;
    await env.DB.batch([
      env.DB.prepare(
        `UPDATE bookings SET service_id = NULL, occupied_start = '', occupied_end = '' WHERE trainer_id = ?`,
      ).bind(id),
      env.DB.prepare('DELETE FROM services WHERE trainer_id = ?').bind(id),
    ]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith('0016_'));
    if (!migration) throw new Error('migration 0016 missing');
    // The backfill's statements (the triggers after them are in place already).
    for (const query of migration.queries.filter((q) => !q.includes('CREATE TRIGGER')))
      await env.DB.prepare(query).run();

    const after = await snapshot();
    const service = await env.DB.prepare(
      'SELECT id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes FROM services WHERE trainer_id = ? AND is_default = 1',
    )
      .bind(id)
      .first<{ id: number }>();
    expect(service).toMatchObject({
      name: '45-minute session',
      duration_minutes: 45,
      buffer_before_minutes: 0,
      buffer_after_minutes: 15,
    });
    expect(after.free).toEqual(before.free);
    expect(after.list).toEqual(before.list.map((b) => ({ ...b, service: service?.id })));
    // Old rule, same verdicts: 15 minutes must separate sessions on either side.
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '10:15') })).status).toBe(409);
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '12:00') })).status).toBe(201);
  });
});

describe('the OpenAPI document', () => {
  it('lists every route of issue 18 with request and response schemas', async () => {
    type Op = { requestBody?: unknown; parameters?: { name: string }[]; responses: Record<string, unknown> };
    const doc = { body: openapiDocument<{ paths: Record<string, Record<string, Op>> }>() };
    const expected: [string, string][] = [
      ['/api/services', 'get'],
      ['/api/services', 'post'],
      ['/api/services/{id}', 'get'],
      ['/api/services/{id}', 'patch'],
      ['/api/services/{id}', 'delete'],
      ['/api/availability-overrides', 'get'],
      ['/api/availability-overrides', 'post'],
      ['/api/availability-overrides/{id}', 'get'],
      ['/api/availability-overrides/{id}', 'patch'],
      ['/api/availability-overrides/{id}', 'delete'],
      ['/api/bookings/{id}/mark_no_show', 'post'],
      ['/api/client/bookings', 'get'],
      ['/api/client/bookings', 'post'],
      ['/api/client/bookings/{id}/cancel', 'post'],
      ['/api/client/bookings/{id}/reschedule', 'post'],
      ['/api/client/packages', 'get'],
    ];
    for (const [path, method] of expected) {
      const op = doc.body.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op?.responses['200'] ?? op?.responses['201'] ?? op?.responses['204'], `${method} ${path}`).toBeDefined();
      if (method === 'post' && !/cancel|mark_no_show/.test(path))
        expect(op?.requestBody, `${method} ${path}`).toBeDefined();
    }
    const params = (path: string, method: string) =>
      (doc.body.paths[path]?.[method]?.parameters ?? []).map((p) => p.name);
    expect(params('/api/availability-slots/available', 'get')).toContain('service');
    expect(params('/api/public/trainers/{slug}/availability', 'get')).toContain('service');
    expect(params('/api/bookings', 'get')).toContain('service');
  });
});

describe('the booking page with one public service that is not the default', () => {
  it('names that service, so a visitor never books the private default', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    const defaults = await api<{ results: { id: number; is_default: boolean }[] }>('GET', '/api/services/', {
      token: t.token,
    });
    const def = defaults.body.results.find((s) => s.is_default);
    await api('PATCH', `/api/services/${def?.id}/`, { token: t.token, body: { is_public: false } });
    const open = await addService(t, { name: 'Open class', duration_minutes: 45 });
    const page = await api<string>('GET', `/book/${t.user.trainer.slug}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-service="${open}"`);
    // Without it the visitor would ask for the private default and be refused.
    const slug = t.user.trainer.slug;
    expect((await api('GET', `/api/public/trainers/${slug}/availability`)).status).toBe(400);
    expect((await api('GET', `/api/public/trainers/${slug}/availability?service=${open}`)).status).toBe(200);
  });
});
