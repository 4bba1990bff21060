// Two-factor sign-in (TOTP, RFC 6238) for any user: the shared secret sealed in users.totp_secret,
// a secret being enrolled in users.totp_pending_secret until a first code confirms it, and ten
// one-time recovery codes stored as SHA-256 only. A code is accepted for the previous, current or
// next 30-second step and only once: the accepted step is written by the same guarded UPDATE that
// checks it is after users.totp_last_step, so of two parallel requests with one code exactly one wins.
import { and, eq, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { adminSessions, recoveryCodes, sessions, type User, users } from '../db/schema';
import { batchSteps, type Db, type Step } from '../lib/db';
import { verifyPassword } from '../lib/password';
import {
  ApiError,
  conflict,
  type FieldErrors,
  INVALID_DETAIL,
  invalid,
  invalidField,
  tooManyRequests,
} from '../lib/problem';
import { clearLoginFailures, reserveLoginAttempt } from '../lib/ratelimit';
import {
  newRecoveryCodes,
  newTotpSecret,
  openText,
  otpauthUri,
  recoveryCodeHash,
  sealText,
  TOTP_SEAL_PURPOSE,
  totpMatch,
} from '../lib/tokens';

/** What a second-factor step sends: a 6-digit code, or one of the recovery codes. */
export interface SecondFactor {
  otp?: string | undefined;
  recovery_code?: string | undefined;
}

export const hasTwoFactor = (user: Pick<User, 'totpSecret'>): boolean => user.totpSecret !== null;

/** A code is 6 digits; anything else typed into the one box of a form is taken as a recovery code. */
export const factorOfText = (text: string): SecondFactor => {
  const clean = text.replace(/\s/g, '');
  return /^\d{6}$/.test(clean) ? { otp: clean } : { recovery_code: text.trim() };
};

async function acceptCode(secret: string, sealed: string, code: string, now: string, lastStep: number | null) {
  const shared = await openText(secret, TOTP_SEAL_PURPOSE, sealed);
  if (!shared) return null;
  return totpMatch(shared, code, now, lastStep);
}

/**
 * Accepts the second factor once: a TOTP code (its step stored by a guarded UPDATE, so the same
 * or an earlier code is never accepted again) or an unused recovery code (marked used the same
 * way). False for anything else; nothing is written then.
 */
export async function acceptSecondFactor(
  db: Db,
  secret: string,
  user: User,
  factor: SecondFactor,
  now: string,
): Promise<boolean> {
  if (!user.totpSecret) return false;
  if (factor.otp) {
    const step = await acceptCode(secret, user.totpSecret, factor.otp, now, user.totpLastStep);
    if (step === null) return false;
    const row = await db
      .update(users)
      .set({ totpLastStep: step })
      .where(
        and(
          eq(users.id, user.id),
          eq(users.totpSecret, user.totpSecret),
          or(isNull(users.totpLastStep), lt(users.totpLastStep, step)),
        ),
      )
      .returning({ id: users.id })
      .get();
    return row !== undefined;
  }
  if (factor.recovery_code) {
    const row = await db
      .update(recoveryCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(recoveryCodes.userId, user.id),
          eq(recoveryCodes.codeHash, await recoveryCodeHash(factor.recovery_code)),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id })
      .get();
    return row !== undefined;
  }
  return false;
}

