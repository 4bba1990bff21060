import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import {
  api,
  at,
  type BookingBody,
  clientUser,
  createClient,
  futureDay,
  type ProblemBody,
  registerTrainer,
  setupTrainer,
  uniqueEmail,
  until,
} from './helpers';
import { type Row, rowsOf, sentRows, viaSendGrid } from './mail';

type Place = BookingBody & { class_session: number | null; waitlist_position: number | null };
type Occurrence = { date: string; start_time: string | null; class_session: number | null; conflict: string | null };
type Attendee = { booking: number; client: number; status: string; waitlist_position: number | null };
type ClassDetail = {
  id: number;
  capacity: number;
  status: string;
  places_taken: number;
  waitlisted: number;
  places: Attendee[];
  waitlist: Attendee[];
};

const HOUR = 3_600_000;

async function classService(token: string, capacity: number, extra: Record<string, unknown> = {}) {
  const res = await api<{ id: number; capacity: number }>('POST', '/api/services/', {
    token,
    body: { name: 'Group HIIT', duration_minutes: 60, capacity, ...extra },
  });
  expect(res.status).toBe(201);
  expect(res.body.capacity).toBe(capacity);
  return res.body.id;
}

async function scheduleClass(token: string, service: number, startTime: string, extra: Record<string, unknown> = {}) {
  const res = await api<{ occurrences: Occurrence[] }>('POST', '/api/class-sessions/', {
    token,
    body: { service, start_time: startTime, ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.occurrences[0]?.class_session ?? 0;
}

const bookPlace = (token: string, client: number, classSession: number, extra: Record<string, unknown> = {}) =>
  api<Place & ProblemBody>('POST', '/api/bookings/', {
    token,
    body: { client, class_session: classSession, ...extra },
  });

const classDetail = async (token: string, id: number) =>
  (await api<ClassDetail>('GET', `/api/class-sessions/${id}/`, { token })).body;

const activePlaces = async (classSession: number) =>
  (
    await env.DB.prepare(
      "SELECT count(*) AS n FROM bookings WHERE class_session_id = ? AND status IN ('pending', 'confirmed')",
    )
      .bind(classSession)
      .first<{ n: number }>()
  )?.n ?? 0;

const messagesOf = async (kind: string, bookingIds: number[]) =>
  (
    await env.DB.prepare(
      `SELECT booking_id, notification_type, status FROM notifications WHERE kind = ? AND booking_id IN (${bookingIds.map(() => '?').join(',')})`,
    )
      .bind(kind, ...bookingIds)
      .all<{ booking_id: number; notification_type: string; status: string }>()
  ).results;

async function clients(token: string, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await createClient(token)).id);
  return ids;
}

async function fiveMinuteTick(atMs: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: atMs, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('class sessions and places', () => {
  it('validates capacity, class services and places, and keeps trainers apart', async () => {
    const t = await setupTrainer();
    const bad = await api<ProblemBody>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'X', duration_minutes: 60, capacity: 101 },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['capacity']);
    const day = futureDay(3).date;
    // The default service has capacity 1: no class of it.
    const defaults = await api<{ results: { id: number; is_default: boolean }[] }>('GET', '/api/services/', {
      token: t.token,
    });
    const privateId = defaults.body.results.find((s) => s.is_default)?.id ?? 0;
    const notClass = await api<ProblemBody>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: privateId, start_time: at(day, '09:00') },
    });
    expect(notClass.status).toBe(400);
    expect(Object.keys(notClass.body.errors ?? {})).toEqual(['service']);
    const service = await classService(t.token, 5);
    // A class service is booked only by place.
    const privateOfClass = await api<ProblemBody>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, service, start_time: at(day, '14:00') },
    });
    expect(privateOfClass.status).toBe(400);
    expect(Object.keys(privateOfClass.body.errors ?? {})).toEqual(['service']);
    const noStart = await api<ProblemBody>('POST', '/api/bookings/', { token: t.token, body: { client: t.client.id } });
    expect(noStart.status).toBe(400);
    expect(Object.keys(noStart.body.errors ?? {})).toEqual(['start_time']);
    const past = await api<ProblemBody>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service, start_time: at(futureDay(-1).date, '09:00'), repeat: { weekdays: [9], count: 0 } },
    });
    expect(past.status).toBe(400);
    expect(Object.keys(past.body.errors ?? {}).sort()).toEqual(['repeat.count', 'repeat.weekdays.0']);
    const yesterday = await api<ProblemBody>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: privateId, start_time: at(futureDay(-1).date, '09:00') },
    });
    expect(yesterday.status).toBe(400);
    expect(Object.keys(yesterday.body.errors ?? {}).sort()).toEqual(['service', 'start_time']);

    const cls = await scheduleClass(t.token, service, at(day, '09:00'));
    // A place takes its class's time and service: either sent beside class_session is named, not ignored.
    const mixed = await api<ProblemBody>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, class_session: cls, service: privateId, end_time: at(day, '11:00') },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors).toEqual({
      end_time: ["Leave this out with class_session: the class's time applies."],
      service: ["Leave this out with class_session: the class's service applies."],
    });
    const other = await setupTrainer();
    expect((await api('GET', `/api/class-sessions/${cls}/`, { token: other.token })).status).toBe(404);
    expect((await api('POST', `/api/class-sessions/${cls}/cancel/`, { token: other.token })).status).toBe(404);
    const stolen = await bookPlace(other.token, other.client.id, cls);
    expect(stolen.status).toBe(400);
    expect(Object.keys(stolen.body.errors ?? {})).toEqual(['class_session']);
    const list = await api<{ count: number }>('GET', '/api/class-sessions/', { token: other.token });
    expect(list.body.count).toBe(0);
  });

  it('50 parallel requests for 8 places: exactly 8 × 201 and 42 × 409 class_full, 10 rounds', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 8);
    const people = await clients(t.token, 50);
    const day = futureDay(5).date;
    for (let round = 0; round < 10; round++) {
      const cls = await scheduleClass(t.token, service, at(day, `${String(8 + round).padStart(2, '0')}:00`));
      const answers = await Promise.all(people.map((client) => bookPlace(t.token, client, cls)));
      const created = answers.filter((a) => a.status === 201);
      const full = answers.filter((a) => a.status === 409);
      expect(created).toHaveLength(8);
      expect(full).toHaveLength(42);
      expect(full.every((a) => a.body.code === 'class_full')).toBe(true);
      expect(created.every((a) => a.body.class_session === cls && a.body.status === 'pending')).toBe(true);
      expect(await activePlaces(cls)).toBe(8);
    }
  });

  it('one place per client per class: 409 already_booked, waitlisted included', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 2);
    const cls = await scheduleClass(t.token, service, at(futureDay(4).date, '10:00'));
    const [a, b] = await clients(t.token, 2);
    expect((await bookPlace(t.token, a ?? 0, cls)).status).toBe(201);
    const again = await bookPlace(t.token, a ?? 0, cls);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_booked');
    expect((await bookPlace(t.token, b ?? 0, cls)).status).toBe(201);
    const c = (await createClient(t.token)).id;
    expect((await bookPlace(t.token, c, cls, { waitlist: true })).body.status).toBe('waitlisted');
    const twice = await bookPlace(t.token, c, cls, { waitlist: true });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('already_booked');
  });

  it('a class takes the trainer’s time: a private booking over it is 409 booking_overlap and its slots are gone', async () => {
    const t = await setupTrainer({ open: ['08:00', '12:00'] });
    const service = await classService(t.token, 4, { buffer_after_minutes: 30 });
    const day = futureDay(6).date;
    await scheduleClass(t.token, service, at(day, '09:00'));
    const overlap = await api<ProblemBody>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: at(day, '09:30') },
    });
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('booking_overlap');
    // In the buffer after the class.
    const inBuffer = await api<ProblemBody>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: at(day, '10:00') },
    });
    expect(inBuffer.body.code).toBe('booking_overlap');
    const free = await api<{ slots: { start_time: string }[] }>(
      'GET',
      `/api/availability-slots/available?date=${day}`,
      {
        token: t.token,
      },
    );
    expect(free.status).toBe(200);
    const starts = free.body.slots.map((s) => s.start_time);
    expect(starts).toContain(at(day, '08:00'));
    for (const hidden of ['08:30', '09:00', '09:30', '10:00']) expect(starts).not.toContain(at(day, hidden));
    expect(starts).toContain(at(day, '10:30'));
    // A second class cannot overlap the first either; places do not count as time.
    const second = await api<ProblemBody>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service, start_time: at(day, '09:45') },
    });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('booking_overlap');
  });

  it('a weekly repeat reports a conflicting occurrence, or skips it with skip_conflicts', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 6);
    const first = futureDay(3);
    const second = futureDay(10).date;
    expect(
      (
        await api('POST', '/api/bookings/', {
          token: t.token,
          body: { client: t.client.id, start_time: at(second, '18:30') },
        })
      ).status,
    ).toBe(201);
    const body = { service, start_time: at(first.date, '18:00'), repeat: { weekdays: [first.weekday], count: 3 } };
    const refused = await api<ProblemBody>('POST', '/api/class-sessions/', { token: t.token, body });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('repeat_conflicts');
    expect(refused.body.errors?.repeat).toEqual([`${second}: booking_overlap`]);
    expect((await api<{ count: number }>('GET', '/api/class-sessions/', { token: t.token })).body.count).toBe(0);
    const made = await api<{ occurrences: Occurrence[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { ...body, skip_conflicts: true },
    });
    expect(made.status).toBe(201);
    const occ = made.body.occurrences;
    expect(occ.map((o) => o.conflict)).toEqual([null, 'booking_overlap', null]);
    expect(occ[0]?.class_session).toBeGreaterThan(0);
    expect(occ[1]?.class_session).toBeNull();
    expect(occ[2]?.start_time).toBe(at(futureDay(17).date, '18:00'));
    expect((await api<{ count: number }>('GET', '/api/class-sessions/', { token: t.token })).body.count).toBe(2);
    // The list by start: a range that ends before it starts is a 400 naming `to`, not an empty list.
    const span = (from: number, to: number) =>
      `from=${at(futureDay(from).date, '00:00')}&to=${at(futureDay(to).date, '00:00')}`;
    expect(
      (await api<{ count: number }>('GET', `/api/class-sessions/?${span(3, 12)}`, { token: t.token })).body.count,
    ).toBe(1);
    const reversed = await api<ProblemBody>('GET', `/api/class-sessions/?${span(12, 3)}`, { token: t.token });
    expect([reversed.status, reversed.body.errors?.to]).toEqual([400, ['to must not be before from.']]);
  });
});

