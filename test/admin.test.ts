import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword as scriptHash } from '../scripts/password-hash.mjs';
import { verifyPassword } from '../src/lib/password';
import { auditRows, type Detail, type Page, registerAs, registerStaff } from './admin-helpers';
import { api, at, book, futureDay, openapiDocument, PASSWORD, type ProblemBody, uniqueEmail } from './helpers';

// A seeded world of two trainers, tagged so that every list below can be narrowed to exactly it
// (other test files share the database).
const tag = `adm${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
type Key =
  | 'A'
  | 'A0'
  | 'A2'
  | 'B'
  | 'B0'
  | 'a1'
  | 'a2'
  | 'aUser'
  | 'b1'
  | 'bUser'
  | 'brkA'
  | 'brkB'
  | 'cp1'
  | 'cp2'
  | 'k1'
  | 'k2'
  | 'k3'
  | 'l1'
  | 'l2'
  | 'l3'
  | 'n1'
  | 'n2'
  | 'n3'
  | 'na1'
  | 'na2'
  | 'nb1'
  | 'p1'
  | 'p2'
  | 'p3'
  | 'pa1'
  | 'pa2'
  | 'pb1'
  | 'sA'
  | 'sB'
  | 'staff'
  | 'w1'
  | 'w2'
  | 'w3';
const S = {} as Record<Key, number> & { staffToken: string; aToken: string; bToken: string };

const sql = (query: string, ...params: unknown[]) => env.DB.prepare(query).bind(...params);
const insertId = async (query: string, ...params: unknown[]) =>
  Number((await sql(`${query} RETURNING id`, ...params).first<{ id: number }>())?.id);

async function post<T = { id: number }>(token: string, path: string, body: Record<string, unknown> = {}) {
  const res = await api<T>('POST', path, { token, body });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const client = async (token: string, name: string, last: string, level: string, createdAt: string) => {
  const { id } = await post(token, '/api/clients/', {
    email: `${name.toLowerCase()}-${tag}@example.com`,
    first_name: name,
    last_name: last,
    fitness_level: level,
  });
  await sql('UPDATE clients SET created_at = ? WHERE id = ?', createdAt, id).run();
  return id;
};

async function seed() {
  const staff = await registerStaff(`staff-${tag}@example.com`);
  const a = await registerAs(`alpha-${tag}@example.com`, { business_name: `Alpha ${tag}`, timezone: 'Europe/London' });
  const b = await registerAs(`beta-${tag}@example.com`, { business_name: `Beta ${tag}`, timezone: 'America/New_York' });
  Object.assign(S, { staff: staff.userId, staffToken: staff.token, aToken: a.token, bToken: b.token });
  Object.assign(S, { aUser: a.userId, bUser: b.userId, A: a.trainerId, B: b.trainerId });

  S.a1 = await client(a.token, 'Ann', 'Archer', 'beginner', '2024-01-10T09:00:00.000Z');
  S.a2 = await client(a.token, 'Alex', 'Avery', 'advanced', '2024-02-10T09:00:00.000Z');
  await api('PATCH', `/api/clients/${S.a2}/`, { token: a.token, body: { is_active: false } });
  S.b1 = await client(b.token, 'Bea', 'Brown', 'advanced', '2024-03-10T09:00:00.000Z');

  S.n1 = (await post(a.token, `/api/clients/${S.a1}/add_note/`, { content: `first ${tag}` })).id;
  await sql('UPDATE client_notes SET created_at = ? WHERE id = ?', '2024-05-01T10:00:00.000Z', S.n1).run();
  S.n2 = (await post(a.token, `/api/clients/${S.a1}/add_note/`, { content: `second ${tag}` })).id;
  S.n3 = (await post(b.token, `/api/clients/${S.b1}/add_note/`, { content: `third ${tag}` })).id;

  const slot = async (token: string, day: number) =>
    (await post(token, '/api/availability-slots/', { day_of_week: day, start_time: '09:00', end_time: '17:00' })).id;
  S.A0 = await slot(a.token, 0);
  S.A2 = await slot(a.token, 2);
  S.B0 = await slot(b.token, 0);
  const pause = async (token: string, start: string, end: string) =>
    (await post(token, '/api/trainer-breaks/', { start_date: start, end_date: end, reason: 'Away' })).id;
  S.brkA = await pause(a.token, '2030-01-01', '2030-01-05');
  S.brkB = await pause(b.token, '2030-02-01', '2030-02-02');

  const booking = async (token: string, clientId: number, days: number) => {
    const res = await book(token, {
      client: clientId,
      start_time: at(futureDay(days).date, '10:00'),
      allow_outside_availability: true,
    });
    if (res.status !== 201) throw new Error(`book: ${JSON.stringify(res.body)}`);
    return res.body.id;
  };
  S.k1 = await booking(a.token, S.a1, 3);
  S.k2 = await booking(a.token, S.a1, 4);
  await post(a.token, `/api/bookings/${S.k2}/confirm/`);
  S.k3 = await booking(b.token, S.b1, 5);

  const pkg = async (token: string, name: string, price: string, currency: string) =>
    (await post(token, '/api/packages/', { name, sessions_count: 10, price, currency })).id;
  S.p1 = await pkg(a.token, 'Ten pack', '500.00', 'USD');
  S.p2 = await pkg(a.token, 'Five pack', '250.00', 'USD');
  await api('PATCH', `/api/packages/${S.p2}/`, { token: a.token, body: { is_active: false } });
  S.p3 = await pkg(b.token, 'Starter', '100.00', 'EUR');
  S.cp1 = (await post(a.token, `/api/packages/${S.p1}/assign_to_client/`, { client_id: S.a1 })).id;
  S.cp2 = (await post(b.token, `/api/packages/${S.p3}/assign_to_client/`, { client_id: S.b1 })).id;
  await post(a.token, `/api/client-packages/${S.cp1}/use_session/`);
  await post(a.token, `/api/client-packages/${S.cp1}/use_session/`);
  await post(b.token, `/api/client-packages/${S.cp2}/use_session/`);
  const ledger = await sql(
    'SELECT id FROM package_ledger WHERE client_package_id IN (?, ?) ORDER BY id',
    S.cp1,
    S.cp2,
  ).all<{ id: number }>();
  [S.l1 = 0, S.l2 = 0, S.l3 = 0] = ledger.results.map((r) => r.id);

  const subscription = (trainer: number, suffix: string, status: string) =>
    insertId(
      'INSERT INTO subscriptions (trainer_id, paddle_subscription_id, paddle_customer_id, status) VALUES (?, ?, ?, ?)',
      trainer,
      `sub_${tag}_${suffix}`,
      `ctm_${tag}_${suffix}`,
      status,
    );
  S.sA = await subscription(S.A, 'a', 'active');
  S.sB = await subscription(S.B, 'b', 'past_due');
  const payment = (
    trainer: number,
    sub: number,
    suffix: string,
    cents: number,
    cur: string,
    status: string,
    day: string,
  ) =>
    insertId(
      `INSERT INTO payments (trainer_id, subscription_id, paddle_transaction_id, amount_cents, currency, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      trainer,
      sub,
      `txn_${tag}_${suffix}`,
      cents,
      cur,
      status,
      `${day}T12:00:00.000Z`,
    );
  S.pa1 = await payment(S.A, S.sA, 'a1', 1500, 'USD', 'completed', '2024-06-01');
  S.pa2 = await payment(S.A, S.sA, 'a2', 1500, 'USD', 'refunded', '2024-07-01');
  S.pb1 = await payment(S.B, S.sB, 'b1', 2900, 'EUR', 'failed', '2024-08-01');

  const notification = (trainer: number, kind: string, channel: string, status: string, n: number) =>
    insertId(
      `INSERT INTO notifications (trainer_id, kind, notification_type, recipient, subject, message, status, dedupe_key)
       VALUES (?, ?, ?, ?, ?, 'hello', ?, ?)`,
      trainer,
      kind,
      channel,
      channel === 'sms' ? '+447700900123' : `someone-${n}@example.com`,
      `notify-${tag}`,
      status,
      `admin-test:${tag}:${n}`,
    );
  S.na1 = await notification(S.A, 'booking_confirmed', 'email', 'failed', 1);
  S.na2 = await notification(S.A, 'reminder_24h', 'sms', 'sent', 2);
  S.nb1 = await notification(S.B, 'booking_cancelled', 'email', 'pending', 3);

  const event = (n: number, type: string, processed: boolean, error: string | null, day: string) =>
    insertId(
      'INSERT INTO webhook_events (event_id, event_type, occurred_at, payload, processed_at, error) VALUES (?, ?, ?, ?, ?, ?)',
      `evt_${tag}_${n}`,
      type,
      `${day}T00:00:00.000Z`,
      JSON.stringify({ data: { id: n === 1 ? `sub_${tag}_a` : `txn_${tag}_${n}` } }),
      processed ? `${day}T00:00:01.000Z` : null,
      error,
    );
  S.w1 = await event(1, 'subscription.created', true, null, '2024-01-01');
  S.w2 = await event(2, 'transaction.completed', false, 'boom', '2024-02-01');
  S.w3 = await event(3, 'transaction.completed', true, null, '2024-03-01');
}