/** Whether `acceptSecondFactor` would accept the factor now, without spending it. */
async function wouldAccept(db: Db, secret: string, user: User, factor: SecondFactor, now: string) {
  if (!user.totpSecret) return false;
  if (factor.otp) return (await acceptCode(secret, user.totpSecret, factor.otp, now, user.totpLastStep)) !== null;
  if (!factor.recovery_code) return false;
  const row = await db
    .select({ id: recoveryCodes.id })
    .from(recoveryCodes)
    .where(
      and(
        eq(recoveryCodes.userId, user.id),
        eq(recoveryCodes.codeHash, await recoveryCodeHash(factor.recovery_code)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .get();
  return row !== undefined;
}

/**
 * Runs a second-factor check outside the password login (the console's code page, the 2FA
 * routes) so that it counts toward the login lockout like a password: the attempt is reserved
 * first (a locked account is a 429 whatever the code), kept when `check` fails, and the
 * account's failures are cleared when it passes.
 */
export async function withLockout<T>(
  db: Db,
  email: string,
  ip: string | null,
  now: string,
  check: () => Promise<T>,
): Promise<T> {
  const lockedFor = await reserveLoginAttempt(db, email, ip, now);
  if (lockedFor !== null) throw tooManyRequests(lockedFor, 'Too many failed login attempts; try again later.');
  const result = await check();
  if (result) await Promise.all(clearLoginFailures(db, email, now));
  return result;
}

/** `acceptSecondFactor` under the login lockout (see `withLockout`). */
export const checkSecondFactor = (
  db: Db,
  secret: string,
  user: User,
  factor: SecondFactor,
  ip: string | null,
  now: string,
): Promise<boolean> => withLockout(db, user.email, ip, now, () => acceptSecondFactor(db, secret, user, factor, now));

export const invalidOtp = () =>
  new ApiError(401, 'That code is not right, or it was used already.', { code: 'invalid_otp' });

export const otpRequired = () =>
  new ApiError(
    401,
    'Two-factor sign-in is on: send the 6-digit code from your authenticator app as `otp` (or a recovery code as `recovery_code`).',
    { code: 'otp_required' },
  );

/** A new pending secret for `user` (sealed); two-factor sign-in stays as it was until `confirmEnrolment`. */
export async function startEnrolment(db: Db, secret: string, user: User, now: string) {
  const shared = newTotpSecret();
  await db
    .update(users)
    .set({ totpPendingSecret: await sealText(secret, TOTP_SEAL_PURPOSE, shared), updatedAt: now })
    .where(eq(users.id, user.id));
  return enrolmentOf(shared, user);
}

/** A secret to enrol, with the `otpauth://` URI an authenticator app reads. */
export const enrolmentOf = (shared: string, user: Pick<User, 'email'>) => ({
  secret: shared,
  otpauth_uri: otpauthUri(shared, user.email),
});

/** Statements that replace the user's recovery codes, written only while `guard` holds. */
async function recoveryCodeSteps(userId: number, guard: ReturnType<typeof sql>) {
  const codes = newRecoveryCodes();
  const steps: Step[] = [
    sql`DELETE FROM ${recoveryCodes} WHERE user_id = ${userId} AND ${guard}`,
    ...(await Promise.all(
      codes.map(
        async (code) =>
          sql`INSERT INTO ${recoveryCodes} (user_id, code_hash) SELECT ${userId}, ${await recoveryCodeHash(code)} WHERE ${guard}`,
      ),
    )),
  ];
  return { codes, steps };
}

/**
 * Turns two-factor sign-in on with `sealed` (a first code of it accepted at `step`): it becomes
 * the user's secret, ten new recovery codes replace any old ones, and every API token and console
 * session of the user ends but `keep` (the API token that proved the password and this code):
 * those were made with the password alone. All in one batch guarded by `match` on the user row,
 * so two confirmations cannot both win. The codes, or null when the guard failed (another
 * confirmation won).
 */
async function turnOn(db: Db, user: User, sealed: string, step: number, now: string, match: SQL, keep?: string) {
  const enabled = sql`EXISTS (SELECT 1 FROM ${users} WHERE id = ${user.id} AND totp_secret = ${sealed})`;
  const { codes, steps } = await recoveryCodeSteps(user.id, enabled);
  const [updated] = await batchSteps(db, [
    db
      .update(users)
      .set({ totpSecret: sealed, totpPendingSecret: null, totpLastStep: step, updatedAt: now })
      .where(and(eq(users.id, user.id), match))
      .returning({ id: users.id }),
    ...steps,
    sql`DELETE FROM ${sessions} WHERE user_id = ${user.id} AND jti IS NOT ${keep ?? null} AND ${enabled}`,
    sql`DELETE FROM ${adminSessions} WHERE user_id = ${user.id} AND ${enabled}`,
  ]);
  return updated?.results.length ? codes : null;
}

/**
 * Confirms the pending secret (`POST /api/users/2fa/setup/`) with a first code (see `turnOn`;
 * guarded by the pending secret read; the API token `keep` stays). The codes, or null when the
 * code is wrong.
 */
export async function confirmEnrolment(
  db: Db,
  secret: string,
  user: User,
  code: string,
  now: string,
  keep: string,
): Promise<string[] | null> {
  const pending = user.totpPendingSecret;
  if (!pending) throw conflict('Start the set-up first (POST /api/users/2fa/setup/).', 'no_pending_setup');
  const step = await acceptCode(secret, pending, code, now, null);
  if (step === null) return null;
  return turnOn(db, user, pending, step, now, eq(users.totpPendingSecret, pending), keep);
}

/**
 * Confirms a secret one sign-in attempt made and holds (`shared`, in the clear; the console's
 * enrolment carries it in its own cookie, so no other attempt ever sees it) with a first code;
 * only while the user has no secret. The codes, or null when the code is wrong.
 */
export async function confirmOwnSecret(
  db: Db,
  secret: string,
  user: User,
  shared: string,
  code: string,
  now: string,
): Promise<string[] | null> {
  const step = await totpMatch(shared, code, now, null);
  if (step === null) return null;
  return turnOn(db, user, await sealText(secret, TOTP_SEAL_PURPOSE, shared), step, now, isNull(users.totpSecret));
}

/** Ten new recovery codes; the old ones stop working in the same batch. */
export async function replaceRecoveryCodes(db: Db, user: User): Promise<string[]> {
  const guard = sql`EXISTS (SELECT 1 FROM ${users} WHERE id = ${user.id} AND totp_secret IS NOT NULL)`;
  const { codes, steps } = await recoveryCodeSteps(user.id, guard);
  await batchSteps(db, steps);
  return codes;
}

/** Two-factor sign-in off: the secret, any pending one, the last step and every recovery code gone. */
export async function disableTwoFactor(db: Db, user: User, now: string): Promise<void> {
  await db.batch([
    db
      .update(users)
      .set({ totpSecret: null, totpPendingSecret: null, totpLastStep: null, updatedAt: now })
      .where(eq(users.id, user.id)),
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
  ]);
}

/** The field errors of a second factor that was missing or wrong, named after the field sent. */
const WRONG_CODE = 'That code is not right, or it was used already.';
const WRONG_PASSWORD = 'Your password was entered incorrectly.';

/**
 * Staff enrol only at their console sign-in (a secret bound to that attempt) or with
 * `npm run admin:create`: an API token, which the password alone made, must not choose a staff
 * user's secret.
 */
const refuseStaff = (user: User) => {
  if (user.isStaff)
    throw new ApiError(
      403,
      'Staff enrol two-factor sign-in at their console sign-in (/admin/login) or with `npm run admin:create`.',
      { code: 'staff_enrol_in_console' },
    );
};

/**
 * `POST /api/users/2fa/setup/`: the password again, under the login lockout (a wrong one counts,
 * a locked account is a 429), then a new pending secret (2FA stays as it was until enabled).
 */
export async function setupTwoFactor(
  db: Db,
  secret: string,
  user: User,
  password: string,
  ip: string | null,
  now: string,
) {
  refuseStaff(user);
  if (hasTwoFactor(user))
    throw conflict('Two-factor sign-in is already on; turn it off first to enrol another app.', 'two_factor_enabled');
  const ok = await withLockout(db, user.email, ip, now, () => verifyPassword(password, user.passwordHash));
  if (!ok) throw invalidField('password', WRONG_PASSWORD);
  return startEnrolment(db, secret, user, now);
}

/**
 * `POST /api/users/2fa/enable/`: the first code of the pending secret turns it on; the recovery
 * codes. Every other token of the user ends; the caller's (`jti`) stays.
 */
export async function enableTwoFactor(
  db: Db,
  secret: string,
  { user, jti }: { user: User; jti: string },
  code: string,
  ip: string | null,
  now: string,
) {
  refuseStaff(user);
  if (hasTwoFactor(user)) throw conflict('Two-factor sign-in is already on.', 'two_factor_enabled');
  if (!user.totpPendingSecret)
    throw conflict('Start the set-up first (POST /api/users/2fa/setup/).', 'no_pending_setup');
  const codes = await withLockout(db, user.email, ip, now, () => confirmEnrolment(db, secret, user, code, now, jti));
  if (!codes) throw new ApiError(400, INVALID_DETAIL, { errors: { code: [WRONG_CODE] }, code: 'invalid_otp' });
  return codes;
}

const requireOn = (user: User) => {
  if (!hasTwoFactor(user)) throw conflict('Two-factor sign-in is not on.', 'two_factor_disabled');
};

/** `POST /api/users/2fa/disable/`: the password and a code (or a recovery code), each named when wrong. */
export async function disableWithProof(
  db: Db,
  secret: string,
  user: User,
  input: Proof,
  ip: string | null,
  now: string,
) {
  requireOn(user);
  await proveIdentity(db, secret, user, input, ip, now);
  await disableTwoFactor(db, user, now);
}

/** What proves a request is the owner's: the password, and a code when two-factor sign-in is on. */
export interface Proof {
  password: string;
  code?: string | undefined;
  recovery_code?: string | undefined;
}

/**
 * The password, and with 2FA on a code or recovery code, before what a stolen token must not do
 * (turn 2FA off, delete the account): checked together under the lockout (a wrong password counts
 * with or without a code; with one the factor is only looked at, never spent); a 400 naming each.
 */
export async function proveIdentity(
  db: Db,
  secret: string,
  user: User,
  input: Proof,
  ip: string | null,
  now: string,
): Promise<void> {
  const errors: FieldErrors = {};
  await withLockout(db, user.email, ip, now, async () => {
    if (!(await verifyPassword(input.password, user.passwordHash))) errors.password = [WRONG_PASSWORD];
    if (!hasTwoFactor(user)) return !errors.password;
    if (!input.code && !input.recovery_code) {
      errors.code = ['Enter the 6-digit code from your authenticator app, or send `recovery_code`.'];
      return false;
    }
    const factor = input.code ? { otp: input.code } : { recovery_code: input.recovery_code };
    const spend = !errors.password;
    const ok = spend
      ? await acceptSecondFactor(db, secret, user, factor, now)
      : await wouldAccept(db, secret, user, factor, now);
    if (!ok) errors[input.code ? 'code' : 'recovery_code'] = [WRONG_CODE];
    return spend && ok;
  });
  if (Object.keys(errors).length) throw invalid(errors);
}

/** `POST /api/users/2fa/recovery-codes/`: a right code → ten new recovery codes, the old ones void. */
export async function newRecoveryCodesFor(
  db: Db,
  secret: string,
  user: User,
  code: string,
  ip: string | null,
  now: string,
) {
  requireOn(user);
  if (!(await checkSecondFactor(db, secret, user, { otp: code }, ip, now)))
    throw new ApiError(400, INVALID_DETAIL, { errors: { code: [WRONG_CODE] }, code: 'invalid_otp' });
  return replaceRecoveryCodes(db, user);
}
