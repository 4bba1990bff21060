// Reads as one trainer's history grows, and one trainer among many: `wrangler dev` on this machine.
// Usage: npm run bench:scale   (SCALE_SIZES=1000,10000,100000 SCALE_CROWD=10000 SCALE_N=100
//        SCALE_ROUNDS=5; SCALE_BEFORE=<another checkout> measures that build beside this one)
// Seeds straight into the local D1 (generated SQL: recursive CTEs, so 2,000,000 rows are a few
// statements), measures every hot read one request at a time (p50/p95 ms), prints Markdown
// tables and writes bench/scale-results.json. Never part of npm test.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { djangoHash, execSql, login, percentiles, root, sample, serve } from './lib.mjs';

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
    `INSERT INTO clients (id, trainer_id, email, first_name, last_name, first_name_key, last_name_key, fitness_level, created_at) ${seq},
      k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < ${clientsEach})
      SELECT (n - 1) * ${clientsEach} + j + 1, n, 'c' || j || '@t' || n || '.example.com', 'Client' || (j % 37),
        'Member' || j, 'client' || (j % 37), 'member' || j, CASE j % 3 WHEN 0 THEN 'beginner' WHEN 1 THEN 'intermediate' ELSE 'advanced' END,
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

/**
 * The size of the local D1's database (page count × page size, read with node:sqlite while no
 * server has it open): what the file would be once its WAL is checkpointed.
 */
function dbBytes(state) {
  const dir = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const file = readdirSync(dir).find((f) => /^[0-9a-f]{64}\.sqlite$/.test(f));
  const db = new DatabaseSync(join(dir, file));
  try {
    const count = db.prepare('PRAGMA page_count').get().page_count;
    const size = db.prepare('PRAGMA page_size').get().page_size;
    return count * size;
  } finally {
    db.close();
  }
}

// ---- reads -----------------------------------------------------------------------------------

const READS = [
  'availability, 31 days',
  'bookings list, page 1',
  'bookings list, middle page',
  'bookings list, last page',
  'bookings list, cursor page 2 (-start_time)',
  'bookings list, cursor page 2 (created_at)',
  'clients list, page 1',
  'notifications list, page 1',
  'dashboard',
  'bookings stats, all time',
  'client stats',
];

/** The path of every hot read of a server's trainer 1 with `bookings` bookings (null: the build has none). */
async function readPaths(base, auth, bookings) {
  const from = date(nowS + DAY);
  const to = date(nowS + 31 * DAY);
  const paths = {
    'availability, 31 days': `/api/availability-slots/available/?from=${from}&to=${to}`,
    'bookings list, page 1': '/api/bookings/',
    // The deepest a page by number reads: from either end, the middle is the farthest.
    'bookings list, middle page': `/api/bookings/?page=${Math.max(1, Math.ceil(bookings / 40))}`,
    'bookings list, last page': `/api/bookings/?page=${Math.max(1, Math.ceil(bookings / 20))}`,
    'clients list, page 1': '/api/clients/',
    'notifications list, page 1': '/api/notifications/',
    dashboard: '/api/analytics/dashboard/',
    'bookings stats, all time': '/api/analytics/bookings-stats/',
    'client stats': '/api/analytics/client-stats/',
  };
  // A cursor page: the one after the first (keyset: any depth costs the same). Before cursors
  // existed, `?cursor=` was ignored and no cursor comes back: the row says so.
  for (const ordering of ['-start_time', 'created_at']) {
    const first = await (await fetch(`${base}/api/bookings/?cursor=&ordering=${ordering}`, { headers: auth })).json();
    const next = typeof first.next === 'string' ? new URL(first.next) : null;
    paths[`bookings list, cursor page 2 (${ordering})`] = next?.searchParams.get('cursor')
      ? `${next.pathname}${next.search}`
      : null;
  }
  return paths;
}

/**
 * Serves `state` from the build in `cwd`, runs the hourly cron `cronRuns` times (as production
 * would have: it writes the monthly booking rows, up to 1,000 a run) and logs in as trainer 1.
 */
async function start(cwd, state, bookings, cronRuns) {
  const app = await serve(cwd, state, [
    '--var',
    'ENVIRONMENT:development',
    '--var',
    'LOG_REQUESTS:false',
    '--test-scheduled',
  ]);
  const t0 = Date.now();
  for (let i = 0; i < cronRuns; i++) {
    const res = await fetch(`${app.base}/__scheduled?cron=${encodeURIComponent('7 * * * *')}`);
    if (!res.ok) throw new Error(`cron: ${res.status} ${await res.text()}`);
  }
  console.error(`  ${cwd === root ? 'after' : 'before'}: hourly cron × ${cronRuns}: ${Date.now() - t0} ms`);
  const auth = await login(app.base, 'bench1@example.com', PASSWORD);
  return { ...app, auth, paths: await readPaths(app.base, auth, bookings) };
}

// ---- scenarios -------------------------------------------------------------------------------

// SCALE_BEFORE: a checkout of the build to compare with (its own node_modules link), measured
// side by side with this one.
const SIDES = [...(process.env.SCALE_BEFORE ? [['before', process.env.SCALE_BEFORE]] : []), ['after', root]];
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 5);
const hash = djangoHash(PASSWORD);
const results = { started: new Date().toISOString(), sides: SIDES.map(([s]) => s), single: [], crowd: [] };
const servers = [];
const states = [];

function seedState(cwd, statements, more) {
  const state = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  states.push(state);
  const t0 = Date.now();
  execSql(cwd, state, statements, { migrate: true });
  for (const chunk of more) execSql(cwd, state, chunk);
  return { state, seed_ms: Date.now() - t0, bytes: dbBytes(state) };
}

for (const [side, cwd] of SIDES) {
  // One trainer (300 clients) at each size.
  for (const size of SIZES) {
    const seeded = seedState(cwd, people(1, 1, 300, hash), [history(1, 1, 0, size, HOUR, 300)]);
    console.error(`${side}: 1 trainer, ${size} bookings: seeded in ${seeded.seed_ms} ms, ${seeded.bytes} bytes`);
    const server = await start(cwd, seeded.state, size, 2);
    servers.push({ ...server, side, kind: 'single', size });
    results.single.push({ side, size, seed_ms: seeded.seed_ms, bytes: seeded.bytes, server: servers.length - 1 });
  }
  // 200 bookings and 20 clients per trainer: alone, then among CROWD trainers in one database
  // (1,000 trainers a statement: 200,000 bookings, then their notifications).
  if (CROWD > 0) {
    for (const trainers of [1, CROWD]) {
      const chunks = [];
      for (let t = 1; t <= trainers; t += 1000) {
        chunks.push(history(t, Math.min(trainers, t + 999), 0, PER_TRAINER, 6 * HOUR, 20));
      }
      const seeded = seedState(cwd, people(1, trainers, 20, hash), chunks);
      console.error(
        `${side}: ${trainers} trainers × ${PER_TRAINER}: seeded in ${seeded.seed_ms} ms, ${seeded.bytes} bytes`,
      );
      // About 3 ended months a trainer, 1,000 rows a run.
      const server = await start(cwd, seeded.state, PER_TRAINER, Math.ceil((trainers * 3) / 1000) + 1);
      servers.push({ ...server, side, kind: 'crowd', trainers });
      results.crowd.push({ side, trainers, seed_ms: seeded.seed_ms, bytes: seeded.bytes, server: servers.length - 1 });
    }
  }
}

// Every server stays up; each round measures each read on every server in turn (the order
// rotating), so a slow minute on the machine lands on all of them rather than on one.
const times = servers.map(() => Object.fromEntries(READS.map((r) => [r, []])));
for (let round = 0; round < ROUNDS; round++) {
  for (const read of READS) {
    const order = servers.map((_, i) => (i + round) % servers.length);
    for (const i of order) {
      const s = servers[i];
      const path = s.paths[read];
      if (path) times[i][read].push(...(await sample(`${s.base}${path}`, s.auth, { n: Math.ceil(N / ROUNDS) })));
    }
  }
  console.error(`round ${round + 1}/${ROUNDS}`);
}
for (const s of servers) await s.stop();
for (const state of states) rmSync(state, { recursive: true, force: true });
const figures = (i) => Object.fromEntries(READS.map((r) => [r, times[i][r].length ? percentiles(times[i][r]) : null]));
for (const row of [...results.single, ...results.crowd]) row.reads = figures(row.server);

// ---- report ----------------------------------------------------------------------------------

results.machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
writeFileSync(join(root, 'bench/scale-results.json'), JSON.stringify(results, null, 2));
const cell = (m) => (m ? `${m.p50} / ${m.p95}` : '—');
const ratio = (a, b) => (a && b ? (b.p50 / a.p50).toFixed(2) : '—');
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const lines = [
  `\n${results.started} — ${results.machine} — ${N} sequential requests per read and server, in ${ROUNDS} interleaved rounds (p50 / p95 ms)\n`,
];
for (const [side] of SIDES) {
  const rows = results.single.filter((r) => r.side === side);
  if (!rows.length) continue;
  const first = rows[0];
  const last = rows[rows.length - 1];
  lines.push(
    `**${side}**, one trainer, 300 clients:\n`,
    `| read | ${rows.map((s) => `${s.size.toLocaleString('en')} bookings`).join(' | ')} | p50 ${last.size.toLocaleString('en')} ÷ ${first.size.toLocaleString('en')} |`,
    `|---|${rows.map(() => '---|').join('')}---|`,
    ...READS.map(
      (n) => `| ${n} | ${rows.map((s) => cell(s.reads[n])).join(' | ')} | ${ratio(first.reads[n], last.reads[n])} |`,
    ),
    `| local D1 file | ${rows.map((s) => mib(s.bytes)).join(' | ')} | |`,
    '',
  );
  const crowd = results.crowd.filter((r) => r.side === side);
  if (crowd.length === 2) {
    const [alone, among] = crowd;
    lines.push(
      `**${side}**, trainer 1 with ${PER_TRAINER} bookings and 20 clients:\n`,
      `| read | alone | among ${among.trainers.toLocaleString('en')} trainers | p50 among ÷ alone |`,
      '|---|---|---|---|',
      ...READS.map(
        (n) =>
          `| ${n} | ${cell(alone.reads[n])} | ${cell(among.reads[n])} | ${ratio(alone.reads[n], among.reads[n])} |`,
      ),
      `| local D1 file | ${mib(alone.bytes)} | ${mib(among.bytes)} | |`,
      '',
    );
  }
}
console.log(lines.join('\n'));
