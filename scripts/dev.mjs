// `npm run dev`: apply D1 migrations to the local database, then serve the API on :8787 (with the
// calendar parser Worker it calls and the staff console's Worker it hands /admin to).
// No account, secret or network: local D1/DO/Queues and the dev-only JWT secret.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
// one (wrangler reads it itself only when no --env-file is given), but for its JWT_SECRET: the
// console's Worker gets only its [vars] from these files (wrangler.console.toml), so it keeps the
// development key, and the API Worker must too or the console could check none of its tokens.
const envFiles = ['--env-file', 'scripts/development.env'];
const kept = [];
if (existsSync('.dev.vars')) {
  const lines = readFileSync('.dev.vars', 'utf8').split(/\r?\n/);
  kept.push(...lines.filter((line) => !/^\s*(?:export\s+)?JWT_SECRET\s*=/.test(line)));
  if (kept.length < lines.length)
    console.log('npm run dev: JWT_SECRET in .dev.vars is left out; locally every Worker uses the development key.');
  // The session's other Workers read .dev.vars themselves, and nothing else: the console needs this.
  if (!lines.some((line) => /^\s*ENVIRONMENT\s*=\s*development\s*$/.test(line)))
    console.warn(
      'npm run dev: add ENVIRONMENT=development to .dev.vars (see .dev.vars.example), or the staff console answers 503.',
    );
}
// On another port (`npm run dev -- --port 8799`), the links the API writes (emails, manage links)
// point to that port, unless .dev.vars sets APP_ORIGIN itself.
const portArg = extra.findIndex((a) => a === '--port' || a.startsWith('--port='));
const port = portArg < 0 ? undefined : extra[portArg].includes('=') ? extra[portArg].split('=')[1] : extra[portArg + 1];
if (port && port !== '8787' && !kept.some((line) => /^\s*(?:export\s+)?APP_ORIGIN\s*=/.test(line)))
  kept.push(`APP_ORIGIN=http://localhost:${port}`);
if (kept.length) {
  const file = join(mkdtempSync(join(tmpdir(), 'trainerhub-dev-')), 'dev.vars');
  writeFileSync(file, kept.join('\n'));
  envFiles.push('--env-file', file);
}
const d = wrangler(['dev', ...configs, ...envFiles, '--test-scheduled', ...extra], 'inherit');
const child = spawn(d.cmd, d.args, { stdio: d.stdio });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
