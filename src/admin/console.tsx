// The staff console at /admin/: HTML pages over the same admin services as /api/admin/. It signs
// in with its own cookie (never an API token), checks a CSRF token on every POST, and sends a
// strict CSP (no script; the one stylesheet under a nonce) with X-Frame-Options: DENY.
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { User } from '../db/schema';
import { isoNow } from '../lib/clock';
import { type Bindings, jwtSecretOf } from '../lib/config';
import type { AppEnv } from '../lib/context';
import { document, NONCE, nonceOf, securityHeaders } from '../lib/html';
import { ApiError, type FieldErrors, invalid, zodFieldErrors } from '../lib/problem';
import { loginBody } from '../users/schemas';
import { bookingActions } from './booking-console';
import { adminDeps } from './deps';
import { isModelName, MODELS, type ModelDef } from './models';
import { DetailPage, type Frame, HomePage, ListPage, LoginPage, MessagePage } from './pages';
import { bookingPanel } from './pages/booking';
import { listQuerySchema, patchSchema } from './schemas';
import * as admin from './service';
import {
  CONSOLE_SESSION_SECONDS,
  csrfFor,
  csrfMatches,
  isLoginToken,
  newLoginToken,
  sessionUser,
  signIn,
  signOut,
} from './session';

type ConsoleEnv = {
  Bindings: Bindings;
  Variables: AppEnv['Variables'] & { staff: User; session: string; frame: Frame };
};
type C = Context<ConsoleEnv>;

const SESSION_COOKIE = 'th_admin';
const LOGIN_COOKIE = 'th_admin_login';
const COOKIE = { httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' } as const;
const LOGIN_PATH = '/admin/login';

const render = (c: C, node: Child, status: ContentfulStatusCode = 200) => c.html(document(node), status);

const message = (c: C, status: ContentfulStatusCode, title: string, text: string) =>
  render(c, <MessagePage nonce={nonceOf(c)} frame={c.get('frame')} title={title} message={text} />, status);

/** Where to go after login: a console path of ours, never another site. */
const safeNext = (value: unknown) =>
  typeof value === 'string' && /^\/admin\/[\w\-/.?=&%]*$/.test(value) && !value.includes('//') ? value : '/admin/';

/** No script; only the one stylesheet, under this response's nonce; never framed, never cached. */
const consoleHeaders = securityHeaders(
  {
    defaultSrc: ["'none'"],
    styleSrc: [NONCE],
    imgSrc: ["'self'"],
    formAction: ["'self'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
  { xFrameOptions: 'DENY' },
);

const noStore = createMiddleware<ConsoleEnv>(async (c, next) => {
  await next();
  c.header('Cache-Control', 'no-store');
});

const limitBody = bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('Form too large.', 413) });

/** Every page but the login needs a console session of an active staff user; every POST a CSRF token. */
const requireStaff = createMiddleware<ConsoleEnv>(async (c, next) => {
  const path = c.req.path.replace(/\/+$/, '');
  if (path === LOGIN_PATH) return next();
  const token = getCookie(c, SESSION_COOKIE);
  const user = await sessionUser(c.var.db, token, isoNow(c.var.clock));
  if (!token || !user) {
    const url = new URL(c.req.url);
    const back = c.req.method === 'GET' ? `?next=${encodeURIComponent(url.pathname + url.search)}` : '';
    return c.redirect(`${LOGIN_PATH}${back}`, 303);
  }
  if (!user.isStaff) return message(c, 403, 'Forbidden', 'This account has no staff access.');
  const csrf = await csrfFor(token);
  c.set('staff', user);
  c.set('session', token);
  c.set('frame', { nonce: nonceOf(c), csrf, email: user.email });
  if (c.req.method === 'POST' && !(await csrfMatches(token, (await c.req.parseBody()).csrf))) {
    return message(c, 403, 'Forbidden', 'This form is out of date or not from this console; reload the page.');
  }
  await next();
});

// ---- signing in and out ----------------------------------------------------------------

async function loginForm(c: C, status: ContentfulStatusCode = 200, error?: string, email?: string) {
  if (
    c.req.method === 'GET' &&
    (await sessionUser(c.var.db, getCookie(c, SESSION_COOKIE), isoNow(c.var.clock)))?.isStaff
  ) {
    return c.redirect('/admin/', 303);
  }
  const secret = jwtSecretOf(c.var.config);
  const brought = getCookie(c, LOGIN_COOKIE);
  let pre = brought && (await isLoginToken(secret, brought)) ? brought : undefined;
  if (!pre) {
    // A pre-login cookie of our own (never a value the client brought), so that the login form
    // carries a CSRF token too.
    pre = await newLoginToken(secret);
    setCookie(c, LOGIN_COOKIE, pre, { ...COOKIE, maxAge: 3600 });
  }
  const next = safeNext(c.req.query('next') ?? (await formOf(c)).next);
  return render(
    c,
    <LoginPage nonce={nonceOf(c)} csrf={await csrfFor(pre)} next={next} error={error} email={email} />,
    status,
  );
}

const formOf = async (c: C): Promise<Record<string, string>> => {
  if (c.req.method !== 'POST') return {};
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
};

async function login(c: C) {
  const form = await formOf(c);
  const pre = getCookie(c, LOGIN_COOKIE);
  if (!(await isLoginToken(jwtSecretOf(c.var.config), pre)) || !(await csrfMatches(pre, form.csrf))) {
    return message(c, 403, 'Forbidden', 'This form is out of date; reload the login page and try again.');
  }
  const parsed = loginBody.safeParse({ email: form.email, password: form.password });
  if (!parsed.success) return loginForm(c, 400, 'Enter your email and password.', form.email);
  try {
    const ip = c.req.header('CF-Connecting-IP') ?? null;
    const { token } = await signIn(c.var.db, parsed.data.email, parsed.data.password, ip, isoNow(c.var.clock));
    // Always a fresh session id: whatever session cookie the browser had is ended, never reused.
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) await signOut(c.var.db, previous);
    setCookie(c, SESSION_COOKIE, token, { ...COOKIE, maxAge: CONSOLE_SESSION_SECONDS });
    deleteCookie(c, LOGIN_COOKIE, COOKIE);
    return c.redirect(safeNext(form.next), 303);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    for (const [name, value] of Object.entries(err.extra.headers ?? {})) {
      if (name === 'Retry-After') c.header(name, value);
    }
    return loginForm(c, err.status, err.detail, parsed.data.email);
  }
}

