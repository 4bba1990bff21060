import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  api,
  at,
  type BookingBody,
  book,
  bookingAction,
  claimsOf,
  createClient,
  futureDay,
  intercept,
  PASSWORD,
  type ProblemBody,
  packOf,
  registerTrainer,
  setupTrainer,
  signedByServer,
  trainerBookingCommand,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';

const rowsAt = async (trainerId: number, start: string) =>
  (
    await env.DB.prepare(
      "SELECT count(*) AS n FROM bookings WHERE trainer_id = ? AND start_time = ? AND status IN ('pending','confirmed')",
    )
      .bind(trainerId, start)
      .first<{ n: number }>()
  )?.n;

describe('POST /api/bookings/', () => {
  it('creates a pending booking with the default length and every response field', async () => {
    const t = await setupTrainer({ settings: { business_name: 'Alex Fit Studio', session_duration_minutes: 45 } });
    const { date } = futureDay(5);
    const res = await book(t.token, {
      client: t.client.id,
      start_time: `${date}T11:00:00+02:00`,
      notes: 'Bring shoes',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      trainer: t.user.trainer.id,
      client: t.client.id,
      client_name: 'Casey Client',
      trainer_name: 'Alex Fit Studio',
      start_time: at(date, '09:00'),
      end_time: at(date, '09:45'),
      status: 'pending',
      notes: 'Bring shoes',
      cancellation_reason: '',
      duration_minutes: 45,
      is_upcoming: true,
      is_past: false,
      client_package: null,
      cancelled_at: null,
      late_cancellation: false,
    });
    const got = await api<BookingBody>('GET', `/api/bookings/${res.body.id}/`, { token: t.token });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: res.body.id, start_time: at(date, '09:00') });
  });

  it('400 naming each bad field', async () => {
    const t = await setupTrainer();
    const other = await setupTrainer();
    const { date } = futureDay(5);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ start_time: at(date, '10:00'), end_time: at(date, '09:00') }, 'end_time', /after start/],
      [{ start_time: at(date, '10:00'), end_time: at(date, '10:00') }, 'end_time', /after start/],
      [{ start_time: at(futureDay(-1).date, '10:00') }, 'start_time', /future/],
      [{ start_time: at(date, '00:00'), end_time: `${futureDay(6).date}T00:01:00.000Z` }, 'end_time', /12 hours/],
      // Whole minutes, at least five: an .ics time has no fraction, and a 1 ms session is none.
      [{ start_time: `${date}T10:00:00.123Z` }, 'start_time', /whole minute/],
      [{ start_time: `${date}T10:00:30Z` }, 'start_time', /whole minute/],
      [{ start_time: at(date, '10:00'), end_time: `${date}T10:00:00.001Z` }, 'end_time', /whole minute/],
      [{ start_time: at(date, '10:00'), end_time: at(date, '10:04') }, 'end_time', /at least 5 minutes/],
      [{ start_time: `${date}T10:00:00` }, 'start_time', /offset/],
      [{ start_time: 'tomorrow at ten' }, 'start_time', /ISO 8601/],
      [{ start_time: '2031-02-30T10:00:00Z' }, 'start_time', /ISO 8601/],
      [{ start_time: '+010000-01-01T10:00:00Z' }, 'start_time', /ISO 8601/],
      [{ start_time: at(date, '10:00'), client: other.client.id }, 'client', /Client not found/],
      [{ start_time: at(date, '10:00'), client: 'seven' }, 'client', /number/],
      [{ start_time: at(date, '10:00'), client: undefined }, 'client', /required/],
    ];
    for (const [patch, field, message] of cases) {
      const res = await book(t.token, { client: t.client.id, ...patch });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(res.body.errors?.[field]?.join(' '), JSON.stringify(res.body)).toMatch(message);
    }
  });

  it('409 with a code for an overlap, outside availability, and a break day', async () => {
    const t = await setupTrainer({ open: ['09:00', '17:00'], settings: { buffer_minutes: 15 } });
    const { date } = futureDay(6);
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '10:00') })).status).toBe(201);

    const overlap = await book(t.token, { client: t.client.id, start_time: at(date, '10:30') });
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('booking_overlap');
    // Within the buffer of the 10:00–11:00 booking.
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '11:10') })).body.code).toBe(
      'booking_overlap',
    );
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '11:15') })).status).toBe(201);

    const outside = await book(t.token, { client: t.client.id, start_time: at(date, '16:30') });
    expect(outside.status).toBe(409);
    expect(outside.body.code).toBe('outside_availability');
    const allowed = await book(t.token, {
      client: t.client.id,
      start_time: at(date, '16:30'),
      allow_outside_availability: true,
    });
    expect(allowed.status).toBe(201);
    const overBooking = await book(t.token, {
      client: t.client.id,
      start_time: at(date, '10:00'),
      allow_outside_availability: true,
    });
    expect(overBooking.body.code).toBe('booking_overlap');

    const breakDay = futureDay(8).date;
    expect(
      (
        await api('POST', '/api/trainer-breaks/', {
          token: t.token,
          body: { start_date: breakDay, end_date: breakDay, reason: 'Holiday' },
        })
      ).status,
    ).toBe(201);
    const onBreak = await book(t.token, { client: t.client.id, start_time: at(breakDay, '10:00') });
    expect(onBreak.status).toBe(409);
    expect(onBreak.body.code).toBe('trainer_break');
    expect(
      (
        await book(t.token, {
          client: t.client.id,
          start_time: at(breakDay, '10:00'),
          allow_outside_availability: true,
        })
      ).body.code,
    ).toBe('trainer_break');
  });
});

