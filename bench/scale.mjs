// Reads as one trainer's history grows, and one trainer among many: `wrangler dev` on this machine.
// Usage: node bench/scale.mjs        (SCALE_SIZES=1000,10000,100000 SCALE_CROWD=10000 SCALE_N=100)
// Seeds straight into the local D1 (generated SQL: recursive CTEs, so 2,000,000 rows are a few
// statements), measures every hot read one request at a time (p50/p95 ms), prints Markdown
// tables and writes bench/scale-results.json. Never part of npm test.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { djangoHash, execSql, login, measure, root, serve } from './lib.mjs';

const SIZES = (process.env.SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number);
const CROWD = Number(process.env.SCALE_CROWD ?? 10_000);
const PER_TRAINER = 200;
const N = Number(process.env.SCALE_N ?? 100);
const PASSWORD = 'bench-password-1';
const HOUR = 3600;
const DAY = 86_400;
const nowS = Math.floor(Date.now() / 1000);
const todayS = nowS - (nowS % DAY);
// Booking i of a trainer starts `anchor - i * step`: the newest 30 days ahead, the rest back in time.
const ANCHOR = todayS + 30 * DAY + 20 * HOUR;
const isoAt = (s) => new Date(s * 1000).toISOString();
const date = (s) => isoAt(s).slice(0, 10);
const ts = (expr) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${expr}, 'unixepoch')`;

// ---- seed ------------------------------------------------------------------------------------

/** Users, trainers (UTC, bookable from now), `clients` clients each, weekly windows 06–22. */
function people(fromT, toT, clientsEach, hash) {
  const seq = `WITH RECURSIVE t(n) AS (SELECT ${fromT} UNION ALL SELECT n + 1 FROM t WHERE n < ${toT})`;
  return [
    `INSERT INTO users (id, email, password_hash, is_trainer) ${seq}
      SELECT n, 'bench' || n || '@example.com', '${hash}', 1 FROM t;`,
    `INSERT INTO trainers (id, user_id, business_name, slug, timezone, min_notice_minutes) ${seq}
      SELECT n, n, 'Bench ' || n, 'bench-' || n, 'UTC', 0 FROM t;`,
    `INSERT INTO clients (id, trainer_id, email, first_name, last_name, fitness_level, created_at) ${seq},
      k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < ${clientsEach})
      SELECT (n - 1) * ${clientsEach} + j + 1, n, 'c' || j || '@t' || n || '.example.com', 'Client' || (j % 37),
        'Member' || j, CASE j % 3 WHEN 0 THEN 'beginner' WHEN 1 THEN 'intermediate' ELSE 'advanced' END,
        ${ts(`${ANCHOR} - 40 * ${DAY} - j * ${DAY}`)} FROM t, k;`,
    `INSERT INTO availability_slots (trainer_id, day_of_week, start_time, end_time) ${seq},
      d(w) AS (SELECT 0 UNION ALL SELECT w + 1 FROM d WHERE w < 6)
      SELECT n, w, '06:00:00', '22:00:00' FROM t, d;`,
  ];
}

/**
 * Bookings [from, to) of trainers fromT..toT, `step` seconds apart, 45 minutes each, and one
 * sent notification per booking. Past ones are mostly completed (every 10th cancelled, every
 * 10th no-show), future ones confirmed or pending.
 */
function history(fromT, toT, from, to, step, clientsEach) {
  const start = `(${ANCHOR} - i * ${step})`;
  return [
    `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, occupied_start, occupied_end, status,
        cancelled_at, source, created_at, updated_at)
      WITH RECURSIVE t(n) AS (SELECT ${fromT} UNION ALL SELECT n + 1 FROM t WHERE n < ${toT}),
      b(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM b WHERE i + 1 < ${to})
      SELECT n, (n - 1) * ${clientsEach} + (i % ${clientsEach}) + 1, ${ts(start)}, ${ts(`${start} + 2700`)},
        ${ts(start)}, ${ts(`${start} + 2700`)},
        CASE WHEN ${start} >= ${nowS} THEN CASE WHEN i % 3 = 0 THEN 'pending' ELSE 'confirmed' END
          WHEN i % 10 = 0 THEN 'cancelled' WHEN i % 10 = 1 THEN 'no_show' ELSE 'completed' END,
        CASE WHEN ${start} < ${nowS} AND i % 10 = 0 THEN ${ts(`${start} - ${DAY}`)} END,
        'trainer', ${ts(`${start} - 3 * ${DAY} - (i % 7) * 600`)}, ${ts(`${start} - 3 * ${DAY}`)}
      FROM t, b;`,
    `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, subject, message,
        status, dedupe_key, attempts, sent_at, created_at, updated_at)
      SELECT trainer_id, id, 'booking_confirmed', 'email', 'client@example.com', 'Confirmed: your session',
        'Your session is confirmed.', 'sent', 'bench:' || id, 1, created_at, created_at, created_at
      FROM bookings WHERE trainer_id BETWEEN ${fromT} AND ${toT} AND id > coalesce(
        (SELECT max(booking_id) FROM notifications WHERE trainer_id BETWEEN ${fromT} AND ${toT}), 0);`,
  ];
}

const dbBytes = (state) => {
  // The local D1 is one sqlite file (plus its WAL) under v3/d1/.
  let total = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.sqlite(-wal)?$/.test(e.name)) total += statSync(p).size;
    }
  };
  walk(join(state, 'v3', 'd1'));
  return total;
};

// ---- reads -----------------------------------------------------------------------------------

/** Every hot read of trainer `t`, with `bookings` bookings (for the last page). */
async function reads(base, auth, bookings) {
  const from = date(nowS + DAY);
  const to = date(nowS + 31 * DAY);
  const lastPage = Math.max(1, Math.ceil(bookings / 20));
  const out = {};
  const one = async (name, path) => {
    out[name] = await measure(`${base}${path}`, auth, { n: N });
    console.error(`  ${name}: ${out[name].p50} / ${out[name].p95} ms`);
  };
  await one('availability, 31 days', `/api/availability-slots/available/?from=${from}&to=${to}`);
  await one('bookings list, page 1', '/api/bookings/');
  await one('bookings list, last page', `/api/bookings/?page=${lastPage}`);
  // A cursor page: the one after the first (keyset: any depth costs the same). Before cursors
  // existed, `?cursor=` was ignored and no cursor comes back: the row says so.
  for (const ordering of ['-start_time', 'created_at']) {
    const first = await (await fetch(`${base}/api/bookings/?cursor=&ordering=${ordering}`, { headers: auth })).json();
    const name = `bookings list, cursor page 2 (${ordering})`;
    if (typeof first.next === 'string' && new URL(first.next).searchParams.get('cursor')) {
      const u = new URL(first.next);
      await one(name, `${u.pathname}${u.search}`);
    } else out[name] = null;
  }
  await one('clients list, page 1', '/api/clients/');
  await one('notifications list, page 1', '/api/notifications/');
  await one('dashboard', '/api/analytics/dashboard/');
  await one('bookings stats, all time', '/api/analytics/bookings-stats/');
  await one('client stats', '/api/analytics/client-stats/');
  return out;
}

/**
 * Serves `state`, runs the hourly cron `cronRuns` times first (as production would have: it
 * writes the monthly booking rows, up to 1,000 a run), then measures.
 */
async function measured(state, email, bookings, cronRuns) {
  const app = await serve(root, state, [
    '--var',
    'ENVIRONMENT:development',
    '--var',
    'LOG_REQUESTS:false',
    '--test-scheduled',
  ]);
  try {
    const t0 = Date.now();
    for (let i = 0; i < cronRuns; i++) {
      const res = await fetch(`${app.base}/__scheduled?cron=${encodeURIComponent('7 * * * *')}`);
      if (!res.ok) throw new Error(`cron: ${res.status} ${await res.text()}`);
    }
    console.error(`  hourly cron × ${cronRuns}: ${Date.now() - t0} ms`);
    const auth = await login(app.base, email, PASSWORD);
    return await reads(app.base, auth, bookings);
  } finally {
    await app.stop();
  }
}

// ---- scenarios -------------------------------------------------------------------------------

const hash = djangoHash(PASSWORD);
const results = { started: new Date().toISOString(), single: [], crowd: null };

// One trainer (300 clients), history grown in place: 1,000 → 10,000 → 100,000 bookings.
{
  const state = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  execSql(root, state, people(1, 1, 300, hash), { migrate: true });
  let have = 0;
  for (const size of SIZES) {
    const t0 = Date.now();
    execSql(root, state, history(1, 1, have, size, HOUR, 300));
    have = size;
    const bytes = dbBytes(state);
    console.error(`1 trainer, ${size} bookings: seeded in ${Date.now() - t0} ms, ${bytes} bytes`);
    results.single.push({
      size,
      seed_ms: Date.now() - t0,
      bytes,
      reads: await measured(state, 'bench1@example.com', size, 2),
    });
  }
  rmSync(state, { recursive: true, force: true });
}

// 200 bookings and 20 clients per trainer: alone, then among CROWD trainers in one database.
if (CROWD > 0) {
  const run = async (trainers) => {
    const state = mkdtempSync(join(tmpdir(), 'bench-crowd-'));
    const t0 = Date.now();
    execSql(root, state, people(1, trainers, 20, hash), { migrate: true });
    // 1,000 trainers a statement: 200,000 bookings, then their notifications.
    for (let t = 1; t <= trainers; t += 1000) {
      execSql(root, state, history(t, Math.min(trainers, t + 999), 0, PER_TRAINER, 6 * HOUR, 20));
    }
    const bytes = dbBytes(state);
    console.error(`${trainers} trainers × ${PER_TRAINER}: seeded in ${Date.now() - t0} ms, ${bytes} bytes`);
    // About 3 ended months a trainer, 1,000 rows a run.
    const reads = await measured(state, 'bench1@example.com', PER_TRAINER, Math.ceil((trainers * 3) / 1000) + 1);
    rmSync(state, { recursive: true, force: true });
    return { trainers, seed_ms: Date.now() - t0, bytes, reads };
  };
  results.crowd = { alone: await run(1), among: await run(CROWD) };
}

// ---- report ----------------------------------------------------------------------------------

results.machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
writeFileSync(join(root, 'bench/scale-results.json'), JSON.stringify(results, null, 2));
const cell = (m) => (m ? `${m.p50} / ${m.p95}` : '—');
const names = Object.keys(results.single[0]?.reads ?? results.crowd?.alone.reads ?? {});
const lines = [`\n${results.started} — ${results.machine} — ${N} sequential requests per read (p50 / p95 ms)\n`];
if (results.single.length) {
  const first = results.single[0];
  const last = results.single[results.single.length - 1];
  lines.push(
    `| read | ${results.single.map((s) => `${s.size.toLocaleString('en')} bookings`).join(' | ')} | p95 ${last.size.toLocaleString('en')} ÷ ${first.size.toLocaleString('en')} |`,
    `|---|${results.single.map(() => '---|').join('')}---|`,
    ...names.map((n) => {
      const a = first.reads[n];
      const b = last.reads[n];
      return `| ${n} | ${results.single.map((s) => cell(s.reads[n])).join(' | ')} | ${a && b ? (b.p95 / a.p95).toFixed(2) : '—'} |`;
    }),
    '',
    `| local D1 file | ${results.single.map((s) => `${(s.bytes / 2 ** 20).toFixed(1)} MiB`).join(' | ')} | |`,
  );
}
if (results.crowd) {
  const { alone, among } = results.crowd;
  lines.push(
    '',
    `| read (trainer 1: ${PER_TRAINER} bookings, 20 clients) | alone | among ${among.trainers.toLocaleString('en')} trainers | p95 among ÷ alone |`,
    '|---|---|---|---|',
    ...names.map(
      (n) =>
        `| ${n} | ${cell(alone.reads[n])} | ${cell(among.reads[n])} | ${alone.reads[n] && among.reads[n] ? (among.reads[n].p95 / alone.reads[n].p95).toFixed(2) : '—'} |`,
    ),
    '',
    `| local D1 file | ${(alone.bytes / 2 ** 20).toFixed(1)} MiB | ${(among.bytes / 2 ** 20).toFixed(1)} MiB | |`,
  );
}
console.log(lines.join('\n'));
