// Starts `wrangler dev` on free ports with a fresh local state directory (migrations applied
// first, as `npm run dev` does), hands its URL to the tests, and stops its process group after.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { until } from '../until';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** wrangler dev's --persist-to directory, for `wrangler d1 execute --local --persist-to` (staff users). */
    stateDir: string;
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });

const WRANGLER = ['node_modules/wrangler/bin/wrangler.js'];

export default async function setup(project: TestProject) {
  const state = mkdtempSync(join(tmpdir(), 'trainerhub-e2e-'));
  const migrate = spawnSync(
    process.execPath,
    [...WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const port = await freePort();
  const inspector = await freePort();
  const log = openSync(join(state, 'wrangler.log'), 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...WRANGLER,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      state,
      '--var',
      'ENVIRONMENT:development',
      '--test-scheduled',
      '--show-interactive-dev-session=false',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  const stop = () => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const healthy = async () => {
    try {
      return (await fetch(`${baseUrl}/health`)).ok;
    } catch {
      return false; // not listening yet
    }
  };
  if (!(await until(healthy, (up) => up || child.exitCode !== null, 90_000))) {
    stop();
    throw new Error(`wrangler dev did not start; see ${join(state, 'wrangler.log')}`);
  }
  project.provide('baseUrl', baseUrl);
  project.provide('stateDir', state);

  return async () => {
    stop();
    await new Promise((r) => setTimeout(r, 500));
    rmSync(state, { recursive: true, force: true });
  };
}
