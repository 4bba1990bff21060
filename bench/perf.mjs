// Where workerd's CPU goes, by part, for the app and the floor: each scenario runs one burst per
// side while `perf record -e cpu-clock` samples that side's workerd processes (the Worker, its
// Durable Objects, local D1 and the cache run there); the samples are grouped by what ran and
// divided by the requests answered. What V8's profiler (`bench:profile`) cannot show: SQLite, the
// runtime's own C++, malloc and the kernel. Needs Debian's linux-perf (`perf`; only the software
// clock is used, so it works in VMs without hardware counters).
// Usage: npm run bench:perf   (PERF_A=<checkout> PERF_B=<checkout>, default this checkout and the
//        floor; PERF_ONLY=<regex> PERF_SECONDS=8 PERF_TOP=25). Never part of npm test.
import { execFileSync, execSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './lib.mjs';
import { FLOOR, side } from './sides.mjs';

const SECONDS = Number(process.env.PERF_SECONDS ?? 8);
const ONLY = process.env.PERF_ONLY ? new RegExp(process.env.PERF_ONLY) : null;
const TOP = Number(process.env.PERF_TOP ?? 25);

/** What a sampled symbol belongs to (perf's dso and symbol; `[k]` is the kernel). */
function partOf(dso, kind, sym) {
  if (kind === 'k') return 'kernel (page faults, I/O, scheduling)';
  if (dso !== 'workerd') return `${dso} (memcpy, locks, epoll)`;
  if (
    /^(sqlite3|yy_|resolve|expr|walk|pcache|btree|vdbe|pager|wal[A-Z]|freeP4|lookupName|select|where|balance)/.test(sym)
  )
    return 'SQLite (local D1 and storage)';
  if (/tcmalloc|^operator (new|delete)|[Mm]alloc\b/.test(sym)) return 'malloc';
  if (/^Builtins?_/.test(sym)) return 'JavaScript (interpreter, baseline code, builtins)';
  if (/v8::internal::(Heap|Scavenger|MarkCompact|Sweeper|.*GC)|cppgc::internal/.test(sym))
    return 'V8 garbage collection';
  if (/v8::|Runtime_/.test(sym)) return 'V8 runtime (objects, strings, handles)';
  if (/workerd::|jsg::/.test(sym)) return 'workerd APIs (Request, Headers, bindings)';
  if (/kj::|capnp::/.test(sym)) return 'kj and capnp (I/O, RPC)';
  return 'other workerd';
}

/** Samples of one `perf record` file: µs per request by part and by symbol. */
function readProfile(file, requests) {
  const out = execFileSync(
    'perf',
    ['report', '-i', file, '--stdio', '--no-children', '--sort', 'dso,sym', '-g', 'none'],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const totalNs = Number(/Event count \(approx\.\): (\d+)/.exec(out)?.[1] ?? 0);
  const perRequest = totalNs / 1000 / requests;
  const parts = new Map();
  const symbols = new Map();
  for (const line of out.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const us = (Number(m[1]) / 100) * perRequest;
    const part = partOf(m[2], m[3], m[4].trim());
    parts.set(part, (parts.get(part) ?? 0) + us);
    const sym = `${m[4].trim().slice(0, 100)}`;
    symbols.set(sym, (symbols.get(sym) ?? 0) + us);
  }
  return { perRequest, parts, symbols };
}

/** One burst of `scenario` on `s` under perf: its profile. */
async function profiled(s, scenario, dir) {
  const file = join(dir, `${s.name}-${scenario}.data`);
  const pids = execSync(`pgrep -g ${s.pgid} workerd`, { encoding: 'utf8' }).trim().split('\n').join(',');
  const record = () =>
    new Promise((resolve, reject) => {
      const perf = spawn(
        'perf',
        ['record', '-e', 'cpu-clock', '-F', '2000', '-p', pids, '-o', file, '--', 'sleep', String(SECONDS)],
        {
          stdio: 'ignore',
        },
      );
      perf.on('error', reject);
      perf.on('exit', resolve);
    });
  const burst = await s.burst(scenario, SECONDS, record);
  return readProfile(file, burst.requests);
}

const dir = mkdtempSync(join(tmpdir(), 'bench-perf-'));
const a = await side(process.env.PERF_A ?? root);
const b = await side(process.env.PERF_B ?? FLOOR);
const fmt = (x) => String(Math.round(x)).padStart(7);
try {
  for (const scenario of Object.keys(a.scenarios).filter((s) => !ONLY || ONLY.test(s))) {
    await a.burst(scenario, 3); // warm up (JIT, caches)
    await b.burst(scenario, 3);
    const pa = await profiled(a, scenario, dir);
    const pb = await profiled(b, scenario, dir);
    console.log(
      `\n${scenario}: µs of workerd CPU per request, ${a.name} ${fmt(pa.perRequest)}, ${b.name} ${fmt(pb.perRequest)}`,
    );
    const diff = (m1, m2) =>
      [...new Set([...m1.keys(), ...m2.keys()])]
        .map((k) => [k, m1.get(k) ?? 0, m2.get(k) ?? 0])
        .sort((x, y) => y[1] - y[2] - (x[1] - x[2]));
    console.log(`  ${a.name.padStart(7)} ${b.name.padStart(7)}  difference  part`);
    for (const [k, x, y] of diff(pa.parts, pb.parts)) console.log(`  ${fmt(x)} ${fmt(y)}  ${fmt(x - y)}     ${k}`);
    console.log(`  symbols with the largest difference:`);
    for (const [k, x, y] of diff(pa.symbols, pb.symbols).slice(0, TOP))
      console.log(`  ${fmt(x)} ${fmt(y)}  ${fmt(x - y)}     ${k}`);
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
