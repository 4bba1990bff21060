import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { resyncCalendars } from '../calendar/connections';
import { requireAuth } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { authenticated, jsonBody, jsonResponse, noBody, problems, rateLimited } from '../lib/openapi';
import { clientAddress, RATE_POLICIES, rateLimit } from '../lib/ratelimit';
import { type AppEnv, createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { deleteAccount } from './account';
import { passwordResetRouter } from './password-reset-routes';
import {
  authOut,
  changePasswordBody,
  type ProfileUpdateInput,
  profileOut,
  profileUpdateBody,
  registerBody,
  tokenOut,
} from './schemas';
import * as users from './service';
import { sessionsRouter } from './session-routes';
import { deviceOf } from './sessions';
import { twoFactorRouter } from './two-factor-routes';
import { deleteAccountBody, twoFactorLoginBody } from './two-factor-schemas';
import { mailVerificationLink, verifyEmail } from './verification';

const tags = ['users'];

const register = createRoute({
  method: 'post',
  path: '/api/users/register',
  tags,
  summary: 'Create an account (trainer by default, or a client with is_client) and sign in',
  middleware: rateLimit(RATE_POLICIES.register),
  request: jsonBody(registerBody),
  responses: {
    201: jsonResponse(authOut, 'Registered and signed in'),
    ...problems(400, 413, 415),
    ...rateLimited(RATE_POLICIES.register),
  },
});

const login = createRoute({
  method: 'post',
  path: '/api/users/login',
  tags,
  summary: 'Exchange email and password (and the 6-digit code, once two-factor sign-in is on) for a token',
  description:
    'With two-factor sign-in on (`/api/users/2fa/`), the right password without `otp` or `recovery_code` answers 401 with `code: "otp_required"` and no token; a wrong or reused code answers 401 `invalid_otp`. Wrong passwords and wrong codes count toward the same lockout (429 with `Retry-After`).',
  request: jsonBody(twoFactorLoginBody),
  responses: {
    200: jsonResponse(authOut, 'Signed in'),
    ...problems(400, 401),
    ...rateLimited(RATE_POLICIES.login),
  },
});

const logout = createRoute({
  method: 'post',
  path: '/api/users/logout',
  tags,
  summary: 'Revoke the token used for this request',
  description:
    'Signs this device out. `GET /api/users/sessions/` lists every signed-in device, and `DELETE /api/users/sessions/` signs out all but this one.',
  security: authenticated,
  middleware: requireAuth,
  request: noBody,
  responses: { 204: { description: 'Signed out' }, ...problems(400, 401) },
});

const profile = createRoute({
  method: 'get',
  path: '/api/users/profile',
  tags,
  summary: 'The signed-in user, with trainer settings for trainers',
  security: authenticated,
  middleware: requireAuth,
  responses: { 200: jsonResponse(profileOut, 'The profile'), ...problems(401) },
});

const updateRoute = (method: 'put' | 'patch') =>
  createRoute({
    method,
    path: '/api/users/profile',
    tags,
    summary: 'Update name, phone and trainer settings (flat or nested under `trainer`)',
    security: authenticated,
    middleware: requireAuth,
    request: jsonBody(profileUpdateBody),
    responses: { 200: jsonResponse(profileOut, 'The updated profile'), ...problems(400, 401) },
  });

const verify = createRoute({
  method: 'get',
  path: '/api/users/verify-email',
  tags,
  summary: 'Confirm an email address with the link mailed at registration (48 h)',
  request: { query: z.object({ token: z.string().min(1).max(300) }) },
  responses: {
    200: jsonResponse(z.object({ email: z.string(), email_verified: z.literal(true) }), 'Confirmed'),
    ...problems(400),
  },
});

const resend = createRoute({
  method: 'post',
  path: '/api/users/resend-verification',
  tags,
  summary: 'Mail the email-confirmation link again',
  security: authenticated,
  middleware: [
    requireAuth,
    rateLimit(RATE_POLICIES.resendVerification, (c) => ({ account: String(c.get('auth').user.id) })),
  ] as const,
  request: noBody,
  responses: {
    202: jsonResponse(z.object({ detail: z.string() }), 'Queued'),
    ...problems(400, 401),
    ...rateLimited(RATE_POLICIES.resendVerification),
  },
});

const changePassword = createRoute({
  method: 'post',
  path: '/api/users/change-password',
  tags,
  summary: 'Change the password; every other token of the user is revoked',
  security: authenticated,
  middleware: requireAuth,
  description: 'A wrong `old_password` counts toward the login lockout of the account, after which this answers 429.',
  request: jsonBody(changePasswordBody),
  responses: {
    200: jsonResponse(tokenOut, 'A fresh token'),
    ...problems(400, 401),
    ...rateLimited(RATE_POLICIES.login),
  },
});

const removeAccount = createRoute({
  method: 'post',
  path: '/api/users/delete-account',
  tags,
  summary: 'Delete your account for good',
  description:
    "Needs the password (and with two-factor sign-in on, `code` or `recovery_code`); a wrong one counts toward the login lockout, after which this answers 429. A trainer's account goes with all of the business: clients, bookings, classes, series, packs, services, calendars, messages and payments; while the subscription still runs: 409 `subscription_active` (cancel it first). A client user's account is only the sign-in: their trainers keep their client records. Staff: 403 `staff_account`. Answers 204; every token of the account stops working.",
  security: authenticated,
  middleware: requireAuth,
  request: jsonBody(deleteAccountBody),
  responses: {
    204: { description: 'Deleted' },
    ...problems(400, 401, 403, 409),
    ...rateLimited(RATE_POLICIES.login),
  },
});

/** What mailing a verification link needs from the request. */
const linkArgs = (c: Context<AppEnv>) => ({
  secret: jwtSecretOf(c.var.config),
  appOrigin: c.var.config.appOrigin,
  now: isoNow(c.var.clock),
});

/** The profile updated; a new zone or horizon has the trainer's calendars synced again at once. */
async function updateProfile(c: Context<AppEnv>, input: ProfileUpdateInput) {
  const auth = c.get('auth');
  const out = await users.updateProfile(c.var.db, auth, input, isoNow(c.var.clock));
  const before = auth.trainer;
  if (
    before &&
    out.trainer &&
    (out.trainer.timezone !== before.timezone || out.trainer.booking_horizon_days !== before.bookingHorizonDays)
  )
    await resyncCalendars(c.var.db, c.env.CALENDAR_QUEUE, before.id);
  return out;
}

export const usersRouter = createRouter()
  .openapi(register, async (c) => {
    const result = await users.register(
      c.var.db,
      jwtSecretOf(c.var.config),
      c.req.valid('json'),
      isoNow(c.var.clock),
      deviceOf(c.req.header('User-Agent')),
    );
    await mailVerificationLink(c.var.db, c.env.NOTIFY_QUEUE, linkArgs(c), result.user);
    return c.json(result, 201);
  })
  .openapi(verify, async (c) => {
    const { email } = await verifyEmail(
      c.var.db,
      jwtSecretOf(c.var.config),
      c.req.valid('query').token,
      isoNow(c.var.clock),
    );
    return c.json({ email, email_verified: true }, 200);
  })
  .openapi(resend, async (c) => {
    const { user } = c.get('auth');
    if (!user.emailVerifiedAt) await mailVerificationLink(c.var.db, c.env.NOTIFY_QUEUE, linkArgs(c), user);
    return c.json(
      { detail: user.emailVerifiedAt ? 'Your email address is already confirmed.' : 'A new link is on its way.' },
      202,
    );
  })
  .openapi(login, async (c) => {
    const { email, password, otp, recovery_code } = c.req.valid('json');
    const ip = clientAddress(c.req.raw.headers);
    const factor = { otp, recovery_code };
    const device = deviceOf(c.req.header('User-Agent'));
    return c.json(
      await users.login(c.var.db, jwtSecretOf(c.var.config), email, password, ip, isoNow(c.var.clock), factor, device),
      200,
    );
  })
  .openapi(logout, async (c) => {
    await users.logout(c.var.db, c.get('auth').jti);
    return c.body(null, 204);
  })
  .openapi(profile, async (c) => {
    const { user, trainer } = c.get('auth');
    return c.json(await users.getProfile(c.var.db, user, trainer), 200);
  })
  .openapi(updateRoute('put'), async (c) => c.json(await updateProfile(c, c.req.valid('json')), 200))
  .openapi(updateRoute('patch'), async (c) => c.json(await updateProfile(c, c.req.valid('json')), 200))
  .openapi(changePassword, async (c) => {
    const { old_password, new_password } = c.req.valid('json');
    const token = await users.changePassword(
      c.var.db,
      jwtSecretOf(c.var.config),
      c.get('auth'),
      old_password,
      new_password,
      clientAddress(c.req.raw.headers),
      isoNow(c.var.clock),
      deviceOf(c.req.header('User-Agent')),
    );
    return c.json({ token }, 200);
  })
  .openapi(removeAccount, async (c) => {
    const ip = clientAddress(c.req.raw.headers);
    const secret = jwtSecretOf(c.var.config);
    await deleteAccount(c.var.db, secret, c.get('auth'), c.req.valid('json'), ip, isoNow(c.var.clock));
    return c.body(null, 204);
  })
  .route('/', passwordResetRouter)
  .route('/', sessionsRouter)
  .route('/', twoFactorRouter);
