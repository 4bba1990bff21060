// What the bench scripts need from a local `wrangler dev`: a free port, wrangler itself, a
// server to start and stop, seeding through `wrangler d1 execute --local`, a login, and the CPU
// a server's processes have used.
import { spawn, spawnSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WRANGLER = join(root, 'node_modules/wrangler/bin/wrangler.js');

export const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

export function wrangler(args, cwd = root) {
  const r = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `wrangler dev` on a free port over the local state in `state`; resolves once /health answers. */
export async function serve(cwd, state, extra = []) {
  const port = await freePort();
  const inspector = await freePort();
  const log = openSync(join(state, 'wrangler.log'), 'a');
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      'dev',
      // the API Worker first (the port is its), then the calendar parser's and the staff console's
      // Workers, where the checkout has them (the floor Worker and older builds do not)
      ...(existsSync(join(cwd, 'wrangler.calendar-parser.toml'))
        ? [
            '-c',
            'wrangler.toml',
            ...['wrangler.calendar-parser.toml', 'wrangler.console.toml']
              .filter((file) => existsSync(join(cwd, file)))
              .flatMap((file) => ['-c', file]),
          ]
        : []),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      state,
      '--log-level',
      'warn',
      ...extra,
    ],
    { cwd, detached: true, stdio: ['ignore', log, log] },
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 480; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    inspector,
    /** The process group: wrangler and the workerd processes it starts. */
    pgid: child.pid,
    stop: async () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await new Promise((r) => setTimeout(r, 1500));
    },
  };
}

/** Runs SQL statements against the local D1 in `state` (migrations applied first when asked). */
export function execSql(cwd, state, statements, { migrate = false } = {}) {
  if (migrate) wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], cwd);
  if (!statements.length) return;
  const file = join(state, 'seed.sql');
  writeFileSync(file, statements.join('\n'));
  wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', state, '--file', file, '--yes'], cwd);
}

/**
 * An autocannon request that comes from a new client address each time (`cf-connecting-ip`
 * 10.x.y.z): the public availability is rate limited per address, and the bench measures it, not the limit.
 */
let address = 0;
export const fromNewAddress = (method, path) => ({
  method,
  path,
  setupRequest: (req) => {
    address += 1;
    req.headers = {
      ...req.headers,
      'cf-connecting-ip': `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`,
    };
    return req;
  },
});

export const djangoHash = (password) => {
  const salt = randomBytes(16).toString('base64url');
  return `pbkdf2_sha256$100000$${salt}$${pbkdf2Sync(password, salt, 100_000, 32, 'sha256').toString('base64')}`;
};

export async function login(base, email, password) {
  const res = await fetch(`${base}/api/users/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  return { authorization: `Bearer ${(await res.json()).token}` };
}

/** `n` sequential request times (ms) of one read after `warmup` unmeasured ones; every answer must be 200. */
export async function sample(url, headers, { n, warmup = 2 }) {
  const times = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    if (i >= warmup) times.push(ms);
  }
  return times;
}

/** p50 and p95 of request times (ms). */
export function percentiles(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (x) => Math.round(x * 10) / 10;
  return { p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)), n: sorted.length };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** CPU seconds used so far by each process of a group (utime + stime from /proc), by command name. */
export function groupCpu(pgid) {
  const out = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // fields after the command: state ppid pgrp … utime is the 12th, stime the 13th
      if (Number(f[2]) !== pgid) continue;
      out[comm] = (out[comm] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {}
  }
  return out;
}