beforeAll(seed, 120_000);

const idsOf = async (path: string, token = S.staffToken) => {
  const res = await api<Page<{ id: number }> & ProblemBody>('GET', path, { token });
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
  return res.body.results.map((r) => r.id);
};

// [model, query, expected ids in order]
const listCases = (): [string, string, () => number[]][] => [
  ['users', `search=${tag}`, () => [S.bUser, S.aUser, S.staff]],
  ['users', `search=${tag}&is_trainer=true`, () => [S.bUser, S.aUser]],
  ['users', `search=${tag}&is_staff=true`, () => [S.staff]],
  ['users', `search=${tag}&ordering=email`, () => [S.aUser, S.bUser, S.staff]],
  ['trainers', `search=${tag}`, () => [S.B, S.A]],
  ['trainers', `search=${tag}&timezone=Europe/London`, () => [S.A]],
  ['trainers', `search=BETA-${tag}@example.com`, () => [S.B]],
  ['trainers', `search=${tag}&ordering=-business_name`, () => [S.B, S.A]],
  ['clients', `search=${tag}`, () => [S.b1, S.a2, S.a1]],
  ['clients', `search=${tag}&trainer=${S.A}`, () => [S.a2, S.a1]],
  ['clients', `search=${tag}&fitness_level=advanced`, () => [S.b1, S.a2]],
  ['clients', `search=${tag}&is_active=false`, () => [S.a2]],
  ['clients', `search=${tag}&created_from=2024-02-01&created_to=2024-03-10`, () => [S.b1, S.a2]],
  ['clients', `search=bea-${tag}`, () => [S.b1]],
  ['clients', `search=${tag}&ordering=full_name`, () => [S.a2, S.a1, S.b1]],
  ['client-notes', `search=${tag}`, () => [S.n3, S.n2, S.n1]],
  ['client-notes', `search=${tag}&created_by=${S.aUser}`, () => [S.n2, S.n1]],
  ['client-notes', `search=${tag}&client=${S.b1}`, () => [S.n3]],
  ['client-notes', `search=${tag}&created_to=2024-05-01`, () => [S.n1]],
  ['client-notes', `search=${tag}&ordering=created_at`, () => [S.n1, S.n2, S.n3]],
  ['availability-slots', `search=${tag}`, () => [S.A0, S.B0, S.A2]],
  ['availability-slots', `search=${tag}&trainer=${S.A}`, () => [S.A0, S.A2]],
  ['availability-slots', `search=${tag}&day_of_week=0`, () => [S.A0, S.B0]],
  ['availability-slots', `search=${tag}&ordering=-id`, () => [S.B0, S.A2, S.A0]],
  ['trainer-breaks', `search=${tag}`, () => [S.brkB, S.brkA]],
  ['trainer-breaks', `search=${tag}&trainer=${S.B}`, () => [S.brkB]],
  ['trainer-breaks', `search=${tag}&start_from=2030-01-15`, () => [S.brkB]],
  ['trainer-breaks', `search=${tag}&ordering=start_date`, () => [S.brkA, S.brkB]],
  ['bookings', `search=${tag}`, () => [S.k3, S.k2, S.k1]],
  ['bookings', `search=${tag}&status=confirmed`, () => [S.k2]],
  ['bookings', `search=${tag}&trainer=${S.B}`, () => [S.k3]],
  ['bookings', `search=${tag}&start_from=${futureDay(4).date}&start_to=${futureDay(4).date}`, () => [S.k2]],
  ['bookings', `search=${tag}&ordering=start_time`, () => [S.k1, S.k2, S.k3]],
  ['bookings', `search=${tag}&ordering=-client_name`, () => [S.k3, S.k2, S.k1]],
  ['packages', `search=${tag}`, () => [S.p3, S.p2, S.p1]],
  ['packages', `search=${tag}&is_active=false`, () => [S.p2]],
  ['packages', `search=${tag}&currency=EUR`, () => [S.p3]],
  ['packages', `search=${tag}&ordering=name`, () => [S.p2, S.p3, S.p1]],
  ['packages', `search=${tag}&ordering=-price`, () => [S.p1, S.p2, S.p3]],
  ['client-packages', `search=${tag}`, () => [S.cp2, S.cp1]],
  ['client-packages', `search=${tag}&trainer=${S.A}`, () => [S.cp1]],
  ['client-packages', `search=${tag}&client=${S.b1}`, () => [S.cp2]],
  ['client-packages', `search=${tag}&ordering=price_paid`, () => [S.cp2, S.cp1]],
  ['package-ledger', `search=${tag}`, () => [S.l3, S.l2, S.l1]],
  ['package-ledger', `search=${tag}&client_package=${S.cp1}`, () => [S.l2, S.l1]],
  ['package-ledger', `search=${tag}&reason=late_cancellation`, () => []],
  ['package-ledger', `search=${tag}&ordering=id`, () => [S.l1, S.l2, S.l3]],
  ['subscriptions', `search=${tag}`, () => [S.sB, S.sA]],
  ['subscriptions', `search=${tag}&status=past_due`, () => [S.sB]],
  ['subscriptions', `search=sub_${tag}_a`, () => [S.sA]],
  ['subscriptions', `search=${tag}&ordering=status`, () => [S.sA, S.sB]],
  ['payments', `search=${tag}`, () => [S.pb1, S.pa2, S.pa1]],
  ['payments', `search=${tag}&status=refunded`, () => [S.pa2]],
  ['payments', `search=${tag}&subscription=${S.sA}`, () => [S.pa2, S.pa1]],
  ['payments', `search=txn_${tag}_b1`, () => [S.pb1]],
  ['payments', `search=${tag}&created_from=2024-06-15`, () => [S.pb1, S.pa2]],
  ['payments', `search=${tag}&ordering=amount`, () => [S.pa1, S.pa2, S.pb1]],
  ['notifications', `search=notify-${tag}`, () => [S.nb1, S.na2, S.na1]],
  ['notifications', `search=notify-${tag}&status=failed`, () => [S.na1]],
  ['notifications', `search=notify-${tag}&kind=reminder_24h`, () => [S.na2]],
  ['notifications', `search=notify-${tag}&notification_type=email`, () => [S.nb1, S.na1]],
  ['notifications', `search=notify-${tag}&trainer=${S.B}`, () => [S.nb1]],
  ['notifications', `search=notify-${tag}&ordering=status`, () => [S.na1, S.nb1, S.na2]],
  ['webhook-events', `search=evt_${tag}`, () => [S.w3, S.w2, S.w1]],
  ['webhook-events', `search=evt_${tag}&event_type=transaction.completed`, () => [S.w3, S.w2]],
  ['webhook-events', `search=evt_${tag}&processed=false`, () => [S.w2]],
  ['webhook-events', `search=evt_${tag}&has_error=true`, () => [S.w2]],
  ['webhook-events', `search=sub_${tag}_a`, () => [S.w1]],
  ['webhook-events', `search=evt_${tag}&occurred_to=2024-01-31`, () => [S.w1]],
  ['webhook-events', `search=evt_${tag}&ordering=event_type`, () => [S.w1, S.w2, S.w3]],
];

