// Where the app's CPU time goes, per request: a V8 CPU profile of `wrangler dev` under load for each
// hot request, its self time summed by function and by module (the bundle's `// src/...` and
// `// node_modules/...` markers), divided by the requests answered while profiling.
// Usage: npm run bench:profile   (PROFILE_SECONDS=6 PROFILE_ONLY=<regex> PROFILE_OUT=<dir for .cpuprofile files>
//        PROFILE_TOP=25; BENCH_LOG_REQUESTS=false without the log line). Never part of npm test.
// Figures are CPU of the Worker's isolate (the Durable Object runs in it too), not wall time, so
// they hold up on a busy machine better than req/s do; what workerd does outside JavaScript
// (D1, the cache, HTTP) is not in them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { execSql, fromNewAddress, groupCpu, login, root, serve } from './lib.mjs';
import { appSeed, BUSY_TRAINERS, DAY, date, floorSeed, iso, PASSWORD, TRAINERS, today } from './seed.mjs';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 6);
const ONLY = process.env.PROFILE_ONLY ? new RegExp(process.env.PROFILE_ONLY) : null;
const OUT = process.env.PROFILE_OUT ?? null;
const TOP = Number(process.env.PROFILE_TOP ?? 25);

/** A CDP session over the inspector's WebSocket. */
async function inspect(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  // Node's own WebSocket is refused by wrangler's inspector proxy; the ws package is not.
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  const waiting = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    const w = msg.id && waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(JSON.stringify(msg.error)));
    else w.resolve(msg.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      id += 1;
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

const run = (opts) =>
  new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });

/** Module of each line of a bundle, from esbuild's `// path` comments before each module's code. */
function moduleLines(source) {
  const lines = source.split('\n');
  const out = new Array(lines.length);
  let current = '(bundle)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\/\/ ((?:src|node_modules|\.\.\/)[^\s]*\.(?:m?[jt]sx?|json))$/.exec(lines[i]);
    if (m) current = m[1].replace(/^.*node_modules\//, 'node_modules/');
    out[i] = current;
  }
  return out;
}

/** node_modules/<package> or the src folder/file. */
const packageOf = (mod) => {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(mod);
  return m ? m[1] : mod;
};

