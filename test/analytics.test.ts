import { env } from 'cloudflare:workers';
import { Temporal } from 'temporal-polyfill';
import { beforeAll, describe, expect, it } from 'vitest';
import { rollupDashboardMetrics } from '../src/analytics/service';
import { getDb } from '../src/lib/db';
import {
  api,
  type BookingBody,
  book,
  countingD1,
  createClient,
  openapiDocument,
  PASSWORD,
  type ProblemBody,
  registerTrainer,
  roundTripsOf,
  setupTrainer,
  uniqueEmail,
} from './helpers';

// The data set. Fixed past dates are written as UTC instants with the local time beside them,
// computed by hand (Los Angeles is UTC-8 until 2024-03-10 02:00, UTC-7 after; Tokyo is UTC+9).
// Relative dates ("this month", "in 3 days") are computed with Temporal in the test.
//
// The API cannot create past bookings, past purchase dates, past expiry dates, past client
// creation dates or Paddle payments: those rows are written with env.DB.prepare (each marked
// "direct"). Everything else goes through HTTP.

const LA = 'America/Los_Angeles';
const TOKYO = 'Asia/Tokyo';

type Json = Record<string, unknown>;
type ClientPkg = { id: number };

const get = <T = Json>(token: string, path: string) => api<T & ProblemBody>('GET', path, { token });

const ok = async <T>(res: Promise<{ status: number; body: T }>, status = 200): Promise<T> => {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
};

const createPackage = (token: string, body: Json) =>
  ok<{ id: number }>(api('POST', '/api/packages/', { token, body: { name: 'Pack', ...body } }), 201);

const sell = (token: string, pkgId: number, body: Json) =>
  ok<ClientPkg>(api('POST', `/api/packages/${pkgId}/assign_to_client/`, { token, body }), 201);

/** direct: a purchase date in the past. */
const backdateSale = (id: number, purchasedAt: string) =>
  env.DB.prepare('UPDATE client_packages SET purchased_at = ? WHERE id = ?').bind(purchasedAt, id).run();

/** direct: a client added on a past date. */
const backdateClient = (id: number, createdAt: string) =>
  env.DB.prepare('UPDATE clients SET created_at = ? WHERE id = ?').bind(createdAt, id).run();