describe('a class repeat is checked like a series', () => {
  it('until before the first start, or weekdays without its weekday: 400 naming repeat.until / repeat.weekdays', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 4);
    const first = futureDay(10);
    const post = (repeat: Record<string, unknown>) =>
      api<ProblemBody>('POST', '/api/class-sessions/', {
        token: t.token,
        body: { service, start_time: at(first.date, '18:00'), repeat },
      });
    const before = await post({ weekdays: [first.weekday], until: futureDay(3).date });
    expect(before.status, JSON.stringify(before.body)).toBe(400);
    expect(Object.keys(before.body.errors ?? {})).toEqual(['repeat.until']);
    const otherDay = await post({ weekdays: [(first.weekday + 1) % 7], count: 3 });
    expect(otherDay.status, JSON.stringify(otherDay.body)).toBe(400);
    expect(Object.keys(otherDay.body.errors ?? {})).toEqual(['repeat.weekdays']);
    const both = await post({ weekdays: [(first.weekday + 1) % 7], until: futureDay(3).date });
    expect(Object.keys(both.body.errors ?? {}).sort()).toEqual(['repeat.until', 'repeat.weekdays']);
    expect((await api<{ count: number }>('GET', '/api/class-sessions/', { token: t.token })).body.count).toBe(0);
  });

  it('an until giving more than 52 occurrences is 400 naming repeat.until, not cut at 52', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 4);
    const first = futureDay(3);
    // Two weekdays for 30 weeks: 60 or 61 occurrences.
    const res = await api<ProblemBody>('POST', '/api/class-sessions/', {
      token: t.token,
      body: {
        service,
        start_time: at(first.date, '07:00'),
        repeat: { weekdays: [first.weekday, (first.weekday + 1) % 7], until: futureDay(3 + 30 * 7).date },
      },
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toEqual(['repeat.until']);
    expect(res.body.errors?.['repeat.until']?.[0]).toMatch(/gives 6\d occurrences; at most 52/);
    expect((await api<{ count: number }>('GET', '/api/class-sessions/', { token: t.token })).body.count).toBe(0);
  });
});

