// /api/calendar/connections/: a trainer's calendars whose busy time blocks bookings. The address
// is a secret: checked against the SSRF rules, stored sealed, never shown again (only its hint).
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import type { Bindings } from '../src/lib/config';
import { openText, sha256Hex } from '../src/lib/tokens';
import { registerAs, registerStaff } from './admin-helpers';
import { api, intercept, type ProblemBody, type Reply, registerTrainer, uniqueEmail } from './helpers';

type Connection = {
  id: number;
  provider: string;
  name: string;
  ics_url_hint: string;
  is_active: boolean;
  last_synced_at: string | null;
  last_error: string | null;
  busy_count: number;
  consecutive_failures: number;
  created_at: string;
  updated_at: string;
};
type Answer = Connection & ProblemBody;

const BASE = '/api/calendar/connections/';
const GOOGLE =
  'https://calendar.google.com/calendar/ical/coach%40example.com/private-9f8e7d6c5b4a39281706f5e4d3c2b1a0/basic.ics';

let n = 0;
/** A distinct secret address each call. */
const icsUrl = (host = 'calendar.example.net') => `https://${host}/private/${crypto.randomUUID()}-${n++}/basic.ics`;

const create = (token: string, body: Record<string, unknown>) => api<Answer>('POST', BASE, { token, body });
const patch = (token: string, id: number, body: unknown) => api<Answer>('PATCH', `${BASE}${id}/`, { token, body });

async function connect(token: string, extra: Record<string, unknown> = {}) {
  const res = await create(token, { name: 'Personal', ics_url: icsUrl(), ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const storedRow = (id: number) =>
  env.DB.prepare('SELECT * FROM calendar_connections WHERE id = ?').bind(id).first<{
    url_ciphertext: string;
    url_hash: string;
    url_hint: string;
    etag: string | null;
    last_error: string | null;
  }>();

const scheduleVersion = async (trainerId: number) =>
  (
    await env.DB.prepare('SELECT schedule_version AS v FROM trainers WHERE id = ?')
      .bind(trainerId)
      .first<{ v: number }>()
  )?.v;

const busyRows = async (connectionId: number) =>
  (
    await env.DB.prepare('SELECT count(*) AS n FROM calendar_busy WHERE connection_id = ?')
      .bind(connectionId)
      .first<{ n: number }>()
  )?.n;

/** A sync's outcome, as the sync would leave it: three busy blocks, validators and a count. */
async function seedSynced(trainerId: number, connectionId: number) {
  const insert = env.DB.prepare(
    'INSERT INTO calendar_busy (trainer_id, connection_id, start_time, end_time) VALUES (?, ?, ?, ?)',
  );
  await env.DB.batch([
    insert.bind(trainerId, connectionId, '2030-01-07T09:00:00.000Z', '2030-01-07T10:00:00.000Z'),
    insert.bind(trainerId, connectionId, '2030-01-08T09:00:00.000Z', '2030-01-08T10:00:00.000Z'),
    insert.bind(trainerId, connectionId, '2030-01-09T09:00:00.000Z', '2030-01-09T10:00:00.000Z'),
    env.DB.prepare(
      `UPDATE calendar_connections SET busy_count = 3, etag = '"v1"', last_modified = 'Mon, 06 Jan 2030 09:00:00 GMT',
        last_synced_at = '2030-01-06T09:00:00.000Z', last_error = 'The calendar answered 404.', consecutive_failures = 2
       WHERE id = ?`,
    ).bind(connectionId),
  ]);
}

/** One request through the app with some settings or bindings replaced. */
async function fetchWith(
  overrides: Record<string, unknown>,
  method: string,
  path: string,
  token: string,
  body?: unknown,
) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, ...overrides } as Bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, text: await res.text() };
}

afterEach(() => vi.restoreAllMocks());

/** The sync queue, each message recorded before it goes on. */
function recordingQueue() {
  const sent: unknown[] = [];
  const send: Queue['send'] = (body, options) => {
    sent.push(body);
    return env.CALENDAR_QUEUE.send(body, options);
  };
  return { sent, queue: intercept(env.CALENDAR_QUEUE, { send }) };
}