async function logout(c: C) {
  await signOut(c.var.db, c.get('session'));
  deleteCookie(c, SESSION_COOKIE, COOKIE);
  return c.redirect(LOGIN_PATH, 303);
}

// ---- models ----------------------------------------------------------------------------

const modelOf = (c: C): ModelDef | null => {
  const name = c.req.param('model') ?? '';
  return isModelName(name) ? MODELS[name] : null;
};
const idOf = (c: C): number | null => {
  const id = c.req.param('id') ?? '';
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
};
const staffOf = (c: C): admin.Staff => ({ id: c.get('staff').id, email: c.get('staff').email });
const notFoundPage = (c: C) => message(c, 404, 'Not found', 'There is no such page or record.');

async function list(c: C) {
  const def = modelOf(c);
  if (!def) return notFoundPage(c);
  // An empty filter field of the GET form means "any".
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''));
  const parsed = listQuerySchema(def).safeParse(query);
  let errors: FieldErrors = {};
  let page: { count: number; results: admin.Row[] } = { count: 0, results: [] };
  if (parsed.success) {
    try {
      page = await admin.listRecords(c.var.db, def, parsed.data);
    } catch (err) {
      if (!(err instanceof ApiError && err.extra.errors)) throw err;
      errors = err.extra.errors;
    }
  } else {
    errors = zodFieldErrors(parsed.error);
  }
  const props = {
    frame: c.get('frame'),
    def,
    query,
    rows: page.results,
    count: page.count,
    page: parsed.success ? parsed.data.page : 1,
    pageSize: parsed.success ? parsed.data.page_size : 20,
    errors,
  };
  return render(c, <ListPage {...props} />, Object.keys(errors).length ? 400 : 200);
}

/** A record's value as its form field shows it; an unchanged field is not sent on. */
const shown = (value: unknown) => (value === null || value === undefined ? '' : String(value));

