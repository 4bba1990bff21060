// `npm run deploy`: remote migrations, then the three Workers in the order Cloudflare accepts.
// The API Worker (wrangler.toml) binds the calendar parser and the staff console (service bindings),
// and the console binds the API Worker's TrainerSchedule class (script_name): Cloudflare refuses a
// binding to a Worker that does not exist, so on the very first deploy a placeholder console goes
// up before the API Worker (it answers 503 to /admin for the seconds until the real one replaces it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const WRANGLER = resolve('node_modules/wrangler/bin/wrangler.js');
export const CONSOLE_WORKER = 'trainerhub-console';

/** The placeholder console: no bindings, a 503 for every request. */
export const PLACEHOLDER = `export default {
  fetch: () => Response.json(
    { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The staff console is being deployed.' },
    { status: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' } },
  ),
};
`;

function wrangler(args, opts = {}) {
  console.log(`\n$ wrangler ${args.join(' ')}`);
  const run = spawnSync(process.execPath, [WRANGLER, ...args], { stdio: opts.quiet ? 'pipe' : 'inherit', ...opts });
  return run.status === 0;
}

function must(args) {
  if (!wrangler(args)) process.exit(1);
}

/** The placeholder, deployed from an empty folder so that no wrangler config of this project applies. */
function deployPlaceholder(extra) {
  const dir = mkdtempSync(join(tmpdir(), 'console-placeholder-'));
  try {
    writeFileSync(join(dir, 'index.js'), PLACEHOLDER);
    const args = ['deploy', 'index.js', '--name', CONSOLE_WORKER, '--compatibility-date', '2026-11-01', '--no-bundle'];
    if (!wrangler([...args, ...extra], { cwd: dir })) process.exit(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dryRun = process.argv.includes('--dry-run')
    ? ['--dry-run', '--outdir', join(tmpdir(), 'trainerhub-deploy')]
    : [];
  if (!dryRun.length) must(['d1', 'migrations', 'apply', 'DB', '--remote']);
  must(['deploy', '-c', 'wrangler.calendar-parser.toml', ...dryRun]);
  if (!dryRun.length && !wrangler(['deployments', 'list', '--name', CONSOLE_WORKER], { quiet: true })) {
    console.log(`${CONSOLE_WORKER} does not exist yet: deploying its placeholder first.`);
    deployPlaceholder(dryRun);
  }
  must(['deploy', ...dryRun]);
  must(['deploy', '-c', 'wrangler.console.toml', ...dryRun]);
  if (!dryRun.length) {
    const listed = spawnSync(process.execPath, [WRANGLER, 'secret', 'list', '-c', 'wrangler.console.toml'], {
      encoding: 'utf8',
    });
    if (!listed.stdout?.includes('JWT_SECRET')) {
      console.warn(
        `\n⚠ ${CONSOLE_WORKER} has no JWT_SECRET: every console page answers 503 until you run\n` +
          "  npx wrangler secret put JWT_SECRET -c wrangler.console.toml   (the API Worker's value)",
      );
    }
  }
}