describe('the waitlist', () => {
  it('a full class answers class_full, or 201 waitlisted with a position', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 2);
    const cls = await scheduleClass(t.token, service, at(futureDay(4).date, '11:00'));
    const people = await clients(t.token, 5);
    for (const p of people.slice(0, 2)) expect((await bookPlace(t.token, p, cls)).status).toBe(201);
    const full = await bookPlace(t.token, people[2] ?? 0, cls);
    expect(full.status).toBe(409);
    expect(full.body.code).toBe('class_full');
    const positions: (number | null)[] = [];
    for (const p of people.slice(2)) {
      const w = await bookPlace(t.token, p, cls, { waitlist: true });
      expect(w.status).toBe(201);
      expect(w.body.status).toBe('waitlisted');
      positions.push(w.body.waitlist_position);
    }
    expect(positions).toEqual([1, 2, 3]);
    const detail = await classDetail(t.token, cls);
    expect(detail.places_taken).toBe(2);
    expect(detail.waitlist.map((w) => w.client)).toEqual(people.slice(2));
    // Leaving the waitlist moves the others up.
    const leaving = detail.waitlist[0]?.booking ?? 0;
    expect((await api('POST', `/api/bookings/${leaving}/cancel/`, { token: t.token })).status).toBe(200);
    const next = await api<Place>('GET', `/api/bookings/${detail.waitlist[1]?.booking}/`, { token: t.token });
    expect(next.body.waitlist_position).toBe(1);
    expect(await activePlaces(cls)).toBe(2);
  });

  it('20 parallel cancels with 25 waiting: each freed place to exactly one person, in order, told once', async () => {
    const t = await setupTrainer({ settings: { auto_confirm: true } });
    const service = await classService(t.token, 20);
    const cls = await scheduleClass(t.token, service, at(futureDay(8).date, '07:00'));
    const people = await clients(t.token, 45);
    const placed: number[] = [];
    for (const p of people.slice(0, 20)) placed.push((await bookPlace(t.token, p, cls)).body.id);
    const waiting: number[] = [];
    for (const p of people.slice(20)) {
      const w = await bookPlace(t.token, p, cls, { waitlist: true });
      expect(w.body.status).toBe('waitlisted');
      waiting.push(w.body.id);
    }
    // Newcomers racing the cancels never get a freed place: it goes to the waitlist in the cancel's own batch.
    const newcomers = await clients(t.token, 10);
    const [cancels, racers] = await Promise.all([
      Promise.all(placed.map((id) => api('POST', `/api/bookings/${id}/cancel/`, { token: t.token }))),
      Promise.all(newcomers.map((client) => bookPlace(t.token, client, cls))),
    ]);
    expect(cancels.map((c) => c.status)).toEqual(placed.map(() => 200));
    expect(racers.map((r) => [r.status, r.body.code])).toEqual(newcomers.map(() => [409, 'class_full']));
    expect(await activePlaces(cls)).toBe(20);
    const detail = await classDetail(t.token, cls);
    // The first 20 to join are in (confirmed: the trainer auto-confirms), the last 5 still wait, in order.
    expect(detail.places.map((p) => p.booking)).toEqual(waiting.slice(0, 20));
    expect(detail.places.every((p) => p.status === 'confirmed')).toBe(true);
    expect(detail.waitlist.map((w) => [w.booking, w.waitlist_position])).toEqual(
      waiting.slice(20).map((id, i) => [id, i + 1]),
    );
    // One promotion message per promoted person (no phone: email only), none for the others, all sent.
    const promoted = await until(
      () => messagesOf('waitlist_promoted', waiting),
      (rows) => rows.length >= 20 && rows.every((r) => r.status === 'sent'),
    );
    expect(promoted.map((r) => r.booking_id).sort((a, b) => a - b)).toEqual(
      [...waiting.slice(0, 20)].sort((a, b) => a - b),
    );
    expect(promoted.every((r) => r.status === 'sent' && r.notification_type === 'email')).toBe(true);
    // Confirmed at once (auto-confirm): nothing for the trainer to answer.
    expect(await messagesOf('booking_requested', waiting)).toEqual([]);
    const subject = await env.DB.prepare(
      "SELECT subject, message FROM notifications WHERE kind = 'waitlist_promoted' AND booking_id = ?",
    )
      .bind(waiting[0])
      .first<{ subject: string; message: string }>();
    expect(subject?.subject).toMatch(/^You're in: Group HIIT on /);
    expect(subject?.message).toContain('A place opened');
  });

  it('raising the capacity promotes at once; lowering it below the places taken is 409', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 2);
    const cls = await scheduleClass(t.token, service, at(futureDay(4).date, '15:00'));
    const people = await clients(t.token, 5);
    for (const p of people.slice(0, 2)) await bookPlace(t.token, p, cls);
    const waiting: number[] = [];
    for (const p of people.slice(2)) waiting.push((await bookPlace(t.token, p, cls, { waitlist: true })).body.id);
    const lower = await api<ProblemBody>('PATCH', `/api/class-sessions/${cls}/`, {
      token: t.token,
      body: { capacity: 1 },
    });
    expect(lower.status).toBe(409);
    expect(lower.body.code).toBe('capacity_below_booked');
    const raise = await api<ClassDetail>('PATCH', `/api/class-sessions/${cls}/`, {
      token: t.token,
      body: { capacity: 4 },
    });
    expect(raise.status).toBe(200);
    expect(raise.body.capacity).toBe(4);
    expect(raise.body.places_taken).toBe(4);
    // Not auto-confirming: promoted places are pending requests.
    expect(raise.body.places.slice(2).map((p) => [p.booking, p.status])).toEqual([
      [waiting[0], 'pending'],
      [waiting[1], 'pending'],
    ]);
    expect(raise.body.waitlist.map((w) => w.booking)).toEqual([waiting[2]]);
    expect((await messagesOf('waitlist_promoted', waiting)).map((m) => m.booking_id).sort()).toEqual(
      [waiting[0], waiting[1]].sort(),
    );
    // Pending places are the trainer's to confirm: the trainer is told of each, once, and it is sent.
    const asked = await until(
      () => messagesOf('booking_requested', waiting),
      (rows) => rows.length >= 2 && rows.every((r) => r.status === 'sent'),
    );
    expect(asked.map((m) => [m.booking_id, m.notification_type, m.status]).sort()).toEqual(
      [
        [waiting[0], 'email', 'sent'],
        [waiting[1], 'email', 'sent'],
      ].sort(),
    );
    const mail = await env.DB.prepare(
      "SELECT n.recipient, n.subject, n.message FROM notifications n WHERE n.kind = 'booking_requested' AND n.booking_id = ?",
    )
      .bind(waiting[0])
      .first<{ recipient: string; subject: string; message: string }>();
    // The trainer added them to the waitlist: the mail says the waitlist gave the place, not that they asked.
    expect(mail).toMatchObject({ recipient: t.email, subject: expect.stringMatching(/^Place to confirm: /) });
    expect(mail?.message).toMatch(/^\S.* moved up from the waitlist to a place in your class on /);
    expect(mail?.message).not.toContain('asked for');
    expect(await activePlaces(cls)).toBe(4);
  });

  it('waitlisted entries lapse at start − waitlist_cutoff_hours, each who was told of it told once', async () => {
    const t = await setupTrainer({ settings: { waitlist_cutoff_hours: 3 } });
    const profile = await api<{ trainer: { waitlist_cutoff_hours: number } }>('GET', '/api/users/profile/', {
      token: t.token,
    });
    expect(profile.body.trainer.waitlist_cutoff_hours).toBe(3);
    const service = await classService(t.token, 1 + 1);
    const start = at(futureDay(2).date, '12:00');
    const cls = await scheduleClass(t.token, service, start);
    const people = await clients(t.token, 4);
    for (const p of people.slice(0, 2)) await bookPlace(t.token, p, cls);
    const waiting: number[] = [];
    for (const p of people.slice(2)) waiting.push((await bookPlace(t.token, p, cls, { waitlist: true })).body.id);
    // A visitor in line with a number typed on the booking page: told by email only when it lapses.
    const visitor = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: {
        first_name: 'V',
        last_name: 'V',
        email: uniqueEmail('v'),
        phone: '+447700900777',
        class_session: cls,
        waitlist: true,
      },
      headers: { 'CF-Connecting-IP': '198.51.100.77' },
    });
    expect(visitor.status).toBe(201);
    const visitorId = (
      await env.DB.prepare(
        "SELECT id FROM bookings WHERE class_session_id = ? AND status = 'waitlisted' ORDER BY id DESC",
      )
        .bind(cls)
        .first<{ id: number }>()
    )?.id as number;
    const cutoff = Date.parse(start) - 3 * HOUR;
    await fiveMinuteTick(cutoff - 5 * 60_000);
    expect((await classDetail(t.token, cls)).waitlisted).toBe(3);
    await fiveMinuteTick(cutoff);
    await fiveMinuteTick(cutoff + 5 * 60_000);
    const detail = await classDetail(t.token, cls);
    expect(detail.waitlisted).toBe(0);
    expect(detail.places_taken).toBe(2);
    for (const id of [...waiting, visitorId]) {
      const b = await api<Place>('GET', `/api/bookings/${id}/`, { token: t.token });
      expect([b.body.status, b.body.cancellation_reason]).toEqual(['cancelled', 'waitlist_expired']);
    }
    // The places the trainer added were never announced: their lapse is not either.
    expect(await messagesOf('waitlist_expired', waiting)).toEqual([]);
    expect((await messagesOf('waitlist_expired', [visitorId])).map((m) => m.notification_type)).toEqual(['email']);
    await fiveMinuteTick(cutoff + 10 * 60_000);
    expect((await messagesOf('waitlist_expired', [visitorId])).length).toBe(1);
  });

  it('a place never seated counts in no booking figure, waiting or gone; one seated and then cancelled does', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 2);
    const day = futureDay(4).date;
    const start = at(day, '11:00');
    const cls = await scheduleClass(t.token, service, start);
    const [stays, seated, leaves, promoted, next, lapses] = await clients(t.token, 6);
    expect((await bookPlace(t.token, stays ?? 0, cls)).status).toBe(201);
    const first = (await bookPlace(t.token, seated ?? 0, cls)).body.id;
    const waiting: number[] = [];
    for (const p of [leaves, promoted, next, lapses])
      waiting.push((await bookPlace(t.token, p ?? 0, cls, { waitlist: true })).body.id);
    const [left, up] = waiting;
    type Stats = { total: number; by_status: Record<string, number>; cancellation_rate: number };
    const stats = async () => {
      const range = await api<Stats>('GET', `/api/analytics/bookings-stats/?from=${day}&to=${day}`, { token: t.token });
      const all = await api<Stats>('GET', '/api/analytics/bookings-stats/', { token: t.token });
      const board = await api<{ total_bookings: number; cancelled_bookings: number }>(
        'GET',
        '/api/analytics/dashboard/',
        {
          token: t.token,
        },
      );
      expect(all.body.total).toBe(range.body.total);
      expect(all.body.by_status).toEqual(range.body.by_status);
      return [
        range.body.total,
        range.body.by_status.cancelled,
        board.body.total_bookings,
        board.body.cancelled_bookings,
      ];
    };
    expect(await stats()).toEqual([2, 0, 2, 0]); // the two seated places alone
    expect((await api('POST', `/api/bookings/${left}/cancel/`, { token: t.token })).status).toBe(200);
    expect(await stats()).toEqual([2, 0, 2, 0]); // leaving the waitlist is no cancelled booking
    // The seated place cancelled: the next in line is promoted (a booking from then on), then cancels
    // too, and the one after is promoted.
    expect((await api('POST', `/api/bookings/${first}/cancel/`, { token: t.token })).status).toBe(200);
    expect((await api<Place>('GET', `/api/bookings/${up}/`, { token: t.token })).body.status).not.toBe('waitlisted');
    expect((await api('POST', `/api/bookings/${up}/cancel/`, { token: t.token })).status).toBe(200);
    expect(await stats()).toEqual([4, 2, 4, 2]);
    // The last one waiting lapses at the cut-off (2 h by default): still no booking.
    await fiveMinuteTick(Date.parse(start) - 2 * HOUR);
    const lapsed = await api<Place>('GET', `/api/bookings/${waiting[3]}/`, { token: t.token });
    expect(lapsed.body.cancellation_reason).toBe('waitlist_expired');
    expect(await stats()).toEqual([4, 2, 4, 2]);
  });
});