/** direct: a past booking (one hour long). */
async function pastBooking(
  trainerId: number,
  clientId: number,
  start: string,
  status: string,
  late = false,
): Promise<void> {
  const end = new Date(Date.parse(start) + 3600_000).toISOString();
  await env.DB.prepare(
    `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status, late_cancellation, cancelled_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(trainerId, clientId, start, end, status, late ? 1 : 0, status === 'cancelled' ? start : null)
    .run();
}

/** direct: a TrainerHub subscription payment (Paddle webhooks write these). */
const payment = (trainerId: number, cents: number, currency: string, status: string, createdAt: string) =>
  env.DB.prepare(
    `INSERT INTO payments (trainer_id, paddle_transaction_id, amount_cents, currency, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(trainerId, `txn_${crypto.randomUUID()}`, cents, currency, status, createdAt, createdAt)
    .run();

const iso = (zdt: Temporal.ZonedDateTime) => new Date(zdt.epochMilliseconds).toISOString();
const monthStartIn = (zone: string) => Temporal.Now.plainDateISO(zone).with({ day: 1 }).toZonedDateTime(zone);
/** A local day `days` from today at a wall time, as an instant. */
const localAt = (zone: string, days: number, time: string) =>
  Temporal.Now.plainDateISO(zone).add({ days }).toZonedDateTime({ timeZone: zone, plainTime: time });

/** A series of zeros over consecutive days (or months with `months`), with some entries set. */
function series(first: string, length: number, set: Record<string, string>, months = false) {
  return Array.from({ length }, (_, i) => {
    const date = months
      ? Temporal.PlainYearMonth.from(first).add({ months: i }).toString()
      : Temporal.PlainDate.from(first).add({ days: i }).toString();
    return { date, revenue: set[date] ?? '0.00' };
  });
}

const zeros = (n: number) => Array.from({ length: n }, () => 0);
const counts = (n: number, set: Record<number, number>) => zeros(n).map((v, i) => set[i] ?? v);

interface Seeded {
  la: { token: string; trainerId: number; futureWeekdays: number[] };
  tokyo: { token: string; trainerId: number };
  empty: { token: string; trainerId: number };
  clientToken: string;
}

let s: Seeded;

beforeAll(async () => {
  // ---- Los Angeles: every kind of booking, two currencies, an expired pack ------------------
  const la = await setupTrainer({ settings: { timezone: LA, late_cancel_hours: 24 } });
  const laId = la.user.trainer.id;
  const a = la.client; // beginner (default), active, added now
  const b = await createClient(la.token, { fitness_level: 'intermediate' });
  const c = await createClient(la.token, { fitness_level: 'advanced', is_active: false });
  const d = await createClient(la.token, { fitness_level: 'athlete' });
  const e = await createClient(la.token, { fitness_level: 'beginner' });
  const f = await createClient(la.token, { fitness_level: 'beginner' });
  const monthStart = monthStartIn(LA);
  // direct: B on the last local day of last month at 23:30 (already this month in UTC)
  await backdateClient(b.id, iso(monthStart.subtract({ minutes: 30 })));
  // direct: D at 23:30 on the last day of the month before the 12 shown (inside them in UTC)
  await backdateClient(d.id, iso(monthStart.subtract({ months: 11 }).subtract({ minutes: 30 })));
  // direct: F on 2024-01-31 10:00 LA
  await backdateClient(f.id, '2024-01-31T18:00:00.000Z');

  const ten = await createPackage(la.token, { sessions_count: 10, price: '500.00', currency: 'USD' });
  const euro = await createPackage(la.token, { sessions_count: 3, price: '90.00', currency: 'EUR' });
  const three = await createPackage(la.token, { sessions_count: 3, price: '100.00', currency: 'USD' });
  const cp1 = await sell(la.token, ten.id, { client_id: a.id });
  await backdateSale(cp1.id, '2024-02-01T07:30:00.000Z'); // 2024-01-31 23:30 LA: January
  const cp2 = await sell(la.token, ten.id, { client_id: b.id, price_paid: '300.00' });
  await backdateSale(cp2.id, '2024-02-01T08:00:00.000Z'); // 2024-02-01 00:00 LA: February
  const cp3 = await sell(la.token, euro.id, { client_id: e.id });
  await backdateSale(cp3.id, '2024-01-15T20:00:00.000Z'); // 2024-01-15 12:00 LA, EUR
  const cp5 = await sell(la.token, three.id, { client_id: e.id, price_paid: '60.00' });
  await backdateSale(cp5.id, '2024-02-10T20:00:00.000Z'); // 2024-02-10 12:00 LA
  // direct: the expired pack (3 sessions left, not outstanding)
  await env.DB.prepare('UPDATE client_packages SET expiry_date = ? WHERE id = ?').bind('2024-03-10', cp5.id).run();
  const cp6 = await sell(la.token, three.id, { client_id: b.id, price_paid: '40.00' });
  await backdateSale(cp6.id, iso(monthStart.subtract({ minutes: 30 }))); // last month, 23:30 on its last day
  const cp4 = await sell(la.token, three.id, { client_id: a.id }); // now: the latest sale, USD

  // direct: past bookings (LA wall time → UTC)
  await pastBooking(laId, a.id, '2024-02-01T07:30:00.000Z', 'completed'); // B1 Wed 2024-01-31 23:30
  await pastBooking(laId, a.id, '2024-02-01T08:30:00.000Z', 'completed'); // B2 Thu 2024-02-01 00:30
  await pastBooking(laId, a.id, '2024-02-05T17:00:00.000Z', 'cancelled', true); // B3 Mon 09:00, late
  await pastBooking(laId, a.id, '2024-02-06T17:00:00.000Z', 'cancelled'); // B4 Tue 09:00
  await pastBooking(laId, a.id, '2024-03-09T18:00:00.000Z', 'confirmed'); // B5 Sat 2024-03-09 10:00 PST
  await pastBooking(laId, a.id, '2024-03-10T17:00:00.000Z', 'pending'); // B6 Sun 2024-03-10 10:00 PDT
  await pastBooking(laId, a.id, '2024-03-11T07:30:00.000Z', 'completed'); // B7 Mon 2024-03-11 00:30 PDT
  await pastBooking(laId, a.id, '2024-01-29T07:30:00.000Z', 'confirmed'); // B8 Sun 2024-01-28 23:30

  // Through the API: future bookings, a late cancellation and a completion that consume credits.
  const f1 = localAt(LA, 3, '10:00');
  const f2 = localAt(LA, 4, '11:00');
  const f4 = localAt(LA, 5, '09:00');
  const b1 = await ok<BookingBody>(book(la.token, { client: a.id, start_time: iso(f1) }), 201);
  await ok(api('POST', `/api/bookings/${b1.id}/confirm/`, { token: la.token }));
  await ok(book(la.token, { client: e.id, start_time: iso(f2) }), 201); // stays pending
  const soon = new Date(Math.ceil((Date.now() + 2 * 3600_000) / 3600_000) * 3600_000).toISOString();
  const f3 = await ok<BookingBody>(book(la.token, { client: a.id, start_time: soon, client_package: cp1.id }), 201);
  await ok(api('POST', `/api/bookings/${f3.id}/confirm/`, { token: la.token })); // only a confirmed session is charged
  const cancelled = await ok<BookingBody>(api('POST', `/api/bookings/${f3.id}/cancel/`, { token: la.token }));
  expect(cancelled.late_cancellation).toBe(true);
  const b4 = await ok<BookingBody>(book(la.token, { client: a.id, start_time: iso(f4), client_package: cp4.id }), 201);
  await ok(api('POST', `/api/bookings/${b4.id}/confirm/`, { token: la.token }));
  // Completed once it has started: the request is made at its start.
  const started = { 'X-Test-Now': b4.start_time };
  await ok(api('POST', `/api/bookings/${b4.id}/mark_completed/`, { token: la.token, headers: started }));
  await ok(api('POST', `/api/client-packages/${cp4.id}/use_session/`, { token: la.token }));
  await ok(api('POST', `/api/client-packages/${cp3.id}/use_session/`, { token: la.token }));
  expect(c.id).toBeGreaterThan(0);

  // ---- Tokyo: the same month boundary on the other side of UTC; main currency EUR ------------
  const tokyo = await registerTrainer({ timezone: TOKYO });
  const tokyoId = tokyo.user.trainer.id;
  const g = await createClient(tokyo.token);
  const usd = await createPackage(tokyo.token, { sessions_count: 5, price: '200.00', currency: 'USD' });
  const eur = await createPackage(tokyo.token, { sessions_count: 2, price: '70.00', currency: 'EUR' });
  const t1 = await sell(tokyo.token, usd.id, { client_id: g.id });
  await backdateSale(t1.id, '2024-01-31T14:30:00.000Z'); // 2024-01-31 23:30 Tokyo: January
  const t2 = await sell(tokyo.token, eur.id, { client_id: g.id });
  await backdateSale(t2.id, '2024-01-31T15:00:00.000Z'); // 2024-02-01 00:00 Tokyo: February
  await sell(tokyo.token, eur.id, { client_id: g.id, price_paid: '50.00' }); // now: the latest sale, EUR
  await pastBooking(tokyoId, g.id, '2024-01-31T14:30:00.000Z', 'completed'); // K1 Wed 2024-01-31 23:30
  await pastBooking(tokyoId, g.id, '2024-01-31T15:30:00.000Z', 'cancelled', true); // K2 Thu 2024-02-01 00:30
  const now = new Date().toISOString();
  await payment(tokyoId, 2900, 'USD', 'completed', now);
  await payment(tokyoId, 1050, 'USD', 'completed', now);
  await payment(tokyoId, 2900, 'USD', 'failed', now);
  await payment(tokyoId, 2900, 'USD', 'completed', iso(monthStartIn(TOKYO).subtract({ minutes: 1 })));

  // ---- a trainer with nothing at all, and a client user ----------------------------------
  const empty = await registerTrainer({ timezone: 'Pacific/Auckland' });
  const clientUser = await api<{ token: string }>('POST', '/api/users/register/', {
    body: { email: uniqueEmail('client'), password: PASSWORD, password_confirm: PASSWORD, is_client: true },
  });

  s = {
    la: {
      token: la.token,
      trainerId: laId,
      futureWeekdays: [f1, f2, f4].map((z) => z.dayOfWeek - 1),
    },
    tokyo: { token: tokyo.token, trainerId: tokyoId },
    empty: { token: empty.token, trainerId: empty.user.trainer.id },
    clientToken: clientUser.body.token,
  };
});

const PATHS = [
  '/api/analytics/',
  '/api/analytics/dashboard/',
  '/api/analytics/revenue/',
  '/api/analytics/bookings-stats/',
  '/api/analytics/client-stats/',
];

describe('GET /api/analytics/dashboard/', () => {
  it('Los Angeles: every figure, month in the local zone, credits valued at price ÷ sessions', async () => {
    const res = await get(s.la.token, '/api/analytics/dashboard/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total_bookings: 12, // B1–B8 and four made through the API
      completed_bookings: 4, // B1, B2, B7 and the completed API booking
      upcoming_bookings: 2, // the confirmed and the pending future bookings
      cancelled_bookings: 3, // B3, B4 and the late API cancellation
      total_clients: 6,
      active_clients: 5,
      new_clients: 3, // A, C, E; B's 23:30 on last month's last day is already this month in UTC
      total_revenue: '1000.00', // 500 + 300 + 60 + 40 + 100 USD
      monthly_revenue: '100.00', // only the sale made now
      revenue_by_currency: { USD: '1000.00', EUR: '90.00' },
      // USD credits consumed: one of 500.00/10 and two of 100.00/3 = 116.6666…; ÷ 5 delivered (four
      // completed bookings and one USD credit used by hand)
      average_booking_value: '23.33',
      sessions_delivered: 4,
      prepaid_sessions_outstanding: 25, // 9 + 10 + 2 (EUR) + 1 + 3; the expired pack's 3 excluded
      currency: 'USD',
      platform_spend_this_month: '0.00',
      platform_spend_currency: 'USD',
      as_of: expect.any(String),
    });
    expect(Math.abs(Date.parse(String(res.body.as_of)) - Date.now())).toBeLessThan(60_000);
  });

  it('Tokyo: main currency is that of the latest sale (EUR); Paddle spend is separate', async () => {
    const res = await get(s.tokyo.token, '/api/analytics/dashboard/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total_bookings: 2,
      completed_bookings: 1,
      upcoming_bookings: 0,
      cancelled_bookings: 1,
      total_clients: 1,
      active_clients: 1,
      new_clients: 1,
      total_revenue: '120.00',
      monthly_revenue: '50.00',
      revenue_by_currency: { USD: '200.00', EUR: '120.00' },
      average_booking_value: '0.00', // a delivered session but no consumed credit
      sessions_delivered: 1,
      prepaid_sessions_outstanding: 9,
      currency: 'EUR',
      platform_spend_this_month: '39.50', // 29.00 + 10.50; the failed and last month's excluded
      platform_spend_currency: 'USD',
      as_of: expect.any(String),
    });
  });

  it('a trainer with no data: zeros everywhere, no NaN, no null', async () => {
    const res = await get(s.empty.token, '/api/analytics/dashboard/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total_bookings: 0,
      completed_bookings: 0,
      upcoming_bookings: 0,
      cancelled_bookings: 0,
      total_clients: 0,
      active_clients: 0,
      new_clients: 0,
      total_revenue: '0.00',
      monthly_revenue: '0.00',
      revenue_by_currency: {},
      average_booking_value: '0.00',
      sessions_delivered: 0,
      prepaid_sessions_outstanding: 0,
      currency: 'USD',
      platform_spend_this_month: '0.00',
      platform_spend_currency: 'USD',
      as_of: expect.any(String),
    });
  });
});

