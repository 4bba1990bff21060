// `npm run admin:create -- --email <email> [--remote] [--persist-to <dir>]`
// Creates a staff user, or promotes an existing user to staff, in the local D1 database (pending
// migrations are applied first) or, with --remote, in the deployed one. Staff are never made
// through the public API. The password comes from ADMIN_PASSWORD, else a hidden prompt on a TTY;
// it is set on the user. It also enrols two-factor sign-in (TOTP) for the user, replacing any
// earlier enrolment, which revokes an existing user's API tokens and console sessions (in the
// same SQL file as the password). It prints the otpauth:// URI with a QR code for an
// authenticator app and ten recovery codes, once.
// The secret is sealed with the Worker's JWT_SECRET (scripts/two-factor.mjs says which one), so
// --remote needs JWT_SECRET in the environment.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from './password-hash.mjs';
import { enrolment, enrolmentText, workerSecret } from './two-factor.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: npm run admin:create -- --email <email> [--remote] [--persist-to <dir>]';

function fail(message) {
  console.error(message);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { email: '', remote: false, persistTo: '' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--remote') args.remote = true;
    else if (arg === '--email') args.email = argv[++i] ?? '';
    else if (arg.startsWith('--email=')) args.email = arg.slice(8);
    else if (arg === '--persist-to') args.persistTo = argv[++i] ?? '';
    else if (arg.startsWith('--persist-to=')) args.persistTo = arg.slice(13);
    else fail(`unknown argument ${arg}\n${USAGE}`);
  }
  args.email = args.email.trim().toLowerCase();
  // No quotes or spaces: the address goes into SQL as a plain literal.
  if (!/^[^\s@'"\\;]+@[^\s@'"\\;]+\.[^\s@'"\\;]+$/.test(args.email) || args.email.length > 254) {
    fail(`a valid --email is required\n${USAGE}`);
  }
  if (args.remote && args.persistTo) fail('--persist-to is for the local database only');
  return args;
}

function promptHidden(question) {
  return new Promise((resolve, reject) => {
    const { stdin, stdout } = process;
    let value = '';
    const done = (fn) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stdout.write('\n');
      fn();
    };
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(value));
        if (ch === '\u0003') return done(() => reject(new Error('cancelled')));
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdout.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function readPassword(email) {
  let password = process.env.ADMIN_PASSWORD ?? '';
  if (!password) {
    if (!process.stdin.isTTY) fail('set ADMIN_PASSWORD, or run this in a terminal to be asked for the password');
    password = await promptHidden(`Password for ${email}: `);
    if ((await promptHidden('Again: ')) !== password) fail('the passwords do not match');
  }
  // The house rules (src/lib/password.ts passwordProblems).
  if (password.length < 8) fail('the password must have at least 8 characters');
  if (/^\d+$/.test(password)) fail('the password must not be entirely numeric');
  if (password.trim().toLowerCase() === email) fail('the password must not be the email address');
  return password;
}

/** Runs wrangler quietly; its output is shown only when it fails. */
function wrangler(args) {
  const run = spawnSync(process.execPath, ['node_modules/wrangler/bin/wrangler.js', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (run.status !== 0) fail(`wrangler ${args.slice(0, 3).join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
}

const args = parseArgs(process.argv.slice(2));
// Before anything is asked or written: without the Worker's secret the enrolment could not be opened.
const key = workerSecret(ROOT, args.remote);
if (key.error) fail(key.error);
const password = await readPassword(args.email);
const totp = await enrolment(args.email, key.secret);
const quote = (text) => `'${text.replace(/'/g, "''")}'`;
const email = quote(args.email);
const now = quote(new Date().toISOString());
const sql = `INSERT INTO users (email, password_hash, is_staff, is_active, created_at, updated_at)
  VALUES (${email}, ${quote(hashPassword(password))}, 1, 1, ${now}, ${now})
  ON CONFLICT(email) DO UPDATE SET is_staff = 1, is_active = 1, password_hash = excluded.password_hash, updated_at = excluded.updated_at;
DELETE FROM login_attempts WHERE email = ${email};
${totp.sql}`;

const target = args.remote ? ['--remote'] : ['--local', ...(args.persistTo ? ['--persist-to', args.persistTo] : [])];
// stdin is not a terminal for wrangler here, so it applies without asking.
if (!args.remote) wrangler(['d1', 'migrations', 'apply', 'DB', ...target]);

// A file rather than --command keeps the hash out of the process list.
const dir = mkdtempSync(join(tmpdir(), 'trainerhub-admin-'));
try {
  const file = join(dir, 'staff.sql');
  writeFileSync(file, sql, { mode: 0o600 });
  wrangler(['d1', 'execute', 'DB', ...target, '--yes', '--file', file]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(enrolmentText(totp));
console.log(
  `Staff user ${args.email} is ready: sign in at /admin/ with the password and a code from the app (${args.remote ? 'deployed' : 'local'} database).`,
);