describe('the waitlist cut-off', () => {
  it('a full class 5 h ahead with a 48 h cut-off refuses the waitlist (409 class_full), and a freed place skips an entry past it', async () => {
    const t = await setupTrainer({ settings: { waitlist_cutoff_hours: 48 } });
    const service = await classService(t.token, 2);
    const start = at(futureDay(4).date, '12:00');
    const cls = await scheduleClass(t.token, service, start);
    const [a, b, c, d, e] = await clients(t.token, 5);
    const placed: number[] = [];
    for (const p of [a, b]) placed.push((await bookPlace(t.token, p ?? 0, cls)).body.id);
    // Four days ahead: the waitlist is open.
    const early = await bookPlace(t.token, c ?? 0, cls, { waitlist: true });
    expect(early.body.status).toBe('waitlisted');
    const asOf = (hoursBefore: number) => ({
      'X-Test-Now': new Date(Date.parse(start) - hoursBefore * HOUR).toISOString(),
    });
    const join = (client: number, hoursBefore: number) =>
      api<Place & ProblemBody>('POST', '/api/bookings/', {
        token: t.token,
        body: { client, class_session: cls, waitlist: true },
        headers: asOf(hoursBefore),
      });
    const late = await join(d ?? 0, 5);
    expect([late.status, late.body.code]).toEqual([409, 'class_full']);
    expect(late.body.detail).toContain('waitlist closed 48 hours before the start');
    expect((await join(e ?? 0, 48)).status).toBe(409);
    expect((await join(e ?? 0, 49)).body.status).toBe('waitlisted');
    // 5 h before the start a place frees: the entries waiting are past the cut-off, nobody is promoted.
    const cancel = await api('POST', `/api/bookings/${placed[0]}/cancel/`, { token: t.token, headers: asOf(5) });
    expect(cancel.status).toBe(200);
    const detail = await classDetail(t.token, cls);
    expect(detail.places_taken).toBe(1);
    expect(detail.waitlist.map((w) => w.booking)).toEqual([early.body.id, expect.any(Number)]);
    expect(await messagesOf('waitlist_promoted', [early.body.id])).toEqual([]);
  });
});

