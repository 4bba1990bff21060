// `npm run dev`: apply D1 migrations to the local database, then serve the API on :8787 (with the
// calendar parser Worker it calls and the staff console's Worker it hands /admin to).
// No account, secret or network: local D1/DO/Queues and the dev-only JWT secret.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wrangler = (args, stdio) => ({
  cmd: process.execPath,
  args: ['node_modules/wrangler/bin/wrangler.js', ...args],
  stdio,
});
const extra = process.argv.slice(2);
const persist = extra.includes('--persist-to') ? ['--persist-to', extra[extra.indexOf('--persist-to') + 1]] : [];

// stdin is not a terminal here, so wrangler applies without asking.
const m = wrangler(['d1', 'migrations', 'apply', 'DB', '--local', ...persist], ['ignore', 'inherit', 'inherit']);
const applied = spawnSync(m.cmd, m.args, { stdio: m.stdio });
if (applied.status !== 0) process.exit(applied.status ?? 1);

// The three Workers in one session: the API (wrangler.toml, the first: its port), the calendar parser
// it calls and the staff console it hands /admin and /api/admin to.
const configs = ['-c', 'wrangler.toml', '-c', 'wrangler.calendar-parser.toml', '-c', 'wrangler.console.toml'];
// ENVIRONMENT=development for all three (scripts/development.env), then your .dev.vars if you have
// one (wrangler reads it itself only when no --env-file is given).
const envFiles = ['scripts/development.env', '.dev.vars'].filter(existsSync).flatMap((file) => ['--env-file', file]);
const d = wrangler(['dev', ...configs, ...envFiles, '--test-scheduled', ...extra], 'inherit');
const child = spawn(d.cmd, d.args, { stdio: d.stdio });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
