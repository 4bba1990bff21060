// /api/users/password-reset/…: a forgotten password, replaced through a link mailed to the account's
// address (./password-reset.ts). The link opens /account/reset-password (src/widget), which calls
// the confirm route.
import { createRoute } from '@hono/zod-openapi';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { jsonBody, jsonResponse, problems, rateLimited } from '../lib/openapi';
import { ADDRESS, clientAddress, enforce, RATE_POLICIES, rateLimit } from '../lib/ratelimit';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { mailResetLink, resetPassword } from './password-reset';
import { passwordResetBody, passwordResetConfirmBody } from './schemas';

const tags = ['users'];
const detailOut = z.object({ detail: z.string() });

const request = createRoute({
  method: 'post',
  path: '/api/users/password-reset',
  tags,
  summary: 'Mail a link to choose a new password (valid one hour, once)',
  description:
    'Answers 202 whether or not an account uses the address, so the answer tells nobody which addresses have one. The link opens `/account/reset-password`, a page that calls `POST /api/users/password-reset/confirm/`. Asking again mails another link; each works until one of them is used.',
  request: jsonBody(passwordResetBody),
  responses: {
    202: jsonResponse(detailOut, 'Queued when an account uses the address'),
    ...problems(400),
    ...rateLimited(RATE_POLICIES.passwordReset),
  },
});

const confirm = createRoute({
  method: 'post',
  path: '/api/users/password-reset/confirm',
  tags,
  summary: 'Set a new password with the mailed link',
  description:
    'Every session of the account ends (sign in again with the new password; two-factor sign-in stays as it was), the login lockout of the address is lifted and the address counts as confirmed. 400 names `token` when the link is invalid, already used or expired, and `new_password` when it breaks a password rule.',
  middleware: rateLimit(RATE_POLICIES.passwordResetConfirm),
  request: jsonBody(passwordResetConfirmBody),
  responses: {
    200: jsonResponse(detailOut, 'Changed'),
    ...problems(400),
    ...rateLimited(RATE_POLICIES.passwordResetConfirm),
  },
});

export const passwordResetRouter = createRouter()
  .openapi(request, async (c) => {
    const { email } = c.req.valid('json');
    const now = isoNow(c.var.clock);
    await enforce(c.var.db, RATE_POLICIES.passwordReset, { [ADDRESS]: clientAddress(c.req.raw.headers), email }, now);
    // After the answer: an address with an account takes no longer to answer than one without.
    const args = { secret: jwtSecretOf(c.var.config), appOrigin: c.var.config.appOrigin, now };
    c.executionCtx.waitUntil(mailResetLink(c.var.db, c.env.NOTIFY_QUEUE, args, email));
    return c.json({ detail: 'If an account uses this address, a link to choose a new password is on its way.' }, 202);
  })
  .openapi(confirm, async (c) => {
    await resetPassword(c.var.db, jwtSecretOf(c.var.config), c.req.valid('json'), isoNow(c.var.clock));
    return c.json({ detail: 'Your password has been changed. Sign in with it.' }, 200);
  });
