import { env } from 'cloudflare:workers';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  api,
  at,
  type BookingBody,
  book,
  createClient,
  futureDay,
  type ProblemBody,
  registerTrainer,
  setupTrainer,
} from './helpers';

type Pkg = {
  id: number;
  name: string;
  price: string;
  currency: string;
  sessions_count: number;
  validity_days: number | null;
  is_active: boolean;
};
type ClientPkg = {
  id: number;
  client: number;
  sessions_total: number;
  sessions_remaining: number;
  sessions_reserved: number;
  sessions_available: number;
  expiry_date: string | null;
  is_expired: boolean;
  is_active: boolean;
  price_paid: string;
  currency: string;
  package_name: string;
  client_name: string;
};
type Ledger = { count: number; results: { delta: number; reason: string; booking: number | null }[] };

const createPackage = async (token: string, body: Record<string, unknown>) =>
  (
    await api<Pkg>('POST', '/api/packages/', {
      token,
      body: { name: 'Pack', sessions_count: 5, price: '250.00', ...body },
    })
  ).body;
const sell = (token: string, pkgId: number, body: Record<string, unknown>) =>
  api<ClientPkg & ProblemBody>('POST', `/api/packages/${pkgId}/assign_to_client/`, { token, body });
const cp = async (token: string, id: number) =>
  (await api<ClientPkg>('GET', `/api/client-packages/${id}/`, { token })).body;
const ledgerOf = async (token: string, id: number) =>
  (await api<Ledger>('GET', `/api/client-packages/${id}/ledger/`, { token })).body;

/**
 * A session that has started by now (a booking is completed only then): its start an hour or two
 * ago, on the hour, and the pinned now it is booked at, an hour before that start.
 */
const pastStart = () => new Date(Math.floor(Date.now() / 3600_000) * 3600_000 - 3600_000).toISOString();
const bookedBefore = (start: string) => ({ 'X-Test-Now': new Date(Date.parse(start) - 3600_000).toISOString() });

