import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, createClient, futureDay, type ProblemBody, setupTrainer, uniqueEmail } from './helpers';

type PublicBooking = {
  start_time: string;
  end_time: string;
  status: string;
  business_name: string;
  manage_url: string;
};
type Days = {
  timezone: string;
  duration_minutes: number;
  days: { date: string; slots: { start_time: string; end_time: string }[] }[];
};

let ipCounter = 0;
const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

const publicBook = (slug: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api<PublicBooking & ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body,
    headers: { 'CF-Connecting-IP': freshIp(), ...headers },
  });
const visitor = (extra: Record<string, unknown> = {}) => ({
  first_name: 'Vera',
  last_name: 'Visitor',
  email: uniqueEmail('visitor'),
  ...extra,
});

async function openTrainer(settings: Record<string, unknown> = {}) {
  const t = await setupTrainer({
    open: ['08:00', '18:00'],
    settings: { business_name: 'Open Gym', min_notice_minutes: 60, ...settings },
  });
  return { ...t, slug: t.user.trainer.slug };
}
const slotAt = (daysAhead: number, time: string) => `${futureDay(daysAhead).date}T${time}:00.000Z`;
const addDay = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
/** The next last Sunday of March (Berlin springs forward) more than two days ahead. */
function berlinSpringForward(): string {
  for (let year = new Date().getUTCFullYear(); ; year++) {
    const d = new Date(Date.UTC(year, 2, 31));
    d.setUTCDate(31 - d.getUTCDay());
    if (d.getTime() > Date.now() + 2 * 86_400_000) return d.toISOString().slice(0, 10);
  }
}

describe('public profile and availability', () => {
  it('profile has exactly the public keys and active packages only; unknown slug 404', async () => {
    const t = await openTrainer();
    await api('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Ten', sessions_count: 10, price: '400', description: 'Best value' },
    });
    await api('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Old', sessions_count: 1, price: '50', is_active: false },
    });
    const res = await api<Record<string, unknown> & { packages: Record<string, unknown>[] }>(
      'GET',
      `/api/public/trainers/${t.slug}/`,
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'bio',
      'booking_horizon_days',
      'brand_color',
      'business_name',
      'min_notice_minutes',
      'packages',
      'photo_url',
      'services',
      'session_duration_minutes',
      'slug',
      'timezone',
    ]);
    expect(res.body.packages).toEqual([
      { name: 'Ten', description: 'Best value', sessions_count: 10, price: '400.00', currency: 'USD' },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('@');
    expect((await api('GET', '/api/public/trainers/no-such-trainer/')).status).toBe(404);
  });

  it('a package for archived services only is not on offer; one that still covers an active service is', async () => {
    const t = await openTrainer();
    const service = async (name: string) =>
      (await api<{ id: number }>('POST', '/api/services/', { token: t.token, body: { name, duration_minutes: 60 } }))
        .body.id;
    const boxing = await service('Boxing');
    const yoga = await service('Yoga');
    for (const [name, covered] of [
      ['Boxing five', [boxing]],
      ['Mixed five', [boxing, yoga]],
    ] as const) {
      const made = await api('POST', '/api/packages/', {
        token: t.token,
        body: { name, sessions_count: 5, price: '200', services: covered },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    const offered = async () =>
      (await api<{ packages: { name: string }[] }>('GET', `/api/public/trainers/${t.slug}/`)).body.packages.map(
        (p) => p.name,
      );
    expect(await offered()).toEqual(['Boxing five', 'Mixed five']);
    const archived = await api('PATCH', `/api/services/${boxing}/`, { token: t.token, body: { is_active: false } });
    expect(archived.status).toBe(200);
    expect(await offered()).toEqual(['Mixed five']);
  });

  it("availability equals the trainer's own range endpoint, with a short public cache", async () => {
    const t = await openTrainer({ buffer_minutes: 15 });
    await api('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: slotAt(3, '10:00') },
    });
    const from = futureDay(1).date;
    const to = futureDay(20).date;
    const pub = await api<Days>('GET', `/api/public/trainers/${t.slug}/availability/?from=${from}&to=${to}`);
    const own = await api<Days>('GET', `/api/availability-slots/available/?from=${from}&to=${to}`, { token: t.token });
    expect(pub.status).toBe(200);
    expect(pub.body).toEqual(own.body);
    expect(pub.headers.get('Cache-Control')).toBe('public, max-age=15');
    const defaults = await api<Days>('GET', `/api/public/trainers/${t.slug}/availability/`);
    expect(defaults.body.days).toHaveLength(14);
    expect(defaults.body.days[0]?.date).toBe(futureDay(0).date);
    const beyond = await api<ProblemBody>(
      'GET',
      `/api/public/trainers/${t.slug}/availability/?from=${from}&to=${futureDay(61).date}`,
    );
    expect(beyond.status).toBe(400);
    expect(beyond.body.errors?.to).toEqual([`Bookings open at most 60 days ahead (until ${futureDay(60).date}).`]);
    // A `from` alone past the horizon: the error names `from`, the field sent, not the default `to`.
    const fromAlone = await api<ProblemBody>(
      'GET',
      `/api/public/trainers/${t.slug}/availability/?from=${futureDay(70).date}`,
    );
    expect(fromAlone.status).toBe(400);
    expect(fromAlone.body.errors).toEqual({
      from: [`Bookings open at most 60 days ahead (until ${futureDay(60).date}).`],
    });
    const long = await api<ProblemBody>(
      'GET',
      `/api/public/trainers/${t.slug}/availability/?from=${futureDay(-10).date}&to=${futureDay(55).date}`,
    );
    expect(long.body.errors?.to?.[0]).toMatch(/62 days/);
  });
});

