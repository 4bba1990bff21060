import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

export { until } from '../until';

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

let addresses = 0;
/**
 * A client address of its own (TEST-NET-2), for a request a per-address limit counts: the suites
 * share one server, and registering trainers from one address would reach the hourly limit.
 */
export const ownAddress = (): Record<string, string> => ({
  'CF-Connecting-IP': `198.18.${Math.floor(addresses / 250) % 250}.${(addresses++ % 250) + 1}`,
});

/** A tiny HTTP client for the running server, as an app would call it. */
export const call = <T = Record<string, unknown>>(method: string, path: string, opts: CallOptions = {}) =>
  callAt<T>(inject('baseUrl'), method, path, opts);

/** The same, for a server of the test's own (a connection error rejects: the answer was lost). */
export async function callAt<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.token) headers.Authorization = `Token ${opts.token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

/**
 * The newest link a mail to `email` carried, whose path begins with `path`, as the log provider
 * wrote it in wrangler dev's log; null while none is there.
 */
export function mailedLink(email: string, path: string): string | null {
  const log = readFileSync(join(inject('stateDir'), 'wrangler.log'), 'utf8');
  const pattern = new RegExp(`https?://[^\\s"\\\\]+${path.replace(/[?]/g, '\\?')}[^\\s"\\\\]+`);
  for (const line of log.split('\n').reverse()) {
    if (!line.includes('"notification (log provider)"') || !line.includes(`"to":"${email}"`)) continue;
    const match = pattern.exec(line);
    if (match) return match[0];
  }
  return null;
}
