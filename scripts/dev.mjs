// `npm run dev`: apply D1 migrations to the local database, then serve the API on :8787 (with the
// calendar parser Worker it calls).
// No account, secret or network: local D1/DO/Queues and the dev-only JWT secret.
import { spawn, spawnSync } from 'node:child_process';

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

// Both Workers in one session: the API (wrangler.toml, the first: its port) and the calendar parser it calls.
const configs = ['-c', 'wrangler.toml', '-c', 'wrangler.calendar-parser.toml'];
const d = wrangler(['dev', ...configs, '--var', 'ENVIRONMENT:development', '--test-scheduled', ...extra], 'inherit');
const child = spawn(d.cmd, d.args, { stdio: d.stdio });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