describe('public bookings', () => {
  it('creates the client, or reuses it by email in another case without overwriting it; exact response keys', async () => {
    const t = await openTrainer();
    const existing = await createClient(t.token, {
      email: uniqueEmail('known'),
      first_name: 'Known',
      last_name: 'Person',
      phone: '+14155550100',
    });
    const res = await publicBook(
      t.slug,
      visitor({
        email: existing.email.toUpperCase(),
        first_name: 'Hacker',
        last_name: 'Renamed',
        phone: '+14155559999',
        start_time: slotAt(4, '09:00'),
      }),
    );
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['business_name', 'end_time', 'manage_url', 'start_time', 'status']);
    expect(res.body).toMatchObject({
      start_time: slotAt(4, '09:00'),
      end_time: slotAt(4, '10:00'),
      status: 'pending',
      business_name: 'Open Gym',
    });
    expect(res.body.manage_url).toMatch(/^http:\/\/localhost:8787\/book\/manage\/[A-Za-z0-9_-]{43}$/);
    const kept = await api<{ first_name: string; phone: string }>('GET', `/api/clients/${existing.id}/`, {
      token: t.token,
    });
    expect(kept.body).toMatchObject({ first_name: 'Known', phone: '+14155550100' });
    const listed = await api<{ results: { client: number; status: string }[] }>('GET', '/api/bookings/', {
      token: t.token,
    });
    expect(listed.body.results.map((b) => b.client)).toContain(existing.id);

    const fresh = visitor({ start_time: slotAt(4, '11:00'), phone: '+44 20 7946 0958', notes: 'Knee' });
    expect((await publicBook(t.slug, fresh)).status).toBe(201);
    const created = await api<{ results: { email: string; first_name: string; phone: string }[] }>(
      'GET',
      `/api/clients/?search=${encodeURIComponent(fresh.email)}`,
      { token: t.token },
    );
    expect(created.body.results).toEqual([
      expect.objectContaining({ email: fresh.email, first_name: 'Vera', phone: '+442079460958' }),
    ]);
    // Nothing hashed is the token itself.
    const token = res.body.manage_url.split('/').pop() as string;
    const stored = await env.DB.prepare('SELECT count(*) AS n FROM booking_links WHERE token_hash = ?')
      .bind(token)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });

  it('tells the trainer and the client through the outbox; auto_confirm books as confirmed', async () => {
    const t = await openTrainer();
    const v = visitor({ start_time: slotAt(5, '09:00'), phone: '+14155550188' }); // no SMS before the trainer confirms
    expect((await publicBook(t.slug, v)).status).toBe(201);
    const rows = await env.DB.prepare(
      'SELECT kind, notification_type, recipient FROM notifications WHERE trainer_id = ? ORDER BY id',
    )
      .bind(t.user.trainer.id)
      .all<{ kind: string; recipient: string }>();
    expect(rows.results.map((r) => [r.kind, r.recipient])).toEqual([
      ['booking_requested', t.email],
      ['booking_request_received', v.email],
    ]);
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { auto_confirm: true } });
    const auto = await publicBook(t.slug, visitor({ start_time: slotAt(5, '11:00') }));
    expect(auto.body.status).toBe('confirmed');
  });

  it('an unconfirmed request texts no one when it is cancelled (manage link or trainer); a confirmed one does', async () => {
    const t = await openTrainer();
    const phone = '+14155550177';
    const sms = async (id: number) =>
      (await env.DB.prepare(
        "SELECT count(*) AS n FROM notifications WHERE booking_id = ? AND notification_type = 'sms' AND kind = 'booking_cancelled'",
      )
        .bind(id)
        .first<number>('n')) ?? -1;
    const request = async (time: string) => {
      const made = await publicBook(t.slug, visitor({ start_time: slotAt(5, time), phone }));
      expect(made.status).toBe(201);
      const token = made.body.manage_url.split('/').pop() as string;
      const id = (await env.DB.prepare('SELECT id FROM bookings WHERE trainer_id = ? ORDER BY id DESC')
        .bind(t.user.trainer.id)
        .first<number>('id')) as number;
      return { token, id };
    };
    const byLink = await request('09:00');
    expect((await api('POST', `/api/public/bookings/${byLink.token}/cancel/`, { body: {} })).status).toBe(200);
    const byTrainer = await request('10:00');
    expect((await api('POST', `/api/bookings/${byTrainer.id}/cancel/`, { token: t.token, body: {} })).status).toBe(200);
    const confirmed = await request('11:00');
    expect((await api('POST', `/api/bookings/${confirmed.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect((await api('POST', `/api/public/bookings/${confirmed.token}/cancel/`, { body: {} })).status).toBe(200);
    expect([await sms(byLink.id), await sms(byTrainer.id), await sms(confirmed.id)]).toEqual([0, 0, 1]);
  });

  it('400 names each bad field; 404 unknown slug; 413 over 16 KB', async () => {
    const t = await openTrainer();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ first_name: '' }, 'first_name', 'Enter your first name.'],
      [{ last_name: 'x'.repeat(101) }, 'last_name', 'Use at most 100 characters.'],
      [{ email: 'nope' }, 'email', 'Enter an email address like name@example.com.'],
      [{ phone: '123' }, 'phone', 'Enter a phone number in international format, e.g. +14155550123.'],
      [{ notes: 'x'.repeat(2001) }, 'notes', 'Use at most 2000 characters.'],
      [{ start_time: 'soon' }, 'start_time', 'Use an ISO 8601 instant with an offset, e.g. 2025-01-15T10:00:00Z.'],
    ];
    for (const [patch, field, message] of cases) {
      const res = await publicBook(t.slug, visitor({ start_time: slotAt(6, '09:00'), ...patch }));
      expect(res.status, field).toBe(400);
      expect(res.body.errors?.[field], field).toEqual([message]);
    }
    expect((await publicBook('nobody-here', visitor({ start_time: slotAt(6, '09:00') }))).status).toBe(404);
    const big = await publicBook(t.slug, visitor({ start_time: slotAt(6, '09:00'), notes: 'x'.repeat(17_000) }));
    expect(big.status).toBe(413);
  });

  it('409 with the schedule codes: overlap, outside availability (notice, hours, horizon) and break', async () => {
    const t = await openTrainer({ min_notice_minutes: 24 * 60 });
    expect((await publicBook(t.slug, visitor({ start_time: slotAt(6, '09:00') }))).status).toBe(201);
    const codes = async (start: string) => (await publicBook(t.slug, visitor({ start_time: start }))).body.code;
    expect(await codes(slotAt(6, '09:30'))).toBe('booking_overlap');
    expect(await codes(slotAt(6, '19:00'))).toBe('outside_availability');
    const soon = Math.ceil((Date.now() + 3 * 3600_000) / 60_000) * 60_000;
    expect(await codes(new Date(soon).toISOString())).toBe('outside_availability');
    expect(await codes(slotAt(90, '09:00'))).toBe('outside_availability');
    await api('POST', '/api/trainer-breaks/', {
      token: t.token,
      body: { start_date: futureDay(8).date, end_date: futureDay(8).date },
    });
    expect(await codes(slotAt(8, '09:00'))).toBe('trainer_break');
  });

  it('20 parallel public bookings of one slot: exactly one 201', async () => {
    const t = await openTrainer();
    const start = slotAt(9, '14:00');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => publicBook(t.slug, visitor({ start_time: start }))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    const n = await env.DB.prepare(
      "SELECT count(*) AS n FROM bookings WHERE trainer_id = ? AND start_time = ? AND status IN ('pending','confirmed')",
    )
      .bind(t.user.trainer.id, start)
      .first<{ n: number }>();
    expect(n?.n).toBe(1);
  });

  it('the honeypot answers like a booking and books nothing', async () => {
    const t = await openTrainer();
    const res = await publicBook(t.slug, visitor({ start_time: slotAt(7, '09:00'), website: 'http://spam.example' }));
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['business_name', 'end_time', 'manage_url', 'start_time', 'status']);
    expect((await api<{ count: number }>('GET', '/api/bookings/', { token: t.token })).body.count).toBe(0);
    expect((await api<{ count: number }>('GET', '/api/clients/', { token: t.token })).body.count).toBe(1); // setup's own client
  });

  it('rate limits: 10 per minute per IP, 5 per hour per email, with Retry-After', async () => {
    const t = await openTrainer();
    const ip = '203.0.113.77';
    for (let i = 0; i < 10; i++) {
      const r = await publicBook(t.slug, visitor({ start_time: slotAt(10, '08:00'), first_name: '' }), {
        'CF-Connecting-IP': ip,
      });
      expect(r.status).toBe(400); // invalid bodies do not count
    }
    for (let i = 0; i < 10; i++) {
      const r = await publicBook(t.slug, visitor({ start_time: slotAt(10 + i, '08:00') }), { 'CF-Connecting-IP': ip });
      expect(r.status, `request ${i}`).toBe(201);
    }
    const limited = await publicBook(t.slug, visitor({ start_time: slotAt(25, '08:00') }), { 'CF-Connecting-IP': ip });
    expect(limited.status).toBe(429);
    const retry = Number(limited.headers.get('Retry-After'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);

    const email = uniqueEmail('eager');
    for (let i = 0; i < 5; i++)
      expect((await publicBook(t.slug, visitor({ email, start_time: slotAt(30 + i, '08:00') }))).status).toBe(201);
    const perEmail = await publicBook(t.slug, visitor({ email: email.toUpperCase(), start_time: slotAt(40, '08:00') }));
    expect(perEmail.status).toBe(429);
    expect(Number(perEmail.headers.get('Retry-After'))).toBeGreaterThan(60);
  });

  it('Idempotency-Key replays the same answer, manage link included', async () => {
    const t = await openTrainer();
    const body = visitor({ start_time: slotAt(11, '09:00') });
    const key = crypto.randomUUID();
    const [a, b] = await Promise.all([
      publicBook(t.slug, body, { 'Idempotency-Key': key }),
      publicBook(t.slug, body, { 'Idempotency-Key': key }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body).toEqual(b.body);
    expect([a, b].map((r) => r.headers.get('Idempotency-Replayed')).sort()).toEqual(['true', null].sort());
    expect((await api<{ count: number }>('GET', '/api/bookings/', { token: t.token })).body.count).toBe(1);
    const opened = async (url: unknown) =>
      (await api<{ start_time: string }>('GET', `/api/public/bookings/${String(url).split('/').pop()}/`)).body
        .start_time;
    expect(await opened(b.body.manage_url)).toBe(slotAt(11, '09:00'));

    // The same key once its 24 hours are over is a new request: a booking with a link of its own.
    await env.DB.prepare("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00.000Z' WHERE key = ?")
      .bind(key)
      .run();
    const later = await publicBook(t.slug, visitor({ start_time: slotAt(12, '09:00') }), { 'Idempotency-Key': key });
    expect(later.status).toBe(201);
    expect(later.body.manage_url).not.toBe(a.body.manage_url);
    expect(await opened(later.body.manage_url)).toBe(slotAt(12, '09:00'));
    expect(await opened(a.body.manage_url)).toBe(slotAt(11, '09:00'));
  });

  it('a retry with its Idempotency-Key is replayed past the rate limit; a new key, a new body or none is still refused', async () => {
    const t = await openTrainer();
    const email = uniqueEmail('retrying');
    const body = visitor({ email, start_time: slotAt(13, '09:00') });
    const key = crypto.randomUUID();
    const first = await publicBook(t.slug, body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    // The retries alone use up the email's 5 an hour; every one still gets the first answer.
    for (let i = 0; i < 7; i++) {
      const again = await publicBook(t.slug, body, { 'Idempotency-Key': key });
      expect([i, again.status, again.headers.get('Idempotency-Replayed')]).toEqual([i, 201, 'true']);
      expect(again.body).toEqual(first.body);
    }
    const fresh = { ...body, start_time: slotAt(13, '11:00') };
    expect((await publicBook(t.slug, fresh, { 'Idempotency-Key': crypto.randomUUID() })).status).toBe(429);
    expect((await publicBook(t.slug, fresh)).status).toBe(429);
    // The same key with another body passes the limit to its 422 (it books nothing either).
    expect((await publicBook(t.slug, fresh, { 'Idempotency-Key': key })).status).toBe(422);
    const rows = await env.DB.prepare('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?')
      .bind(t.user.trainer.id)
      .first('n');
    expect(rows).toBe(1);
  });
});

describe('the manage link', () => {
  it("names the client's own zone: the one the booking page sent, else the trainer's", async () => {
    const t = await openTrainer();
    const berlin = await publicBook(t.slug, visitor({ start_time: slotAt(12, '12:00'), timezone: 'Europe/Berlin' }));
    const token = berlin.body.manage_url.split('/').pop() as string;
    const shown = await api<Record<string, unknown>>('GET', `/api/public/bookings/${token}/`);
    expect(shown.body).toMatchObject({ timezone: 'UTC', client_timezone: 'Europe/Berlin' });
  });

  it('shows the booking, cancels it once, serves an .ics; a wrong token is 404', async () => {
    const t = await openTrainer();
    const res = await publicBook(t.slug, visitor({ start_time: slotAt(12, '10:00') }));
    const token = res.body.manage_url.split('/').pop() as string;
    const shown = await api<Record<string, unknown>>('GET', `/api/public/bookings/${token}/`);
    expect(shown.body).toEqual({
      start_time: slotAt(12, '10:00'),
      end_time: slotAt(12, '11:00'),
      status: 'pending',
      business_name: 'Open Gym',
      timezone: 'UTC',
      client_timezone: null,
      slug: t.slug,
      late_cancellation: false,
      package: null,
      service: { id: expect.any(Number), name: '60-minute session', duration_minutes: 60, location_type: 'in_person' },
      waitlist_position: null,
      location: '',
      video_url: null,
      can_cancel: true,
      can_reschedule: true,
      late_cancellation_if_cancelled_now: false,
      credit_used_if_cancelled_now: false,
      late_cancellation_from: slotAt(11, '10:00'),
      reschedule_until: slotAt(11, '10:00'),
      // a web booking's link goes to whoever typed the email: no feed of the client's other sessions
      calendar_feed_url: null,
      calendar_feed_webcal_url: null,
    });
    const calendar = await exports.default.fetch(new Request(`http://example.com/api/public/bookings/${token}/ics`));
    expect(calendar.headers.get('content-type')).toContain('text/calendar');
    const text = await calendar.text();
    const compact = slotAt(12, '10:00').replace(/[-:]/g, '').replace('.000', '');
    expect(text).toContain('BEGIN:VEVENT\r\n');
    expect(text).toContain(`DTSTART:${compact}\r\n`);
    // One UID per booking, from APP_ORIGIN's host: the same event as every email's attachment.
    expect(text).toMatch(/UID:booking-\d+@localhost:8787\r\n/);
    expect(text).toContain('SUMMARY:60-minute session with Open Gym\r\n');
    const cancelled = await api<{ status: string }>('POST', `/api/public/bookings/${token}/cancel/`, {
      body: { reason: 'Sick' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await api('POST', `/api/public/bookings/${token}/cancel/`)).status).toBe(409);
    expect((await api('GET', '/api/public/bookings/not-a-real-token/')).status).toBe(404);
    expect((await api('POST', '/api/public/bookings/not-a-real-token/cancel/')).status).toBe(404);
    const trainerView = await api<{ results: { status: string; cancellation_reason: string }[] }>(
      'GET',
      '/api/bookings/',
      { token: t.token },
    );
    expect(trainerView.body.results[0]).toMatchObject({ status: 'cancelled', cancellation_reason: 'Sick' });
  });
});

describe('isolation and CORS', () => {
  it("another trainer's slug never returns this trainer's data; any origin may call without credentials", async () => {
    const a = await openTrainer();
    const b = await openTrainer();
    await publicBook(a.slug, visitor({ start_time: slotAt(13, '10:00') }));
    const bDays = await api<Days>(
      'GET',
      `/api/public/trainers/${b.slug}/availability/?from=${futureDay(13).date}&to=${futureDay(13).date}`,
    );
    expect(bDays.body.days[0]?.slots.map((s) => s.start_time)).toContain(slotAt(13, '10:00'));
    const preflight = await exports.default.fetch(
      new Request(`http://example.com/api/public/trainers/${a.slug}/bookings/`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://some-trainer-site.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      }),
    );
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(preflight.headers.get('Access-Control-Allow-Credentials')).toBeNull();
  });
});

describe('public bookings start only at offered slots', () => {
  const hourly = () => openTrainer({ slot_interval_minutes: 60, min_notice_minutes: 60 });

  // Open around the clock, with an interval that does not divide the day (50 minutes), or across a
  // clock change (the Tuesday after Berlin's last Sunday of March, 45 minutes): a day's offer must not depend on the
  // range asked, and what is offered must book.
  for (const [zone, interval, dayOf] of [
    ['Asia/Kolkata', 50, () => futureDay(8).date],
    ['Europe/Berlin', 45, () => addDay(berlinSpringForward(), 2)],
  ] as const) {
    it(`open around the clock in ${zone}, every ${interval} minutes: each day the same whatever the range, and bookable`, async () => {
      const t = await setupTrainer({
        settings: { timezone: zone, slot_interval_minutes: interval, min_notice_minutes: 0, booking_horizon_days: 365 },
      });
      const slug = t.user.trainer.slug;
      const day = dayOf();
      const days = (from: string, to: string) =>
        api<Days>('GET', `/api/public/trainers/${slug}/availability/?from=${from}&to=${to}`, {
          headers: { 'CF-Connecting-IP': freshIp() },
        });
      const alone = (await days(day, day)).body.days[0]?.slots ?? [];
      expect(alone.length).toBeGreaterThan(20);
      for (const back of [1, 2, 3]) {
        const ranged = await days(addDay(day, -back), day);
        expect(ranged.body.days.at(-1)?.slots, `from ${back} days before`).toEqual(alone);
      }
      // The day before's last slot and the day's own: both bookable.
      const before = (await days(addDay(day, -1), addDay(day, -1))).body.days[0]?.slots.at(-1);
      for (const slot of [before, alone[1], alone.at(-1)]) {
        const res = await publicBook(slug, visitor({ start_time: slot?.start_time }));
        expect(res.status, `${slot?.start_time} ${JSON.stringify(res.body)}`).toBe(201);
      }
    });
  }

  it('10:07 inside an hourly window is refused with slot_not_offered; 10:00 books; the trainer may book 10:07', async () => {
    const t = await hourly();
    const offered = await api<Days>(
      'GET',
      `/api/public/trainers/${t.slug}/availability/?from=${futureDay(6).date}&to=${futureDay(6).date}`,
    );
    const starts = offered.body.days[0]?.slots.map((s) => s.start_time) ?? [];
    expect(starts).toContain(slotAt(6, '10:00'));
    expect(starts).not.toContain(slotAt(6, '10:07'));

    const seconds = await publicBook(t.slug, visitor({ start_time: `${futureDay(6).date}T08:00:30.000Z` }));
    expect(seconds.status).toBe(400);
    expect(Object.keys(seconds.body.errors ?? {})).toEqual(['start_time']);
    for (const time of ['10:07', '10:30']) {
      const start = slotAt(6, time);
      const off = await publicBook(t.slug, visitor({ start_time: start }));
      expect(off.status, time).toBe(409);
      expect(off.body.code, time).toBe('slot_not_offered');
      expect(off.body.detail, time).toMatch(/not one of the offered times/);
    }
    const none = await api<{ count: number }>('GET', '/api/bookings/', { token: t.token });
    expect(none.body.count).toBe(0);

    const on = await publicBook(t.slug, visitor({ start_time: slotAt(6, '10:00') }));
    expect(on.status).toBe(201);
    expect(on.body.start_time).toBe(slotAt(6, '10:00'));

    const trainer = await api<{ start_time: string }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: slotAt(8, '10:07') },
    });
    expect(trainer.status).toBe(201);
    expect(trainer.body.start_time).toBe(slotAt(8, '10:07'));
  });

  it("the trainer's schedule object itself refuses an off-grid public command", async () => {
    const t = await hourly();
    const { scheduleOf } = await import('../src/bookings/schedule-object');
    const command = (start: string) => ({
      trainerId: t.user.trainer.id,
      client: { email: uniqueEmail('direct'), firstName: 'Dee', lastName: 'Rect', phone: '' },
      serviceId: null,
      startTime: start,
      endTime: null,
      notes: '',
      clientPackageId: null,
      pickPackage: true,
      allowOutsideAvailability: false,
      enforceBookingWindow: true,
      status: 'pending' as const,
      idempotency: null,
      session: null,
      manageLink: null,
      source: 'trainer' as const,
      clientTimezone: '',
      notify: 'none' as const,
      now: new Date().toISOString(),
    });
    const stub = scheduleOf(env.TRAINER_SCHEDULE, t.user.trainer.id);
    const off = await stub.createBooking(command(slotAt(7, '10:07')));
    expect(off).toMatchObject({ ok: false, status: 409, code: 'slot_not_offered' });
    const on = await stub.createBooking(command(slotAt(7, '10:00')));
    expect(on.ok).toBe(true);
  });
});