describe('admin API lists', () => {
  it('answers every model, search, filter and ordering with exactly the expected ids', async () => {
    for (const [model, query, expected] of listCases()) {
      expect(await idsOf(`/api/admin/${model}/?${query}`), `${model}?${query}`).toEqual(expected());
    }
  });

  it('lists the original columns, paginates DRF style, and refuses unknown ordering and bad filters', async () => {
    const clients = await api<Page>('GET', `/api/admin/clients/?search=${tag}&ordering=full_name&page_size=2`, {
      token: S.staffToken,
    });
    expect(clients.body.count).toBe(3);
    expect(clients.body.next).toContain('page=2');
    expect(clients.body.results[0]).toEqual({
      id: S.a2,
      full_name: 'Alex Avery',
      email: `alex-${tag}@example.com`,
      trainer: S.A,
      trainer_name: `Alpha ${tag}`,
      fitness_level: 'advanced',
      is_active: false,
      created_at: '2024-02-10T09:00:00.000Z',
    });
    const payments = await api<Page>('GET', `/api/admin/payments/?search=txn_${tag}_b1`, { token: S.staffToken });
    expect(payments.body.results[0]).toMatchObject({ amount: '29.00', currency: 'EUR', status: 'failed' });

    const bad: [string, string, string][] = [
      [
        'clients/?ordering=password',
        'ordering',
        'Unknown ordering field "password". Allowed: id, full_name, email, trainer, trainer_name, fitness_level, is_active, created_at.',
      ],
      ['clients/?fitness_level=elite', 'fitness_level', 'Choose one of: beginner, intermediate, advanced, athlete.'],
      ['clients/?created_from=yesterday', 'created_from', 'Use YYYY-MM-DD or an ISO 8601 instant.'],
      ['bookings/?trainer=abc', 'trainer', 'Enter a whole number of at least 0.'],
      ['webhook-events/?processed=maybe', 'processed', 'Choose one of: 0, 1, true, false.'],
    ];
    for (const [path, field, message] of bad) {
      const res = await api<ProblemBody>('GET', `/api/admin/${path}`, { token: S.staffToken });
      expect(res.status, path).toBe(400);
      expect(res.body.errors?.[field], JSON.stringify(res.body)).toEqual([message]);
    }
  });

  it('details a record with its related records, never a secret', async () => {
    const trainer = await api<Detail>('GET', `/api/admin/trainers/${S.A}/`, { token: S.staffToken });
    expect(trainer.status).toBe(200);
    expect(trainer.body).toMatchObject({ model: 'trainers', id: S.A, timezone: 'Europe/London' });
    expect(trainer.body.record).toMatchObject({ business_name: `Alpha ${tag}`, auto_confirm: false });
    expect(trainer.body.related.clients).toMatchObject({ count: 2 });
    expect(trainer.body.related.subscription).toMatchObject({ id: S.sA, status: 'active' });
    expect((trainer.body.related.recent_bookings as Page).results.map((r) => r.id)).toEqual([S.k2, S.k1]);
    expect(trainer.body.related.user).toMatchObject({ id: S.aUser, email: `alpha-${tag}@example.com` });

    const booking = await api<Detail>('GET', `/api/admin/bookings/${S.k3}/`, { token: S.staffToken });
    expect(booking.body.related.client).toMatchObject({ id: S.b1, full_name: 'Bea Brown' });
    expect(booking.body.related.trainer).toMatchObject({ id: S.B, business_name: `Beta ${tag}` });
    expect(booking.body.timezone).toBe('America/New_York');

    const user = await api<Detail>('GET', `/api/admin/users/${S.aUser}/`, { token: S.staffToken });
    expect(user.body.record).not.toHaveProperty('password_hash');
    expect(user.body.record).toMatchObject({ is_trainer: true, is_active: true });
    expect(user.body.related.trainer).toMatchObject({ id: S.A });

    // A client user relates to the client records carrying its email.
    const ann = await registerAs(`ann-${tag}@example.com`, { is_client: true });
    const annDetail = await api<Detail>('GET', `/api/admin/users/${ann.userId}/`, { token: S.staffToken });
    expect((annDetail.body.related.client_records as Page).results.map((r) => r.id)).toEqual([S.a1]);

    const cp = await api<Detail>('GET', `/api/admin/client-packages/${S.cp1}/`, { token: S.staffToken });
    expect((cp.body.related.ledger as Page).count).toBe(2);
    expect(cp.body.related.session_package).toMatchObject({ id: S.p1, price: '500.00' });

    expect((await api('GET', '/api/admin/bookings/999999999/', { token: S.staffToken })).status).toBe(404);
  });
});