describe('GET /api/analytics/revenue/', () => {
  it('month: a sale at 23:30 on the 31st in Los Angeles is January, one at 00:00 on the 1st is February', async () => {
    const jan = await get(s.la.token, '/api/analytics/revenue/?period=month&date=2024-01-10');
    expect(jan.status).toBe(200);
    expect(jan.body).toEqual({
      period: 'month',
      start_date: '2024-01-01',
      end_date: '2024-01-31',
      total_revenue: '500.00',
      refunded: '0.00',
      payment_count: 2,
      average_payment: '500.00', // one USD sale
      revenue_by_currency: { USD: '500.00', EUR: '90.00' },
      currency: 'USD',
      series: series('2024-01-01', 31, { '2024-01-31': '500.00' }), // the EUR sale is not in the USD series
    });
    const feb = await get(s.la.token, '/api/analytics/revenue/?period=month&date=2024-02-29');
    expect(feb.body).toEqual({
      period: 'month',
      start_date: '2024-02-01',
      end_date: '2024-02-29',
      total_revenue: '360.00',
      refunded: '0.00',
      payment_count: 2,
      average_payment: '180.00',
      revenue_by_currency: { USD: '360.00' },
      currency: 'USD',
      series: series('2024-02-01', 29, { '2024-02-01': '300.00', '2024-02-10': '60.00' }),
    });
  });

  it('week (ISO, Monday first) and year (per month); averages round half up', async () => {
    const week = await get(s.la.token, '/api/analytics/revenue/?period=week&date=2024-01-31');
    expect(week.body).toEqual({
      period: 'week',
      start_date: '2024-01-29',
      end_date: '2024-02-04',
      total_revenue: '800.00',
      refunded: '0.00',
      payment_count: 2,
      average_payment: '400.00',
      revenue_by_currency: { USD: '800.00' },
      currency: 'USD',
      series: series('2024-01-29', 7, { '2024-01-31': '500.00', '2024-02-01': '300.00' }),
    });
    const year = await get(s.la.token, '/api/analytics/revenue/?period=year&date=2024-06-15');
    expect(year.body).toEqual({
      period: 'year',
      start_date: '2024-01-01',
      end_date: '2024-12-31',
      total_revenue: '860.00',
      refunded: '0.00',
      payment_count: 4,
      average_payment: '286.67', // 860.00 / 3 USD sales
      revenue_by_currency: { USD: '860.00', EUR: '90.00' },
      currency: 'USD',
      series: series('2024-01', 12, { '2024-01': '500.00', '2024-02': '360.00' }, true),
    });
  });

  it('an average in a currency without decimals is in whole units: ¥1000, ¥1000 and ¥500 average ¥833', async () => {
    const t = await setupTrainer({ settings: { timezone: 'Asia/Tokyo' } });
    const yen = await createPackage(t.token, { sessions_count: 5, price: '1000', currency: 'JPY' });
    for (const price_paid of ['1000', '1000', '500']) {
      const client = await createClient(t.token);
      const sale = await sell(t.token, yen.id, { client_id: client.id, price_paid });
      await backdateSale(sale.id, '2024-03-10T03:00:00.000Z');
    }
    const res = await get(t.token, '/api/analytics/revenue/?period=month&date=2024-03-01');
    expect(res.body).toMatchObject({ currency: 'JPY', total_revenue: '2500.00', payment_count: 3 });
    expect(res.body.average_payment).toBe('833.00');
  });

  it('default: this local month', async () => {
    const first = Temporal.Now.plainDateISO(LA).with({ day: 1 });
    const days = first.daysInMonth;
    const res = await get(s.la.token, '/api/analytics/revenue/');
    expect(res.body).toEqual({
      period: 'month',
      start_date: first.toString(),
      end_date: first.with({ day: days }).toString(),
      total_revenue: '100.00',
      refunded: '0.00',
      payment_count: 1,
      average_payment: '100.00',
      revenue_by_currency: { USD: '100.00' },
      currency: 'USD',
      series: series(first.toString(), days, { [Temporal.Now.plainDateISO(LA).toString()]: '100.00' }),
    });
  });

  it('Tokyo: the same instants fall in other months; totals in EUR, USD only by currency', async () => {
    const jan = await get(s.tokyo.token, '/api/analytics/revenue/?period=month&date=2024-01-20');
    expect(jan.body).toEqual({
      period: 'month',
      start_date: '2024-01-01',
      end_date: '2024-01-31',
      total_revenue: '0.00',
      refunded: '0.00',
      payment_count: 1,
      average_payment: '0.00',
      revenue_by_currency: { USD: '200.00' },
      currency: 'EUR',
      series: series('2024-01-01', 31, {}),
    });
    const feb = await get(s.tokyo.token, '/api/analytics/revenue/?period=month&date=2024-02-01');
    expect(feb.body).toEqual({
      period: 'month',
      start_date: '2024-02-01',
      end_date: '2024-02-29',
      total_revenue: '70.00',
      refunded: '0.00',
      payment_count: 1,
      average_payment: '70.00',
      revenue_by_currency: { EUR: '70.00' },
      currency: 'EUR',
      series: series('2024-02-01', 29, { '2024-02-01': '70.00' }),
    });
  });

  it('a trainer with no data, and 400 naming period or date', async () => {
    const res = await get(s.empty.token, '/api/analytics/revenue/?period=week&date=2024-01-31');
    expect(res.body).toEqual({
      period: 'week',
      start_date: '2024-01-29',
      end_date: '2024-02-04',
      total_revenue: '0.00',
      refunded: '0.00',
      payment_count: 0,
      average_payment: '0.00',
      revenue_by_currency: {},
      currency: 'USD',
      series: series('2024-01-29', 7, {}),
    });
    for (const [query, field] of [
      ['period=day', 'period'],
      ['period=month&date=2024-02-30', 'date'],
      ['date=yesterday', 'date'],
    ]) {
      const bad = await get(s.la.token, `/api/analytics/revenue/?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.headers.get('Content-Type')).toMatch(/application\/problem\+json/);
      expect(Object.keys(bad.body.errors ?? {}), query).toEqual([field]);
    }
  });
});

describe('GET /api/analytics/bookings-stats/', () => {
  it('a local date range: boundaries, statuses, rates, local weekday and hour across DST', async () => {
    const res = await get(s.la.token, '/api/analytics/bookings-stats/?from=2024-01-29&to=2024-03-10');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 6, // B1–B6; B8 (2024-01-28 local) and B7 (2024-03-11 local) are outside
      by_status: { pending: 1, confirmed: 1, completed: 2, cancelled: 2, no_show: 0 },
      completion_rate: 33.3,
      cancellation_rate: 33.3,
      late_cancellations: 1,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: [0, 0, 1, 1, 0, 1, 1], // B1 Wed, B2 Thu, B5 Sat, B6 Sun
      by_hour: counts(24, { 0: 1, 10: 2, 23: 1 }), // 10:00 both before (PST) and after (PDT) the change
      classes: [],
    });
    const early = await get(s.la.token, '/api/analytics/bookings-stats/?to=2024-01-31');
    expect(early.body).toEqual({
      total: 2, // B8 and B1 (UTC 2024-02-01, local 2024-01-31)
      by_status: { pending: 0, confirmed: 1, completed: 1, cancelled: 0, no_show: 0 },
      completion_rate: 50,
      cancellation_rate: 0,
      late_cancellations: 0,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: [0, 0, 1, 0, 0, 0, 1],
      by_hour: counts(24, { 23: 2 }),
      classes: [],
    });
  });

  it('all time, including the bookings made through the API', async () => {
    const res = await get(s.la.token, '/api/analytics/bookings-stats/');
    const weekdays: Record<number, number> = { 0: 1, 2: 1, 3: 1, 5: 1, 6: 2 }; // B7 Mon, B1, B2, B5, B6 + B8
    for (const w of s.la.futureWeekdays) weekdays[w] = (weekdays[w] ?? 0) + 1;
    expect(res.body).toEqual({
      total: 12,
      by_status: { pending: 2, confirmed: 3, completed: 4, cancelled: 3, no_show: 0 },
      completion_rate: 33.3,
      cancellation_rate: 25,
      late_cancellations: 2,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: counts(7, weekdays),
      by_hour: counts(24, { 0: 2, 9: 1, 10: 3, 11: 1, 23: 2 }),
      classes: [],
    });
  });

  it('Tokyo: 23:30 on the 31st is January and Wednesday; 00:30 is February', async () => {
    const jan31 = await get(s.tokyo.token, '/api/analytics/bookings-stats/?from=2024-01-31&to=2024-01-31');
    expect(jan31.body).toEqual({
      total: 1,
      by_status: { pending: 0, confirmed: 0, completed: 1, cancelled: 0, no_show: 0 },
      completion_rate: 100,
      cancellation_rate: 0,
      late_cancellations: 0,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: [0, 0, 1, 0, 0, 0, 0],
      by_hour: counts(24, { 23: 1 }),
      classes: [],
    });
    const feb1 = await get(s.tokyo.token, '/api/analytics/bookings-stats/?from=2024-02-01&to=2024-02-01');
    expect(feb1.body).toEqual({
      total: 1,
      by_status: { pending: 0, confirmed: 0, completed: 0, cancelled: 1, no_show: 0 },
      completion_rate: 0,
      cancellation_rate: 100,
      late_cancellations: 1,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: zeros(7), // cancelled bookings are not in the weekday and hour counts
      by_hour: zeros(24),
      classes: [],
    });
  });

  it('decades of bookings: offsets over many DST changes, split over several statements', async () => {
    const sydney = await registerTrainer({ timezone: 'Australia/Sydney' });
    const client = await createClient(sydney.token);
    // direct: Mon 2000-07-03 10:00 AEST (UTC+10) and Mon 2030-01-07 10:00 AEDT (UTC+11); in UTC
    // one is Monday 00:00, the other Sunday 23:00. Sixty DST changes lie between them.
    await pastBooking(sydney.user.trainer.id, client.id, '2000-07-03T00:00:00.000Z', 'completed');
    await pastBooking(sydney.user.trainer.id, client.id, '2030-01-06T23:00:00.000Z', 'confirmed');
    expect((await get(sydney.token, '/api/analytics/bookings-stats/')).body).toEqual({
      total: 2,
      by_status: { pending: 0, confirmed: 1, completed: 1, cancelled: 0, no_show: 0 },
      completion_rate: 50,
      cancellation_rate: 0,
      late_cancellations: 0,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: [2, 0, 0, 0, 0, 0, 0],
      by_hour: counts(24, { 10: 2 }),
      classes: [],
    });
  });

  it('a trainer with no data gives zeros (rates 0, not NaN); bad dates are 400 naming the field', async () => {
    const res = await get(s.empty.token, '/api/analytics/bookings-stats/');
    expect(res.body).toEqual({
      total: 0,
      by_status: { pending: 0, confirmed: 0, completed: 0, cancelled: 0, no_show: 0 },
      completion_rate: 0,
      cancellation_rate: 0,
      late_cancellations: 0,
      no_show_bookings: 0,
      no_show_rate: 0,
      by_weekday: zeros(7),
      by_hour: zeros(24),
      classes: [],
    });
    for (const [query, field] of [
      ['from=2024-02-30', 'from'],
      ['to=31-01-2024', 'to'],
      ['from=2024-03-01&to=2024-02-01', 'to'],
    ]) {
      const bad = await get(s.la.token, `/api/analytics/bookings-stats/?${query}`);
      expect(bad.status, query).toBe(400);
      expect(Object.keys(bad.body.errors ?? {}), query).toEqual([field]);
    }
  });
});

describe('GET /api/analytics/client-stats/', () => {
  it('Los Angeles: activity, fitness levels, the last 12 local months', async () => {
    const current = Temporal.Now.plainDateISO(LA).toPlainYearMonth();
    const months = Array.from({ length: 12 }, (_, i) => current.subtract({ months: 11 - i }).toString());
    const res = await get(s.la.token, '/api/analytics/client-stats/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total_clients: 6,
      active_clients: 5,
      inactive_clients: 1,
      by_fitness_level: { beginner: 3, intermediate: 1, advanced: 1, athlete: 1 },
      // B in the previous month, D before the first month shown, F in 2024
      new_clients_by_month: months.map((month, i) => ({ month, count: i === 11 ? 3 : i === 10 ? 1 : 0 })),
      clients_without_upcoming_booking: 3, // B, D, F (A and E have future bookings; C is inactive)
    });
  });

  it('Tokyo and a trainer with no data', async () => {
    const tokyoMonths = Array.from({ length: 12 }, (_, i) =>
      Temporal.Now.plainDateISO(TOKYO)
        .toPlainYearMonth()
        .subtract({ months: 11 - i })
        .toString(),
    );
    expect((await get(s.tokyo.token, '/api/analytics/client-stats/')).body).toEqual({
      total_clients: 1,
      active_clients: 1,
      inactive_clients: 0,
      by_fitness_level: { beginner: 1, intermediate: 0, advanced: 0, athlete: 0 },
      new_clients_by_month: tokyoMonths.map((month, i) => ({ month, count: i === 11 ? 1 : 0 })),
      clients_without_upcoming_booking: 1,
    });
    const emptyMonths = Array.from({ length: 12 }, (_, i) =>
      Temporal.Now.plainDateISO('Pacific/Auckland')
        .toPlainYearMonth()
        .subtract({ months: 11 - i })
        .toString(),
    );
    expect((await get(s.empty.token, '/api/analytics/client-stats/')).body).toEqual({
      total_clients: 0,
      active_clients: 0,
      inactive_clients: 0,
      by_fitness_level: { beginner: 0, intermediate: 0, advanced: 0, athlete: 0 },
      new_clients_by_month: emptyMonths.map((month) => ({ month, count: 0 })),
      clients_without_upcoming_booking: 0,
    });
  });
});

type MetricsPage = {
  count: number;
  next: string | null;
  previous: string | null;
  results: Json[];
};

describe('daily rollup and GET /api/analytics/', () => {
  // Both instants are 2024-02-01 (then 02-02) in Los Angeles and in Tokyo, so both trainers'
  // "yesterday" is 2024-01-31 (then 2024-02-01).
  const RUN_1 = Date.parse('2024-02-01T10:00:00.000Z');
  const RUN_2 = Date.parse('2024-02-02T10:00:00.000Z');
  const allRows = async () => (await env.DB.prepare('SELECT * FROM dashboard_metrics ORDER BY id').all()).results;

  it('writes each trainer its local yesterday; a re-run changes nothing; each trainer sees only its rows', async () => {
    expect((await get<MetricsPage>(s.la.token, '/api/analytics/')).body).toEqual({
      count: 0,
      next: null,
      previous: null,
      results: [],
    });
    const db = getDb(env.DB);
    const trainers = await env.DB.prepare('SELECT count(*) AS n FROM trainers').first<{ n: number }>();
    expect(await rollupDashboardMetrics(db, RUN_1)).toBe(trainers?.n); // one new row per trainer
    const afterFirst = await allRows();
    expect(await rollupDashboardMetrics(db, RUN_1)).toBe(0);
    expect(await allRows()).toEqual(afterFirst);
    // A row whose figures are stale is rewritten (and only that row).
    await env.DB.prepare(
      "UPDATE dashboard_metrics SET bookings_count = 99, updated_at = 'stale' WHERE trainer_id = ? AND date = '2024-01-31'",
    )
      .bind(s.la.trainerId)
      .run();
    expect(await rollupDashboardMetrics(db, RUN_1 + 60_000)).toBe(1);
    const refreshed = await env.DB.prepare(
      "SELECT bookings_count, updated_at FROM dashboard_metrics WHERE trainer_id = ? AND date = '2024-01-31'",
    )
      .bind(s.la.trainerId)
      .first();
    expect(refreshed).toEqual({ bookings_count: 1, updated_at: '2024-02-01T10:01:00.000Z' });

    await rollupDashboardMetrics(db, RUN_2);
    const afterSecond = await allRows();
    expect(await rollupDashboardMetrics(db, RUN_2)).toBe(0);
    expect(await allRows()).toEqual(afterSecond);

    const la = await get<MetricsPage>(s.la.token, '/api/analytics/');
    expect(la.status).toBe(200);
    expect(la.body).toEqual({
      count: 2,
      next: null,
      previous: null,
      results: [
        {
          date: '2024-02-01',
          bookings_count: 1, // B2
          completed_bookings: 1,
          cancelled_bookings: 0,
          revenue: '300.00',
          currency: 'USD',
          new_clients: 0,
          active_clients: 1, // F, the only client that existed then
        },
        {
          date: '2024-01-31',
          bookings_count: 1, // B1 at 23:30
          completed_bookings: 1,
          cancelled_bookings: 0,
          revenue: '500.00',
          currency: 'USD',
          new_clients: 1, // F
          active_clients: 1,
        },
      ],
    });
    const tokyo = await get<MetricsPage>(s.tokyo.token, '/api/analytics/');
    expect(tokyo.body.results).toEqual([
      {
        date: '2024-02-01',
        bookings_count: 1, // K2
        completed_bookings: 0,
        cancelled_bookings: 1,
        revenue: '70.00',
        currency: 'EUR', // the latest sale by the end of that day was in EUR
        new_clients: 0,
        active_clients: 0,
      },
      {
        date: '2024-01-31',
        bookings_count: 1, // K1
        completed_bookings: 1,
        cancelled_bookings: 0,
        revenue: '200.00',
        currency: 'USD',
        new_clients: 0,
        active_clients: 0,
      },
    ]);
    // Auckland (UTC+13 then) was at 2024-02-01 23:00, then 2024-02-02 23:00: the same yesterdays.
    const empty = await get<MetricsPage>(s.empty.token, '/api/analytics/');
    const zero = {
      bookings_count: 0,
      completed_bookings: 0,
      cancelled_bookings: 0,
      revenue: '0.00',
      currency: 'USD',
      new_clients: 0,
      active_clients: 0,
    };
    expect(empty.body.results).toEqual([
      { date: '2024-02-01', ...zero },
      { date: '2024-01-31', ...zero },
    ]);

    // filters and pagination
    const from = await get<MetricsPage>(s.la.token, '/api/analytics/?from=2024-02-01');
    expect(from.body.results.map((r) => r.date)).toEqual(['2024-02-01']);
    const to = await get<MetricsPage>(s.la.token, '/api/analytics/?to=2024-01-31');
    expect(to.body.results.map((r) => r.date)).toEqual(['2024-01-31']);
    const page = await get<MetricsPage>(s.la.token, '/api/analytics/?page_size=1');
    expect(page.body.count).toBe(2);
    expect(page.body.results.map((r) => r.date)).toEqual(['2024-02-01']);
    expect(page.body.next).toBe('http://example.com/api/analytics/?page_size=1&page=2');
    const bad = await get(s.la.token, '/api/analytics/?from=2024-13-01');
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['from']);
  });
});

describe('access', () => {
  it('a client user gets 403 and no token 401 on every analytics endpoint; all are in the OpenAPI document', async () => {
    for (const path of PATHS) {
      const asClient = await get(s.clientToken, path);
      expect(asClient.status, path).toBe(403);
      expect((await api('GET', path)).status, path).toBe(401);
    }
    const index = await api<{ areas: Record<string, string> }>('GET', '/api/');
    expect(index.body.areas.analytics).toBe('http://example.com/api/analytics/');
    const doc = { body: openapiDocument<{ paths: Record<string, unknown> }>() };
    for (const path of PATHS) expect(Object.keys(doc.body.paths)).toContain(path.replace(/\/$/, ''));
  });
});

describe('D1 round trips', () => {
  /** The request's round trips through a counting D1 (a batch is one), authentication (one) left out. */
  const roundTrips = async (path: string, token: string) => (await roundTripsOf(path, token)) - 1;

  it('each endpoint needs at most 3 after authentication; the rollup 2 whatever the number of trainers', async () => {
    expect(await roundTrips('/api/analytics/dashboard/', s.la.token)).toBe(1);
    expect(await roundTrips('/api/analytics/revenue/?period=year&date=2024-01-01', s.la.token)).toBe(1);
    expect(await roundTrips('/api/analytics/bookings-stats/', s.la.token)).toBe(2);
    expect(await roundTrips('/api/analytics/bookings-stats/', s.empty.token)).toBe(1); // nothing to place in time
    expect(await roundTrips('/api/analytics/client-stats/', s.la.token)).toBe(1);
    expect(await roundTrips('/api/analytics/?from=2024-01-01', s.la.token)).toBe(1);
    const counted = countingD1(env.DB);
    await rollupDashboardMetrics(getDb(counted.db), Date.parse('2024-06-01T00:00:00.000Z'));
    expect(counted.count()).toBe(2);
  });
});
