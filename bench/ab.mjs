// CPU per request of two builds side by side: what a change buys, measured through the noise of a
// shared machine. Both servers stay up; each scenario runs in short bursts, A and B taking turns
// (which goes first alternates), and each burst's workerd CPU (/proc, the whole process group:
// the Worker, its Durable Objects, local D1 and the cache) is divided by the requests it answered.
// A slow minute lands on both sides; the medians and the B ÷ A ratio of each pair are reported.
// Usage: AB_A=<checkout> AB_B=<checkout> npm run bench:ab   (default A: this checkout; B: the floor)
//        AB_ONLY=<regex> AB_PAIRS=8 AB_SECONDS=3. Never part of npm test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import autocannon from 'autocannon';
import { execSql, fromNewAddress, groupCpu, login, root, serve } from './lib.mjs';
import { appSeed, DAY, date, floorSeed, iso, PASSWORD, today } from './seed.mjs';

const PAIRS = Number(process.env.AB_PAIRS ?? 8);
const SECONDS = Number(process.env.AB_SECONDS ?? 3);
const ONLY = process.env.AB_ONLY ? new RegExp(process.env.AB_ONLY) : null;
const FLOOR = join(root, 'bench/floor');

/** CPU seconds used so far by a process group, all its processes together. */
const cpuOf = (pgid) => Object.values(groupCpu(pgid)).reduce((a, b) => a + b, 0);

const run = (opts) => new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));

/** A side: a running `wrangler dev` of a checkout (the app's or the floor's) and its requests per scenario. */
async function side(cwd) {
  const floor = cwd === FLOOR;
  const state = mkdtempSync(join(tmpdir(), 'bench-ab-'));
  const seed = floor ? floorSeed() : appSeed();
  execSql(cwd, state, seed, { migrate: true });
  const server = await serve(cwd, state, ['--var', 'ENVIRONMENT:development', '--var', 'LOG_REQUESTS:false']);
  const auth = floor
    ? {}
    : Object.fromEntries(
        await Promise.all([1, 2, 3].map(async (t) => [t, await login(server.base, `bench${t}@example.com`, PASSWORD)])),
      );
  const from = date(today + DAY);
  const to = date(today + 31 * DAY);
  const get = (path, headers = {}) => ({ connections: 4, requests: [{ method: 'GET', path, headers }] });
  let slot = today + 400 * DAY + (floor ? 0 : 200 * DAY);
  const create = (path, headers) => ({
    connections: 1,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest: (req) => {
          slot += 30 * 60_000;
          req.body = JSON.stringify({ client: 3, start_time: iso(slot), end_time: iso(slot + 30 * 60_000) });
          return req;
        },
      },
    ],
  });
  const scenarios = floor
    ? {
        health: get('/health'),
        cached: get(`/cached?slug=floor-1&from=${from}&to=${to}`),
        range: get(`/range?trainer=1&from=${from}&to=${to}`),
        list: get('/list?trainer=2'),
        create: create('/create?trainer=3', {}),
      }
    : {
        health: get('/health'),
        cached: {
          connections: 4,
          requests: [fromNewAddress('GET', `/api/public/trainers/bench-12/availability/?from=${from}&to=${to}`)],
        },
        range: get(`/api/availability-slots/available/?from=${from}&to=${to}`, auth[1]),
        list: get('/api/bookings/', auth[2]),
        create: create('/api/bookings/', auth[3]),
      };
  return {
    name: floor ? 'floor' : basename(cwd),
    scenarios,
    /** One burst: µs of CPU per request, req/s. */
    async burst(scenario) {
      const before = cpuOf(server.pgid);
      const r = await run({ url: server.base, duration: SECONDS, ...scenarios[scenario] });
      const cpu = cpuOf(server.pgid) - before;
      if (r.non2xx || r.errors) throw new Error(`${scenario}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      return { cpu: (1e6 * cpu) / r.requests.total, rps: r.requests.average };
    },
    async stop() {
      await server.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const a = await side(process.env.AB_A ?? root);
const b = await side(process.env.AB_B ?? FLOOR);
const lines = [];
try {
  for (const scenario of Object.keys(a.scenarios).filter((s) => !ONLY || ONLY.test(s))) {
    await a.burst(scenario); // warm up (JIT, caches)
    await b.burst(scenario);
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      const [first, second] = i % 2 ? [b, a] : [a, b];
      const x = await first.burst(scenario);
      const y = await second.burst(scenario);
      pairs.push(i % 2 ? { a: y, b: x } : { a: x, b: y });
    }
    const cpuA = median(pairs.map((p) => p.a.cpu));
    const cpuB = median(pairs.map((p) => p.b.cpu));
    const ratios = pairs.map((p) => p.b.cpu / p.a.cpu);
    const rps = pairs.map((p) => p.b.rps / p.a.rps);
    const line = `${scenario}: CPU per request ${a.name} ${Math.round(cpuA)} µs, ${b.name} ${Math.round(cpuB)} µs; ${b.name} ÷ ${a.name} CPU median ${median(ratios).toFixed(3)} (pairs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), req/s median ${median(rps).toFixed(3)}`;
    console.error(line);
    lines.push(line);
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
}
console.log(lines.join('\n'));