describe('no double booking under parallel requests', () => {
  it('50 parallel requests for one slot: exactly one 201, 49 × 409, one row — 10 rounds', {
    timeout: 60_000,
  }, async () => {
    const t = await setupTrainer();
    for (let round = 0; round < 10; round++) {
      const start = at(futureDay(3 + round).date, '10:00');
      const results = await Promise.all(
        Array.from({ length: 50 }, () => book(t.token, { client: t.client.id, start_time: start })),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'booking_overlap')).toBe(true);
      expect(await rowsAt(t.user.trainer.id, start)).toBe(1);
    }
  });

  it('50 parallel requests at staggered, pairwise-overlapping offsets never produce overlapping bookings', async () => {
    const t = await setupTrainer();
    const { date } = futureDay(20);
    const base = Date.parse(at(date, '08:00'));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, k) =>
        book(t.token, { client: t.client.id, start_time: new Date(base + k * 10 * 60_000).toISOString() }),
      ),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const { results: rows } = await env.DB.prepare(
      "SELECT start_time, end_time FROM bookings WHERE trainer_id = ? AND status IN ('pending','confirmed') ORDER BY start_time",
    )
      .bind(t.user.trainer.id)
      .all<{ start_time: string; end_time: string }>();
    expect(rows.length).toBe(results.filter((r) => r.status === 201).length);
    // How many fit depends on the order the requests arrive (from 5 to 9), but every refusal
    // must be justified: each refused start overlaps a booking that was accepted.
    expect(rows.length).toBeGreaterThanOrEqual(5);
    results.forEach((r, k) => {
      if (r.status !== 409) return;
      const start = base + k * 10 * 60_000;
      const blocker = rows.find(
        (b) => Date.parse(b.start_time) < start + 60 * 60_000 && Date.parse(b.end_time) > start,
      );
      expect(blocker, `refused ${new Date(start).toISOString()}`).toBeDefined();
    });
    for (let i = 1; i < rows.length; i++) {
      expect((rows[i] as { start_time: string }).start_time >= (rows[i - 1] as { end_time: string }).end_time).toBe(
        true,
      );
    }
  });

  it('two trainers booking the same instant in parallel both succeed', async () => {
    const [a, b] = await Promise.all([setupTrainer(), setupTrainer()]);
    const start = at(futureDay(4).date, '12:00');
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => book(a.token, { client: a.client.id, start_time: start })),
      ...Array.from({ length: 10 }, () => book(b.token, { client: b.client.id, start_time: start })),
    ]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(await rowsAt(a.user.trainer.id, start)).toBe(1);
    expect(await rowsAt(b.user.trainer.id, start)).toBe(1);
  });
});

describe('Idempotency-Key', () => {
  it('the same key sent 10 times in parallel: one booking, ten identical responses', async () => {
    const t = await setupTrainer();
    const body = { client: t.client.id, start_time: at(futureDay(9).date, '15:00') };
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => book(t.token, body, { 'Idempotency-Key': key })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const first = JSON.stringify(results[0]?.body);
    expect(results.every((r) => JSON.stringify(r.body) === first)).toBe(true);
    expect(results.filter((r) => r.headers.get('Idempotency-Replayed') === 'true')).toHaveLength(9);
    expect(await rowsAt(t.user.trainer.id, body.start_time)).toBe(1);
  });

  it('the same key with a different body is a 422; another user may use the same key', async () => {
    const t = await setupTrainer();
    const key = `key-${crypto.randomUUID()}`;
    const { date } = futureDay(9);
    expect(
      (await book(t.token, { client: t.client.id, start_time: at(date, '08:00') }, { 'Idempotency-Key': key })).status,
    ).toBe(201);
    const reused = await book(
      t.token,
      { client: t.client.id, start_time: at(date, '09:00') },
      { 'Idempotency-Key': key },
    );
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    const other = await setupTrainer();
    expect(
      (await book(other.token, { client: other.client.id, start_time: at(date, '09:00') }, { 'Idempotency-Key': key }))
        .status,
    ).toBe(201);
    const bad = await book(
      t.token,
      { client: t.client.id, start_time: at(date, '11:00') },
      { 'Idempotency-Key': 'x'.repeat(300) },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.['Idempotency-Key']).toEqual(['Use 1–255 visible ASCII characters, e.g. a UUID.']);
  });
});