describe('packages', () => {
  it('CRUD with money as decimal strings; validation names each field; delete of a sold package is 409', async () => {
    const t = await registerTrainer();
    const created = await api<Pkg>('POST', '/api/packages/', {
      token: t.token,
      body: { name: '10 sessions', sessions_count: 10, price: 499.9, currency: 'eur', validity_days: 90 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: '10 sessions',
      sessions_count: 10,
      price: '499.90',
      currency: 'EUR',
      validity_days: 90,
      is_active: true,
    });
    const defaults = await createPackage(t.token, { price: '250' });
    expect(defaults).toMatchObject({ price: '250.00', currency: 'USD', validity_days: null });
    const price = 'Use a positive amount with at most two decimals, e.g. "249.99".';
    const currency = 'Use an ISO 4217 currency code such as "USD".';
    const cases: [Record<string, unknown>, string, string][] = [
      [{ price: '0' }, 'price', price],
      [{ price: '-5' }, 'price', price],
      [{ price: '10.999' }, 'price', price],
      [{ price: 'ten' }, 'price', price],
      [{ sessions_count: 0 }, 'sessions_count', 'Enter a whole number from 1 to 1000.'],
      [{ currency: 'XXXX' }, 'currency', currency],
      [{ currency: 'ABC' }, 'currency', currency],
      [{ name: '' }, 'name', 'Enter a name.'],
      [{ validity_days: 0 }, 'validity_days', 'Enter a whole number from 1 to 3650.'],
    ];
    for (const [patch, field, message] of cases) {
      const res = await api<ProblemBody>('POST', '/api/packages/', {
        token: t.token,
        body: { name: 'x', sessions_count: 1, price: '1.00', ...patch },
      });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(res.body.errors?.[field], JSON.stringify(res.body)).toEqual([message]);
    }
    const patched = await api<Pkg>('PATCH', `/api/packages/${created.body.id}/`, {
      token: t.token,
      body: { price: '450', is_active: false },
    });
    expect(patched.body).toMatchObject({ price: '450.00', is_active: false });
    expect((await api('DELETE', `/api/packages/${defaults.id}/`, { token: t.token })).status).toBe(204);
    const sold = await createPackage(t.token, {});
    const client = await createClient(t.token);
    expect((await sell(t.token, sold.id, { client_id: client.id })).status).toBe(201);
    const del = await api<ProblemBody>('DELETE', `/api/packages/${sold.id}/`, { token: t.token });
    expect(del.status).toBe(409);
  });

  it('amounts a currency cannot charge are refused, naming the field: ¥10.50 on create, update, sale and services', async () => {
    const t = await registerTrainer();
    const yen = 'JPY amounts are whole numbers, e.g. "1500".';
    const refused = async (method: string, path: string, body: Record<string, unknown>, field: string) => {
      const res = await api<ProblemBody>(method, path, { token: t.token, body });
      expect([path, JSON.stringify(body), res.status, res.body.errors?.[field]]).toEqual([
        path,
        JSON.stringify(body),
        400,
        [yen],
      ]);
    };
    await refused('POST', '/api/packages/', { name: 'x', sessions_count: 1, price: '10.50', currency: 'JPY' }, 'price');
    const whole = await createPackage(t.token, { price: '1500', currency: 'jpy' });
    expect(whole).toMatchObject({ price: '1500.00', currency: 'JPY' });
    await refused('PATCH', `/api/packages/${whole.id}/`, { price: '1500.5' }, 'price');
    const dollars = await createPackage(t.token, { price: '10.50' });
    await refused('PATCH', `/api/packages/${dollars.id}/`, { currency: 'JPY' }, 'currency');
    const client = await createClient(t.token);
    await refused(
      'POST',
      `/api/packages/${whole.id}/assign_to_client/`,
      { client_id: client.id, price_paid: '99.99' },
      'price_paid',
    );
    await refused(
      'POST',
      '/api/services/',
      { name: 'Yen', duration_minutes: 60, price: '10.5', currency: 'JPY' },
      'price',
    );
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Dollars', duration_minutes: 60, price: '10.50', currency: 'USD' },
    });
    expect(service.status).toBe(201);
    await refused('PATCH', `/api/services/${service.body.id}/`, { currency: 'JPY' }, 'currency');
    await refused('PATCH', `/api/services/${service.body.id}/`, { price: '1500.5', currency: 'JPY' }, 'price');
    expect((await api<Pkg>('GET', `/api/packages/${whole.id}/`, { token: t.token })).body.price).toBe('1500.00');
    // A pack stored at ¥10.50 before the check still archives and renames (only a price or currency change is checked).
    await env.DB.prepare('UPDATE session_packages SET price_cents = 1050 WHERE id = ?').bind(whole.id).run();
    const archived = await api<Pkg>('PATCH', `/api/packages/${whole.id}/`, {
      token: t.token,
      body: { is_active: false, name: 'Old yen pack' },
    });
    expect([archived.status, archived.body.is_active]).toEqual([200, false]);
    await env.DB.prepare('UPDATE session_packages SET price_cents = 150000, is_active = 1 WHERE id = ?')
      .bind(whole.id)
      .run();
    // Nothing of the refused writes was kept; three-decimal currencies take two-decimal amounts.
    expect((await api<Pkg>('GET', `/api/packages/${dollars.id}/`, { token: t.token })).body.currency).toBe('USD');
    expect(await createPackage(t.token, { price: '10.25', currency: 'KWD' })).toMatchObject({ price: '10.25' });
    expect((await sell(t.token, whole.id, { client_id: client.id, price_paid: '1200' })).status).toBe(201);
  });

  it("assign_to_client: defaults, past expiry 400, inactive 409, another trainer's client 404", async () => {
    const t = await registerTrainer({ timezone: 'Pacific/Auckland' });
    const other = await registerTrainer();
    const pkg = await createPackage(t.token, { validity_days: 30, price: '300.00', currency: 'NZD' });
    const client = await createClient(t.token, { first_name: 'Kiri', last_name: 'Tane' });
    const sold = await sell(t.token, pkg.id, { client_id: client.id });
    expect(sold.status).toBe(201);
    const aucklandToday = Temporal.Now.plainDateISO('Pacific/Auckland');
    expect(sold.body).toMatchObject({
      client: client.id,
      client_name: 'Kiri Tane',
      package_name: 'Pack',
      sessions_total: 5,
      sessions_remaining: 5,
      sessions_reserved: 0,
      sessions_available: 5,
      expiry_date: aucklandToday.add({ days: 30 }).toString(),
      is_expired: false,
      is_active: true,
      price_paid: '300.00',
      currency: 'NZD',
    });
    const discounted = await sell(t.token, pkg.id, { client_id: client.id, price_paid: '250', expiry_date: null });
    expect(discounted.body).toMatchObject({ price_paid: '250.00', expiry_date: null });
    const past = await sell(t.token, pkg.id, {
      client_id: client.id,
      expiry_date: aucklandToday.subtract({ days: 1 }).toString(),
    });
    expect(past.status).toBe(400);
    expect(past.body.errors?.expiry_date).toEqual(['The expiry date is in the past.']);
    const foreign = await createClient(other.token);
    expect((await sell(t.token, pkg.id, { client_id: foreign.id })).status).toBe(404);
    expect((await sell(other.token, pkg.id, { client_id: foreign.id })).status).toBe(404);
    await api('PATCH', `/api/packages/${pkg.id}/`, { token: t.token, body: { is_active: false } });
    const inactive = await sell(t.token, pkg.id, { client_id: client.id });
    expect(inactive.status).toBe(409);
    const list = await api<{ count: number }>('GET', `/api/packages/${pkg.id}/client_packages/`, { token: t.token });
    expect(list.body.count).toBe(2);
  });

  it('20 parallel use_session calls on a 5-session package: 5 × 200, 15 × 409, 0 left, five ledger rows', async () => {
    const t = await registerTrainer();
    const pkg = await createPackage(t.token, { sessions_count: 5 });
    const client = await createClient(t.token);
    const sold = (await sell(t.token, pkg.id, { client_id: client.id })).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        api<ProblemBody>('POST', `/api/client-packages/${sold.id}/use_session/`, { token: t.token }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(15);
    expect(refused.every((r) => /no sessions left/.test(r.body.detail))).toBe(true);
    expect((await cp(t.token, sold.id)).sessions_remaining).toBe(0);
    const ledger = await ledgerOf(t.token, sold.id);
    expect(ledger.count).toBe(5);
    expect(ledger.results.every((r) => r.delta === -1 && r.reason === 'use_session' && r.booking === null)).toBe(true);
  });

  it('bookings reserve, completion and late cancellation consume, timely cancellation releases; overbooking is 409', async () => {
    const t = await setupTrainer({ settings: { late_cancel_hours: 24 } });
    const pkg = await createPackage(t.token, { sessions_count: 3 });
    const sold = (await sell(t.token, pkg.id, { client_id: t.client.id })).body;
    const withPkg = (day: number, time: string) =>
      book(t.token, { client: t.client.id, start_time: at(futureDay(day).date, time), client_package: sold.id });

    const start = pastStart();
    const a = (
      await book(t.token, { client: t.client.id, start_time: start, client_package: sold.id }, bookedBefore(start))
    ).body; // will be completed, once it has started
    const b = (await withPkg(6, '09:00')).body; // cancelled in time
    const soon = new Date(Math.ceil((Date.now() + 2 * 3600_000) / 3600_000) * 3600_000).toISOString();
    const c = (await book(t.token, { client: t.client.id, start_time: soon, client_package: sold.id })).body; // cancelled late
    expect(await cp(t.token, sold.id)).toMatchObject({
      sessions_remaining: 3,
      sessions_reserved: 3,
      sessions_available: 0,
    });
    const over = await withPkg(7, '09:00');
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('package_exhausted');
    const manual = await api<ProblemBody>('POST', `/api/client-packages/${sold.id}/use_session/`, { token: t.token });
    expect(manual.status).toBe(409);
    expect(manual.body.detail).toMatch(/reserved/);

    await api('POST', `/api/bookings/${a.id}/confirm/`, { token: t.token });
    const done = await api<BookingBody>('POST', `/api/bookings/${a.id}/mark_completed/`, { token: t.token });
    expect(done.body.status).toBe('completed');
    expect(await cp(t.token, sold.id)).toMatchObject({
      sessions_remaining: 2,
      sessions_reserved: 2,
      sessions_available: 0,
    });

    const timely = await api<BookingBody>('POST', `/api/bookings/${b.id}/cancel/`, { token: t.token });
    expect(timely.body.late_cancellation).toBe(false);
    expect(await cp(t.token, sold.id)).toMatchObject({
      sessions_remaining: 2,
      sessions_reserved: 1,
      sessions_available: 1,
    });

    await api('POST', `/api/bookings/${c.id}/confirm/`, { token: t.token });
    const late = await api<BookingBody>('POST', `/api/bookings/${c.id}/cancel/`, { token: t.token });
    expect(late.body.late_cancellation).toBe(true);
    expect(await cp(t.token, sold.id)).toMatchObject({
      sessions_remaining: 1,
      sessions_reserved: 0,
      sessions_available: 1,
    });

    const ledger = await ledgerOf(t.token, sold.id);
    expect(ledger.results.map((r) => [r.reason, r.booking, r.delta])).toEqual([
      ['late_cancellation', c.id, -1],
      ['booking_completed', a.id, -1],
    ]);
  });

  it('a late decline of a request never confirmed costs no credit; a session after the expiry date is a 409', async () => {
    const t = await setupTrainer({ settings: { late_cancel_hours: 24 } });
    const pkg = await createPackage(t.token, { sessions_count: 2 });
    const sold = (await sell(t.token, pkg.id, { client_id: t.client.id, expiry_date: futureDay(10).date })).body;
    const soon = new Date(Math.ceil((Date.now() + 2 * 3600_000) / 3600_000) * 3600_000).toISOString();
    const pending = (await book(t.token, { client: t.client.id, start_time: soon, client_package: sold.id })).body;
    const declined = await api<BookingBody>('POST', `/api/bookings/${pending.id}/cancel/`, { token: t.token });
    // A decline is the trainer's answer, not the client's late cancellation: nothing to count against them.
    expect(declined.body).toMatchObject({ status: 'cancelled', late_cancellation: false });
    expect(await cp(t.token, sold.id)).toMatchObject({ sessions_remaining: 2, sessions_reserved: 0 });
    expect((await ledgerOf(t.token, sold.id)).count).toBe(0);
    const after = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(12).date, '10:00'),
      client_package: sold.id,
    });
    expect(after.status).toBe(409);
    expect(after.body.code).toBe('package_expired');
    expect(
      (
        await book(t.token, {
          client: t.client.id,
          start_time: at(futureDay(9).date, '10:00'),
          client_package: sold.id,
        })
      ).status,
    ).toBe(201);
  });

  it('a package of another client is a 400; an expired package is a 409', async () => {
    const t = await setupTrainer();
    const pkg = await createPackage(t.token, {});
    const other = await createClient(t.token);
    const theirs = (await sell(t.token, pkg.id, { client_id: other.id })).body;
    const wrong = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(3).date, '10:00'),
      client_package: theirs.id,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors?.client_package).toEqual(['Package not found for this client.']);
    const mine = (await sell(t.token, pkg.id, { client_id: t.client.id })).body;
    await env.DB.prepare('UPDATE client_packages SET expiry_date = ? WHERE id = ?')
      .bind(futureDay(-3).date, mine.id)
      .run();
    const expired = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(3).date, '10:00'),
      client_package: mine.id,
    });
    expect(expired.status).toBe(409);
    expect(expired.body.code).toBe('package_expired');
    const use = await api<ProblemBody>('POST', `/api/client-packages/${mine.id}/use_session/`, { token: t.token });
    expect(use.status).toBe(409);
    expect(use.body.detail).toMatch(/expired/);
  });

  it("expiry follows the trainer's local midnight (Auckland and Los Angeles)", async () => {
    for (const zone of ['Pacific/Auckland', 'America/Los_Angeles']) {
      const t = await registerTrainer({ timezone: zone });
      const pkg = await createPackage(t.token, {});
      const client = await createClient(t.token);
      const localToday = Temporal.Now.plainDateISO(zone).toString();
      const yesterday = Temporal.Now.plainDateISO(zone).subtract({ days: 1 }).toString();
      const lastDay = (await sell(t.token, pkg.id, { client_id: client.id, expiry_date: localToday })).body;
      expect(lastDay).toMatchObject({ is_expired: false, is_active: true });
      expect((await api('POST', `/api/client-packages/${lastDay.id}/use_session/`, { token: t.token })).status).toBe(
        200,
      );
      const gone = (await sell(t.token, pkg.id, { client_id: client.id })).body;
      await env.DB.prepare('UPDATE client_packages SET expiry_date = ? WHERE id = ?').bind(yesterday, gone.id).run();
      expect(await cp(t.token, gone.id)).toMatchObject({ is_expired: true, is_active: false });
      expect((await api('POST', `/api/client-packages/${gone.id}/use_session/`, { token: t.token })).status).toBe(409);
      const active = await api<{ results: { id: number }[] }>(
        'GET',
        `/api/client-packages/?client=${client.id}&is_active=true`,
        { token: t.token },
      );
      expect(active.body.results.map((r) => r.id)).toEqual([lastDay.id]);
      const inactive = await api<{ results: { id: number }[] }>(
        'GET',
        `/api/client-packages/?client=${client.id}&is_active=false`,
        { token: t.token },
      );
      expect(inactive.body.results.map((r) => r.id)).toEqual([gone.id]);
    }
  });

  it('tenant isolation on packages and client packages (404)', async () => {
    const a = await registerTrainer();
    const b = await registerTrainer();
    const pkg = await createPackage(a.token, {});
    const client = await createClient(a.token);
    const sold = (await sell(a.token, pkg.id, { client_id: client.id })).body;
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/packages/${pkg.id}/`],
      ['PATCH', `/api/packages/${pkg.id}/`, { name: 'x' }],
      ['DELETE', `/api/packages/${pkg.id}/`],
      ['GET', `/api/packages/${pkg.id}/client_packages/`],
      ['GET', `/api/client-packages/${sold.id}/`],
      ['POST', `/api/client-packages/${sold.id}/use_session/`],
      ['GET', `/api/client-packages/${sold.id}/ledger/`],
    ];
    for (const [method, path, body] of calls) {
      expect((await api(method, path, { token: b.token, body })).status, `${method} ${path}`).toBe(404);
    }
    expect((await api<{ count: number }>('GET', '/api/client-packages/', { token: b.token })).body.count).toBe(0);
    expect((await cp(a.token, sold.id)).sessions_remaining).toBe(5);
  });
});

describe("a client user's packages across trainers", () => {
  it("is_active follows each package's trainer's local date, not UTC", async () => {
    const { verifyEmailOf, uniqueEmail, PASSWORD } = await import('./helpers');
    const email = uniqueEmail('member');
    const t = await registerTrainer({ timezone: 'Pacific/Auckland' });
    const client = await createClient(t.token, { email });
    const pkg = await createPackage(t.token, {});
    const aucklandYesterday = Temporal.Now.plainDateISO('Pacific/Auckland').subtract({ days: 1 }).toString();
    const gone = (await sell(t.token, pkg.id, { client_id: client.id })).body;
    await env.DB.prepare('UPDATE client_packages SET expiry_date = ? WHERE id = ?')
      .bind(aucklandYesterday, gone.id)
      .run();
    const fresh = (await sell(t.token, pkg.id, { client_id: client.id })).body;
    const reg = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    await verifyEmailOf(reg.body.user.id, email);
    const active = await api<{ results: { id: number; is_active: boolean }[] }>(
      'GET',
      '/api/client-packages/?is_active=true',
      { token: reg.body.token },
    );
    expect(active.body.results.map((p) => p.id)).toEqual([fresh.id]);
    const inactive = await api<{ results: { id: number }[] }>('GET', '/api/client-packages/?is_active=false', {
      token: reg.body.token,
    });
    expect(inactive.body.results.map((p) => p.id)).toEqual([gone.id]);
    const detail = await api<{ packages: { id: number }[] }>('GET', `/api/clients/${client.id}/`, {
      token: reg.body.token,
    });
    expect(detail.body.packages.map((p) => p.id)).toEqual([fresh.id]);
  });
});

type LedgerRow = { id: number; delta: number; reason: string; booking: number | null; balance_after: number | null };
const useSession = (token: string, id: number, headers: Record<string, string> = {}) =>
  api<ClientPkg & ProblemBody>('POST', `/api/client-packages/${id}/use_session/`, { token, headers });
const ledgerRows = async (token: string, id: number) =>
  (await api<{ count: number; results: LedgerRow[] }>('GET', `/api/client-packages/${id}/ledger/`, { token })).body;

describe('use_session: the balance each answer produced, and safe retries', () => {
  async function fivePack() {
    const t = await registerTrainer();
    const pkg = await createPackage(t.token, { sessions_count: 5 });
    const client = await createClient(t.token);
    const sold = (await sell(t.token, pkg.id, { client_id: client.id })).body;
    return { t, sold, client, pkg };
  }

  it('20 parallel calls on a 5-pack: the five 200s report 4, 3, 2, 1, 0; the ledger rows carry balance_after 4..0', async () => {
    const { t, sold } = await fivePack();
    const results = await Promise.all(Array.from({ length: 20 }, () => useSession(t.token, sold.id)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(5);
    expect(results.filter((r) => r.status === 409)).toHaveLength(15);
    expect(ok.map((r) => r.body.sessions_remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of ok) {
      expect(r.body.sessions_available).toBe(r.body.sessions_remaining);
      expect(r.body.is_active).toBe(r.body.sessions_remaining > 0);
    }
    const ledger = await ledgerRows(t.token, sold.id);
    expect(ledger.count).toBe(5);
    const byId = [...ledger.results].sort((a, b) => a.id - b.id);
    expect(byId.map((r) => r.balance_after)).toEqual([4, 3, 2, 1, 0]);
  });

  it('the same Idempotency-Key sent again spends one credit and replays the first answer', async () => {
    const { t, sold } = await fivePack();
    const key = crypto.randomUUID();
    const first = await useSession(t.token, sold.id, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(first.headers.get('Idempotency-Replayed')).toBeNull();
    expect(first.body.sessions_remaining).toBe(4);
    // Another credit used meanwhile must not change what the retry answers.
    expect((await useSession(t.token, sold.id)).body.sessions_remaining).toBe(3);
    const again = await useSession(t.token, sold.id, { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect(again.headers.get('Idempotency-Replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await cp(t.token, sold.id)).sessions_remaining).toBe(3);
    expect((await ledgerRows(t.token, sold.id)).count).toBe(2);
  });

  it('the same Idempotency-Key in parallel spends one credit; every answer is the same body', async () => {
    const { t, sold } = await fivePack();
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => useSession(t.token, sold.id, { 'Idempotency-Key': key })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.filter((r) => r.headers.get('Idempotency-Replayed') === 'true')).toHaveLength(7);
    for (const r of results) expect(r.body).toEqual(results[0]?.body);
    expect(results[0]?.body.sessions_remaining).toBe(4);
    expect((await cp(t.token, sold.id)).sessions_remaining).toBe(4);
    expect((await ledgerRows(t.token, sold.id)).count).toBe(1);
  });

  it('the key reused for another client package is a 422 and spends nothing; a bad key is a 400', async () => {
    const { t, sold, client, pkg } = await fivePack();
    const other = (await sell(t.token, pkg.id, { client_id: client.id })).body;
    const key = crypto.randomUUID();
    expect((await useSession(t.token, sold.id, { 'Idempotency-Key': key })).status).toBe(200);
    const reused = await useSession(t.token, other.id, { 'Idempotency-Key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect((await cp(t.token, other.id)).sessions_remaining).toBe(5);
    expect((await ledgerRows(t.token, other.id)).count).toBe(0);
    const bad = await useSession(t.token, sold.id, { 'Idempotency-Key': 'ä' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.['Idempotency-Key']).toBeDefined();
    expect((await cp(t.token, sold.id)).sessions_remaining).toBe(4);
  });

  it('completion and late cancellation write balance_after too', async () => {
    const t = await setupTrainer({ settings: { late_cancel_hours: 24 } });
    const pkg = await createPackage(t.token, { sessions_count: 3 });
    const sold = (await sell(t.token, pkg.id, { client_id: t.client.id })).body;
    const start = pastStart(); // completed once it has started
    const a = (
      await book(t.token, { client: t.client.id, start_time: start, client_package: sold.id }, bookedBefore(start))
    ).body;
    const soon = new Date(Math.ceil((Date.now() + 2 * 3600_000) / 3600_000) * 3600_000).toISOString();
    const c = (await book(t.token, { client: t.client.id, start_time: soon, client_package: sold.id })).body;
    await api('POST', `/api/bookings/${a.id}/confirm/`, { token: t.token });
    await api('POST', `/api/bookings/${a.id}/mark_completed/`, { token: t.token });
    await api('POST', `/api/bookings/${c.id}/confirm/`, { token: t.token });
    await api('POST', `/api/bookings/${c.id}/cancel/`, { token: t.token });
    expect((await useSession(t.token, sold.id)).body.sessions_remaining).toBe(0);
    const ledger = await ledgerRows(t.token, sold.id);
    expect(ledger.results.map((r) => [r.reason, r.balance_after])).toEqual([
      ['use_session', 0],
      ['late_cancellation', 1],
      ['booking_completed', 2],
    ]);
  });
});
