import { exports } from 'cloudflare:workers';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the Worker's own fetch handler, as a client would over HTTP. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization ??= `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.com`;

export const PASSWORD = 'correct-horse-42';

export async function registerTrainer(extra: Record<string, unknown> = {}) {
  const email = uniqueEmail('trainer');
  const res = await api<{ token: string; user: { id: number; trainer: { id: number; slug: string } } }>(
    'POST',
    '/api/users/register/',
    { body: { email, password: PASSWORD, password_confirm: PASSWORD, ...extra } },
  );
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, token: res.body.token, user: res.body.user };
}