async function detailPage(
  c: C,
  def: ModelDef,
  id: number,
  opts: {
    status?: ContentfulStatusCode;
    errors?: FieldErrors;
    alert?: string;
    submitted?: Record<string, string>;
  } = {},
) {
  const detail = await admin.getRecord(c.var.db, def, id);
  const values: Record<string, string> = {};
  for (const name of Object.keys(def.patch ?? {})) values[name] = shown(detail.record[name] ?? '');
  if (def.name === 'bookings') values.allow_outside_availability = 'false';
  const page = (
    <DetailPage
      frame={c.get('frame')}
      def={def}
      detail={detail}
      values={{ ...values, ...opts.submitted }}
      errors={opts.errors ?? {}}
      alert={opts.alert}
      saved={c.req.query('saved') === '1'}
      booking={def.name === 'bookings' ? bookingPanel(detail, isoNow(c.var.clock)) : undefined}
    />
  );
  return render(c, page, opts.status ?? 200);
}

async function detail(c: C) {
  const def = modelOf(c);
  const id = idOf(c);
  if (!def || id === null) return notFoundPage(c);
  try {
    return await detailPage(c, def, id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return notFoundPage(c);
    throw err;
  }
}

/** The changed fields of an edit form, typed as the JSON API takes them. */
function formChanges(def: ModelDef, form: Record<string, string>, record: Record<string, unknown>) {
  const input: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(def.patch ?? {})) {
    const value = form[name];
    if (value === undefined || value === shown(record[name])) continue;
    if (field.input === 'number') input[name] = /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    else if (field.input === 'bool') input[name] = value === 'true' ? true : value === 'false' ? false : value;
    else input[name] = value;
  }
  return input;
}

/** Runs a change; a refused one re-renders the page with each field's error beside it. */
async function change(c: C, run: (def: ModelDef, id: number, form: Record<string, string>) => Promise<string>) {
  const def = modelOf(c);
  const id = idOf(c);
  if (!def || id === null) return notFoundPage(c);
  const form = await formOf(c);
  try {
    return c.redirect(await run(def, id, form), 303);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 404) return notFoundPage(c);
    const submitted = Object.fromEntries(Object.entries(form).filter(([name]) => name in (def.patch ?? {})));
    return detailPage(c, def, id, {
      status: err.status,
      errors: err.extra.errors,
      alert: err.extra.errors ? 'Please correct the fields below.' : err.detail,
      submitted,
    });
  }
}

const save = (c: C) =>
  change(c, async (def, id, form) => {
    if (!def.patch) throw new ApiError(405, 'This record cannot be changed here.');
    const current = await admin.findRecord(c.var.db, def, id);
    const parsed = patchSchema(def).safeParse(formChanges(def, form, current));
    if (!parsed.success) throw invalid(zodFieldErrors(parsed.error));
    await admin.patchRecord(adminDeps(c), staffOf(c), def, id, parsed.data);
    return `/admin/${def.name}/${id}/?saved=1`;
  });

const retry = (c: C) =>
  change(c, async (def, id) => {
    if (!def.retryable) throw new ApiError(405, 'This record cannot be retried.');
    await admin.retryRecord(adminDeps(c), staffOf(c), def, id);
    return `/admin/${def.name}/${id}/?saved=1`;
  });

const remove = (c: C) =>
  change(c, async (def, id) => {
    if (!def.deletable) throw new ApiError(405, 'This record cannot be deleted.');
    await admin.deleteRecord(adminDeps(c), staffOf(c), def, id);
    return `/admin/${def.name}/`;
  });

const booking = bookingActions({ render, detailPage, notFound: notFoundPage, formOf });

export const consoleRouter = new Hono<ConsoleEnv>({ strict: false })
  .use('/admin/*', consoleHeaders, noStore, limitBody, requireStaff)
  .get(LOGIN_PATH, (c) => loginForm(c))
  .post(LOGIN_PATH, login)
  .post('/admin/logout', logout)
  .get('/admin', async (c) => render(c, <HomePage frame={c.get('frame')} counts={await admin.countAll(c.var.db)} />))
  .get('/admin/:model', list)
  .get('/admin/:model/:id', detail)
  .post('/admin/bookings/:id', booking.notes)
  .post('/admin/bookings/:id/notes', booking.notes)
  .post('/admin/bookings/:id/status', booking.status)
  .post('/admin/bookings/:id/time', booking.time)
  .post('/admin/:model/:id', save)
  .post('/admin/:model/:id/retry', retry)
  .post('/admin/:model/:id/delete', remove);
