// Speed of the app against its floor, both on `wrangler dev` on this machine.
// Usage: npm run bench            (about 9 minutes: 3 rounds; never part of npm test)
//        BENCH_ONLY=busy npm run bench   (only the calendar busy-time scenarios; the floor is not started)
// Writes bench/results.json and prints a Markdown table for bench/RESULTS.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { djangoHash, execSql, root, serve } from './lib.mjs';

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
const PASSWORD = 'bench-password-1';

// ---- seed data (same rows for the app and the floor) -------------------------------------

const DAY = 86_400_000;
const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const iso = (ms) => new Date(ms).toISOString();
const date = (ms) => iso(ms).slice(0, 10);

// Trainer 1: 8 weekly windows, 3 breaks, 2,000 bookings (range). Trainer 2: 10,000 bookings
// (list). Trainer 3: always open (creates). Trainers 4–11: always open (parallel creates).
// App only: trainers 12 and 13 are trainer 1's copies (windows, breaks, 2,000 bookings); 13 also
// has a connected calendar with 500 busy blocks inside the 31-day range (calendar busy time).
const TRAINERS = 11;
const BUSY_TRAINERS = [12, 13];
const BUSY_BLOCKS = 500;
function bookingRows(trainer, count, startMs, stepMs, minutes) {
  const rows = [];
  for (let i = 0; i < count; i++) {
    const s = startMs + i * stepMs;
    rows.push(
      `(${trainer}, ${trainer}, '${iso(s)}', '${iso(s + minutes * 60_000)}', '${i % 7 === 0 ? 'cancelled' : i % 3 === 0 ? 'confirmed' : 'pending'}')`,
    );
  }
  return rows;
}
function chunks(rows, table, cols) {
  const out = [];
  for (let i = 0; i < rows.length; i += 400)
    out.push(`INSERT INTO ${table} (${cols}) VALUES ${rows.slice(i, i + 400).join(',\n')};`);
  return out;
}
/** Trainer 1's schedule for `trainer`: Mon–Fri 07–12 and 13–19, 3 break days, 2,000 bookings over ±60 days. */
function rangeTrainer(trainer) {
  const windows = [];
  for (let d = 0; d < 5; d++) {
    windows.push(`(${trainer}, ${d}, '07:00:00', '12:00:00')`, `(${trainer}, ${d}, '13:00:00', '19:00:00')`);
  }
  const breaks = [0, 1, 2].map(
    (k) => `(${trainer}, '${date(today + (5 + k * 9) * DAY)}', '${date(today + (5 + k * 9) * DAY)}')`,
  );
  // Every ~86 minutes (the range reads ~500 of them).
  const bookings = bookingRows(trainer, 2000, today - 60 * DAY, Math.floor((120 * DAY) / 2000), 45);
  return { windows, breaks, bookings };
}
function sharedSeed() {
  const one = rangeTrainer(1);
  const windows = [...one.windows];
  for (let d = 0; d < 7; d++) {
    for (let t = 3; t <= TRAINERS; t++) windows.push(`(${t}, ${d}, '00:00:00', '24:00:00')`);
  }
  const b2 = bookingRows(2, 10_000, today - 200 * DAY, Math.floor((400 * DAY) / 10_000), 30);
  return [
    ...chunks(windows, 'availability_slots', 'trainer_id, day_of_week, start_time, end_time'),
    ...chunks(one.breaks, 'trainer_breaks', 'trainer_id, start_date, end_date'),
    ...chunks([...one.bookings, ...b2], 'bookings', 'trainer_id, client_id, start_time, end_time, status'),
  ];
}
/**
 * The busy-time trainers (app only): copies of trainer 1, and for the last one a calendar
 * connection with BUSY_BLOCKS blocks of 10 minutes spread evenly over the 31-day range, as a sync
 * would store them.
 */
