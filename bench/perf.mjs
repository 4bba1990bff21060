// Where workerd's CPU goes, by part, for the app and the floor: each scenario runs one burst per
// side while `perf record -e cpu-clock` samples that side's workerd processes (the Worker, its
// Durable Objects, local D1 and the cache run there); the samples are grouped by what ran and
// divided by the requests answered. What V8's profiler (`bench:profile`) cannot show: SQLite, the
// runtime's own C++, malloc and the kernel. Needs Debian's linux-perf (`perf`; only the software
// clock is used, so it works in VMs without hardware counters) and the right to trace the server's
// processes (root, or kernel.perf_event_paranoid ≤ 1 for the kernel's share). V8's compiled code has
// no symbols here: it shows as one part of its own.
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
  // V8's compiled JavaScript has no symbols without a perf map: perf names it by thread.
  if (dso.startsWith('[JIT]')) return 'JIT-compiled JavaScript (no symbols)';
  if (dso !== 'workerd') return `${dso} (memcpy, locks, epoll)`;
  if (
    /^sqlite3|^(yy_|resolveExprStep|expr[A-Z]|lookupName|freeP4|pcache1|btree|balance|walk|vdbe|pager|getAndInitPage|moveTo|accessPayload|unix[A-Z]|where[A-Z]|select[A-Z]|insertCell|fillInCell)/.test(
      sym,
    )
  )
    return 'SQLite (local D1 and storage; its other static functions fall under "other")';
  if (/tcmalloc|^operator (new|delete)|^TCMalloc/.test(sym)) return 'malloc';
  if (/^Builtins_/.test(sym)) return 'JavaScript (interpreter and builtins)';
  if (
    /^(v8::internal::(Scavenger|MarkCompact|Sweeper|[A-Za-z]*Marking|Heap::(Collect|Scavenge|Perform|Mark))|cppgc::internal)/.test(
      sym,
    )
  )
    return 'V8 garbage collection';
  if (/^(v8::|Runtime_)/.test(sym)) return 'V8 runtime (objects, strings, handles)';
  if (/^(workerd::|jsg::)/.test(sym)) return 'workerd (APIs such as Headers, the I/O context, bindings, tracing)';
  if (/^(kj::|capnp::|<kj|<tokio|<http)/.test(sym)) return 'kj, capnp and the HTTP stack';
  return 'other workerd code (SQLite internals, BoringSSL, ICU, ...)';
}

/** Samples of one `perf record` file: µs per request by part and by symbol. */
function readProfile(file, requests) {
  const out = execFileSync(
    'perf',
    ['report', '-i', file, '--stdio', '--no-children', '--sort', 'dso,sym', '-g', 'none', '-t', '\t'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const total = /Event count \(approx\.\): (\d+)/.exec(out);
  if (!total) throw new Error(`perf report printed no event count for ${file}`);
  // cpu-clock counts nanoseconds
  const perRequest = Number(total[1]) / 1000 / requests;
  const parts = new Map();
  const symbols = new Map();
  for (const line of out.split('\n')) {
    const [share, dso, symbol] = line.split('\t');
    const m = /^\s*([\d.]+)%\s*$/.exec(share ?? '');
    const s = /^\[(.)\]\s+(.*)$/.exec(symbol ?? '');
    if (!m || !s) continue;
    const us = (Number(m[1]) / 100) * perRequest;
    const part = partOf(dso.trim(), s[1], s[2].trim());
    parts.set(part, (parts.get(part) ?? 0) + us);
    const name = s[2].trim().slice(0, 100);
    symbols.set(name, (symbols.get(name) ?? 0) + us);
  }
  return { perRequest, parts, symbols };
}

/**
 * One burst of `scenario` on `s` under perf: its profile. perf starts first and is stopped
 * (SIGINT) once the load has ended, so the whole burst is sampled (an idle workerd adds next to nothing).
 */
async function profiled(s, scenario, dir) {
  const file = join(dir, `${s.name}-${scenario}.data`);
  const pids = execSync(`pgrep -g ${s.pgid} workerd`, { encoding: 'utf8' }).trim().split('\n').join(',');
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '2000', '-p', pids, '-o', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  perf.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve, reject) => {
    perf.on('error', reject);
    perf.on('exit', (code, signal) =>
      code === 0 || signal === 'SIGINT' ? resolve() : reject(new Error(`perf record: exit ${code}\n${stderr}`)),
    );
  });
  await new Promise((r) => setTimeout(r, 1000)); // attached to every thread
  const burst = await s.burst(scenario, SECONDS);
  perf.kill('SIGINT');
  await exited;
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
        .sort((x, y) => Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]));
    console.log(`  ${a.name.padStart(7)} ${b.name.padStart(7)}  difference  part`);
    for (const [k, x, y] of diff(pa.parts, pb.parts)) console.log(`  ${fmt(x)} ${fmt(y)}  ${fmt(x - y)}     ${k}`);
    console.log(`  symbols with the largest difference (either way):`);
    for (const [k, x, y] of diff(pa.symbols, pb.symbols).slice(0, TOP))
      console.log(`  ${fmt(x)} ${fmt(y)}  ${fmt(x - y)}     ${k}`);
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