async function analyse(session, profile, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const sources = new Map();
  const linesOf = async (scriptId) => {
    if (!sources.has(scriptId)) {
      try {
        const { scriptSource } = await session.send('Debugger.getScriptSource', { scriptId });
        if (OUT) writeFileSync(join(OUT, `script-${scriptId}.js`), scriptSource);
        sources.set(scriptId, moduleLines(scriptSource));
      } catch {
        sources.set(scriptId, null);
      }
    }
    return sources.get(scriptId);
  };
  const fn = new Map();
  const mod = new Map();
  const pkg = new Map();
  let busy = 0;
  let idle = 0;
  for (const [nodeId, us] of self) {
    const { callFrame } = byId.get(nodeId);
    if (callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    let module = callFrame.url ? 'other script' : callFrame.functionName;
    if (callFrame.scriptId && callFrame.scriptId !== '0') {
      const lines = await linesOf(callFrame.scriptId);
      if (lines) module = lines[callFrame.lineNumber] ?? module;
    }
    const name = `${callFrame.functionName || '(anonymous)'} ${module}:${callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    mod.set(module, (mod.get(module) ?? 0) + us);
    pkg.set(packageOf(module), (pkg.get(packageOf(module)) ?? 0) + us);
  }
  const per = (us) => Math.round(us / requests);
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${String(per(us)).padStart(6)} µs  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${k}`);
  return {
    requests,
    cpuPerRequest: per(busy),
    idleShare: Math.round((100 * idle) / (idle + busy)),
    text: [
      `  packages / src folders (µs of CPU per request, share of busy time):`,
      ...top(pkg, 14),
      `  modules:`,
      ...top(mod, 16),
      `  functions (self time):`,
      ...top(fn, TOP),
    ].join('\n'),
  };
}

// ---- scenarios -----------------------------------------------------------------------------------

// PROFILE_FLOOR=1: the floor Worker's /health, cached read, range, list and create instead (the reference), CPU only.
const FLOOR = Boolean(process.env.PROFILE_FLOOR);
const state = mkdtempSync(join(tmpdir(), 'bench-profile-'));
// PROFILE_APP=<another checkout>: profile that build instead (its migrations, its wrangler.toml).
const cwd = FLOOR ? join(root, 'bench/floor') : (process.env.PROFILE_APP ?? root);
execSql(cwd, state, FLOOR ? floorSeed() : appSeed(), { migrate: true });
const app = await serve(cwd, state, [
  '--var',
  'ENVIRONMENT:development',
  '--var',
  `LOG_REQUESTS:${process.env.BENCH_LOG_REQUESTS ?? 'true'}`,
  // PROFILE_MINIFY=false: readable function names and esbuild's module markers (the bench runs minified).
  ...(process.env.PROFILE_MINIFY === 'false' ? ['--minify=false'] : []),
]);
const auth = {};
if (!FLOOR)
  for (const t of [...Array.from({ length: TRAINERS }, (_, i) => i + 1), ...BUSY_TRAINERS])
    auth[t] = await login(app.base, `bench${t}@example.com`, PASSWORD);

const from = date(today + DAY);
const to = date(today + 31 * DAY);
let slot = today + 400 * DAY;
const get = (path, headers = {}) => ({ requests: [{ method: 'GET', path, headers }], connections: 4 });
const scenarios = [
  ['health', get('/health')],
  [
    'cached public availability (31 days)',
    {
      connections: 4,
      requests: [fromNewAddress('GET', `/api/public/trainers/bench-12/availability/?from=${from}&to=${to}`)],
    },
  ],
  ['range 31 days (2,000 bookings)', get(`/api/availability-slots/available/?from=${from}&to=${to}`, auth[1])],
  ['list page 1 (10,000 bookings)', get('/api/bookings/', auth[2])],
  [
    'create, 1 trainer, c=1',
    {
      connections: 1,
      requests: [
        {
          method: 'POST',
          path: '/api/bookings/',
          headers: { 'content-type': 'application/json', ...auth[3] },
          setupRequest: (req) => {
            slot += 30 * 60_000;
            req.body = JSON.stringify({ client: 3, start_time: iso(slot), end_time: iso(slot + 30 * 60_000) });
            return req;
          },
        },
      ],
    },
  ],
].filter(([name]) => !ONLY || ONLY.test(name));
const floorScenarios = [
  ['health', get('/health')],
  ['cached public availability (31 days)', get(`/cached?slug=floor-1&from=${from}&to=${to}`)],
  ['range 31 days (2,000 bookings)', get(`/range?trainer=1&from=${from}&to=${to}`)],
  ['list page 1 (10,000 bookings)', get('/list?trainer=2')],
  [
    'create, 1 trainer, c=1',
    {
      connections: 1,
      requests: [
        {
          method: 'POST',
          path: '/create?trainer=3',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            slot += 30 * 60_000;
            req.body = JSON.stringify({ client: 3, start_time: iso(slot), end_time: iso(slot + 30 * 60_000) });
            return req;
          },
        },
      ],
    },
  ],
].filter(([name]) => !ONLY || ONLY.test(name));

let session;
const report = [];
try {
  session = await inspect(app.inspector);
  await session.send('Debugger.enable');
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  if (OUT) mkdirSync(OUT, { recursive: true });
  for (const [name, opts] of FLOOR ? floorScenarios : scenarios) {
    await run({ url: app.base, duration: 2, ...opts }); // warm up (JIT, caches)
    // Without the profiler: CPU seconds of workerd (the Worker, the Durable Object and local D1) per request.
    const before = groupCpu(app.pgid);
    const plain = await run({ url: app.base, duration: SECONDS, ...opts });
    const after = groupCpu(app.pgid);
    const cpu = Object.keys(after)
      .map((k) => `${k} ${Math.round((1e6 * (after[k] - (before[k] ?? 0))) / plain.requests.total)} µs`)
      .join(', ');
    const plainLine = `${name}: unprofiled ${plain.requests.total} requests (${plain.non2xx + plain.errors} non-2xx/errors), ${Math.round(plain.requests.average)} req/s, p50 ${plain.latency.p50} / p95 ${plain.latency.p95 ?? plain.latency.p97_5} ms; process CPU per request: ${cpu}`;
    console.error(plainLine);
    if (process.env.PROFILE_CPU_ONLY) {
      report.push(plainLine);
      continue;
    }
    await session.send('Profiler.start');
    const result = await run({ url: app.base, duration: SECONDS, ...opts });
    const { profile } = await session.send('Profiler.stop');
    if (OUT) writeFileSync(join(OUT, `${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`), JSON.stringify(profile));
    const requests = result.requests.total;
    const bad = result.non2xx + result.errors;
    const a = await analyse(session, profile, requests);
    const line = `${name}: ${requests} requests (${bad} non-2xx/errors), ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} / p95 ${result.latency.p95 ?? result.latency.p97_5} ms; isolate CPU ${a.cpuPerRequest} µs per request, idle ${a.idleShare} %`;
    console.error(line);
    report.push(`${plainLine}\n${line}\n${a.text}`);
  }
} finally {
  session?.close();
  await app.stop();
  rmSync(state, { recursive: true, force: true });
}
console.log(report.join('\n\n'));
