// Crash safety: a burst of booking creates, credit uses and public bookings against a `wrangler dev`
// of this file's own, whose whole process group is SIGKILLed mid-burst and restarted on the same
// persisted state. Afterwards nothing is half-written, no credit is lost or made up, no two active
// bookings overlap, a retry with the same Idempotency-Key never books twice nor spends a credit
// twice (a use_session that committed before the kill replays its 200 with the balance its own
// decrement left), and every message left in the outbox is sent exactly once after the next cron tick.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAt, type Reply, until } from './client';
import { type DevServer, migrate, startDev, WRANGLER } from './server';

const PASSWORD = 'a-long-password-1';
const HOUR = 3_600_000;
const PACK_SIZE = 10;
const WAVE = 80;

type Kind = 'create' | 'public' | 'use_session';
interface Req {
  kind: Kind;
  path: string;
  body?: Record<string, unknown>;
  headers: Record<string, string>;
  key?: string;
}
/** What the client saw: an answer, or nothing (the connection died with the server). */
type Seen = { status: number; body: Record<string, unknown>; replayed: boolean } | 'lost';

let state = '';
let server: DevServer | undefined;

beforeAll(() => {
  state = mkdtempSync(join(tmpdir(), 'trainerhub-crash-'));
  migrate(state);
});
afterAll(async () => {
  await server?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

/** The rows of each statement, read from the persisted D1 in one `wrangler d1 execute` (server stopped). */
function d1(queries: string[]): Record<string, unknown>[][] {
  const run = spawnSync(
    process.execPath,
    [...WRANGLER, 'd1', 'execute', 'DB', '--local', '--persist-to', state, '--json', '--command', queries.join(';\n')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (run.status !== 0) throw new Error(`d1 execute failed:\n${run.stdout}\n${run.stderr}`);
  return (JSON.parse(run.stdout) as { results: Record<string, unknown>[] }[]).map((r) => r.results);
}

/** Everything the checks read, in one go. */
function readState(trainerId: number, pkgIds: number[], tag: string) {
  const pkgs = pkgIds.join(',');
  const [
    bookings,
    publicOnes,
    halfWritten,
    dangling,
    packages,
    overdrawn,
    uses,
    overlaps,
    notifications,
    keys,
    useKeys,
    ledgerRows,
  ] = d1([
    `SELECT id, client_id, start_time FROM bookings WHERE trainer_id = ${trainerId}`,
    `SELECT b.id, b.created_at, c.email FROM bookings b JOIN clients c ON c.id = b.client_id
       WHERE b.trainer_id = ${trainerId} AND c.email LIKE 'visitor-%'`,
    // A public booking without its manage link or either message (the trainer's, the client's).
    `SELECT b.id FROM bookings b JOIN clients c ON c.id = b.client_id
       WHERE b.trainer_id = ${trainerId} AND c.email LIKE 'visitor-%'
         AND ((SELECT count(*) FROM booking_links l WHERE l.booking_id = b.id) <> 1
           OR NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id AND n.kind = 'booking_requested')
           OR NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id AND n.kind = 'booking_request_received'))`,
    // An idempotency record that names no booking.
    `SELECT key FROM idempotency_keys k WHERE (k.key LIKE 'create-${tag}-%' OR k.key LIKE 'public-${tag}-%')
       AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = k.resource_id)`,
    `SELECT p.id, p.sessions_total AS total, p.sessions_remaining AS remaining,
       (SELECT COALESCE(-sum(delta), 0) FROM package_ledger l WHERE l.client_package_id = p.id) AS used
     FROM client_packages p WHERE p.id IN (${pkgs})`,
    `SELECT p.id FROM client_packages p WHERE p.id IN (${pkgs})
       AND p.sessions_remaining < (SELECT count(*) FROM bookings b WHERE b.client_package_id = p.id
         AND b.status IN ('pending', 'confirmed'))`,
    `SELECT count(*) AS n FROM package_ledger WHERE reason = 'use_session' AND client_package_id IN (${pkgs})`,
    `SELECT x.id AS a, y.id AS b FROM bookings x JOIN bookings y ON x.trainer_id = y.trainer_id AND x.id < y.id
     WHERE x.trainer_id = ${trainerId} AND x.status IN ('pending', 'confirmed') AND y.status IN ('pending', 'confirmed')
       AND x.start_time < y.end_time AND y.start_time < x.end_time`,
    `SELECT id, status, recipient, subject, attempts FROM notifications WHERE trainer_id = ${trainerId}`,
    `SELECT key, resource_id FROM idempotency_keys WHERE key LIKE 'create-${tag}-%' OR key LIKE 'public-${tag}-%'`,
    // A use_session key names the ledger row its decrement wrote.
    `SELECT key, resource_id, created_at FROM idempotency_keys WHERE key LIKE 'use-${tag}-%'`,
    `SELECT id, client_package_id AS pkg, delta, reason, balance_after FROM package_ledger
       WHERE client_package_id IN (${pkgs}) ORDER BY id`,
  ]);
  return {
    bookings: bookings as { id: number; client_id: number; start_time: string }[],
    publicOnes: publicOnes as { id: number; created_at: string; email: string }[],
    halfWritten,
    dangling,
    packages: packages as { id: number; total: number; remaining: number; used: number }[],
    overdrawn,
    useSessionRows: Number(uses?.[0]?.n ?? 0),
    overlaps,
    notifications: notifications as {
      id: number;
      status: string;
      recipient: string;
      subject: string;
      attempts: number;
    }[],
    /** The booking each Idempotency-Key of this run created. */
    keys: new Map((keys as { key: string; resource_id: number }[]).map((k) => [k.key, k.resource_id])),
    /** The ledger row and the time of each use_session key of this run. */
    useKeys: new Map(
      (useKeys as { key: string; resource_id: number; created_at: string }[]).map((k) => [
        k.key,
        { row: k.resource_id, at: k.created_at },
      ]),
    ),
    ledger: ledgerRows as { id: number; pkg: number; delta: number; reason: string; balance_after: number | null }[],
  };
}
type State = ReturnType<typeof readState>;

const seen = (r: Reply<Record<string, unknown>>): Seen => ({
  status: r.status,
  body: r.body,
  replayed: r.headers.get('Idempotency-Replayed') === 'true',
});

async function send(base: string, token: string, req: Req): Promise<Seen> {
  try {
    return seen(await callAt(base, 'POST', req.path, { token, body: req.body, headers: req.headers }));
  } catch {
    return 'lost';
  }
}

/** A trainer open all day (UTC, one-hour sessions, no buffer), its clients and a ten-session pack each. */
async function setUp(base: string, tag: string) {
  const email = `crash-${tag}@example.com`;
  const reg = await callAt<{ token: string; user: { id: number; trainer: { id: number; slug: string } } }>(
    base,
    'POST',
    '/api/users/register/',
    { body: { email, password: PASSWORD, password_confirm: PASSWORD, business_name: `Crash ${tag}`, timezone: 'UTC' } },
  );
  expect(reg.status).toBe(201);
  const { token, user } = reg.body;
  const settings = {
    session_duration_minutes: 60,
    buffer_minutes: 0,
    min_notice_minutes: 60,
    booking_horizon_days: 60,
  };
  expect((await callAt(base, 'PATCH', '/api/users/profile/', { token, body: settings })).status).toBe(200);
  for (let day = 0; day < 7; day++) {
    const body = { day_of_week: day, start_time: '00:00', end_time: '24:00' };
    expect((await callAt(base, 'POST', '/api/availability-slots/', { token, body })).status).toBe(201);
  }
  const pack = await callAt<{ id: number }>(base, 'POST', '/api/packages/', {
    token,
    body: { name: 'Ten', sessions_count: PACK_SIZE, price: '400' },
  });
  expect(pack.status).toBe(201);
  const clients: { id: number; pkg: number }[] = [];
  for (let i = 0; i < 10; i++) {
    const client = await callAt<{ id: number }>(base, 'POST', '/api/clients/', {
      token,
      body: { email: `member-${i}-${tag}@example.com`, first_name: 'Member', last_name: String(i) },
    });
    expect(client.status).toBe(201);
    const assigned = await callAt<{ id: number }>(base, 'POST', `/api/packages/${pack.body.id}/assign_to_client/`, {
      token,
      body: { client_id: client.body.id },
    });
    expect(assigned.status).toBe(201);
    clients.push({ id: client.body.id, pkg: assigned.body.id });
  }
  return { token, userId: user.id, trainerId: user.trainer.id, slug: user.trainer.slug, clients };
}

/** Hourly starts from `fromDay` days ahead, 100 of them: contended (two requests) for the first 50. */
const slotsFrom = (fromDay: number) => {
  const day0 = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  return Array.from({ length: 100 }, (_, i) =>
    new Date(day0 + (fromDay + Math.floor(i / 20)) * 24 * HOUR + (2 + (i % 20)) * HOUR).toISOString(),
  );
};

function burstOf(t: Awaited<ReturnType<typeof setUp>>, tag: string): Req[] {
  const trainerSlots = slotsFrom(2);
  const publicSlots = slotsFrom(8);
  const reqs: Req[] = [];
  for (let j = 0; j < 150; j++) {
    const c = t.clients[j % 10] as { id: number; pkg: number };
    const key = `create-${tag}-${j}`;
    const body = { client: c.id, start_time: trainerSlots[j % 100], client_package: j % 2 ? c.pkg : null };
    reqs.push({ kind: 'create', path: '/api/bookings/', body, headers: { 'Idempotency-Key': key }, key });
  }
  for (let j = 0; j < 100; j++) {
    const key = `public-${tag}-${j}`;
    const body = {
      first_name: 'Vera',
      last_name: `Visitor ${j}`,
      email: `visitor-${j}-${tag}@example.com`,
      start_time: publicSlots[j % 70],
    };
    const ip = `198.51.${Math.floor(j / 250)}.${(j % 250) + 1}`;
    const headers = { 'Idempotency-Key': key, 'CF-Connecting-IP': ip };
    reqs.push({ kind: 'public', path: `/api/public/trainers/${t.slug}/bookings/`, body, headers, key });
  }
  for (let j = 0; j < 80; j++) {
    const pkg = (t.clients[j % 10] as { pkg: number }).pkg;
    const key = `use-${tag}-${j}`;
    const path = `/api/client-packages/${pkg}/use_session/`;
    reqs.push({ kind: 'use_session', path, headers: { 'Idempotency-Key': key }, key });
  }
  // A fixed shuffle, so every wave mixes the three kinds: 101 is prime to the 330 requests, so
  // i·101 mod 330 is a permutation (7919 ≡ −1 mod 330 only reversed the list, which kept every
  // credit use in the first wave, answered long before the kill).
  return reqs
    .map((r, i) => ({ r, k: (i * 101) % reqs.length }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.r);
}

const pkgOf = (req: Req) => Number(/client-packages\/(\d+)\//.exec(req.path)?.[1]);

/**
 * The credit uses: every key's answers against its ledger row. A first answer (or a retry decided
 * fresh) of 200 reports the balance its own row recorded and is never marked replayed; a retry of
 * a use that committed before the kill replays that 200; a 409 left no key and no row behind. One
 * ledger row per key that got a 200, and per package the balances step down to sessions_remaining.
 */
function checkUses(db: State, answers: Map<Req, Seen>, retried: Map<Req, [Seen, Seen]>, restartedAt: string) {
  const outcomes = { replayed: 0, fresh: 0, refused: 0 };
  const ledgerById = new Map(db.ledger.map((l) => [l.id, l]));
  const spentPerPkg = new Map<number, number>();
  const balanceOf = (key: string) => {
    const rec = db.useKeys.get(key);
    const row = rec && ledgerById.get(rec.row);
    expect(row?.reason, `${key}: its ledger row`).toBe('use_session');
    return row?.balance_after;
  };
  for (const [req, first] of answers) {
    if (req.kind !== 'use_session') continue;
    const key = req.key ?? '';
    const pair = retried.get(req);
    let final: Seen = first;
    if (first === 'lost') {
      expect(pair, `${key} lost and never retried`).toBeDefined();
      const [once, twice] = pair ?? ['lost', 'lost'];
      expect(once, `${key} retried`).not.toBe('lost');
      expect(twice, `${key} retried twice`).not.toBe('lost');
      if (once === 'lost' || twice === 'lost') continue;
      expect([200, 409]).toContain(once.status);
      expect(twice.status, `${key}: the second retry answers as the first`).toBe(once.status);
      const rec = db.useKeys.get(key);
      if (rec && rec.at < restartedAt) {
        // Committed before the kill: both retries replay it, with the balance its own row recorded.
        expect(once.status, `${key} committed, yet refused on retry`).toBe(200);
        expect(once.replayed && twice.replayed, `${key}: retries marked replayed`).toBe(true);
        outcomes.replayed++;
      } else if (once.status === 200) {
        expect(once.replayed, `${key}: never committed, so decided fresh`).toBe(false);
        expect(twice.replayed, `${key}: the second retry replays the first`).toBe(true);
        outcomes.fresh++;
      } else {
        outcomes.refused++;
      }
      if (twice.status === 200) {
        expect(twice.body.sessions_remaining, `${key}: replayed balance`).toBe(once.body.sessions_remaining);
        expect(twice.body.id).toBe(once.body.id);
      }
      final = once;
    } else {
      expect([200, 409]).toContain(first.status);
      if (first.status === 200) expect(first.replayed, `${key}: a first answer is no replay`).toBe(false);
    }
    if (final === 'lost') continue;
    if (final.status === 200) {
      expect(final.body.id).toBe(pkgOf(req));
      expect(final.body.sessions_remaining, `${key}: the balance its own decrement left`).toBe(balanceOf(key));
      spentPerPkg.set(pkgOf(req), (spentPerPkg.get(pkgOf(req)) ?? 0) + 1);
    } else {
      expect(final.body.code, `${key} refused`).toBe('package_exhausted');
      expect(db.useKeys.has(key), `${key} refused, yet its key is recorded`).toBe(false);
    }
  }
  // Never two rows for one key: each package's use_session rows are exactly its 200s (fresh or replayed).
  const ledgerUses = new Map<number, number>();
  for (const l of db.ledger) if (l.reason === 'use_session') ledgerUses.set(l.pkg, (ledgerUses.get(l.pkg) ?? 0) + 1);
  expect(Object.fromEntries(ledgerUses)).toEqual(Object.fromEntries(spentPerPkg));
  expect(new Set([...db.useKeys.values()].map((k) => k.row)).size).toBe(db.useKeys.size);
  // Each package's balance: total minus its ledger, each row one step below the one before, the last one the balance.
  for (const p of db.packages) {
    const rows = db.ledger.filter(
      (l) => l.pkg === p.id && ['use_session', 'booking_completed', 'late_cancellation'].includes(l.reason),
    );
    expect(p.remaining, `package ${p.id}`).toBe(p.total + rows.reduce((sum, l) => sum + l.delta, 0));
    const balances = rows.map((l) => l.balance_after);
    balances.forEach((b, i) => {
      expect(b, `package ${p.id}: balance_after of ledger row ${rows[i]?.id}`).not.toBeNull();
      if (i > 0)
        expect(b ?? 0, `package ${p.id}: balances strictly decreasing ${balances}`).toBeLessThan(balances[i - 1] ?? 0);
    });
    expect(balances.at(-1) ?? p.total, `package ${p.id}: the last balance_after`).toBe(p.remaining);
  }
  return outcomes;
}

/** How often the log provider sent each (recipient, subject), over both servers' output. */
function providerLines(): Map<string, number> {
  const sends = new Map<string, number>();
  for (const file of ['first.log', 'second.log']) {
    for (const line of readFileSync(join(state, file), 'utf8').split('\n')) {
      if (!line.includes('"notification (log provider)"')) continue;
      const json = /\{.*\}/.exec(line)?.[0];
      if (!json) continue;
      const msg = JSON.parse(json) as { to: string; subject: string };
      const key = `${msg.to}\n${msg.subject}`;
      sends.set(key, (sends.get(key) ?? 0) + 1);
    }
  }
  return sends;
}

describe('a server killed mid-burst', () => {
  it('restarts consistent: no half-written booking, balances equal the ledger, no overlap, safe retries, outbox sent once', {
    timeout: 120_000,
  }, async () => {
    const began = Date.now();
    const phases: Record<string, number> = {};
    const lap = (name: string) => {
      phases[name] = Math.round((Date.now() - began) / 100) / 10;
    };
    const tag = Date.now().toString(36);
    server = await startDev(state, join(state, 'first.log'));
    const first = server;
    lap('started');
    const t = await setUp(first.baseUrl, tag);
    const reqs = burstOf(t, tag);
    lap('setUp');

    // Parallel waves; at the 20th answer of the third wave, while the rest of it is in flight,
    // the whole process group gets SIGKILL.
    const answers = new Map<Req, Seen>();
    const killAfter = 2 * WAVE + 20;
    let answered = 0;
    let killed = false;
    for (let w = 0; w < reqs.length && !killed; w += WAVE) {
      await Promise.all(
        reqs.slice(w, w + WAVE).map(async (req) => {
          const a = await send(first.baseUrl, t.token, req);
          answers.set(req, a);
          if (a !== 'lost' && ++answered >= killAfter && !killed) {
            killed = true;
            first.signal('SIGKILL');
          }
        }),
      );
    }
    expect(killed).toBe(true);
    lap('burst');
    await until(
      async () => first.child.exitCode !== null || first.child.signalCode !== null,
      (gone) => gone,
      10_000,
    );
    const lost = [...answers].filter(([, a]) => a === 'lost').map(([r]) => r);
    const unsent = reqs.filter((r) => !answers.has(r));

    const restartedAt = new Date().toISOString();
    server = await startDev(state, join(state, 'second.log'));
    const base = server.baseUrl;
    lap('restarted');
    const pendingCount = async () =>
      (await callAt<{ count: number }>(base, 'GET', '/api/notifications/?status=pending', { token: t.token })).body
        .count;
    const pendingAtRestart = await pendingCount();
    // Every create and credit use whose answer was lost is retried with the same key and body,
    // twice, while the rest of the burst goes on against the restarted server.
    const retried = new Map<Req, [Seen, Seen]>();
    const retries = lost.filter((r) => r.key);
    const rest = async () => {
      for (let w = 0; w < unsent.length; w += WAVE) {
        await Promise.all(unsent.slice(w, w + WAVE).map(async (r) => answers.set(r, await send(base, t.token, r))));
      }
    };
    await Promise.all([
      rest(),
      ...retries.map(async (r) => {
        const once = await send(base, t.token, r);
        retried.set(r, [once, await send(base, t.token, r)]);
      }),
    ]);
    expect(unsent.filter((r) => answers.get(r) === 'lost')).toEqual([]);
    lap('retried');
    const pendingBeforeTick = await pendingCount();

    // The next 5-minute tick, pinned 6 minutes ahead: rows whose queue message died with the first
    // server are 5 minutes untouched by then, so the sweep re-queues them.
    const tick = await fetch(`${base}/cdn-cgi/local/scheduled?cron=*/5+*+*+*+*&time=${Date.now() + 6 * 60_000}`);
    expect(tick.status).toBe(200);
    const pendingLeft = await until(pendingCount, (n) => n === 0, 20_000);
    expect(pendingLeft).toBe(0);
    lap('delivered');
    await server.stop();
    server = undefined;

    const db = readState(
      t.trainerId,
      t.clients.map((c) => c.pkg),
      tag,
    );
    lap('read');

    // What the clients saw on retry.
    const outcomes = { replayed: 0, fresh: 0, refused: 0 };
    for (const [req, [once, twice]] of retried) {
      if (req.kind === 'use_session') continue;
      expect(once, `${req.key} retried`).not.toBe('lost');
      if (once === 'lost' || twice === 'lost') continue;
      expect([201, 409]).toContain(once.status);
      // The second retry answers exactly as the first did.
      expect(twice.status).toBe(once.status);
      if (once.status === 409) {
        // Refused only if the first attempt never committed: no booking was ever made under the key.
        expect(db.keys.has(req.key ?? ''), `${req.key} booked, yet refused on retry`).toBe(false);
        outcomes.refused++;
        expect(['booking_overlap', 'package_exhausted']).toContain(once.body.code);
        continue;
      }
      expect(twice.body).toEqual(once.body);
      expect(db.keys.has(req.key ?? '')).toBe(true);
      if (req.kind === 'create') {
        expect(db.keys.get(req.key ?? '')).toBe(once.body.id);
        expect(twice.replayed).toBe(true);
        const same = db.bookings.filter(
          (b) => b.client_id === req.body?.client && b.start_time === req.body?.start_time,
        );
        expect(same.map((b) => b.id)).toEqual([once.body.id]);
        if (once.replayed) outcomes.replayed++;
        else outcomes.fresh++;
      } else {
        const mine = db.publicOnes.filter((b) => b.email === req.body?.email);
        expect(mine).toHaveLength(1);
        expect(db.keys.get(req.key ?? '')).toBe(mine[0]?.id);
        if ((mine[0]?.created_at ?? '') < restartedAt) outcomes.replayed++;
        else outcomes.fresh++;
      }
    }

    expect(db.halfWritten).toEqual([]);
    expect(db.dangling).toEqual([]);
    // Each package: total minus its ledger, and never fewer credits than its active bookings hold.
    expect(db.packages).toHaveLength(10);
    for (const p of db.packages) expect(p.remaining, `package ${p.id}`).toBe(p.total - p.used);
    expect(db.overdrawn).toEqual([]);
    // The credit uses the clients saw succeed are all in the ledger.
    const usesSeen = [...answers].filter(([r, a]) => r.kind === 'use_session' && a !== 'lost' && a.status === 200);
    expect(db.useSessionRows).toBeGreaterThanOrEqual(usesSeen.length);
    const useOutcomes = checkUses(db, answers, retried, restartedAt);
    expect(db.overlaps).toEqual([]);

    // Every message sent, each once: one provider line per sent row, across both servers' output.
    expect(db.notifications.filter((n) => n.status !== 'sent')).toEqual([]);
    const sends = providerLines();
    const twiceSent = db.notifications.filter((n) => (sends.get(`${n.recipient}\n${n.subject}`) ?? 0) > 1);
    expect(twiceSent).toEqual([]);

    console.log(
      JSON.stringify({
        requests: reqs.length,
        answeredBeforeKill: answered,
        lostInFlight: lost.length,
        sentAfterRestart: unsent.length,
        pendingAtRestart,
        pendingBeforeTick,
        retriedCreates: retries.filter((r) => r.kind !== 'use_session').length,
        retryOutcomes: outcomes,
        retriedUses: retries.filter((r) => r.kind === 'use_session').length,
        useRetryOutcomes: useOutcomes,
        usesGranted: db.useSessionRows,
        bookings: db.bookings.length,
        notificationsSent: db.notifications.length,
        reDelivered: db.notifications.filter((n) => n.attempts > 1).length,
        phases,
      }),
    );
  });
});
