import { env, exports } from 'cloudflare:workers';
import { api, PASSWORD } from './helpers';

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

/**
 * A staff user. Staff are never created or promoted through the API (scripts/admin-create.mjs
 * does it on a real database), so the test registers a plain user and sets is_staff in D1.
 */
export async function registerStaff(email: string) {
  const user = await registerAs(email, { is_client: true, first_name: 'Sam', last_name: 'Staff' });
  await env.DB.prepare('UPDATE users SET is_staff = 1 WHERE id = ?').bind(user.userId).run();
  return user;
}

export const auditRows = (model: string, recordId: number) =>
  env.DB.prepare('SELECT * FROM admin_audit_log WHERE model = ? AND record_id = ? ORDER BY id')
    .bind(model, recordId)
    .all<{ id: number; staff_user_id: number; action: string; changes: string; at: string }>()
    .then((r) => r.results);

// ---- the staff console as a browser uses it ----------------------------------------------

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

/** The login form, then the login: the console session cookie and the page's CSRF token. */
export async function signIn(email: string, password = PASSWORD) {
  const form = await page('GET', '/admin/login');
  const pre = cookieOf(form, 'th_admin_login')?.pair ?? '';
  const res = await page('POST', '/admin/login', {
    cookie: pre,
    form: { csrf: csrfIn(form.text), email, password, next: '/admin/' },
  });
  const session = cookieOf(res, 'th_admin');
  const cookie = session?.pair ?? '';
  const home = cookie ? await page('GET', '/admin/', { cookie }) : null;
  return { res, pre, cookie, session, csrf: home ? csrfIn(home.text) : '' };
}