describe('cancelling a class', () => {
  it('cancels every place and waitlisted entry, releases pack credits and tells each who was told of it once', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 2);
    const cls = await scheduleClass(t.token, service, at(futureDay(5).date, '17:00'));
    const people = await clients(t.token, 3);
    const pack = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Ten', sessions_count: 10, price: '100.00' },
    });
    const sold = await api<{ id: number }>('POST', `/api/packages/${pack.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: people[0] },
    });
    expect(sold.status).toBe(201);
    const withPack = await bookPlace(t.token, people[0] ?? 0, cls, { client_package: sold.body.id });
    expect(withPack.status).toBe(201);
    const reserved = async () =>
      (
        await api<{ sessions_reserved: number; sessions_remaining: number }>(
          'GET',
          `/api/client-packages/${sold.body.id}/`,
          {
            token: t.token,
          },
        )
      ).body;
    expect((await reserved()).sessions_reserved).toBe(1);
    const ids = [withPack.body.id, (await bookPlace(t.token, people[1] ?? 0, cls)).body.id];
    // The two places confirmed: their clients were told of them. The waitlisted one the trainer
    // added was never announced, so its end is not either (client-told.test.ts has every case).
    for (const id of ids) {
      expect((await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token })).status).toBe(200);
    }
    const announced = [...ids];
    ids.push((await bookPlace(t.token, people[2] ?? 0, cls, { waitlist: true })).body.id);

    const cancelled = await api<ClassDetail>('POST', `/api/class-sessions/${cls}/cancel/`, {
      token: t.token,
      body: { reason: 'Studio closed' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    for (const id of ids) {
      const b = await api<Place>('GET', `/api/bookings/${id}/`, { token: t.token });
      expect([b.body.status, b.body.late_cancellation]).toEqual(['cancelled', false]);
    }
    expect(await reserved()).toEqual(expect.objectContaining({ sessions_reserved: 0, sessions_remaining: 10 }));
    const told = await messagesOf('class_cancelled', ids);
    expect(told.map((m) => m.booking_id).sort()).toEqual(announced.sort());
    const again = await api<ProblemBody>('POST', `/api/class-sessions/${cls}/cancel/`, { token: t.token });
    expect(again.status).toBe(409);
    expect((await messagesOf('class_cancelled', ids)).length).toBe(2);
    // The time is free again.
    const slot = await api('POST', '/api/bookings/', {
      token: t.token,
      body: { client: people[1], start_time: at(futureDay(5).date, '17:00') },
    });
    expect(slot.status).toBe(201);
  });
});

describe('a class under way or over', () => {
  it('is not cancelled (409 class_started): its places stay to be marked completed or no-shows', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 2);
    const start = at(futureDay(2).date, '17:00');
    const cls = await scheduleClass(t.token, service, start);
    const [who = 0] = await clients(t.token, 1);
    const place = await bookPlace(t.token, who, cls);
    expect((await api('POST', `/api/bookings/${place.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const after = { 'X-Test-Now': new Date(Date.parse(start) + HOUR).toISOString() };
    const refused = await api<ProblemBody>('POST', `/api/class-sessions/${cls}/cancel/`, {
      token: t.token,
      body: { reason: 'after the fact' },
      headers: after,
    });
    expect([refused.status, refused.body.code]).toEqual([409, 'class_started']);
    expect((await classDetail(t.token, cls)).status).toBe('scheduled');
    expect(await messagesOf('class_cancelled', [place.body.id])).toEqual([]);
    const done = await api<Place>('POST', `/api/bookings/${place.body.id}/mark_completed/`, {
      token: t.token,
      headers: after,
    });
    expect([done.status, done.body.status]).toEqual([200, 'completed']);
  });
});

