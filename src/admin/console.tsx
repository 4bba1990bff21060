// The staff console at /admin/: HTML pages over the same admin services as /api/admin/. It signs
// in with its own cookie (never an API token), checks a CSRF token on every POST, and sends a
// strict CSP (no script; the one stylesheet under a nonce) with X-Frame-Options: DENY.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isoNow } from '../lib/clock';
import { NONCE, nonceOf, securityHeaders } from '../lib/html';
import { ApiError, type FieldErrors, invalid, zodFieldErrors } from '../lib/problem';
import { attention } from './attention';
import { bookingActions } from './booking-console';
import {
  type C,
  type ConsoleEnv,
  formOf,
  LOGIN_PATH,
  message,
  render,
  SESSION_COOKIE,
  SIGN_IN_PATHS,
} from './console-kit';
import { adminDeps } from './deps';
import { isModelName, MODELS, type ModelDef } from './models';
import { ChoosePage, DetailPage, HomePage, ListPage } from './pages';
import { bookingPanel } from './pages/booking';
import { listQuerySchema, patchSchema } from './schemas';
import { resolvePicks } from './search';
import * as admin from './service';
import { csrfFor, csrfMatches, sessionUser } from './session';
import { signInRouter } from './sign-in';

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

/**
 * Every page but the sign-in's needs a console session of an active staff user; every POST a
 * CSRF token. (A session exists only after the second factor: see sign-in.tsx.)
 */
const requireStaff = createMiddleware<ConsoleEnv>(async (c, next) => {
  const path = c.req.path.replace(/\/+$/, '');
  if (SIGN_IN_PATHS.has(path)) return next();
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
  // Pickers: a name, an email or an id becomes the id to filter by, or a choice to make first.
  const picked = await resolvePicks(c.var.db, def, query);
  if (picked.choose) {
    return render(c, <ChoosePage frame={c.get('frame')} def={def} query={query} {...picked.choose} />);
  }
  const parsed = listQuerySchema(def).safeParse({ ...query, ...picked.ids });
  let errors: FieldErrors = { ...picked.errors };
  let page: { count: number; results: admin.Row[] } = { count: 0, results: [] };
  if (!parsed.success) {
    errors = { ...zodFieldErrors(parsed.error), ...errors };
  } else if (!Object.keys(errors).length) {
    try {
      page = await admin.listRecords(c.var.db, def, parsed.data, isoNow(c.var.clock));
    } catch (err) {
      if (!(err instanceof ApiError && err.extra.errors)) throw err;
      errors = err.extra.errors;
    }
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
    picked: picked.found,
  };
  return render(c, <ListPage {...props} />, Object.keys(errors).length ? 400 : 200);
}

async function home(c: C) {
  const [counts, needs] = await Promise.all([admin.countAll(c.var.db), attention(c.var.db, isoNow(c.var.clock))]);
  return render(c, <HomePage frame={c.get('frame')} counts={counts} attention={needs} />);
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
  const { detail, rows } = await admin.readRecord(c.var.db, def, id, isoNow(c.var.clock));
  const values: Record<string, string> = {};
  for (const name of Object.keys(def.patch ?? {})) values[name] = shown(detail.record[name] ?? '');
  if (def.name === 'bookings') values.allow_outside_availability = 'false';
  const page = (
    <DetailPage
      frame={c.get('frame')}
      def={def}
      detail={detail}
      rows={rows}
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
  .route('/', signInRouter)
  .get('/admin', home)
  .get('/admin/:model', list)
  .get('/admin/:model/:id', detail)
  .post('/admin/bookings/:id', booking.notes)
  .post('/admin/bookings/:id/notes', booking.notes)
  .post('/admin/bookings/:id/status', booking.status)
  .post('/admin/bookings/:id/time', booking.time)
  .post('/admin/:model/:id', save)
  .post('/admin/:model/:id/retry', retry)
  .post('/admin/:model/:id/delete', remove);
