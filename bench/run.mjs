// Speed of the app against its floor, both on `wrangler dev` on this machine.
// Usage: npm run bench            (about 9 minutes: 3 rounds; never part of npm test)
//        BENCH_ONLY=busy npm run bench   (only the calendar busy-time scenarios; the floor is not started)
// Writes bench/results.json and prints a Markdown table for bench/RESULTS.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { execSql, fromNewAddress, root, serve } from './lib.mjs';
import { appSeed, BUSY_BLOCKS, BUSY_TRAINERS, DAY, date, floorSeed, iso, PASSWORD, TRAINERS, today } from './seed.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
// BENCH_ONLY=create runs only the scenarios whose name matches (a regular expression).
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const PARALLEL = 'create, 8 trainers in parallel, c=2 each';
const CACHED = 'cached public availability (31 days)';
const BUSY = {
  trainer0: 'busy: trainer range 31 days, 0 busy blocks',
  trainer500: 'busy: trainer range 31 days, 500 busy blocks',
  public0: 'busy: public range 31 days, 0 busy blocks',
  public500: 'busy: public range 31 days, 500 busy blocks',
};
// BENCH_ROUNDS: how many times each scenario runs (the floor and the app alternating); medians reported.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

// ---- load -----------------------------------------------------------------------------------

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ duration: DURATION, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}
const summary = (name, r) => ({
  name,
  rps: Math.round(r.requests.average * 10) / 10,
  p50: r.latency.p50,
  p95: r.latency.p95 ?? r.latency.p97_5,
  p99: r.latency.p99,
  ok: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors,
});

/** Creates whose start times never repeat, so every one can succeed. */
function createRequests(path, headers, client, slotStartMs) {
  let n = 0;
  return [
    {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', ...headers },
      setupRequest: (req) => {
        const s = slotStartMs + n++ * 30 * 60_000;
        req.body = JSON.stringify({ client, start_time: iso(s), end_time: iso(s + 30 * 60_000) });
        return req;
      },
    },
  ];
}

async function startApp() {
  const state = mkdtempSync(join(tmpdir(), 'bench-app-'));
  execSql(root, state, appSeed(), { migrate: true });
  // BENCH_LOG_REQUESTS=false measures without the per-request JSON log line (wrangler dev pipes
  // every line through its own stdout, which production does not).
  const app = await serve(root, state, [
    '--var',
    'ENVIRONMENT:development',
    '--var',
    `LOG_REQUESTS:${process.env.BENCH_LOG_REQUESTS ?? 'true'}`,
  ]);
  return { ...app, state };
}

async function startFloor() {
  const cwd = join(root, 'bench/floor');
  const state = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  execSql(cwd, state, floorSeed(), { migrate: true });
  return { ...(await serve(cwd, state)), state };
}

async function login(base, t) {
  const res = await fetch(`${base}/api/users/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench${t}@example.com`, password: PASSWORD }),
  });
  return { authorization: `Bearer ${(await res.json()).token}` };
}

// Every create run starts 60 days after the previous one, so no two runs compete for a slot.
let slotBase = today + 400 * DAY;
const nextSlots = () => {
  slotBase += 60 * DAY;
  return slotBase;
};

/**
 * The scenarios: each names what the app does and, where one exists, the floor's equivalent.
 * A side is a function that runs the load once and returns a summary.
 */
