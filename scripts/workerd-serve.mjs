// One Worker bundle (a single ES module, e.g. `wrangler deploy --dry-run --outdir` output) served
// by a bare `workerd serve`, for what needs the deployed code itself rather than `wrangler dev`:
// bench/startup.mjs (cold start) and test/node/bundle-size.test.ts (the aliased build answers
// like the plain one). Bindings: the given text vars, TRAINER_SCHEDULE (in memory) and DB as a
// stand-in object, so only requests that send no query work (/health, the docs, 400s).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKERD = join(dirname(fileURLToPath(import.meta.url)), '../node_modules/workerd/bin/workerd');

const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const capnp = (port, vars) => `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "index.js")],
  compatibilityDate = "2026-11-01",
  bindings = [
    ${Object.entries(vars)
      .map(([k, v]) => `(name = ${JSON.stringify(k)}, text = ${JSON.stringify(v)}),`)
      .join('\n    ')}
    (name = "DB", json = "{}"),
    (name = "TRAINER_SCHEDULE", durableObjectNamespace = "TrainerSchedule"),
  ],
  durableObjectNamespaces = [(className = "TrainerSchedule", uniqueKey = "bundle", enableSql = true)],
  durableObjectStorage = (inMemory = void),
);
`;

/**
 * Starts workerd over `script` and waits until `probe` has answered. `ms`: from the spawn to that
 * answer (workerd's start, the bundle compiled and its top level run, the first request).
 */
export async function serveBundle(script, { vars = {}, probe = '/health' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'workerd-serve-'));
  const port = await freePort();
  writeFileSync(join(dir, 'index.js'), script);
  writeFileSync(join(dir, 'config.capnp'), capnp(port, vars));
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(WORKERD, ['serve', join(dir, 'config.capnp'), '--experimental'], {
    stdio: ['ignore', 'ignore', process.env.WORKERD_SERVE_DEBUG ? 'inherit' : 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill();
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 30_000) {
      await stop();
      throw new Error(`workerd did not serve the bundle (exit ${child.exitCode})`);
    }
    try {
      const res = await fetch(url + probe);
      const body = await res.text();
      return { url, ms: performance.now() - t0, status: res.status, body, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}
