// `npm run deploy`: remote migrations, then the three Workers in the order Cloudflare accepts.
// The API Worker (wrangler.toml) binds the calendar parser and the staff console (service bindings),
// and the console binds the API Worker's TrainerSchedule class (script_name): Cloudflare refuses a
// binding to a Worker that does not exist, so on the very first deploy a placeholder console goes
// up before the API Worker (it answers 503 to /admin for the seconds until the real one replaces it).
// `npm run deploy -- --dry-run` builds the three Workers and uploads nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unstable_readConfig as readConfig } from 'wrangler';
import { consoleConfigProblems } from './console-config.mjs';

const WRANGLER = resolve('node_modules/wrangler/bin/wrangler.js');
const CONSOLE_WORKER = readConfig({ config: 'wrangler.console.toml' }).name;
// The account of wrangler.toml, if it names one, for the placeholder deployed outside the project.
const ACCOUNT_ID = readConfig({ config: 'wrangler.toml' }).account_id;

const PLACEHOLDER = `export default {
  fetch: () => Response.json(
    { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The staff console is being deployed.' },
    { status: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' } },
  ),
};
`;

function run(args, opts = {}) {
  console.log(`\n$ wrangler ${args.join(' ')}`);
  return spawnSync(process.execPath, [WRANGLER, ...args], { stdio: 'inherit', encoding: 'utf8', ...opts });
}

function must(args, opts) {
  if (run(args, opts).status !== 0) process.exit(1);
}

/** Whether the console Worker exists; exits on any answer but "no such Worker" (never guesses). */
function consoleExists() {
  const listed = run(['deployments', 'list', '--name', CONSOLE_WORKER, '--json'], { stdio: 'pipe' });
  if (listed.status === 0) return true;
  const output = `${listed.stdout}\n${listed.stderr}`;
  // Cloudflare's "workers.api.error.script_not_found" (code 10007).
  if (/10007|script_not_found|does not exist/i.test(output)) return false;
  console.error(output);
  console.error(`Could not tell whether ${CONSOLE_WORKER} exists (above); nothing was deployed.`);
  process.exit(1);
}

/** The placeholder, deployed from an empty folder so that no wrangler config of this project applies. */
function deployPlaceholder() {
  const dir = mkdtempSync(join(tmpdir(), 'console-placeholder-'));
  try {
    writeFileSync(join(dir, 'index.js'), PLACEHOLDER);
    const env = ACCOUNT_ID ? { ...process.env, CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID } : process.env;
    const args = ['deploy', 'index.js', '--name', CONSOLE_WORKER, '--compatibility-date', '2026-11-01', '--no-bundle'];
    must(args, { cwd: dir, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const problems = consoleConfigProblems();
if (problems.length) {
  console.error(`wrangler.console.toml must match wrangler.toml; nothing was deployed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
const dryRun = process.argv.includes('--dry-run') ? ['--dry-run', '--outdir', join(tmpdir(), 'trainerhub-deploy')] : [];
if (!dryRun.length) must(['d1', 'migrations', 'apply', 'DB', '--remote']);
must(['deploy', '-c', 'wrangler.calendar-parser.toml', ...dryRun]);
if (!dryRun.length && !consoleExists()) {
  console.log(`${CONSOLE_WORKER} does not exist yet: deploying its placeholder first.`);
  deployPlaceholder();
}
must(['deploy', ...dryRun]);
must(['deploy', '-c', 'wrangler.console.toml', ...dryRun]);
if (!dryRun.length) {
  const secrets = run(['secret', 'list', '-c', 'wrangler.console.toml'], { stdio: 'pipe' });
  if (!`${secrets.stdout}`.includes('JWT_SECRET')) {
    console.warn(
      `\n⚠ ${CONSOLE_WORKER} has no JWT_SECRET: every console page answers 503 until you run\n` +
        "  npx wrangler secret put JWT_SECRET -c wrangler.console.toml   (the API Worker's value)",
    );
  }
}