function scenarios(floor, app, auth) {
  const from = date(today + DAY);
  const to = date(today + 31 * DAY);
  const read =
    (url, headers = {}) =>
    async (name) =>
      summary(name, await run({ url, headers, connections: 4 }));
  const create = (base, path, headers, trainer, connections) => async (name) =>
    summary(name, await run({ url: base, connections, requests: createRequests(path, headers, trainer, nextSlots()) }));
  const eight = (side) => async (name) =>
    combine(
      name,
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          side === 'floor'
            ? run({
                url: floor.base,
                connections: 2,
                requests: createRequests(`/create?trainer=${4 + i}`, {}, 4 + i, nextSlots()),
              })
            : run({
                url: app.base,
                connections: 2,
                requests: createRequests('/api/bookings/', auth[4 + i], 4 + i, nextSlots()),
              }),
        ),
      ),
    );
  const analytics = (path) => read(`${app.base}${path}`, auth[2]);
  // The public availability is rate limited per client address: each request comes from its own.
  const publicRead = (path) => async (name) =>
    summary(
      name,
      await run({
        url: app.base,
        connections: 4,
        requests: [fromNewAddress('GET', path)],
      }),
    );
  const range = `from=${from}&to=${to}`;
  return [
    ['health', read(`${floor.base}/health`), read(`${app.base}/health`)],
    // The same 31-day question every time: after the first miss (one per 15-second window) every
    // answer comes from the edge cache (one indexed read of the trainer, then caches.default).
    // The floor's: the row by slug and the Cache API lookup side by side, the stored body answered.
    [
      CACHED,
      read(`${floor.base}/cached?slug=floor-1&${range}`),
      publicRead(`/api/public/trainers/bench-12/availability/?${range}`),
    ],
    [
      'range 31 days (2,000 bookings)',
      read(`${floor.base}/range?trainer=1&from=${from}&to=${to}`),
      read(`${app.base}/api/availability-slots/available/?from=${from}&to=${to}`, auth[1]),
    ],
    ['day', null, read(`${app.base}/api/availability-slots/available/?date=${from}`, auth[1])],
    ['list page 1 (10,000 bookings)', read(`${floor.base}/list?trainer=2`), read(`${app.base}/api/bookings/`, auth[2])],
    ['analytics dashboard (10,000 bookings, 1,000 clients)', null, analytics('/api/analytics/dashboard/')],
    ['analytics bookings-stats, all time', null, analytics('/api/analytics/bookings-stats/')],
    ['analytics revenue, year', null, analytics('/api/analytics/revenue/?period=year')],
    ['analytics client-stats', null, analytics('/api/analytics/client-stats/')],
    [
      'create, 1 trainer, c=1',
      create(floor.base, '/create?trainer=3', {}, 3, 1),
      create(app.base, '/api/bookings/', auth[3], 3, 1),
    ],
    [
      'create, 1 trainer, c=16',
      create(floor.base, '/create?trainer=3', {}, 3, 16),
      create(app.base, '/api/bookings/', auth[3], 3, 16),
    ],
    [PARALLEL, eight('floor'), eight('app')],
    [BUSY.trainer0, null, read(`${app.base}/api/availability-slots/available/?${range}`, auth[12])],
    [BUSY.trainer500, null, read(`${app.base}/api/availability-slots/available/?${range}`, auth[13])],
    [BUSY.public0, null, publicRead(`/api/public/trainers/bench-12/availability/?${range}`)],
    [BUSY.public500, null, publicRead(`/api/public/trainers/bench-13/availability/?${range}`)],
  ].filter(([name]) => !ONLY || ONLY.test(name));
}