describe('places by visitors and client users', () => {
  it('a visitor books a place by class_session; a full class waitlists them when asked', async () => {
    const t = await registerTrainer();
    for (let day = 0; day < 7; day++) {
      await api('POST', '/api/availability-slots/', {
        token: t.token,
        body: { day_of_week: day, start_time: '00:00', end_time: '24:00' },
      });
    }
    const service = await classService(t.token, 1 + 1);
    const cls = await scheduleClass(t.token, service, at(futureDay(6).date, '10:00'));
    const visit = (n: number, extra: Record<string, unknown> = {}) =>
      api<{ status: string; class_session: number; waitlist_position: number | null } & ProblemBody>(
        'POST',
        `/api/public/trainers/${t.user.trainer.slug}/bookings/`,
        {
          body: { first_name: 'V', last_name: 'V', email: uniqueEmail('v'), class_session: cls, ...extra },
          headers: { 'CF-Connecting-IP': `198.51.100.${n}` },
        },
      );
    expect((await visit(1)).status).toBe(201);
    const second = await visit(2);
    expect([second.status, second.body.status, second.body.class_session]).toEqual([201, 'pending', cls]);
    const full = await visit(3);
    expect([full.status, full.body.code]).toEqual([409, 'class_full']);
    const waiting = await visit(4, { waitlist: true, phone: '+447700900321' });
    expect([waiting.status, waiting.body.status, waiting.body.waitlist_position]).toEqual([201, 'waitlisted', 1]);
    // The joiner is emailed their place in line and the link to leave it (never texted: the number
    // was typed into a form), with no calendar file: a waitlisted place holds no time yet.
    const waitingId = (
      await env.DB.prepare("SELECT id FROM bookings WHERE class_session_id = ? AND status = 'waitlisted'")
        .bind(cls)
        .first<{ id: number }>()
    )?.id as number;
    const [joined] = await sentRows(waitingId, 1);
    expect((await rowsOf(waitingId)).map((r) => `${r.kind}/${r.notification_type}`)).toEqual(['waitlist_joined/email']);
    expect(joined?.subject).toMatch(/^On the waitlist: /);
    const manageUrl = (waiting.body as unknown as { manage_url: string }).manage_url;
    expect(joined?.message).toContain(manageUrl);
    const mail = await viaSendGrid(joined as Row);
    expect(mail.attachments ?? []).toEqual([]);
    expect(mail.content.map((c) => c.value).join('')).not.toMatch(/calendar\.google|outlook/i);
    // The place's manage link offers no move, and a move is refused: a place keeps its class's time.
    const token = (second.body as unknown as { manage_url: string }).manage_url.split('/').pop() as string;
    const shown = await api<{ can_reschedule: boolean; can_cancel: boolean }>('GET', `/api/public/bookings/${token}/`);
    expect(shown.body).toMatchObject({ can_reschedule: false, can_cancel: true });
    const moved = await api<ProblemBody>('POST', `/api/public/bookings/${token}/reschedule/`, {
      body: { start_time: at(futureDay(6).date, '12:00') },
    });
    expect([moved.status, moved.body.code]).toEqual([409, 'class_place']);
    // Nor are times of a move offered for it.
    const times = await api<ProblemBody>('GET', `/api/public/bookings/${token}/availability/`);
    expect([times.status, times.body.code]).toEqual([409, 'class_place']);
    expect((await api('GET', `/api/public/bookings/${token}/ics/`)).status).toBe(200);
    // A waitlisted place holds no time yet: no calendar file for it.
    const waitingToken = (waiting.body as unknown as { manage_url: string }).manage_url.split('/').pop() as string;
    const file = await api<ProblemBody>('GET', `/api/public/bookings/${waitingToken}/ics/`);
    expect([file.status, file.body.code]).toEqual([409, 'waitlisted']);
  });
});