describe('the session check inside the schedule object', () => {
  const bookingsOf = async (trainerId: number) =>
    (
      await env.DB.prepare('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?')
        .bind(trainerId)
        .first<{ n: number }>()
    )?.n;
  it('a trainer token carries its trainer id; after logout a create is 401, even replaying a used key', async () => {
    const t = await setupTrainer();
    expect(claimsOf(t.token).tid).toBe(t.user.trainer.id);
    const body = { client: t.client.id, start_time: at(futureDay(6).date, '10:00') };
    const key = crypto.randomUUID();
    expect((await book(t.token, body, { 'Idempotency-Key': key })).status).toBe(201);
    expect((await api('POST', '/api/users/logout/', { token: t.token })).status).toBe(204);

    for (const headers of [{ 'Idempotency-Key': key }, {}] as Record<string, string>[]) {
      const res = await book(t.token, { ...body, start_time: at(futureDay(7).date, '10:00') }, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
      expect(res.body).not.toHaveProperty('client');
    }
    const replay = await book(t.token, body, { 'Idempotency-Key': key });
    expect(replay.status).toBe(401);
    expect(await bookingsOf(t.user.trainer.id)).toBe(1);
  });

  it('a claim naming another trainer, a session of another user, an expired session row and a deactivated user: 401, nothing written', async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const { sub, jti } = claimsOf(a.token);
    const start = at(futureDay(6).date, '11:00');
    // Tokens signed with the server's secret (only a leak could make them), each pairing a real part with a wrong one.
    // A's real session, but a claim for B's schedule: the read ties the session to the trainer.
    const crossed = await signedByServer({ tid: b.user.trainer.id }, sub, jti);
    expect((await book(crossed, { client: b.client.id, start_time: start })).status).toBe(401);
    // A's session and schedule, but B named as the user: the read ties the session to the user too.
    const borrowed = await signedByServer({ tid: a.user.trainer.id }, String(b.user.id), jti);
    expect((await book(borrowed, { client: a.client.id, start_time: start })).status).toBe(401);
    expect(await bookingsOf(b.user.trainer.id)).toBe(0);

    // The session row has expired (the token itself has not).
    await env.DB.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE jti = ?").bind(jti).run();
    expect((await book(a.token, { client: a.client.id, start_time: start })).status).toBe(401);
    expect(await bookingsOf(a.user.trainer.id)).toBe(0);

    // A fresh session for A, then A is deactivated.
    const login = await api<{ token: string }>('POST', '/api/users/login/', {
      body: { email: a.email, password: PASSWORD },
    });
    expect((await book(login.body.token, { client: a.client.id, start_time: start })).status).toBe(201);
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(Number(sub)).run();
    const late = at(futureDay(6).date, '15:00');
    expect((await book(login.body.token, { client: a.client.id, start_time: late })).status).toBe(401);
    expect(await bookingsOf(a.user.trainer.id)).toBe(1);
  });

  it('a token without the trainer claim gets the full check: a trainer books until logout, a client user gets 403', async () => {
    const t = await setupTrainer();
    const { sub, jti } = claimsOf(t.token);
    const plain = await signedByServer({}, sub, jti);
    const res = await book(plain, { client: t.client.id, start_time: at(futureDay(6).date, '12:00') });
    expect(res.status).toBe(201);
    expect(res.body.trainer).toBe(t.user.trainer.id);
    expect((await api('POST', '/api/users/logout/', { token: plain })).status).toBe(204);
    const afterLogout = await book(plain, { client: t.client.id, start_time: at(futureDay(6).date, '14:00') });
    expect(afterLogout.status).toBe(401);
    expect(await bookingsOf(t.user.trainer.id)).toBe(1);

    const email = uniqueEmail('member');
    const member = await api<{ token: string }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    expect(claimsOf(member.body.token).tid).toBeUndefined();
    expect(
      (await book(member.body.token, { client: t.client.id, start_time: at(futureDay(6).date, '13:00') })).status,
    ).toBe(403);
  });
});

type Day = {
  date: string;
  timezone: string;
  duration_minutes: number;
  slots: { start_time: string; end_time: string }[];
};

