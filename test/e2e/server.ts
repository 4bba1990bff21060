// Runs `wrangler dev` for the e2e suite: migrations applied first (as `npm run dev` does), free
// ports, `--test-scheduled`, its own process group so that one signal stops wrangler and workerd.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { until } from '../until';

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });

export const WRANGLER = ['node_modules/wrangler/bin/wrangler.js'];

/**
 * A command on the running server's local D1 (`wrangler d1 execute --local`, or a script that
 * runs one), run again while the server holds the database's write lock: its cron or a queue batch
 * may be writing at that moment (SQLITE_BUSY, and nothing of the command written).
 */
export function whileBusy(args: string[], env: NodeJS.ProcessEnv = process.env) {
  for (let attempt = 1; ; attempt++) {
    const run = spawnSync(process.execPath, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (run.status === 0 || attempt === 5 || !/SQLITE_BUSY|database is locked/.test(`${run.stdout}${run.stderr}`)) {
      return run;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300 * attempt);
  }
}

/** Statements run on the running server's local D1. */
export function localSql(state: string, statements: string[]): void {
  const run = whileBusy([
    ...WRANGLER,
    'd1',
    'execute',
    'DB',
    '--local',
    '--persist-to',
    state,
    '--command',
    statements.join(';\n'),
  ]);
  if (run.status !== 0) throw new Error(`d1 execute failed:\n${run.stdout}\n${run.stderr}`);
}

/** Applies the migrations to the local D1 kept in `state`. */
export function migrate(state: string) {
  const run = spawnSync(
    process.execPath,
    [...WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`migrations failed:\n${run.stdout}\n${run.stderr}`);
}

export interface DevServer {
  baseUrl: string;
  child: ChildProcess;
  /** Signals the whole process group (wrangler and its workerd); a no-op once it has exited. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM to the group, then waits (up to 10 s) for wrangler to exit. */
  stop(): Promise<void>;
}

/** Starts `wrangler dev` on the state in `state`, its output appended to `logFile`; resolves once /health answers. */
export async function startDev(state: string, logFile: string, timeoutMs = 90_000): Promise<DevServer> {
  const port = await freePort();
  const inspector = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...WRANGLER,
      'dev',
      // the API Worker (first: the port is its), the calendar parser Worker it calls and the staff
      // console's Worker it hands /admin and /api/admin to
      '-c',
      'wrangler.toml',
      '-c',
      'wrangler.calendar-parser.toml',
      '-c',
      'wrangler.console.toml',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      state,
      // ENVIRONMENT=development for every Worker of the session (--var reaches only the first)
      '--env-file',
      'scripts/development.env',
      '--test-scheduled',
      '--show-interactive-dev-session=false',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    }
  };
  const stop = async () => {
    signal('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    signal('SIGKILL');
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const healthy = async () => {
    try {
      return (await fetch(`${baseUrl}/health`)).ok;
    } catch {
      return false; // not listening yet
    }
  };
  if (!(await until(healthy, (up) => up || child.exitCode !== null, timeoutMs))) {
    await stop();
    // The tail of its output, since the caller may remove the state directory on failure.
    const tail = readFileSync(logFile, 'utf8').slice(-3000);
    throw new Error(
      `wrangler dev did not start (exit ${child.exitCode ?? child.signalCode}); ${logFile} ends:\n${tail}`,
    );
  }
  return { baseUrl, child, signal, stop };
}