describe('admin API access', () => {
  it('answers 401 to anonymous callers and 403 to a trainer on every admin route, and documents them', async () => {
    const doc = { body: openapiDocument<{ paths: Record<string, Record<string, { tags: string[] }>> }>() };
    const routes = Object.entries(doc.body.paths).filter(([path]) => path.startsWith('/api/admin/'));
    // A list and a detail per model (17 since calendar connections and dashboard metrics joined,
    // issue 22), PATCH for four of them, one DELETE and one retry.
    expect(routes.flatMap(([, methods]) => Object.keys(methods)).length).toBe(2 * 17 + 4 + 2);
    for (const model of ['users', 'client-notes', 'webhook-events', 'audit-log']) {
      expect(doc.body.paths[`/api/admin/${model}`]?.get?.tags).toEqual(['admin']);
    }
    for (const [path, methods] of routes) {
      for (const method of Object.keys(methods)) {
        const url = `${path.replace('{id}', String(S.k1))}/`;
        const body = method === 'get' || method === 'delete' ? undefined : {};
        const anonymous = await api(method.toUpperCase(), url, { body });
        expect(anonymous.status, `${method} ${url}`).toBe(401);
        const trainer = await api(method.toUpperCase(), url, { body, token: S.aToken });
        expect(trainer.status, `${method} ${url}`).toBe(403);
      }
    }
    expect((await api('GET', '/api/admin/no-such-model/', { token: S.aToken })).status).toBe(403);
  });
});

