// /api/users/2fa/…: optional two-factor sign-in (TOTP) for any account; staff get it through
// `npm run admin:create` or at their first console sign-in. Thin handlers over two-factor.ts.
import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { authenticated, jsonBody, jsonResponse, problems, rateLimited } from '../lib/openapi';
import { clientAddress, RATE_POLICIES } from '../lib/ratelimit';
import { createRouter } from '../lib/router';
import * as twoFactor from './two-factor';
import { codeBody, disableBody, recoveryCodesOut, setupBody, setupOut } from './two-factor-schemas';

const tags = ['users'];
const LOCKOUT =
  ' Wrong codes count toward the login lockout of the account (with wrong passwords), after which this answers 429.';

const setup = createRoute({
  method: 'post',
  path: '/api/users/2fa/setup',
  tags,
  summary: 'Start two-factor sign-in: a new secret to add to an authenticator app',
  description:
    'Not for staff (403 `staff_enrol_in_console`: they enrol at their console sign-in or with `npm run admin:create`). Needs the password again; a wrong one counts toward the login lockout of the account, after which this answers 429. Answers a new shared secret and its `otpauth://` URI (show it as a QR code); nothing changes at sign-in until `POST /api/users/2fa/enable/` confirms a first code. A second call replaces the pending secret. 409 `two_factor_enabled` when it is already on.',
  security: authenticated,
  middleware: requireAuth,
  request: jsonBody(setupBody),
  responses: {
    200: jsonResponse(setupOut, 'The pending secret'),
    ...problems(400, 401, 403, 409),
    ...rateLimited(RATE_POLICIES.login),
  },
});

const enable = createRoute({
  method: 'post',
  path: '/api/users/2fa/enable',
  tags,
  summary: 'Turn two-factor sign-in on with a first code; answers the recovery codes once',
  description: `The code must come from the secret of \`POST /api/users/2fa/setup/\` (409 \`no_pending_setup\` without one). A wrong code is a 400 naming \`code\` (\`invalid_otp\`). Every other token of the account is revoked (they were made with the password alone); the one of this request stays. Not for staff (403 \`staff_enrol_in_console\`).${LOCKOUT}`,
  security: authenticated,
  middleware: requireAuth,
  request: jsonBody(codeBody),
  responses: {
    200: jsonResponse(recoveryCodesOut, 'On; the recovery codes, shown only now'),
    ...problems(400, 401, 403, 409),
    ...rateLimited(RATE_POLICIES.login),
  },
});

const disable = createRoute({
  method: 'post',
  path: '/api/users/2fa/disable',
  tags,
  summary: 'Turn two-factor sign-in off (password and a code or recovery code)',
  description: `The secret and every recovery code are deleted. A wrong password, code or recovery code is a 400 naming each. 409 \`two_factor_disabled\` when it is off.${LOCKOUT} A wrong password counts too, with or without a code.`,
  security: authenticated,
  middleware: requireAuth,
  request: jsonBody(disableBody),
  responses: {
    204: { description: 'Off' },
    ...problems(400, 401, 409),
    ...rateLimited(RATE_POLICIES.login),
  },
});

const regenerate = createRoute({
  method: 'post',
  path: '/api/users/2fa/recovery-codes',
  tags,
  summary: 'A new set of recovery codes; the old ones stop working',
  description: `Needs a current code from the authenticator app. 409 \`two_factor_disabled\` when two-factor sign-in is off.${LOCKOUT}`,
  security: authenticated,
  middleware: requireAuth,
  request: jsonBody(codeBody),
  responses: {
    200: jsonResponse(recoveryCodesOut, 'The new recovery codes, shown only now'),
    ...problems(400, 401, 409),
    ...rateLimited(RATE_POLICIES.login),
  },
});

export const twoFactorRouter = createRouter()
  .openapi(setup, async (c) => {
    const ip = clientAddress(c.req.raw.headers);
    const { password } = c.req.valid('json');
    const secret = jwtSecretOf(c.var.config);
    const { user } = c.get('auth');
    return c.json(await twoFactor.setupTwoFactor(c.var.db, secret, user, password, ip, isoNow(c.var.clock)), 200);
  })
  .openapi(enable, async (c) => {
    const ip = clientAddress(c.req.raw.headers);
    const { code } = c.req.valid('json');
    const secret = jwtSecretOf(c.var.config);
    const codes = await twoFactor.enableTwoFactor(c.var.db, secret, c.get('auth'), code, ip, isoNow(c.var.clock));
    return c.json({ recovery_codes: codes }, 200);
  })
  .openapi(disable, async (c) => {
    const ip = clientAddress(c.req.raw.headers);
    const secret = jwtSecretOf(c.var.config);
    const { user } = c.get('auth');
    await twoFactor.disableWithProof(c.var.db, secret, user, c.req.valid('json'), ip, isoNow(c.var.clock));
    return c.body(null, 204);
  })
  .openapi(regenerate, async (c) => {
    const ip = clientAddress(c.req.raw.headers);
    const { code } = c.req.valid('json');
    const secret = jwtSecretOf(c.var.config);
    const user = c.get('auth').user;
    const codes = await twoFactor.newRecoveryCodesFor(c.var.db, secret, user, code, ip, isoNow(c.var.clock));
    return c.json({ recovery_codes: codes }, 200);
  });