describe('free slots over HTTP', () => {
  it('a booking removes exactly the overlapping slots (with buffer); cancelling restores them', async () => {
    const t = await registerTrainer();
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { buffer_minutes: 15 } });
    const { date, weekday } = futureDay(7);
    await api('POST', '/api/availability-slots/', {
      token: t.token,
      body: { day_of_week: weekday, start_time: '08:00', end_time: '13:00' },
    });
    const client = await createClient(t.token);
    const slotsOf = async () =>
      (await api<Day>('GET', `/api/availability-slots/available/?date=${date}`, { token: t.token })).body.slots.map(
        (s) => s.start_time.slice(11, 16),
      );
    expect(await slotsOf()).toEqual(['08:00', '08:30', '09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '12:00']);
    const b = await book(t.token, { client: client.id, start_time: at(date, '10:00') });
    expect(b.status).toBe(201);
    expect(await slotsOf()).toEqual(['08:00', '08:30', '11:30', '12:00']);
    const cancelled = await api<BookingBody>('POST', `/api/bookings/${b.body.id}/cancel/`, {
      token: t.token,
      body: { reason: 'Sick' },
    });
    expect(cancelled.status).toBe(200);
    expect(await slotsOf()).toEqual(['08:00', '08:30', '09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '12:00']);
    const custom = await api<Day>('GET', `/api/availability-slots/available/?date=${date}&duration=120`, {
      token: t.token,
    });
    expect(custom.body).toMatchObject({ date, timezone: 'UTC', duration_minutes: 120 });
    expect(custom.body.slots.at(-1)?.start_time).toBe(at(date, '11:00'));
  });

  it('a break day has no slots; min notice and horizon are respected', async () => {
    const t = await setupTrainer({
      open: ['00:00', '24:00'],
      settings: { booking_horizon_days: 3, min_notice_minutes: 600 },
    });
    const today = futureDay(0).date;
    const breakDay = futureDay(1).date;
    await api('POST', '/api/trainer-breaks/', { token: t.token, body: { start_date: breakDay, end_date: breakDay } });
    const range = await api<{ days: { date: string; slots: { start_time: string }[] }[] }>(
      'GET',
      `/api/availability-slots/available/?from=${today}&to=${futureDay(5).date}`,
      { token: t.token },
    );
    expect(range.status).toBe(200);
    const byDate = Object.fromEntries(range.body.days.map((d) => [d.date, d.slots]));
    expect(byDate[breakDay]).toEqual([]);
    const earliest = Date.now() + 600 * 60_000;
    const latest = Date.now() + 3 * 86_400_000;
    const all = range.body.days.flatMap((d) => d.slots.map((s) => Date.parse(s.start_time)));
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((s) => s >= earliest - 60_000 && s <= latest + 60_000)).toBe(true);
    expect(byDate[futureDay(5).date]).toEqual([]);
  });

  it('a 31-day range equals the concatenation of 31 single-day answers', async () => {
    const t = await setupTrainer({
      open: ['07:00', '19:00'],
      settings: { timezone: 'America/New_York', buffer_minutes: 10, slot_interval_minutes: 20 },
    });
    for (const [d, h] of [
      [3, '10:00'],
      [4, '15:00'],
      [10, '08:00'],
    ] as const) {
      const res = await book(t.token, { client: t.client.id, start_time: `${futureDay(d).date}T${h}:00-05:00` });
      expect([201, 409]).toContain(res.status);
    }
    const from = futureDay(1).date;
    const to = futureDay(31).date;
    const range = await api<{ timezone: string; days: { date: string; slots: unknown[] }[] }>(
      'GET',
      `/api/availability-slots/available/?from=${from}&to=${to}`,
      { token: t.token },
    );
    expect(range.status).toBe(200);
    expect(range.body.timezone).toBe('America/New_York');
    expect(range.body.days).toHaveLength(31);
    for (const d of range.body.days) {
      const single = await api<Day>('GET', `/api/availability-slots/available/?date=${d.date}`, { token: t.token });
      expect(single.body.slots, d.date).toEqual(d.slots);
    }
  });

  it('400 for a missing date, a reversed or too long range, and a bad duration', async () => {
    const t = await setupTrainer();
    const bad: [string, string, string][] = [
      ['', 'from', 'Give date, or from and to.'],
      ['?date=2025-02-30', 'date', 'Enter a date like 2026-03-14.'],
      [`?from=${futureDay(5).date}&to=${futureDay(1).date}`, 'to', 'to must not be before from.'],
      [`?from=${futureDay(1).date}&to=${futureDay(63).date}`, 'to', 'A range covers at most 62 days.'],
      [`?date=${futureDay(1).date}&duration=2`, 'duration', 'Enter a whole number from 5 to 720.'],
      // A date beside a range: which did the caller mean? Both the range's fields are named.
      [`?date=${futureDay(1).date}&from=${futureDay(2).date}`, 'from', 'Give date, or from and to, not both.'],
      [`?date=${futureDay(1).date}&to=${futureDay(2).date}`, 'to', 'Give date, or from and to, not both.'],
    ];
    for (const [query, field, message] of bad) {
      const res = await api<ProblemBody>('GET', `/api/availability-slots/available/${query}`, { token: t.token });
      expect(res.status, query).toBe(400);
      expect(res.body.errors?.[field], query).toEqual([message]);
    }
    expect(
      (
        await api('GET', `/api/availability-slots/available/?from=${futureDay(1).date}&to=${futureDay(62).date}`, {
          token: t.token,
        })
      ).status,
    ).toBe(200);
  });
});

describe('availability windows and breaks CRUD', () => {
  it('creates, lists, updates and deletes windows with validation', async () => {
    const t = await registerTrainer();
    const created = await api<{ id: number; start_time: string; end_time: string; is_active: boolean }>(
      'POST',
      '/api/availability-slots/',
      {
        token: t.token,
        body: { day_of_week: 0, start_time: '09:00', end_time: '12:30:00' },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      day_of_week: 0,
      start_time: '09:00:00',
      end_time: '12:30:00',
      is_active: true,
    });
    const list = await api<{ count: number; results: unknown[] }>('GET', '/api/availability-slots/', {
      token: t.token,
    });
    expect(list.body.count).toBe(1);
    const patched = await api('PATCH', `/api/availability-slots/${created.body.id}/`, {
      token: t.token,
      body: { end_time: '24:00', is_active: false },
    });
    expect(patched.body).toMatchObject({ end_time: '24:00:00', is_active: false });
    const reversed = await api<ProblemBody>('PATCH', `/api/availability-slots/${created.body.id}/`, {
      token: t.token,
      body: { start_time: '23:00', end_time: '22:00' },
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors?.end_time).toEqual(['End time must be after start time.']);

    const bad: [Record<string, unknown>, string, string][] = [
      [{ day_of_week: 7, start_time: '09:00', end_time: '10:00' }, 'day_of_week', 'Enter a whole number from 0 to 6.'],
      [{ day_of_week: -1, start_time: '09:00', end_time: '10:00' }, 'day_of_week', 'Enter a whole number from 0 to 6.'],
      [{ day_of_week: 1, start_time: '10:00', end_time: '09:00' }, 'end_time', 'End time must be after start time.'],
      [
        { day_of_week: 1, start_time: '25:00', end_time: '26:00' },
        'start_time',
        'Use HH:MM or HH:MM:00, a whole minute.',
      ],
      [
        { day_of_week: 1, start_time: '24:00', end_time: '24:00' },
        'start_time',
        'Use HH:MM or HH:MM:00, a whole minute.',
      ],
      [
        { day_of_week: 1, start_time: '9am', end_time: '10:00' },
        'start_time',
        'Use HH:MM or HH:MM:00, a whole minute.',
      ],
      // Seconds would put every offered slot off the whole minute a booking must start on.
      [
        { day_of_week: 1, start_time: '09:00:30', end_time: '10:00' },
        'start_time',
        'Use HH:MM or HH:MM:00, a whole minute.',
      ],
      [
        { day_of_week: 1, start_time: '09:00', end_time: '10:00:01' },
        'end_time',
        'Use HH:MM or HH:MM:00, a whole minute (24:00 allowed as an end).',
      ],
    ];
    for (const [body, field, message] of bad) {
      const res = await api<ProblemBody>('POST', '/api/availability-slots/', { token: t.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors?.[field], JSON.stringify(body)).toEqual([message]);
    }
    expect((await api('DELETE', `/api/availability-slots/${created.body.id}/`, { token: t.token })).status).toBe(204);
    expect((await api('GET', `/api/availability-slots/${created.body.id}/`, { token: t.token })).status).toBe(404);
  });

  it('breaks: whole days inclusive; end before start is a 400', async () => {
    const t = await registerTrainer();
    const res = await api<{ id: number }>('POST', '/api/trainer-breaks/', {
      token: t.token,
      body: { start_date: '2030-01-10', end_date: '2030-01-12', reason: 'Trip' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ start_date: '2030-01-10', end_date: '2030-01-12', reason: 'Trip' });
    const reversed = await api<ProblemBody>('POST', '/api/trainer-breaks/', {
      token: t.token,
      body: { start_date: '2030-01-12', end_date: '2030-01-10' },
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors?.end_date).toEqual(['End date must not be before start date.']);
    const badDate = await api<ProblemBody>('POST', '/api/trainer-breaks/', {
      token: t.token,
      body: { start_date: '2030-02-30', end_date: '2030-03-01' },
    });
    expect(badDate.body.errors?.start_date).toEqual(['Enter a date like 2026-03-14.']);
    const patchBad = await api<ProblemBody>('PATCH', `/api/trainer-breaks/${res.body.id}/`, {
      token: t.token,
      body: { end_date: '2030-01-01' },
    });
    expect(patchBad.status).toBe(400);
    const put = await api('PUT', `/api/trainer-breaks/${res.body.id}/`, {
      token: t.token,
      body: { start_date: '2030-01-11', end_date: '2030-01-11' },
    });
    expect(put.body).toMatchObject({ start_date: '2030-01-11', end_date: '2030-01-11' });
    expect((await api('DELETE', `/api/trainer-breaks/${res.body.id}/`, { token: t.token })).status).toBe(204);
  });
});

describe('transitions and rescheduling', () => {
  it('confirm, cancel and complete follow the state machine; others are 409 naming the status', async () => {
    const t = await setupTrainer();
    const { date } = futureDay(10);
    const b = (await book(t.token, { client: t.client.id, start_time: at(date, '09:00') })).body;
    const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      api<BookingBody & ProblemBody>('POST', `/api/bookings/${b.id}/${path}/`, { token: t.token, body, headers });

    const early = await post('mark_completed');
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/pending/);
    expect((await post('confirm')).body.status).toBe('confirmed');
    const again = await post('confirm');
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/confirmed/);
    // A session is completed once it has started (before, 409 not_started: test/mark-completed.test.ts).
    const done = await post('mark_completed', undefined, { 'X-Test-Now': b.start_time });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');
    const cancelDone = await post('cancel');
    expect(cancelDone.status).toBe(409);
    expect(cancelDone.body.detail).toMatch(/completed/);

    const c = (await book(t.token, { client: t.client.id, start_time: at(date, '11:00') })).body;
    const cancelled = await api<BookingBody>('POST', `/api/bookings/${c.id}/cancel/`, { token: t.token });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', late_cancellation: false, cancellation_reason: '' });
    expect(cancelled.body.cancelled_at).toBeTruthy();
    expect((await api<ProblemBody>('POST', `/api/bookings/${c.id}/confirm/`, { token: t.token })).body.detail).toMatch(
      /cancelled/,
    );
    // The slot is free again.
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '11:00') })).status).toBe(201);
  });

  it('a cancellation inside late_cancel_hours is marked late; a request declined there is not', async () => {
    const t = await setupTrainer({ settings: { late_cancel_hours: 48 } });
    const b = (await book(t.token, { client: t.client.id, start_time: at(futureDay(1).date, '23:00') })).body;
    expect((await api('POST', `/api/bookings/${b.id}/confirm/`, { token: t.token })).status).toBe(200);
    const res = await api<BookingBody>('POST', `/api/bookings/${b.id}/cancel/`, {
      token: t.token,
      body: { reason: 'Traffic' },
    });
    expect(res.body).toMatchObject({ status: 'cancelled', late_cancellation: true, cancellation_reason: 'Traffic' });
    const request = (await book(t.token, { client: t.client.id, start_time: at(futureDay(1).date, '21:00') })).body;
    const declined = await api<BookingBody>('POST', `/api/bookings/${request.id}/cancel/`, { token: t.token });
    expect(declined.body).toMatchObject({ status: 'cancelled', late_cancellation: false });
    const stats = await api<{ late_cancellations: number }>('GET', '/api/analytics/bookings-stats/', {
      token: t.token,
    });
    expect(stats.body.late_cancellations).toBe(1);
  });

  it('confirms racing late cancels: a credit is used exactly when the cancel found the booking confirmed', async () => {
    const t = await setupTrainer({ settings: { late_cancel_hours: 48 } });
    const pack = await packOf(t, 30);
    const ids: number[] = [];
    for (let i = 0; i < 24; i++) {
      const made = await book(t.token, {
        client: t.client.id,
        client_package: pack,
        start_time: at(futureDay(1).date, `${String(i).padStart(2, '0')}:00`),
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      ids.push(made.body.id);
    }
    // Every booking's cancel and confirm at once, 48 requests in flight.
    const answers = await Promise.all(
      ids.flatMap((id) => [bookingAction(t, id, 'cancel'), bookingAction(t, id, 'confirm')]),
    );
    const ledger = await env.DB.prepare(
      "SELECT booking_id AS id FROM package_ledger WHERE reason = 'late_cancellation' AND client_package_id = ?",
    )
      .bind(pack)
      .all<{ id: number }>();
    const charged = new Set(ledger.results.map((r) => r.id));
    const seen = ids.map((id, i) => {
      const [cancel, confirm] = [answers[2 * i], answers[2 * i + 1]];
      return [id, cancel?.status, cancel?.body.late_cancellation, confirm?.status === 200, charged.has(id)];
    });
    // Confirmed before the cancel: a late cancel, which uses its credit. Cancelled first: a request
    // declined (not late, no credit), and the confirm is 409.
    expect(seen).toEqual(seen.map(([id, , , confirmed]) => [id, 200, confirmed, confirmed, confirmed]));
    const left = await env.DB.prepare('SELECT sessions_remaining AS n FROM client_packages WHERE id = ?')
      .bind(pack)
      .first<number>('n');
    expect(left).toBe(30 - charged.size);
  });

  it('PATCH reschedules through the same checks (excluding itself) and changes notes; DELETE is 405', async () => {
    const t = await setupTrainer({ open: ['08:00', '18:00'] });
    const { date } = futureDay(12);
    const a = (await book(t.token, { client: t.client.id, start_time: at(date, '09:00') })).body;
    const b = (await book(t.token, { client: t.client.id, start_time: at(date, '12:00') })).body;
    const patch = (id: number, body: unknown) =>
      api<BookingBody & ProblemBody>('PATCH', `/api/bookings/${id}/`, { token: t.token, body });

    const moved = await patch(a.id, { start_time: at(date, '09:30') });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ start_time: at(date, '09:30'), end_time: at(date, '10:30') });
    expect((await patch(a.id, { start_time: at(date, '11:30') })).body.code).toBe('booking_overlap');
    expect((await patch(a.id, { start_time: at(date, '17:30') })).body.code).toBe('outside_availability');
    expect((await patch(a.id, { end_time: at(date, '09:00') })).status).toBe(400);
    const refused = await patch(b.id, { notes: 'Not saved', start_time: at(date, '09:30') });
    expect(refused.body.code).toBe('booking_overlap');
    expect((await api<BookingBody>('GET', `/api/bookings/${b.id}/`, { token: t.token })).body.notes).toBe('');
    const notes = await patch(b.id, { notes: 'Knee rehab' });
    expect(notes.body).toMatchObject({ notes: 'Knee rehab', start_time: at(date, '12:00') });
    const del = await api('DELETE', `/api/bookings/${a.id}/`, { token: t.token });
    expect(del.status).toBe(405);
    await api('POST', `/api/bookings/${b.id}/cancel/`, { token: t.token });
    expect((await patch(b.id, { start_time: at(date, '15:00') })).status).toBe(409);
  });
});

