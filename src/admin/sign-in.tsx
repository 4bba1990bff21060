// The console's sign-in: the password page (with its pre-login cookie for CSRF), then the second
// factor on its own page (the code, or enrolling an authenticator app at a staff user's first
// sign-in), then the session cookie. Between the two steps the browser holds only a signed,
// HttpOnly cookie on /admin naming the user for five minutes; no session exists yet.
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { nonceOf } from '../lib/html';
import { ApiError } from '../lib/problem';
import { loginBody } from '../users/schemas';
import {
  type C,
  COOKIE,
  type ConsoleEnv,
  formOf,
  LOGIN_COOKIE,
  LOGIN_PATH,
  message,
  render,
  SESSION_COOKIE,
  safeNext,
  TWO_FACTOR_COOKIE,
} from './console-kit';
import { LoginPage } from './pages';
import { CodePage, EnrolPage, RecoveryCodesPage } from './pages/two-factor';
import {
  CONSOLE_SESSION_SECONDS,
  codeStep,
  csrfFor,
  csrfMatches,
  enrolStep,
  isLoginToken,
  newLoginToken,
  newPendingToken,
  passwordStep,
  pendingStaff,
  sessionUser,
  signOut,
  TWO_FACTOR_SECONDS,
} from './session';

const CODE_PATH = `${LOGIN_PATH}/code`;
const ENROL_PATH = `${LOGIN_PATH}/enrol`;
const ip = (c: C) => c.req.header('CF-Connecting-IP') ?? null;
const nextQuery = (next: string) => (next === '/admin/' ? '' : `?next=${encodeURIComponent(next)}`);

/** Passes a 429's Retry-After on to the page. */
function retryAfter(c: C, err: ApiError) {
  for (const [name, value] of Object.entries(err.extra.headers ?? {})) {
    if (name === 'Retry-After') c.header(name, value);
  }
}

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

/** The password step: never a session, only the half-signed-in cookie and the way to the code page. */
async function login(c: C) {
  const form = await formOf(c);
  const pre = getCookie(c, LOGIN_COOKIE);
  const secret = jwtSecretOf(c.var.config);
  if (!(await isLoginToken(secret, pre)) || !(await csrfMatches(pre, form.csrf))) {
    return message(c, 403, 'Forbidden', 'This form is out of date; reload the login page and try again.');
  }
  const parsed = loginBody.safeParse({ email: form.email, password: form.password });
  if (!parsed.success) return loginForm(c, 400, 'Enter your email and password.', form.email);
  try {
    const now = isoNow(c.var.clock);
    const { user, enrol } = await passwordStep(c.var.db, parsed.data.email, parsed.data.password, ip(c), now);
    const pending = await newPendingToken(secret, user.id, now, enrol);
    setCookie(c, TWO_FACTOR_COOKIE, pending, { ...COOKIE, maxAge: TWO_FACTOR_SECONDS });
    deleteCookie(c, LOGIN_COOKIE, COOKIE);
    return c.redirect(`${enrol ? ENROL_PATH : CODE_PATH}${nextQuery(safeNext(form.next))}`, 303);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    retryAfter(c, err);
    return loginForm(c, err.status, err.detail, parsed.data.email);
  }
}

/**
 * The half-signed-in user, the enrolment their attempt carries and the cookie value, or null
 * (expired, forged, or no longer staff).
 */
async function pendingOf(c: C) {
  const value = getCookie(c, TWO_FACTOR_COOKIE);
  const found = await pendingStaff(c.var.db, jwtSecretOf(c.var.config), value, isoNow(c.var.clock));
  return found && value ? { ...found, value } : null;
}

const startAgain = (c: C) => {
  deleteCookie(c, TWO_FACTOR_COOKIE, COOKIE);
  return c.redirect(LOGIN_PATH, 303);
};

/** The second step's form, after a CSRF check on POST; `null` means "answered already". */
async function secondStep(c: C) {
  const pending = await pendingOf(c);
  if (!pending) return { answer: startAgain(c) };
  const form = await formOf(c);
  if (c.req.method === 'POST' && !(await csrfMatches(pending.value, form.csrf))) {
    return { answer: message(c, 403, 'Forbidden', 'This form is out of date; start the sign-in again.') };
  }
  const next = safeNext(c.req.query('next') ?? form.next);
  return { pending, form, next, csrf: await csrfFor(pending.value) };
}

/** The session cookie of a finished sign-in; whatever session the browser had is ended. */
async function startConsole(c: C, token: string) {
  const previous = getCookie(c, SESSION_COOKIE);
  if (previous) await signOut(c.var.db, previous);
  setCookie(c, SESSION_COOKIE, token, { ...COOKIE, maxAge: CONSOLE_SESSION_SECONDS });
  deleteCookie(c, TWO_FACTOR_COOKIE, COOKIE);
}

async function codePage(c: C) {
  const step = await secondStep(c);
  if ('answer' in step) return step.answer;
  const { pending, form, next, csrf } = step;
  if (!pending.user.totpSecret) return c.redirect(`${ENROL_PATH}${nextQuery(next)}`, 303);
  const page = (status: ContentfulStatusCode, error?: string) =>
    render(c, <CodePage nonce={nonceOf(c)} csrf={csrf} next={next} error={error} />, status);
  if (c.req.method !== 'POST') return page(200);
  if (!form.code?.trim()) return page(400, 'Enter the code from your authenticator app, or a recovery code.');
  try {
    const secret = jwtSecretOf(c.var.config);
    await startConsole(c, await codeStep(c.var.db, secret, pending, form.code, ip(c), isoNow(c.var.clock)));
    return c.redirect(next, 303);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    retryAfter(c, err);
    return page(err.status, err.detail);
  }
}

async function enrolPage(c: C) {
  const step = await secondStep(c);
  if ('answer' in step) return step.answer;
  const { pending, form, next, csrf } = step;
  if (pending.user.totpSecret) return c.redirect(`${CODE_PATH}${nextQuery(next)}`, 303);
  // Only the secret this attempt made, from its own cookie (one without: sign in again).
  const { enrolment } = pending;
  if (!enrolment) return startAgain(c);
  const page = (status: ContentfulStatusCode, error?: string) =>
    render(
      c,
      <EnrolPage
        nonce={nonceOf(c)}
        csrf={csrf}
        next={next}
        error={error}
        email={pending.user.email}
        secret={enrolment.secret}
        uri={enrolment.otpauth_uri}
      />,
      status,
    );
  if (c.req.method !== 'POST') return page(200);
  if (!form.code?.trim()) return page(400, 'Enter the 6-digit code your app shows.');
  try {
    const secret = jwtSecretOf(c.var.config);
    const now = isoNow(c.var.clock);
    const done = await enrolStep(c.var.db, secret, pending, enrolment.secret, form.code, ip(c), now);
    await startConsole(c, done.token);
    return render(c, <RecoveryCodesPage nonce={nonceOf(c)} codes={done.recoveryCodes} next={next} />);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    retryAfter(c, err);
    return page(err.status, err.detail);
  }
}

async function logout(c: C) {
  await signOut(c.var.db, c.get('session'));
  deleteCookie(c, SESSION_COOKIE, COOKIE);
  return c.redirect(LOGIN_PATH, 303);
}

export const signInRouter = new Hono<ConsoleEnv>({ strict: false })
  .get(LOGIN_PATH, (c) => loginForm(c))
  .post(LOGIN_PATH, login)
  .get(CODE_PATH, codePage)
  .post(CODE_PATH, codePage)
  .get(ENROL_PATH, enrolPage)
  .post(ENROL_PATH, enrolPage)
  .post('/admin/logout', logout);