function combine(name, list) {
  const s = list.map((r) => summary(name, r));
  return {
    name,
    rps: Math.round(s.reduce((a, r) => a + r.rps, 0) * 10) / 10,
    p50: Math.max(...s.map((r) => r.p50)),
    p95: Math.max(...s.map((r) => r.p95)),
    p99: Math.max(...s.map((r) => r.p99)),
    ok: s.reduce((a, r) => a + r.ok, 0),
    non2xx: s.reduce((a, r) => a + r.non2xx, 0),
    errors: s.reduce((a, r) => a + r.errors, 0),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Median of each figure over the rounds. */
function medianOf(runs) {
  if (!runs.length) return null;
  const pick = (k) => median(runs.map((r) => r[k]));
  return {
    rps: Math.round(pick('rps') * 10) / 10,
    p50: pick('p50'),
    p95: pick('p95'),
    ok: runs.reduce((a, r) => a + r.ok, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}

const started = new Date().toISOString();
// Both servers stay up; in each round the floor and the app take turns (which goes first
// alternates), so a slow minute on the machine lands on both sides rather than on one.
// The floor is started only when a selected scenario has a floor side.
const floor = { base: '', stop: () => {}, state: null };
const app = await startApp();
const auth = {};
for (const t of [...Array.from({ length: TRAINERS }, (_, i) => i + 1), ...BUSY_TRAINERS])
  auth[t] = await login(app.base, t);
// Some scenarios put the floor's address into their URL when they are built: build them once to
// see whether any has a floor side, start the floor, then build them for real.
if (scenarios(floor, app, auth).some(([, floorRun]) => floorRun)) Object.assign(floor, await startFloor());
const list = scenarios(floor, app, auth);
if (list.some(([name]) => name.startsWith('busy:'))) {
  // The busy blocks must show: the slots offered to the trainer with and without them.
  const from = date(today + DAY);
  const to = date(today + 31 * DAY);
  const offered = async (t) => {
    const res = await fetch(`${app.base}/api/availability-slots/available/?from=${from}&to=${to}`, {
      headers: auth[t],
    });
    return (await res.json()).days.reduce((n, d) => n + d.slots.length, 0);
  };
  console.error(
    `busy: slots offered over 31 days: ${await offered(12)} without blocks, ${await offered(13)} with ${BUSY_BLOCKS}`,
  );
}
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const results = [];
  for (const [name, floorRun, appRun] of list) {
    const order = round % 2 ? ['app', 'floor'] : ['floor', 'app'];
    const out = { name };
    for (const side of order) {
      const fn = side === 'floor' ? floorRun : appRun;
      if (fn) out[side] = await fn(name);
    }
    results.push(out);
    console.error(`round ${round + 1}/${ROUNDS}: ${name}`);
  }
  rounds.push(results);
}
await Promise.all([floor.stop(), app.stop()]);
if (floor.state) rmSync(floor.state, { recursive: true, force: true });
rmSync(app.state, { recursive: true, force: true });

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const rows = list.map(([name], i) => {
  const floorRuns = rounds.map((r) => r[i].floor).filter(Boolean);
  const appRuns = rounds.map((r) => r[i].app);
  const ratios = floorRuns.map((f, k) => Math.round((100 * appRuns[k].rps) / f.rps));
  return { name, floor: medianOf(floorRuns), app: medianOf(appRuns), ratios };
});
writeFileSync(
  join(root, 'bench/results.json'),
  JSON.stringify({ started, machine, duration_s: DURATION, rounds: ROUNDS, rows, raw: rounds }, null, 2),
);
const cell = (m) => (m ? `${m.rps} / ${m.p50} / ${m.p95}` : '—');
const errorsOf = (m) => (m ? m.non2xx + m.errors : 0);
console.log(
  [
    `\n${started} — ${machine} — ${ROUNDS} rounds of ${DURATION} s per scenario (medians)\n`,
    '| scenario | floor req/s / p50 / p95 ms | app req/s / p50 / p95 ms | app ÷ floor req/s, per round | non-2xx + errors (floor, app) |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${cell(r.floor)} | ${cell(r.app)} | ${r.ratios.length ? `${r.ratios.join(' %, ')} %` : '—'} | ${errorsOf(r.floor)}, ${errorsOf(r.app)} |`,
    ),
  ].join('\n'),
);

// The cached public availability against /health of the same round (target p95 ≤ 1.2×), the app's
// against the app's and the floor's against the floor's: what the platform's two lookups cost here.
const cachedRow = rows.find((r) => r.name === CACHED);
const healthRow = rows.find((r) => r.name === 'health');
for (const side of ['app', 'floor']) {
  if (!cachedRow?.[side] || !healthRow?.[side]) continue;
  const perRound = rounds.map((r) => {
    const [h, c] = [r.find((x) => x.name === 'health')?.[side], r.find((x) => x.name === CACHED)?.[side]];
    return h && c ? `${Math.round((100 * c.p95) / h.p95) / 100}×` : '—';
  });
  console.log(
    `\n${side}: cached availability p50 / p95 ${cachedRow[side].p50} / ${cachedRow[side].p95} ms vs /health ${healthRow[side].p50} / ${healthRow[side].p95} ms; p95 ratio per round: ${perRound.join(', ')}`,
  );
}

// Calendar busy time: the same 31-day range with 0 and with 500 busy blocks, p50/p95 and the ratio (target ≤ 1.2×).
const busyRow = (name) => rows.find((r) => r.name === name)?.app;
const busyLines = [
  ['trainer', BUSY.trainer0, BUSY.trainer500],
  ['public', BUSY.public0, BUSY.public500],
].flatMap(([who, zero, many]) => {
  const [a, b] = [busyRow(zero), busyRow(many)];
  if (!a || !b) return [];
  const ratio = (x, y) => (x ? Math.round((100 * y) / x) / 100 : '—');
  return [`| ${who} | ${a.p50} / ${a.p95} | ${b.p50} / ${b.p95} | ${ratio(a.p50, b.p50)}× / ${ratio(a.p95, b.p95)}× |`];
});
if (busyLines.length) {
  console.log(
    [
      '\n| free slots, 31 days | 0 blocks p50 / p95 ms | 500 blocks p50 / p95 ms | 500 ÷ 0, p50 / p95 |',
      '|---|---|---|---|',
      ...busyLines,
    ].join('\n'),
  );
}