function busySeed() {
  const copies = BUSY_TRAINERS.map(rangeTrainer);
  const withBusy = BUSY_TRAINERS[BUSY_TRAINERS.length - 1];
  const step = Math.floor((31 * DAY) / BUSY_BLOCKS);
  const blocks = Array.from({ length: BUSY_BLOCKS }, (_, i) => {
    const s = today + DAY + i * step;
    return `(${withBusy}, 1, '${iso(s)}', '${iso(s + 10 * 60_000)}')`;
  });
  return [
    ...chunks(
      copies.flatMap((c) => c.windows),
      'availability_slots',
      'trainer_id, day_of_week, start_time, end_time',
    ),
    ...chunks(
      copies.flatMap((c) => c.breaks),
      'trainer_breaks',
      'trainer_id, start_date, end_date',
    ),
    ...chunks(
      copies.flatMap((c) => c.bookings),
      'bookings',
      'trainer_id, client_id, start_time, end_time, status',
    ),
    `INSERT INTO calendar_connections (id, trainer_id, name, url_ciphertext, url_hint, url_hash)
      VALUES (1, ${withBusy}, 'Personal', 'sealed', 'calendar.example …abc123', 'bench');`,
    ...chunks(blocks, 'calendar_busy', 'trainer_id, connection_id, start_time, end_time'),
  ];
}
function appSeed() {
  const users = [];
  const trainers = [];
  const clients = [];
  const hash = djangoHash(PASSWORD);
  for (const t of [...Array.from({ length: TRAINERS }, (_, i) => i + 1), ...BUSY_TRAINERS]) {
    users.push(`(${t}, 'bench${t}@example.com', '${hash}', 1)`);
    trainers.push(`(${t}, ${t}, 'Bench ${t}', 'bench-${t}', 'UTC', 0)`);
    clients.push(`(${t}, ${t}, 'client${t}@example.com', 'Client', '${t}')`);
  }
  // Trainer 2 (10,000 bookings) also has 1,000 clients, for the analytics figures.
  for (let i = 0; i < 999; i++) clients.push(`(${100 + i}, 2, 'member${i}@example.com', 'Member', '${i}')`);
  return [
    `INSERT INTO users (id, email, password_hash, is_trainer) VALUES ${users.join(',')};`,
    `INSERT INTO trainers (id, user_id, business_name, slug, timezone, min_notice_minutes) VALUES ${trainers.join(',')};`,
    ...chunks(clients, 'clients', 'id, trainer_id, email, first_name, last_name'),
    ...sharedSeed(),
    ...busySeed(),
  ];
}

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
  execSql(cwd, state, sharedSeed(), { migrate: true });
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
  let address = 0;
  const publicRead = (path) => async (name) =>
    summary(
      name,
      await run({
        url: app.base,
        connections: 4,
        requests: [
          {
            method: 'GET',
            path,
            setupRequest: (req) => {
              address += 1;
              req.headers = {
                ...req.headers,
                'cf-connecting-ip': `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`,
              };
              return req;
            },
          },
        ],
      }),
    );
  const range = `from=${from}&to=${to}`;
  return [
    ['health', read(`${floor.base}/health`), read(`${app.base}/health`)],
    // The same 31-day question every time: after the first miss (one per 15-second window) every
    // answer comes from the edge cache (one indexed read of the trainer, then caches.default).
    [CACHED, null, publicRead(`/api/public/trainers/bench-12/availability/?${range}`)],
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

// The cached public availability against the app's own /health of the same round (target p95 ≤ 1.2×).
const cachedRow = rows.find((r) => r.name === CACHED);
const healthRow = rows.find((r) => r.name === 'health');
if (cachedRow?.app && healthRow?.app) {
  const perRound = rounds.map((r) => {
    const [h, c] = [r.find((x) => x.name === 'health')?.app, r.find((x) => x.name === CACHED)?.app];
    return h && c ? `${Math.round((100 * c.p95) / h.p95) / 100}×` : '—';
  });
  console.log(
    `\ncached availability p50 / p95 ${cachedRow.app.p50} / ${cachedRow.app.p95} ms vs app /health ${healthRow.app.p50} / ${healthRow.app.p95} ms; p95 ratio per round: ${perRound.join(', ')}`,
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
