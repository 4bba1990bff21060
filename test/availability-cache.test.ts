// Issue 21 item 2: the public availability is answered from the edge cache (caches.default, which
// the test runtime's workerd implements) under a key holding the trainer's schedule and occupancy
// versions and the normalised question. Every kind of change makes the next read a miss that
// shows it; another question is another entry; another trainer's change evicts nothing.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, at, type BookingBody, book, futureDay, type ProblemBody, setupTrainer, uniqueEmail } from './helpers';

type Slot = { start_time: string; end_time: string };
type ClassOffer = { class_session: number; spots_left: number };
type Days = { duration_minutes: number; days: { date: string; slots: Slot[]; classes: ClassOffer[] }[] };

let ip = 0;
const freshIp = () => `192.0.2.${(ip++ % 250) + 1}`;

/** Every read of a test at one instant (the start of a 15-second window), so the window never turns mid-test. */
const pinnedNow = () => new Date(Math.floor(Date.now() / 15_000) * 15_000 + 1_000).toISOString();

async function openTrainer() {
  const t = await setupTrainer({
    open: ['08:00', '18:00'],
    settings: { min_notice_minutes: 60, slot_interval_minutes: 60 },
  });
  return { ...t, id: t.user.trainer.id, slug: t.user.trainer.slug, now: pinnedNow() };
}
type Trainer = Awaited<ReturnType<typeof openTrainer>>;

const DAY = futureDay(3).date;
const DAY2 = futureDay(4).date;

