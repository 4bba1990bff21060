// What the console's pages and its sign-in share: the Hono environment, the cookies and the
// rendering helpers.
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { User } from '../db/schema';
import type { Bindings } from '../lib/config';
import type { AppEnv } from '../lib/context';
import { document, nonceOf } from '../lib/html';
import { type Frame, MessagePage } from './pages';

export type ConsoleEnv = {
  Bindings: Bindings;
  Variables: AppEnv['Variables'] & { staff: User; session: string; frame: Frame };
};
export type C = Context<ConsoleEnv>;

export const SESSION_COOKIE = 'th_admin';
export const LOGIN_COOKIE = 'th_admin_login';
/** The half-signed-in state between the password and the second factor (signed, 5 minutes). */
export const TWO_FACTOR_COOKIE = 'th_admin_2fa';
export const COOKIE = { httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' } as const;
export const LOGIN_PATH = '/admin/login';
/** The pages a visitor without a console session may see. */
export const SIGN_IN_PATHS = new Set([LOGIN_PATH, `${LOGIN_PATH}/code`, `${LOGIN_PATH}/enrol`]);

export const render = (c: C, node: Child, status: ContentfulStatusCode = 200) => c.html(document(node), status);

export const message = (c: C, status: ContentfulStatusCode, title: string, text: string) =>
  render(c, <MessagePage nonce={nonceOf(c)} frame={c.get('frame')} title={title} message={text} />, status);

/** Where to go after login: a console path of ours, never another site. */
export const safeNext = (value: unknown) =>
  typeof value === 'string' && /^\/admin\/[\w\-/.?=&%]*$/.test(value) && !value.includes('//') ? value : '/admin/';

export const formOf = async (c: C): Promise<Record<string, string>> => {
  if (c.req.method !== 'POST') return {};
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
};
