// The two sides the CPU benches compare (`bench/ab.mjs`, `bench/perf.mjs`): a `wrangler dev` of a
// checkout, the app's or the floor's (`bench/floor`), seeded like `npm run bench`, and the requests
// of each scenario.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import autocannon from 'autocannon';
import { execSql, fromNewAddress, groupCpu, login, root, serve } from './lib.mjs';
import { appSeed, DAY, date, floorSeed, iso, PASSWORD, today } from './seed.mjs';

export const FLOOR = join(root, 'bench/floor');

/** CPU seconds used so far by a process group, all its processes together. */
const cpuOf = (pgid) => Object.values(groupCpu(pgid)).reduce((a, b) => a + b, 0);

const run = (opts) => new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));

/** A side: a running `wrangler dev` of a checkout (the app's or the floor's) and its requests per scenario. */
export async function side(cwd) {
  const floor = cwd === FLOOR;
  const state = mkdtempSync(join(tmpdir(), 'bench-side-'));
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
    /** The server's process group (wrangler and its workerd processes). */
    pgid: server.pgid,
    /** One burst of `seconds`: µs of CPU per request, req/s, requests answered. */
    async burst(scenario, seconds) {
      const before = cpuOf(server.pgid);
      const r = await run({ url: server.base, duration: seconds, ...scenarios[scenario] });
      const cpu = cpuOf(server.pgid) - before;
      if (r.non2xx || r.errors) throw new Error(`${scenario}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      return { cpu: (1e6 * cpu) / r.requests.total, rps: r.requests.average, requests: r.requests.total };
    },
    async stop() {
      await server.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
