import { env, exports } from 'cloudflare:workers';
import { randomBytes } from 'node:crypto';
import { sealText, TOTP_SEAL_PURPOSE } from '../src/lib/tokens';
import { api, PASSWORD } from './helpers';
import { base32, totpAt } from './totp';

export type Page<T = Record<string, unknown>> = { count: number; next: string | null; results: T[] };
export type Detail = {
  model: string;
  id: number;
  timezone: string;
  record: Record<string, unknown>;
  related: Record<string, unknown>;
};

/** Registers through the public API; `extra` may make it a client user or name the business. */
export async function registerAs(email: string, extra: Record<string, unknown> = {}) {
  const res = await api<{ token: string; user: { id: number; trainer: { id: number } | null } }>(
    'POST',
    '/api/users/register/',
    { body: { email, password: PASSWORD, password_confirm: PASSWORD, ...extra } },
  );
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, token: res.body.token, userId: res.body.user.id, trainerId: res.body.user.trainer?.id ?? 0 };
}

/** The TOTP secret of each staff user made here, by email, and how many console sign-ins used it. */
const staffSecrets = new Map<string, { secret: string; used: number }>();

/**
 * A staff user with two-factor sign-in on, as scripts/admin-create.mjs leaves one. Staff are never
 * created or promoted through the API, so the test registers a plain user and sets is_staff and a
 * known TOTP secret (sealed as the Worker stores one) in D1; `enrol: false` leaves it without one,
 * as a staff user from before two-factor sign-in.
 */
export async function registerStaff(email: string, opts: { enrol?: boolean } = {}) {
  const user = await registerAs(email, { is_client: true, first_name: 'Sam', last_name: 'Staff' });
  const totpSecret = base32(randomBytes(20));
  const sealed = opts.enrol === false ? null : await sealText(env.JWT_SECRET as string, TOTP_SEAL_PURPOSE, totpSecret);
  await env.DB.prepare('UPDATE users SET is_staff = 1, totp_secret = ? WHERE id = ?').bind(sealed, user.userId).run();
  if (sealed) staffSecrets.set(email, { secret: totpSecret, used: 0 });
  return { ...user, totpSecret };
}

export type Reply = { status: number; headers: Headers; text: string };

/** A browser's request to the console: cookies by hand, forms url-encoded, redirects not followed. */
export async function page(
  method: string,
  path: string,
  opts: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.Cookie = opts.cookie;
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  const res = await exports.default.fetch(
    new Request(`http://example.com${path}`, { method, headers, body, redirect: 'manual' }),
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const cookieOf = (reply: Reply, name: string) => {
  const line = reply.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return line ? { line, pair: line.split(';')[0] ?? '', value: line.slice(name.length + 1).split(';')[0] ?? '' } : null;
};
export const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/**
 * The console's whole sign-in: the login form, the password, then the code page with the current
 * code of the staff user's app. Each sign-in of one user runs 30 seconds after the one before it
 * (`X-Test-Now`), since a code is accepted once. `res` is the last answer (the code step's, or the
 * password step's when that refused); `cookie` the console session and `csrf` a page's token.
 */
export async function signInConsole(email: string, password = PASSWORD, opts: { code?: string } = {}) {
  const known = staffSecrets.get(email);
  const when = new Date(Date.now() + (known?.used ?? 0) * 30_000).toISOString();
  const headers = { 'X-Test-Now': when };
  const form = await page('GET', '/admin/login', { headers });
  const pre = cookieOf(form, 'th_admin_login')?.pair ?? '';
  let res = await page('POST', '/admin/login', {
    cookie: pre,
    headers,
    form: { csrf: csrfIn(form.text), email, password, next: '/admin/' },
  });
  const pending = cookieOf(res, 'th_admin_2fa')?.pair ?? '';
  if (pending && (known || opts.code)) {
    const codePage = await page('GET', '/admin/login/code', { cookie: pending, headers });
    const code = opts.code ?? totpAt(known?.secret ?? '', when);
    res = await page('POST', '/admin/login/code', {
      cookie: pending,
      headers,
      form: { csrf: csrfIn(codePage.text), code, next: '/admin/' },
    });
    if (known && !opts.code) known.used++;
  }
  const session = cookieOf(res, 'th_admin');
  const cookie = session?.pair ?? '';
  const home = cookie ? await page('GET', '/admin/', { cookie }) : null;
  return { res, pre, pending, cookie, session, csrf: home ? csrfIn(home.text) : '' };
}

export const auditRows = (model: string, recordId: number) =>
  env.DB.prepare('SELECT * FROM admin_audit_log WHERE model = ? AND record_id = ? ORDER BY id')
    .bind(model, recordId)
    .all<{ id: number; staff_user_id: number; action: string; changes: string; at: string }>()
    .then((r) => r.results);