describe('a place or a time, never a mix', () => {
  it('a time sent with class_session, or waitlist without it, is 400 naming each field; nothing stored', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 3);
    const cls = await scheduleClass(t.token, service, at(futureDay(6).date, '10:00'));
    const other = at(futureDay(6).date, '14:00');
    const mixed = await api<ProblemBody>('POST', '/api/bookings/', {
      token: t.token,
      body: {
        client: t.client.id,
        class_session: cls,
        start_time: other,
        end_time: other,
        allow_outside_availability: true,
      },
    });
    expect(mixed.status).toBe(400);
    expect(Object.keys(mixed.body.errors ?? {}).sort()).toEqual([
      'allow_outside_availability',
      'end_time',
      'start_time',
    ]);
    const stray = await api<ProblemBody>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: other, waitlist: true },
    });
    expect([stray.status, Object.keys(stray.body.errors ?? {})]).toEqual([400, ['waitlist']]);
    const visitor = await api<ProblemBody>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      headers: { 'CF-Connecting-IP': '198.51.100.77' },
      body: { first_name: 'V', last_name: 'V', email: uniqueEmail('v'), class_session: cls, start_time: other },
    });
    expect([visitor.status, Object.keys(visitor.body.errors ?? {})]).toEqual([400, ['start_time']]);
    expect(await activePlaces(cls)).toBe(0);
    expect((await api<{ count: number }>('GET', '/api/bookings/', { token: t.token })).body.count).toBe(0);
  });
});

