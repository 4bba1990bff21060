// Two-factor enrolment for scripts/admin-create.mjs: the secret, its sealing, the recovery codes
// and the hashes are the Worker's own (src/lib/tokens.ts, imported as TypeScript: Node 24 strips
// the types), so the Worker opens what this writes. Only choosing the sealing key lives here: the
// Worker's JWT_SECRET, as the Worker would pick it.
import { renderUnicodeCompact } from 'uqr';
import {
  DEV_JWT_SECRET,
  MIN_JWT_SECRET_LENGTH,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  recoveryCodeHash,
  sealText,
  TOTP_SEAL_PURPOSE,
} from '../src/lib/tokens.ts';

/**
 * The key the Worker seals and opens TOTP secrets with. Deployed (--remote): JWT_SECRET from the
 * environment, required. Locally: the Worker's development key, which `npm run dev` gives every
 * Worker whatever .dev.vars says (scripts/dev.mjs), so a JWT_SECRET there is not used.
 * Returns { secret } or { error }.
 */
export function workerSecret(_root, remote) {
  if (!remote) return { secret: DEV_JWT_SECRET };
  const given = process.env.JWT_SECRET?.trim() ?? '';
  if (!given)
    return {
      error:
        'with --remote, set JWT_SECRET in the environment to the deployed Worker secret (the one `wrangler secret put JWT_SECRET` stored): the two-factor secret is sealed with it',
    };
  if (given.length < MIN_JWT_SECRET_LENGTH)
    return { error: `JWT_SECRET is shorter than ${MIN_JWT_SECRET_LENGTH} characters; the Worker would not use it` };
  return { secret: given };
}

const quote = (text) => `'${text.replace(/'/g, "''")}'`;

/**
 * A new enrolment for `email`: the SQL that stores it (sealed secret, last step cleared, ten new
 * recovery codes as SHA-256, the old ones gone, and every API token and console session of the
 * user ended, as the Worker does when two-factor sign-in is turned on: a token made before needed
 * no code) and what to show once.
 */
export async function enrolment(email, sealKey) {
  const secret = newTotpSecret();
  const codes = newRecoveryCodes();
  const user = `(SELECT id FROM users WHERE email = ${quote(email)})`;
  const sealed = await sealText(sealKey, TOTP_SEAL_PURPOSE, secret);
  const hashes = await Promise.all(codes.map((code) => recoveryCodeHash(code)));
  const sql = `UPDATE users SET totp_secret = ${quote(sealed)}, totp_pending_secret = NULL, totp_last_step = NULL WHERE email = ${quote(email)};
DELETE FROM recovery_codes WHERE user_id = ${user};
${hashes.map((h) => `INSERT INTO recovery_codes (user_id, code_hash) VALUES (${user}, ${quote(h)});`).join('\n')}
DELETE FROM sessions WHERE user_id = ${user};
DELETE FROM admin_sessions WHERE user_id = ${user};
`;
  return { sql, secret, uri: otpauthUri(secret, email), codes };
}

/** What the operator sees once: the QR code, the URI and key as text, the recovery codes. */
export function enrolmentText({ secret, uri, codes }) {
  return [
    'Two-factor sign-in: scan this with an authenticator app (or type the setup key in):',
    '',
    renderUnicodeCompact(uri, { border: 2 }),
    '',
    `  ${uri}`,
    `  setup key: ${secret}`,
    '',
    'Recovery codes (each signs in once instead of a code; shown only now, stored hashed):',
    ...codes.map((code) => `  ${code}`),
    '',
  ].join('\n');
}