describe('calendar connections: create, list, retrieve', () => {
  it('creates a connection shown by its hint only; the address is sealed in D1 and opens back to itself', async () => {
    const { token, user } = await registerTrainer();
    const webcal = GOOGLE.replace('https://', 'webcal://');
    const res = await create(token, { name: '  Personal (Google)  ', ics_url: webcal });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      provider: 'ics',
      name: 'Personal (Google)',
      ics_url_hint: 'calendar.google.com …ic.ics',
      is_active: true,
      last_synced_at: null,
      last_error: null,
      busy_count: 0,
      consecutive_failures: 0,
    });
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'busy_count',
        'consecutive_failures',
        'created_at',
        'ics_url_hint',
        'id',
        'is_active',
        'last_error',
        'last_synced_at',
        'name',
        'provider',
        'updated_at',
      ].sort(),
    );
    const secret = 'private-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

    const list = await api<{ count: number; results: Connection[] }>('GET', BASE, { token });
    const one = await api<Connection>('GET', `${BASE}${res.body.id}/`, { token });
    expect(list.body.count).toBe(1);
    // The same connection, up to its sync state: the queue may already have tried the new calendar
    // (the tests have no network, so that try fails).
    const settled = ({ id, provider, name, ics_url_hint, is_active, created_at }: Connection) => ({
      id,
      provider,
      name,
      ics_url_hint,
      is_active,
      created_at,
    });
    expect(settled(list.body.results[0] as Connection)).toEqual(settled(res.body));
    expect(settled(one.body)).toEqual(settled(res.body));
    for (const answer of [res, list, one]) expect(JSON.stringify(answer.body)).not.toContain(secret);

    const row = await storedRow(res.body.id);
    expect(row?.url_ciphertext).not.toContain(secret);
    expect(row?.url_ciphertext).not.toContain('calendar.google.com');
    // webcal:// is stored as the https:// address a sync fetches
    expect(await openText(String(env.JWT_SECRET), 'calendar-url', row?.url_ciphertext ?? '')).toBe(GOOGLE);
    expect(row?.url_hash).toBe(await sha256Hex(GOOGLE));
    expect(user.trainer.id).toBeGreaterThan(0);
  });

  it('sends the new calendar to the sync queue, so its first sync comes within seconds', async () => {
    const { token } = await registerTrainer();
    const { sent, queue } = recordingQueue();
    const res = await fetchWith({ CALENDAR_QUEUE: queue }, 'POST', BASE, token, { name: 'Work', ics_url: icsUrl() });
    expect(res.status).toBe(201);
    const { id } = JSON.parse(res.text) as Connection;
    expect(sent).toEqual([{ connectionId: id }]);

    // an inactive one is not synced; re-activating it and re-pointing it are
    const off = await fetchWith({ CALENDAR_QUEUE: queue }, 'POST', BASE, token, {
      name: 'Off',
      ics_url: icsUrl(),
      is_active: false,
    });
    const offId = (JSON.parse(off.text) as Connection).id;
    expect(sent).toHaveLength(1);
    await fetchWith({ CALENDAR_QUEUE: queue }, 'PATCH', `${BASE}${offId}/`, token, { name: 'Still off' });
    expect(sent).toHaveLength(1);
    await fetchWith({ CALENDAR_QUEUE: queue }, 'PATCH', `${BASE}${offId}/`, token, { is_active: true });
    await fetchWith({ CALENDAR_QUEUE: queue }, 'PATCH', `${BASE}${id}/`, token, { ics_url: icsUrl() });
    expect(sent).toEqual([{ connectionId: id }, { connectionId: offId }, { connectionId: id }]);
  });

  it('a new zone or horizon sends every switched-on calendar to the sync queue; other changes send none', async () => {
    const { token } = await registerTrainer();
    const { sent, queue } = recordingQueue();
    const on = JSON.parse(
      (await fetchWith({ CALENDAR_QUEUE: queue }, 'POST', BASE, token, { name: 'On', ics_url: icsUrl() })).text,
    ) as Connection;
    await fetchWith({ CALENDAR_QUEUE: queue }, 'POST', BASE, token, {
      name: 'Off',
      ics_url: icsUrl(),
      is_active: false,
    });
    sent.length = 0;
    const profile = (body: Record<string, unknown>) =>
      fetchWith({ CALENDAR_QUEUE: queue }, 'PATCH', '/api/users/profile/', token, body);
    expect((await profile({ first_name: 'Ada', booking_horizon_days: 60 })).status).toBe(200); // 60 already
    expect(sent).toEqual([]);
    expect((await profile({ timezone: 'America/New_York' })).status).toBe(200);
    expect(sent).toEqual([{ connectionId: on.id }]);
    expect((await profile({ trainer: { booking_horizon_days: 365 } })).status).toBe(200);
    expect(sent).toEqual([{ connectionId: on.id }, { connectionId: on.id }]);
  });
});