async function read(t: Trainer, query = `from=${DAY}&to=${DAY}`) {
  const res = await api<Days>('GET', `/api/public/trainers/${t.slug}/availability/?${query}`, {
    headers: { 'CF-Connecting-IP': freshIp(), 'X-Test-Now': t.now },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const day = res.body.days[0];
  return {
    cache: res.headers.get('X-Cache'),
    slots: day?.slots.map((s) => s.start_time.slice(11, 16)) ?? [],
    classes: day?.classes ?? [],
    duration: res.body.duration_minutes,
    body: res.body,
  };
}

/** Reads twice: the first must be a miss (a change happened), the second a hit with the same answer. */
async function missThenHit(t: Trainer, query?: string) {
  const first = await read(t, query);
  expect(first.cache).toBe('miss');
  const again = await read(t, query);
  expect(again.cache).toBe('hit');
  expect(again.body).toEqual(first.body);
  return first;
}

const ok = <T>(res: { status: number; body: T }, status = 200) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
};

const ALL_DAY = ['08:00', '09:00', '10:00', '11:00', '12:00', '13:00', '14:00', '15:00', '16:00', '17:00'];
const without = (...times: string[]) => ALL_DAY.filter((x) => !times.includes(x));

describe('public availability from the edge cache', () => {
  it('the second identical read is a hit; unknown parameters and their order never make another entry', async () => {
    const t = await openTrainer();
    const first = await missThenHit(t);
    expect(first.slots).toEqual(ALL_DAY);
    // The widget's cache-buster and any other unknown parameter never reach the key.
    expect((await read(t, `from=${DAY}&to=${DAY}&_=123&utm_source=x`)).cache).toBe('hit');
    expect((await read(t, `to=${DAY}&from=${DAY}`)).cache).toBe('hit');
    // The widget's question (no dates: today … +13 days) is an entry of its own; the same dates
    // spelled out are another, with the same answer.
    const asWidget = await missThenHit(t, '');
    const spelled = await missThenHit(t, `from=${futureDay(0).date}&to=${futureDay(13).date}`);
    expect(spelled.body).toEqual(asWidget.body);
  });

  it("a slug its trainer left answers with that trainer's times; no one else can take it", async () => {
    // Entries are found by slug and question, beside the read of the trainer's row; the key
    // stored with an entry names the trainer (id and creation) and must equal the row's. A slug
    // left stays the trainer's (retired_slugs), so its entry stays right.
    const first = await openTrainer();
    expect((await missThenHit(first)).slots).toEqual(ALL_DAY);
    const slug = first.slug;
    const moved = `${slug}-moved`;
    ok(await api('PATCH', '/api/users/profile/', { token: first.token, body: { slug: moved } }));
    const second = await setupTrainer({
      open: ['10:00', '12:00'],
      settings: { min_notice_minutes: 60, slot_interval_minutes: 60 },
    });
    const refused = await api('PATCH', '/api/users/profile/', { token: second.token, body: { slug } });
    expect(refused.status).toBe(400);
    expect((await read({ ...first, slug })).slots).toEqual(ALL_DAY);
    expect((await read({ ...first, slug: moved })).slots).toEqual(ALL_DAY);
  });

  it('a hit is JSON as the miss was; HEAD answers a hit with its headers and no body', async () => {
    const t = await openTrainer();
    await missThenHit(t);
    const path = `/api/public/trainers/${t.slug}/availability/?from=${DAY}&to=${DAY}`;
    const headers = { 'CF-Connecting-IP': freshIp(), 'X-Test-Now': t.now };
    const hit = await api('GET', path, { headers });
    expect(hit.headers.get('X-Cache')).toBe('hit');
    expect(hit.headers.get('Content-Type')).toBe('application/json');
    expect(hit.headers.get('Cache-Control')).toBe('public, max-age=15');
    expect(hit.headers.get('X-Availability-Key')).toBeNull();
    const head = await api('HEAD', path, { headers });
    expect(head.status).toBe(200);
    expect(head.headers.get('X-Cache')).toBe('hit');
    expect(head.body).toBeNull();
    // A widget on the trainer's own site may read it too (CORS exposes it).
    const widget = await api('GET', path, { headers: { ...headers, Origin: 'https://trainer.example' } });
    expect(widget.headers.get('Access-Control-Expose-Headers')?.split(',')).toContain('X-Cache');
  });

  it('the slug in any case and a start date alone each find their entry', async () => {
    const t = await openTrainer();
    await missThenHit(t);
    expect((await read({ ...t, slug: t.slug.toUpperCase() })).cache).toBe('hit');
    // `from` alone: that day and the 13 after it, resolved before the key is made.
    const fromOnly = await missThenHit(t, `from=${DAY}`);
    expect(fromOnly.body.days.map((d) => d.date)).toEqual(Array.from({ length: 14 }, (_, i) => futureDay(3 + i).date));
  });

  it('a reader of a lagging replica gets the newer stored answer; a newer row never gets an older one', async () => {
    // What a replica behind the primary shows is the trainer row with lower versions. Lowering
    // them in place stands for that read: both versions only ever rise.
    const t = await openTrainer();
    const current = await missThenHit(t);
    const shift = (by: number) =>
      env.DB.prepare(
        'UPDATE trainers SET schedule_version = schedule_version + ?1, occupancy_version = occupancy_version + ?1 WHERE id = ?2',
      )
        .bind(by, t.id)
        .run();
    await shift(-1);
    const behind = await read(t);
    expect(behind.cache).toBe('hit');
    expect(behind.body).toEqual(current.body);
    // Back to the primary's row and one write past it: the stored entry is older, so a miss.
    await shift(2);
    await missThenHit(t);
  });

  it('a different question is a different entry; another trainer’s change evicts nothing', async () => {
    const t = await openTrainer();
    const other = await openTrainer();
    await missThenHit(t);
    await missThenHit(t, `from=${DAY2}&to=${DAY2}`);
    const services = ok(await api<{ results: { id: number }[] }>('GET', '/api/services/', { token: t.token }));
    const service = services.results[0]?.id as number;
    await missThenHit(t, `from=${DAY}&to=${DAY}&service=${service}`);
    expect((await read(t)).cache).toBe('hit');

    ok(await book(other.token, { client: other.client.id, start_time: at(DAY, '10:00') }), 201);
    ok(
      await api('POST', '/api/trainer-breaks/', { token: other.token, body: { start_date: DAY, end_date: DAY } }),
      201,
    );
    const still = await read(t);
    expect(still.cache).toBe('hit');
    expect(still.slots).toEqual(ALL_DAY);
    expect((await read(other)).slots).toEqual([]);
  });

  it('bookings: a public booking, a trainer booking, a reschedule and a cancel each make the next read a miss showing it', async () => {
    const t = await openTrainer();
    await missThenHit(t);

    const visitor = { first_name: 'Vera', last_name: 'Visitor', email: uniqueEmail('visitor') };
    ok(
      await api('POST', `/api/public/trainers/${t.slug}/bookings/`, {
        body: { ...visitor, start_time: at(DAY, '09:00') },
        headers: { 'CF-Connecting-IP': freshIp() },
      }),
      201,
    );
    expect((await missThenHit(t)).slots).toEqual(without('09:00'));

    const mine = ok(await book(t.token, { client: t.client.id, start_time: at(DAY, '11:00') }), 201) as BookingBody;
    expect((await missThenHit(t)).slots).toEqual(without('09:00', '11:00'));

    ok(await api('PATCH', `/api/bookings/${mine.id}/`, { token: t.token, body: { start_time: at(DAY, '15:00') } }));
    expect((await missThenHit(t)).slots).toEqual(without('09:00', '15:00'));

    ok(await api('POST', `/api/bookings/${mine.id}/cancel/`, { token: t.token, body: {} }));
    expect((await missThenHit(t)).slots).toEqual(without('09:00'));
  });

  it('a status change made in raw SQL (as the expiry cron or an import would) makes the next read a miss', async () => {
    const t = await openTrainer();
    ok(await book(t.token, { client: t.client.id, start_time: at(DAY, '12:00') }), 201);
    expect((await missThenHit(t)).slots).toEqual(without('12:00'));
    await env.DB.prepare("UPDATE bookings SET status = 'cancelled' WHERE trainer_id = ?").bind(t.id).run();
    expect((await missThenHit(t)).slots).toEqual(ALL_DAY);
  });

  it('schedule: a break, a window, an override and a service change each make the next read a miss showing it', async () => {
    const t = await openTrainer();
    await missThenHit(t);

    const brk = ok(
      await api<{ id: number }>('POST', '/api/trainer-breaks/', {
        token: t.token,
        body: { start_date: DAY, end_date: DAY, start_time: '12:00', end_time: '14:00' },
      }),
      201,
    );
    expect((await missThenHit(t)).slots).toEqual(without('12:00', '13:00'));
    expect((await api('DELETE', `/api/trainer-breaks/${brk.id}/`, { token: t.token })).status).toBe(204);
    expect((await missThenHit(t)).slots).toEqual(ALL_DAY);

    const weekday = futureDay(3).weekday;
    ok(
      await api('POST', '/api/availability-slots/', {
        token: t.token,
        body: { day_of_week: weekday, start_time: '18:00', end_time: '20:00' },
      }),
      201,
    );
    expect((await missThenHit(t)).slots).toEqual([...ALL_DAY, '18:00', '19:00']);

    ok(
      await api('POST', '/api/availability-overrides/', {
        token: t.token,
        body: { date: DAY, windows: [{ start_time: '10:00', end_time: '12:00' }] },
      }),
      201,
    );
    expect((await missThenHit(t)).slots).toEqual(['10:00', '11:00']);

    const services = ok(await api<{ results: { id: number }[] }>('GET', '/api/services/', { token: t.token }));
    const service = services.results[0]?.id as number;
    ok(await api('PATCH', `/api/services/${service}/`, { token: t.token, body: { duration_minutes: 90 } }));
    const longer = await missThenHit(t);
    expect(longer.duration).toBe(90);
    expect(longer.slots).toEqual(['10:00']);
  });

  it('a class session and a place in it each make the next read a miss', async () => {
    const t = await openTrainer();
    await missThenHit(t);
    const service = ok(
      await api<{ id: number }>('POST', '/api/services/', {
        token: t.token,
        body: { name: 'Group HIIT', duration_minutes: 60, capacity: 5, is_public: true },
      }),
      201,
    ).id;
    await missThenHit(t); // a service write raises the schedule version
    const made = ok(
      await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
        token: t.token,
        body: { service, start_time: at(DAY, '16:00') },
      }),
      201,
    );
    const cls = made.occurrences[0]?.class_session;
    const withClass = await missThenHit(t);
    expect(withClass.classes.map((c) => [c.class_session, c.spots_left])).toEqual([[cls, 5]]);
    expect(withClass.slots).toEqual(without('16:00'));

    ok(await book(t.token, { client: t.client.id, class_session: cls }), 201);
    expect((await missThenHit(t)).classes.map((c) => c.spots_left)).toEqual([4]);
  });

  it('calendar busy time written in SQL (no schedule version raised) makes the next read a miss', async () => {
    const t = await openTrainer();
    await missThenHit(t);
    const before = await env.DB.prepare('SELECT schedule_version AS v FROM trainers WHERE id = ?')
      .bind(t.id)
      .first<number>('v');
    const conn = await env.DB.prepare(
      `INSERT INTO calendar_connections (trainer_id, name, url_ciphertext, url_hint, url_hash)
       VALUES (?, 'Personal', 'sealed', 'calendar.example …abc123', ?) RETURNING id`,
    )
      .bind(t.id, uniqueEmail('hash'))
      .first<number>('id');
    await env.DB.prepare(
      'INSERT INTO calendar_busy (trainer_id, connection_id, start_time, end_time) VALUES (?, ?, ?, ?)',
    )
      .bind(t.id, conn, at(DAY, '13:00'), at(DAY, '13:30'))
      .run();
    const after = await env.DB.prepare('SELECT schedule_version AS v FROM trainers WHERE id = ?')
      .bind(t.id)
      .first<number>('v');
    expect(after).toBe(before);
    expect((await missThenHit(t)).slots).toEqual(without('13:00'));
    await env.DB.prepare('DELETE FROM calendar_busy WHERE connection_id = ?').bind(conn).run();
    expect((await missThenHit(t)).slots).toEqual(ALL_DAY);
  });

  it('only answers are cached: a refused question is never stored', async () => {
    const t = await openTrainer();
    for (let i = 0; i < 2; i++) {
      const bad = await api<ProblemBody>('GET', `/api/public/trainers/${t.slug}/availability/?from=${DAY2}&to=${DAY}`, {
        headers: { 'CF-Connecting-IP': freshIp(), 'X-Test-Now': t.now },
      });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('X-Cache')).toBeNull();
    }
  });
});