describe('admin API changes', () => {
  const patch = (model: string, id: number, body: Record<string, unknown>) =>
    api<Detail & ProblemBody>('PATCH', `/api/admin/${model}/${id}/`, { token: S.staffToken, body });

  it('applies each allowed field, with one audit row of before and after', async () => {
    // [model, id, body, the D1 row after]
    const cases: [string, number, Record<string, unknown>, Record<string, unknown>][] = [
      ['users', S.bUser, { first_name: 'Bo', last_name: 'Beta' }, { first_name: 'Bo', last_name: 'Beta' }],
      [
        'trainers',
        S.B,
        { business_name: `Beta Gym ${tag}`, timezone: 'Asia/Tokyo', buffer_minutes: 15, auto_confirm: true },
        { business_name: `Beta Gym ${tag}`, timezone: 'Asia/Tokyo', buffer_minutes: 15, auto_confirm: 1 },
      ],
      [
        'clients',
        S.b1,
        { email: `BEA.B-${tag}@example.com`, first_name: 'Beatrice', phone: '+1 415 555 0123' },
        { email: `bea.b-${tag}@example.com`, first_name: 'Beatrice', phone: '+14155550123' },
      ],
      ['bookings', S.k3, { notes: 'Bring water' }, { notes: 'Bring water' }],
    ];
    for (const [model, id, body, expected] of cases) {
      const before = await api<Detail>('GET', `/api/admin/${model}/${id}/`, { token: S.staffToken });
      const audits = (await auditRows(model, id)).length;
      const res = await patch(model, id, body);
      expect(res.status, `${model} ${JSON.stringify(res.body)}`).toBe(200);
      const table = before.body.model === 'trainers' ? 'trainers' : model;
      expect(await sql(`SELECT * FROM ${table} WHERE id = ?`, id).first()).toMatchObject(expected);
      const after = await auditRows(model, id);
      expect(after.length, model).toBe(audits + 1);
      expect(after.at(-1)).toMatchObject({ staff_user_id: S.staff, action: 'update' });
      expect(JSON.parse(after.at(-1)?.changes ?? '{}')).toEqual(
        Object.fromEntries(
          Object.keys(expected).map((f) => [f, { before: before.body.record[f], after: res.body.record[f] }]),
        ),
      );
      // The same values again change nothing and write nothing.
      expect((await patch(model, id, body)).status).toBe(200);
      expect((await auditRows(model, id)).length).toBe(audits + 1);
    }
  });

  it('ignores disallowed fields and answers 400 naming each invalid one, changing nothing', async () => {
    const res = await patch('users', S.aUser, {
      is_staff: true,
      email: 'owned@example.com',
      password_hash: 'x',
      id: 1,
      first_name: 'Alpha',
    });
    expect(res.status).toBe(200);
    const user = await sql('SELECT email, is_staff, first_name FROM users WHERE id = ?', S.aUser).first();
    expect(user).toEqual({ email: `alpha-${tag}@example.com`, is_staff: 0, first_name: 'Alpha' });
    expect(Object.keys(JSON.parse((await auditRows('users', S.aUser)).at(-1)?.changes ?? '{}'))).toEqual([
      'first_name',
    ]);

    const moved = await patch('bookings', S.k1, { trainer_id: S.B, client_id: S.b1, trainer: S.B, client: S.b1 });
    expect(moved.status).toBe(200);
    expect(await sql('SELECT trainer_id, client_id FROM bookings WHERE id = ?', S.k1).first()).toEqual({
      trainer_id: S.A,
      client_id: S.a1,
    });

    const invalid: [string, number, Record<string, unknown>, string[]][] = [
      [
        'trainers',
        S.A,
        { timezone: 'Mars/Olympus', buffer_minutes: 999, business_name: 'ok' },
        ['timezone', 'buffer_minutes'],
      ],
      ['clients', S.a1, { phone: '12', email: 'nope' }, ['phone', 'email']],
      ['bookings', S.k1, { status: 'pending' }, ['status']],
      ['bookings', S.k1, { start_time: 'tomorrow' }, ['start_time']],
      ['bookings', S.k1, { status: 'confirmed', start_time: at(futureDay(9).date, '10:00') }, ['status']],
      ['users', S.aUser, { is_active: 'no' }, ['is_active']],
    ];
    for (const [model, id, body, fields] of invalid) {
      const audits = (await auditRows(model, id)).length;
      const res = await patch(model, id, body);
      expect(res.status, `${model} ${JSON.stringify(body)}`).toBe(400);
      expect(Object.keys(res.body.errors ?? {}).sort()).toEqual([...fields].sort());
      expect((await auditRows(model, id)).length).toBe(audits);
    }
    expect(await sql('SELECT business_name, timezone FROM trainers WHERE id = ?', S.A).first()).toEqual({
      business_name: `Alpha ${tag}`,
      timezone: 'Europe/London',
    });
    // A taken email (unique per trainer) is a 400 on the field too.
    const taken = await patch('clients', S.a1, { email: `alex-${tag}@example.com` });
    expect(taken.status).toBe(400);
    expect(taken.body.errors?.email).toEqual(['This email is already taken.']);
  });

  it('changes a booking status through the booking rules (409 otherwise), auditing each change', async () => {
    const completeEarly = await patch('bookings', S.k1, { status: 'completed' });
    expect(completeEarly.status).toBe(409);
    expect(completeEarly.body.code).toBe('invalid_transition');
    expect((await auditRows('bookings', S.k1)).filter((r) => r.action !== 'update')).toEqual([]);

    const confirmed = await patch('bookings', S.k1, { status: 'confirmed' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.record.status).toBe('confirmed');
    const cancelled = await patch('bookings', S.k1, { status: 'cancelled', cancellation_reason: 'Client is ill' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.record).toMatchObject({ status: 'cancelled', cancellation_reason: 'Client is ill' });
    // The same rules as the trainer API: the confirmation planned a message, the cancellation cancelled it.
    const messages = await sql('SELECT kind, status FROM notifications WHERE booking_id = ? ORDER BY id', S.k1).all<{
      kind: string;
      status: string;
    }>();
    expect(messages.results.map((m) => m.kind)).toEqual(['booking_confirmed', 'booking_cancelled']);

    const back = await patch('bookings', S.k1, { status: 'confirmed' });
    expect(back.status).toBe(409);
    const actions = (await auditRows('bookings', S.k1)).filter((r) => r.action !== 'update');
    expect(actions.map((r) => [r.action, JSON.parse(r.changes)])).toEqual([
      ['confirm', { status: { before: 'pending', after: 'confirmed' } }],
      [
        'cancel',
        {
          status: { before: 'confirmed', after: 'cancelled' },
          cancellation_reason: { before: '', after: 'Client is ill' },
        },
      ],
    ]);
  });

  it('reschedules a booking through the trainer schedule: an overlap is 409, a free time is audited', async () => {
    const other = await book(S.bToken, {
      client: S.b1,
      start_time: at(futureDay(6).date, '10:00'),
      allow_outside_availability: true,
    });
    expect(other.status).toBe(201);
    const overlap = await patch('bookings', S.k3, {
      start_time: at(futureDay(6).date, '10:30'),
      allow_outside_availability: true,
    });
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('booking_overlap');
    const before = (await sql('SELECT start_time, end_time FROM bookings WHERE id = ?', S.k3).first()) as {
      start_time: string;
      end_time: string;
    };
    const start = at(futureDay(7).date, '15:00');
    const moved = await patch('bookings', S.k3, { start_time: start, allow_outside_availability: true });
    expect(moved.status).toBe(200);
    expect(moved.body.record).toMatchObject({ start_time: start, end_time: at(futureDay(7).date, '16:00') });
    const entry = (await auditRows('bookings', S.k3)).at(-1);
    expect(entry?.action).toBe('reschedule');
    expect(JSON.parse(entry?.changes ?? '{}')).toEqual({
      start_time: { before: before.start_time, after: start },
      end_time: { before: before.end_time, after: at(futureDay(7).date, '16:00') },
    });
  });

  it('deactivating a user revokes its token and its login at once; reactivating lets it log in', async () => {
    const user = await registerAs(uniqueEmail('leaver'), { business_name: 'Leaver' });
    expect((await api('GET', '/api/users/profile/', { token: user.token })).status).toBe(200);
    const res = await patch('users', user.userId, { is_active: false });
    expect(res.status).toBe(200);
    expect(res.body.record.is_active).toBe(false);
    expect((await api('GET', '/api/users/profile/', { token: user.token })).status).toBe(401);
    const sessions = await sql('SELECT count(*) AS n FROM sessions WHERE user_id = ?', user.userId).first();
    expect(sessions).toEqual({ n: 0 });
    const login = await api<ProblemBody>('POST', '/api/users/login/', {
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(401);
    expect(login.body.detail).toBe('Unable to log in with the provided credentials.');
    expect(JSON.parse((await auditRows('users', user.userId)).at(-1)?.changes ?? '{}')).toEqual({
      is_active: { before: true, after: false },
    });
    await patch('users', user.userId, { is_active: true });
    const again = await api('POST', '/api/users/login/', { body: { email: user.email, password: PASSWORD } });
    expect(again.status).toBe(200);
  });

  it('deletes a client note (the only hard delete) and retries a failed notification, both audited', async () => {
    const del = await api('DELETE', `/api/admin/client-notes/${S.n2}/`, { token: S.staffToken });
    expect(del.status).toBe(204);
    expect((await api('GET', `/api/admin/client-notes/${S.n2}/`, { token: S.staffToken })).status).toBe(404);
    const deleted = (await auditRows('client-notes', S.n2)).at(-1);
    expect(deleted?.action).toBe('delete');
    expect(JSON.parse(deleted?.changes ?? '{}').content).toEqual({ before: `second ${tag}`, after: null });
    expect((await api('DELETE', `/api/admin/client-notes/${S.n2}/`, { token: S.staffToken })).status).toBe(404);
    expect((await api('DELETE', `/api/admin/bookings/${S.k2}/`, { token: S.staffToken })).status).toBe(405);

    const retried = await api<Detail>('POST', `/api/admin/notifications/${S.na1}/retry/`, { token: S.staffToken });
    expect(retried.status).toBe(200);
    expect(retried.body.record.status).toBe('pending');
    expect(JSON.parse((await auditRows('notifications', S.na1)).at(-1)?.changes ?? '{}')).toEqual({
      status: { before: 'failed', after: 'pending' },
    });
    const sent = await api<ProblemBody>('POST', `/api/admin/notifications/${S.na2}/retry/`, { token: S.staffToken });
    expect(sent.status).toBe(409);
    expect(await auditRows('notifications', S.na2)).toEqual([]);
  });

  it('lists the audit log by staff user, model, record and date', async () => {
    const mine = await sql(
      "SELECT id FROM admin_audit_log WHERE staff_user_id = ? AND model = 'bookings' AND record_id = ? ORDER BY id DESC",
      S.staff,
      S.k1,
    ).all<{ id: number }>();
    expect(mine.results.length).toBe(2);
    const expected = mine.results.map((r) => r.id);
    expect(await idsOf(`/api/admin/audit-log/?staff_user=${S.staff}&model=bookings&record=${S.k1}`)).toEqual(expected);
    const today = new Date().toISOString().slice(0, 10);
    expect(await idsOf(`/api/admin/audit-log/?model=bookings&record=${S.k1}&at_from=${today}&at_to=${today}`)).toEqual(
      expected,
    );
    expect(await idsOf(`/api/admin/audit-log/?model=bookings&record=${S.k1}&at_to=2020-01-01`)).toEqual([]);
    expect(await idsOf(`/api/admin/audit-log/?search=staff-${tag}&model=client-notes`)).toEqual(
      (await auditRows('client-notes', S.n2)).map((r) => r.id),
    );
    const entry = await api<Detail>('GET', `/api/admin/audit-log/${expected[0]}/`, { token: S.staffToken });
    expect(entry.body.record).toMatchObject({ model: 'bookings', record_id: S.k1, staff_user_id: S.staff });
    expect(entry.body.related.staff_user).toMatchObject({ id: S.staff, email: `staff-${tag}@example.com` });
  });
});

describe('logging in', () => {
  it('refuses an inactive user with the same answer as a wrong password', async () => {
    const user = await registerAs(uniqueEmail('inactive'));
    await sql('UPDATE users SET is_active = 0 WHERE id = ?', user.userId).run();
    const res = await api<ProblemBody>('POST', '/api/users/login/', {
      body: { email: user.email, password: PASSWORD },
    });
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('Unable to log in with the provided credentials.');
    expect((await api('GET', '/api/users/profile/', { token: user.token })).status).toBe(401);
  });
});

describe('the staff and demo scripts', () => {
  it('write password hashes the Worker verifies', async () => {
    const stored = scriptHash('a staff password');
    expect(await verifyPassword('a staff password', stored)).toBe(true);
    expect(await verifyPassword('another password', stored)).toBe(false);
  });
});