describe('lists, filters and roles', () => {
  it('filters by status, client, from/to and search; orders; upcoming and past', async () => {
    const t = await setupTrainer();
    const other = await createClient(t.token, { first_name: 'Zed', last_name: 'Zulu' });
    const days = [3, 4, 5].map((d) => futureDay(d).date);
    const ids: number[] = [];
    for (const [i, d] of days.entries()) {
      ids.push(
        (
          await book(t.token, {
            client: i === 2 ? other.id : t.client.id,
            start_time: at(d, '10:00'),
            notes: i === 1 ? 'deadlift focus' : '',
          })
        ).body.id,
      );
    }
    await api('POST', `/api/bookings/${ids[0]}/confirm/`, { token: t.token });
    // One in the past, written directly: the API refuses past starts.
    await env.DB.prepare(
      "INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status) VALUES (?, ?, ?, ?, 'completed')",
    )
      .bind(t.user.trainer.id, t.client.id, at(futureDay(-2).date, '10:00'), at(futureDay(-2).date, '11:00'))
      .run();
    type Page = { count: number; results: BookingBody[]; next: string | null };
    const get = async (q: string) => (await api<Page>('GET', `/api/bookings/${q}`, { token: t.token })).body;
    expect((await get('')).count).toBe(4);
    expect((await get('?status=confirmed')).results.map((b) => b.id)).toEqual([ids[0]]);
    expect((await get(`?client=${other.id}`)).results.map((b) => b.id)).toEqual([ids[2]]);
    expect((await get('?search=DEADLIFT')).results.map((b) => b.id)).toEqual([ids[1]]);
    expect((await get('?search=zulu')).results.map((b) => b.id)).toEqual([ids[2]]);
    expect((await get(`?from=${days[1]}&to=${days[1]}`)).results.map((b) => b.id)).toEqual([ids[1]]);
    expect((await get('?ordering=start_time')).results.map((b) => b.id).slice(1)).toEqual(ids);
    expect((await get('?ordering=-start_time')).results.map((b) => b.id).slice(0, 3)).toEqual([...ids].reverse());
    const paged = await get('?page_size=2');
    expect(paged.results).toHaveLength(2);
    expect(paged.next).toContain('page=2');
    expect(
      (await api<ProblemBody>('GET', '/api/bookings/?ordering=price', { token: t.token })).body.errors?.ordering,
    ).toBeDefined();
    // A range that ends before it starts is a mistake to hear about, not an empty list.
    for (const q of [
      `?from=${days[2]}&to=${days[0]}`,
      `?from=${at(days[1] as string, '10:00')}&to=${at(days[1] as string, '09:59')}`,
    ]) {
      const reversed = await api<ProblemBody>('GET', `/api/bookings/${q}`, { token: t.token });
      expect(reversed.status, q).toBe(400);
      expect(reversed.body.errors?.to, q).toEqual(['to must not be before from.']);
    }
    expect((await get('upcoming/')).results.map((b) => b.id)).toEqual(ids);
    const past = (await get('past/')).results;
    expect(past).toHaveLength(1);
    expect(past[0]?.is_past).toBe(true);
  });

  it('tenant isolation: another trainer gets 404 for bookings, windows and breaks on every route', async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const booking = (await book(a.token, { client: a.client.id, start_time: at(futureDay(6).date, '10:00') })).body;
    const slot = (await api<{ results: { id: number }[] }>('GET', '/api/availability-slots/', { token: a.token })).body
      .results[0]?.id;
    const brk = (
      await api<{ id: number }>('POST', '/api/trainer-breaks/', {
        token: a.token,
        body: { start_date: '2031-01-01', end_date: '2031-01-01' },
      })
    ).body.id;
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/bookings/${booking.id}/`],
      ['PATCH', `/api/bookings/${booking.id}/`, { notes: 'x' }],
      ['PATCH', `/api/bookings/${booking.id}/`, { start_time: at(futureDay(7).date, '10:00') }],
      ['POST', `/api/bookings/${booking.id}/confirm/`],
      ['POST', `/api/bookings/${booking.id}/cancel/`],
      ['POST', `/api/bookings/${booking.id}/mark_completed/`],
      ['GET', `/api/availability-slots/${slot}/`],
      ['PATCH', `/api/availability-slots/${slot}/`, { is_active: false }],
      ['DELETE', `/api/availability-slots/${slot}/`],
      ['GET', `/api/trainer-breaks/${brk}/`],
      ['PATCH', `/api/trainer-breaks/${brk}/`, { reason: 'x' }],
      ['DELETE', `/api/trainer-breaks/${brk}/`],
    ];
    for (const [method, path, body] of calls) {
      const res = await api(method, path, { token: b.token, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await api<{ count: number }>('GET', '/api/bookings/', { token: b.token })).body.count).toBe(0);
    const still = await api<BookingBody>('GET', `/api/bookings/${booking.id}/`, { token: a.token });
    expect(still.body).toMatchObject({ status: 'pending', notes: '' });
  });

  it('a client user sees their own bookings across trainers, read-only', async () => {
    const email = uniqueEmail('member');
    const a = await setupTrainer();
    const b = await setupTrainer();
    const ca = await createClient(a.token, { email });
    const cb = await createClient(b.token, { email: email.toUpperCase() });
    const start = at(futureDay(5).date, '10:00');
    const ba = (await book(a.token, { client: ca.id, start_time: start })).body;
    const bb = (await book(b.token, { client: cb.id, start_time: start })).body;
    // Confirmed, so announced to the client (a trainer's draft is the trainer's alone).
    expect((await api('POST', `/api/bookings/${ba.id}/confirm/`, { token: a.token })).status).toBe(200);
    expect((await api('POST', `/api/bookings/${bb.id}/confirm/`, { token: b.token })).status).toBe(200);
    await book(a.token, { client: a.client.id, start_time: at(futureDay(5).date, '12:00') });

    const reg = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    await verifyEmailOf(reg.body.user.id, email);
    const token = reg.body.token;
    const mine = await api<{ count: number; results: BookingBody[] }>('GET', '/api/bookings/', { token });
    expect(mine.status).toBe(200);
    expect(mine.body.results.map((r) => r.id).sort()).toEqual([ba.id, bb.id].sort());
    expect((await api('GET', `/api/bookings/${ba.id}/`, { token })).status).toBe(200);
    expect((await book(token, { client: ca.id, start_time: at(futureDay(6).date, '10:00') })).status).toBe(403);
    expect((await api('POST', `/api/bookings/${ba.id}/cancel/`, { token })).status).toBe(403);
    expect((await api('GET', '/api/availability-slots/', { token })).status).toBe(403);
    const profile = await api<{ client_of: { client_id: number; trainer_id: number }[] }>(
      'GET',
      '/api/users/profile/',
      { token },
    );
    expect(profile.body.client_of.map((c) => c.client_id).sort()).toEqual([ca.id, cb.id].sort());
  });
});

describe('the database guard behind the Durable Object', () => {
  it('parallel writers that bypass the schedule object still leave one booking and get 409s', async () => {
    const { scheduleBooking } = await import('../src/bookings/commands');
    const { getDb } = await import('../src/lib/db');
    const { ApiError } = await import('../src/lib/problem');
    const t = await setupTrainer();
    const start = at(futureDay(15).date, '14:00');
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        scheduleBooking(getDb(env.DB), trainerBookingCommand(t.user.trainer.id, t.client.id, start), Date.now()),
      ),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((l) => l.reason instanceof ApiError && l.reason.status === 409)).toBe(true);
    expect(await rowsAt(t.user.trainer.id, start)).toBe(1);
  });
});

describe('the session guard on the write itself', () => {
  it('a logout landing between the read and the write: the guarded insert refuses it, 401, no row', async () => {
    const { scheduleBooking } = await import('../src/bookings/commands');
    const { getDb } = await import('../src/lib/db');
    const t = await setupTrainer();
    const { jti } = claimsOf(t.token);
    // The real D1, with the session row deleted just before the write batch runs.
    const batch: D1Database['batch'] = async (statements) => {
      await env.DB.prepare('DELETE FROM sessions WHERE jti = ?').bind(jti).run();
      return env.DB.batch(statements);
    };
    const racing = intercept(env.DB, { batch });
    const start = at(futureDay(16).date, '09:00');
    const command = trainerBookingCommand(t.user.trainer.id, t.client.id, start, {
      session: { userId: t.user.id, jti },
    });
    await expect(scheduleBooking(getDb(racing), command, Date.now())).rejects.toMatchObject({ status: 401 });
    expect(await rowsAt(t.user.trainer.id, start)).toBe(0);
  });
});

describe("the seed's helpers as service functions", () => {
  it('getAvailableTimes agrees with the booking flow', async () => {
    const { getAvailableTimes } = await import('../src/scheduling/service');
    const { getDb } = await import('../src/lib/db');
    const { trainers } = await import('../src/db/schema');
    const { eq } = await import('drizzle-orm');
    const t = await setupTrainer({ open: ['08:00', '12:00'], settings: { buffer_minutes: 15 } });
    const date = futureDay(16).date;
    expect((await book(t.token, { client: t.client.id, start_time: at(date, '09:00') })).status).toBe(201);
    const db = getDb(env.DB);
    const row = await db.select().from(trainers).where(eq(trainers.id, t.user.trainer.id)).get();
    if (!row) throw new Error('trainer row missing');
    const ask = { serviceId: undefined, visitor: false };
    const { days } = await getAvailableTimes(db, row, { fromDate: date, toDate: date }, ask, new Date().toISOString());
    const [day] = days;
    expect(day?.slots.map((s) => s.start_time.slice(11, 16))).toEqual(['10:30', '11:00']);
  });
});