describe('calendar connections: the address rules', () => {
  const LONG = `https://calendar.example.net/${'a'.repeat(2049 - 'https://calendar.example.net/'.length)}`;
  const BAD: [string, string][] = [
    ['loopback', 'https://127.0.0.1/cal.ics'],
    ['private', 'https://10.0.0.1/cal.ics'],
    ['metadata', 'https://169.254.169.254/latest/meta-data/'],
    ['localhost', 'https://localhost/cal.ics'],
    ['localhost with its final dot', 'https://localhost./cal.ics'],
    ['an internal name with its final dot', 'https://metadata.google.internal./computeMetadata/v1/'],
    ['IPv4-compatible IPv6 loopback', 'https://[::127.0.0.1]/cal.ics'],
    ['IPv4-mapped IPv6 metadata', 'https://[::ffff:169.254.169.254]/latest/'],
    ['Teredo IPv6', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/cal.ics'],
    ['file', 'file:///etc/passwd'],
    ['ftp', 'ftp://calendar.example.net/cal.ics'],
    ['plain http outside development', 'http://calendar.example.net/cal.ics'],
    ['credentials', 'https://user:pass@calendar.example.net/cal.ics'],
    ['not an address', 'not a url at all :)'],
    ['2,049 characters', LONG],
  ];

  it.each(BAD)('refuses %s with a 400 naming ics_url, and stores nothing', async (_, url) => {
    const { token } = await registerTrainer();
    const res = await create(token, { name: 'Bad', ics_url: url });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toEqual(['ics_url']);
    expect(res.body.errors?.ics_url?.[0]).toMatch(/^(The calendar address|Enter|Use|Keep)|characters/);
    // the problem never repeats the address
    expect(JSON.stringify(res.body)).not.toContain(url.slice(8, 40));
    const list = await api<{ count: number }>('GET', BASE, { token });
    expect(list.body.count).toBe(0);
  });

  it('names every bad field in one answer: a bad name and a bad address together', async () => {
    const { token } = await registerTrainer();
    const res = await create(token, { name: '', ics_url: 'https://10.0.0.1/cal.ics', is_active: 'yes' });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {}).sort()).toEqual(['ics_url', 'is_active', 'name']);
    expect(res.body.errors?.ics_url?.[0]).toMatch(/public calendar host/);
    const missing = await create(token, {});
    expect(Object.keys(missing.body.errors ?? {}).sort()).toEqual(['ics_url', 'name']);
  });

  it("refuses TrainerHub's own feed (any token), which would count every booking twice", async () => {
    const { token } = await registerTrainer();
    const own = { APP_ORIGIN: 'https://app.trainerhub.example' };
    for (const url of [
      'https://app.trainerhub.example/api/calendar/feed/t1.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG.ics',
      'webcal://APP.trainerhub.example/api/calendar/feed/c7.whatever.ics',
      'https://app.trainerhub.example/api/calendar/%66eed/t1.x.ics',
    ]) {
      const res = await fetchWith(own, 'POST', BASE, token, { name: 'Mine', ics_url: url });
      expect(res.status, url).toBe(400);
      const body = JSON.parse(res.text) as ProblemBody;
      expect(body.errors?.ics_url?.[0]).toMatch(/own calendar feed/);
    }
    // another path of the same host is somebody's calendar like any other
    const other = await fetchWith(own, 'POST', BASE, token, {
      name: 'Fine',
      ics_url: 'https://app.trainerhub.example/exports/team.ics',
    });
    expect(other.status).toBe(201);
  });

  it('accepts plain http:// and a local host in development only', async () => {
    const { token } = await registerTrainer();
    const url = 'http://localhost:9911/fixtures/google.ics';
    const dev = await fetchWith({ ENVIRONMENT: 'development' }, 'POST', BASE, token, { name: 'Local', ics_url: url });
    expect(dev.status).toBe(201);
    expect((JSON.parse(dev.text) as Connection).ics_url_hint).toBe('localhost:9911 …le.ics');
    expect((await create(token, { name: 'Local', ics_url: url.replace('9911', '9912') })).status).toBe(400);
  });

  it('writes no address to the logs (development logs every request)', async () => {
    const { token } = await registerTrainer();
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error'] as const)
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const dev = { ENVIRONMENT: 'development', LOG_REQUESTS: 'true' };
    const made = await fetchWith(dev, 'POST', BASE, token, { name: 'Mine', ics_url: GOOGLE });
    const { id } = JSON.parse(made.text) as Connection;
    await fetchWith(dev, 'POST', BASE, token, { name: 'Again', ics_url: GOOGLE });
    await fetchWith(dev, 'POST', BASE, token, {
      name: '',
      ics_url: `${GOOGLE.replace('calendar.google.com', '10.0.0.1')}`,
    });
    await fetchWith(dev, 'PATCH', `${BASE}${id}/`, token, { ics_url: GOOGLE.replace('basic', 'full') });
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).not.toContain('private-9f8e7d6c5b4a');
  });
});