describe('places, packs and the rest', () => {
  it('a promoted person is credited from their pack while it has a credit, and promoted without it otherwise', async () => {
    const t = await setupTrainer({ settings: { auto_confirm: true } });
    const service = await classService(t.token, 1 + 1);
    const cls = await scheduleClass(t.token, service, at(futureDay(4).date, '13:00'));
    const other = await scheduleClass(t.token, service, at(futureDay(4).date, '16:00'));
    const people = await clients(t.token, 4);
    const pack = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'One', sessions_count: 1, price: '10.00' },
    });
    const sell = async (client: number) =>
      (
        await api<{ id: number }>('POST', `/api/packages/${pack.body.id}/assign_to_client/`, {
          token: t.token,
          body: { client_id: client },
        })
      ).body.id;
    const [packA, packB] = [await sell(people[2] ?? 0), await sell(people[3] ?? 0)];
    const placed = [
      (await bookPlace(t.token, people[0] ?? 0, cls)).body.id,
      (await bookPlace(t.token, people[1] ?? 0, cls)).body.id,
    ];
    // Waitlisted entries hold no credit: B's single credit can still book another class.
    const a = await bookPlace(t.token, people[2] ?? 0, cls, { waitlist: true, client_package: packA });
    const b = await bookPlace(t.token, people[3] ?? 0, cls, { waitlist: true, client_package: packB });
    expect([a.body.status, a.body.client_package, b.body.client_package]).toEqual(['waitlisted', packA, packB]);
    expect((await bookPlace(t.token, people[3] ?? 0, other, { client_package: packB })).status).toBe(201);
    for (const id of placed) await api('POST', `/api/bookings/${id}/cancel/`, { token: t.token });
    const promotedA = (await api<Place>('GET', `/api/bookings/${a.body.id}/`, { token: t.token })).body;
    const promotedB = (await api<Place>('GET', `/api/bookings/${b.body.id}/`, { token: t.token })).body;
    expect([promotedA.status, promotedA.client_package]).toEqual(['confirmed', packA]);
    expect([promotedB.status, promotedB.client_package]).toEqual(['confirmed', null]);
    const reservedA = await api<{ sessions_reserved: number }>('GET', `/api/client-packages/${packA}/`, {
      token: t.token,
    });
    expect(reservedA.body.sessions_reserved).toBe(1);
  });

  it('a place booked on the web pays with the pack that covers the class, as a private booking does', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 3);
    const day = futureDay(5).date;
    const [first, second, third] = [
      await scheduleClass(t.token, service, at(day, '09:00')),
      await scheduleClass(t.token, service, at(day, '11:00')),
      await scheduleClass(t.token, service, at(day, '13:00')),
    ];
    const yoga = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Yoga', duration_minutes: 60 },
    });
    expect(yoga.status).toBe(201);
    const { email, ...reg } = await clientUser();
    const client = (await createClient(t.token, { email })).id;
    const sell = async (services: number[], expiry: string) => {
      const made = await api<{ id: number }>('POST', '/api/packages/', {
        token: t.token,
        body: { name: `For ${services.join(',') || 'all'}`, sessions_count: 5, price: '50.00', services },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const sold = await api<{ id: number }>('POST', `/api/packages/${made.body.id}/assign_to_client/`, {
        token: t.token,
        body: { client_id: client, expiry_date: expiry },
      });
      expect(sold.status, JSON.stringify(sold.body)).toBe(201);
      return sold.body.id;
    };
    // Soonest first: a yoga pack (not for the class), the class pack, then one for everything.
    await sell([yoga.body.id], futureDay(10).date);
    const classPack = await sell([service], futureDay(20).date);
    const anyPack = await sell([], futureDay(30).date);

    const signedIn = await api<Place>('POST', '/api/client/bookings/', {
      token: reg.token,
      body: { trainer: t.user.trainer.slug, class_session: first },
    });
    expect([signedIn.status, signedIn.body.client_package]).toEqual([201, classPack]);
    // Naming no pack with null pays with none.
    const unpaid = await api<Place>('POST', '/api/client/bookings/', {
      token: reg.token,
      body: { trainer: t.user.trainer.slug, class_session: second, client_package: null },
    });
    expect([unpaid.status, unpaid.body.client_package]).toEqual([201, null]);
    // On the booking page the typed email picks too, and its pack is marked as picked by email.
    const visitor = await api<ProblemBody>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: { first_name: 'Mia', last_name: 'M', email, class_session: third },
      headers: { 'CF-Connecting-IP': '198.51.100.77' },
    });
    expect(visitor.status).toBe(201);
    const row = await env.DB.prepare('SELECT client_package_id, pack_by_email FROM bookings WHERE class_session_id = ?')
      .bind(third)
      .first<{ client_package_id: number; pack_by_email: number }>();
    expect(row).toEqual({ client_package_id: classPack, pack_by_email: 1 });
    const reserved = await api<{ sessions_reserved: number }>('GET', `/api/client-packages/${classPack}/`, {
      token: t.token,
    });
    expect(reserved.body.sessions_reserved).toBe(2);
    const untouched = await api<{ sessions_reserved: number }>('GET', `/api/client-packages/${anyPack}/`, {
      token: t.token,
    });
    expect(untouched.body.sessions_reserved).toBe(0);
  });

  it('a place is not moved (409 class_place); the default service stays private', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 3);
    const day = futureDay(4).date;
    const cls = await scheduleClass(t.token, service, at(day, '13:00'));
    const place = await bookPlace(t.token, t.client.id, cls);
    const moved = await api<ProblemBody>('PATCH', `/api/bookings/${place.body.id}/`, {
      token: t.token,
      body: { start_time: at(day, '15:00') },
    });
    expect([moved.status, moved.body.code]).toEqual([409, 'class_place']);
    const services = await api<{ results: { id: number; is_default: boolean }[] }>('GET', '/api/services/', {
      token: t.token,
    });
    const def = services.body.results.find((s) => s.is_default)?.id;
    const classy = await api<ProblemBody>('PATCH', `/api/services/${def}/`, { token: t.token, body: { capacity: 4 } });
    expect(classy.status).toBe(400);
    expect(Object.keys(classy.body.errors ?? {})).toEqual(['capacity']);
  });

  it('a client user books a place and gives it up; the next waitlisted person is promoted', async () => {
    const t = await setupTrainer();
    const service = await classService(t.token, 1 + 1);
    const cls = await scheduleClass(t.token, service, at(futureDay(5).date, '12:00'));
    const reg = await clientUser();
    const mine = await api<Place>('POST', '/api/client/bookings/', {
      token: reg.token,
      body: { trainer: t.user.trainer.slug, class_session: cls },
    });
    expect([mine.status, mine.body.class_session]).toEqual([201, cls]);
    await bookPlace(t.token, t.client.id, cls);
    const next = (await bookPlace(t.token, (await createClient(t.token)).id, cls, { waitlist: true })).body.id;
    const gone = await api<Place>('POST', `/api/client/bookings/${mine.body.id}/cancel/`, { token: reg.token });
    expect(gone.body.status).toBe('cancelled');
    const promoted = await api<Place>('GET', `/api/bookings/${next}/`, { token: t.token });
    expect([promoted.body.status, promoted.body.waitlist_position]).toEqual(['pending', null]);
    expect((await messagesOf('waitlist_promoted', [next])).length).toBe(1);
  });
});