describe('calendar connections: limits', () => {
  it('refuses the same address twice with 409 connection_exists, however it is spelled, even in parallel', async () => {
    const { token } = await registerTrainer();
    await connect(token, { ics_url: GOOGLE });
    for (const again of [
      GOOGLE,
      GOOGLE.replace('https://', 'webcal://'),
      GOOGLE.replace('calendar.google', 'CALENDAR.Google'),
    ]) {
      const res = await create(token, { name: 'Again', ics_url: again });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('connection_exists');
    }
    // another trainer may subscribe to the same address
    const other = await registerTrainer();
    await connect(other.token, { ics_url: GOOGLE });

    const racer = await registerTrainer();
    const url = icsUrl();
    const results = await Promise.all([1, 2, 3].map(() => create(racer.token, { name: 'Race', ics_url: url })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('refuses an 11th calendar with 409 too_many_connections, even in parallel', async () => {
    const { token } = await registerTrainer();
    for (let i = 0; i < 8; i++) await connect(token);
    const results = await Promise.all([1, 2, 3].map(() => create(token, { name: 'More', ics_url: icsUrl() })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409]);
    const over = await create(token, { name: 'Eleventh', ics_url: icsUrl() });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('too_many_connections');
    expect((await api<{ count: number }>('GET', BASE, { token })).body.count).toBe(10);
  });
});

describe('calendar connections: changes and busy time', () => {
  it('re-points a connection: re-checked, re-sealed, its old busy time and sync state dropped, the version raised', async () => {
    const { token, user } = await registerTrainer();
    const conn = await connect(token);
    await seedSynced(user.trainer.id, conn.id);
    const before = await scheduleVersion(user.trainer.id);

    const bad = await patch(token, conn.id, { ics_url: 'https://169.254.169.254/x', name: '' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(['ics_url', 'name']);
    expect(await busyRows(conn.id)).toBe(3);

    const next = icsUrl('outlook.office365.com');
    const res = await patch(token, conn.id, { ics_url: next });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ics_url_hint: `outlook.office365.com …${next.slice(-6)}`,
      busy_count: 0,
      last_error: null,
      last_synced_at: null,
      consecutive_failures: 0,
    });
    expect(JSON.stringify(res.body)).not.toContain(next.slice(8));
    const row = await storedRow(conn.id);
    expect(row?.etag).toBeNull();
    expect(await openText(String(env.JWT_SECRET), 'calendar-url', row?.url_ciphertext ?? '')).toBe(next);
    expect(await busyRows(conn.id)).toBe(0);
    expect(await scheduleVersion(user.trainer.id)).toBe((before ?? 0) + 1);
  });

  it('refuses to re-point a connection at an address another of the trainer’s connections has (409, nothing changed)', async () => {
    const { token, user } = await registerTrainer();
    const a = await connect(token, { ics_url: GOOGLE });
    const b = await connect(token);
    await seedSynced(user.trainer.id, b.id);
    const before = await scheduleVersion(user.trainer.id);
    const res = await patch(token, b.id, { ics_url: GOOGLE.replace('https://', 'webcal://') });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('connection_exists');
    expect(await busyRows(b.id)).toBe(3);
    expect(await scheduleVersion(user.trainer.id)).toBe(before);
    // its own address again is no change at all: the busy time stays
    const same = await patch(token, a.id, { ics_url: GOOGLE });
    expect(same.status).toBe(200);
  });

  it('turning a calendar off drops its busy time at once and raises the version; turning it on leaves it to the sync', async () => {
    const { token, user } = await registerTrainer();
    const conn = await connect(token);
    const kept = await connect(token);
    await seedSynced(user.trainer.id, conn.id);
    await seedSynced(user.trainer.id, kept.id);
    const before = (await scheduleVersion(user.trainer.id)) ?? 0;

    const off = await patch(token, conn.id, { is_active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ is_active: false, busy_count: 0 });
    expect(await busyRows(conn.id)).toBe(0);
    expect(await busyRows(kept.id)).toBe(3);
    expect(await scheduleVersion(user.trainer.id)).toBe(before + 1);

    // the validators went with the rows: the sync after turning it on fetches the whole calendar
    // (a 304 would otherwise keep a calendar with no busy time)
    const state = await env.DB.prepare(
      'SELECT etag, last_modified, last_synced_at, expanded_for FROM calendar_connections WHERE id = ?',
    )
      .bind(conn.id)
      .first();
    expect(state).toEqual({ etag: null, last_modified: null, last_synced_at: null, expanded_for: null });

    const on = await patch(token, conn.id, { is_active: true });
    expect(on.body).toMatchObject({ is_active: true, busy_count: 0 });
    expect(await scheduleVersion(user.trainer.id)).toBe(before + 1);
  });

  it('renames; an empty body changes nothing, and unknown fields are refused by name', async () => {
    const { token } = await registerTrainer();
    const conn = await connect(token);
    const renamed = await patch(token, conn.id, { name: ' Work ' });
    expect(renamed.body.name).toBe('Work');
    const empty = await patch(token, conn.id, {});
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual(renamed.body);
    const unknown = await patch(token, conn.id, { name: 'Gym', provider: 'google', url_hash: 'x', busy_count: 5 });
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.body.errors ?? {}).sort()).toEqual(['busy_count', 'provider', 'url_hash']);
    expect((await api('GET', `${BASE}${conn.id}/`, { token })).body).toEqual(renamed.body);
    const long = await patch(token, conn.id, { name: 'x'.repeat(101) });
    expect(long.status).toBe(400);
    expect(Object.keys(long.body.errors ?? {})).toEqual(['name']);
  });

  it('deletes a connection with its busy time and raises the version', async () => {
    const { token, user } = await registerTrainer();
    const conn = await connect(token);
    await seedSynced(user.trainer.id, conn.id);
    const before = (await scheduleVersion(user.trainer.id)) ?? 0;
    const res = await api('DELETE', `${BASE}${conn.id}/`, { token });
    expect(res.status).toBe(204);
    expect(await busyRows(conn.id)).toBe(0);
    expect(await scheduleVersion(user.trainer.id)).toBe(before + 1);
    expect((await api('GET', `${BASE}${conn.id}/`, { token })).status).toBe(404);
    expect((await api('DELETE', `${BASE}${conn.id}/`, { token })).status).toBe(404);
    expect(await scheduleVersion(user.trainer.id)).toBe(before + 1);
  });
});

describe('calendar connections: who may see them', () => {
  it("shows and changes only the owner's connections: another trainer gets 404", async () => {
    const owner = await registerTrainer();
    const conn = await connect(owner.token);
    await seedSynced(owner.user.trainer.id, conn.id);
    const other = await registerTrainer();
    await connect(other.token);

    const tries: Reply<Answer>[] = [
      await api<Answer>('GET', `${BASE}${conn.id}/`, { token: other.token }),
      await patch(other.token, conn.id, { is_active: false }),
      await patch(other.token, conn.id, { ics_url: icsUrl() }),
      await api<Answer>('DELETE', `${BASE}${conn.id}/`, { token: other.token }),
    ];
    for (const t of tries) expect(t.status).toBe(404);
    const list = await api<{ count: number; results: Connection[] }>('GET', BASE, { token: other.token });
    expect(list.body.count).toBe(1);
    expect(list.body.results.map((r) => r.id)).not.toContain(conn.id);
    expect(await busyRows(conn.id)).toBe(3);
    expect((await api<Connection>('GET', `${BASE}${conn.id}/`, { token: owner.token })).body.is_active).toBe(true);
  });

  it('answers 403 to client and staff users, 401 without a token', async () => {
    const client = await registerAs(uniqueEmail('client'), { is_client: true, first_name: 'C', last_name: 'L' });
    const staff = await registerStaff(uniqueEmail('staff'));
    for (const token of [client.token, staff.token]) {
      expect((await api('GET', BASE, { token })).status).toBe(403);
      expect((await create(token, { name: 'x', ics_url: icsUrl() })).status).toBe(403);
    }
    expect((await api('GET', BASE)).status).toBe(401);
  });
});
