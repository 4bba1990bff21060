// Staff console sign-in: a random token in an HttpOnly cookie on /admin, stored only as its
// SHA-256, 12 hours from login. It is a separate credential from API tokens: the API never reads
// this cookie and the console never reads an Authorization header. Sign-in takes two steps: the
// password step creates no session, only a short-lived signed cookie naming the user (`newPendingToken`);
// the second factor (a TOTP code or a recovery code, or enrolling an app when the staff user has
// none yet) turns it into a session. Staff never reach the console on a password alone.
import { and, eq, gt, lt } from 'drizzle-orm';
import { adminSessions, type User, users } from '../db/schema';
import type { Db } from '../lib/db';
import { ApiError, forbidden } from '../lib/problem';
import { clearLoginFailures, hit } from '../lib/ratelimit';
import { addSeconds } from '../lib/time';
import { base64url, hmacSha256, newTotpSecret, openText, randomToken, sameText, sealText, sha256 } from '../lib/tokens';
import { checkCredentials } from '../users/service';
import {
  checkSecondFactor,
  confirmOwnSecret,
  enrolmentOf,
  factorOfText,
  hasTwoFactor,
  withLockout,
} from '../users/two-factor';

export const CONSOLE_SESSION_SECONDS = 12 * 3600;

export const newToken = (): string => randomToken();
const tokenHash = async (token: string) => base64url(await sha256(`session:${token}`));

const loginMac = async (secret: string, random: string) => base64url(await hmacSha256(secret, `admin-login:${random}`));

/**
 * A pre-login cookie value this server issued: random, with its HMAC under the server's secret,
 * so a value a client (or another site that can set cookies for it) chose is never accepted.
 */
export async function newLoginToken(secret: string): Promise<string> {
  const random = randomToken();
  return `${random}.${await loginMac(secret, random)}`;
}

/** True only for a pre-login cookie value `newLoginToken` issued under `secret`. */
export async function isLoginToken(secret: string, value: string | undefined): Promise<boolean> {
  const [random, mac, ...rest] = (value ?? '').split('.');
  if (!random || !mac || rest.length) return false;
  return sameText(await loginMac(secret, random), mac);
}

/**
 * The CSRF token of a form: derived from the cookie's token, so it is tied to that session (or
 * pre-login cookie) and needs no storage; a page of another origin can read neither.
 */
export const csrfFor = async (token: string): Promise<string> => base64url(await sha256(`csrf:${token}`));

export async function csrfMatches(token: string | undefined, sent: unknown): Promise<boolean> {
  if (!token || typeof sent !== 'string' || !sent) return false;
  return sameText(await csrfFor(token), sent);
}

/** How long the half-signed-in state (password right, second factor not yet given) lasts. */
export const TWO_FACTOR_SECONDS = 5 * 60;

const pendingMac = async (secret: string, payload: string) =>
  base64url(await hmacSha256(secret, `admin-2fa:${payload}`));

/** What sealing the secret of an enrolment attempt inside its own half-signed-in cookie uses. */
const ENROL_SEAL_PURPOSE = 'admin-enrol';

/**
 * The signed value of the half-signed-in cookie: `<user id>~<expires at>~<random>~<enrolment>~<mac>`.
 * With `enrol`, the attempt gets a new TOTP secret of its own, sealed into the cookie: only this
 * browser's attempt can show it and confirm it, so someone else who has the password (and a
 * cookie of their own) never sees the secret the owner enrols.
 */
export async function newPendingToken(secret: string, userId: number, now: string, enrol = false): Promise<string> {
  const sealed = enrol ? await sealText(secret, ENROL_SEAL_PURPOSE, newTotpSecret()) : '';
  const payload = `${userId}~${addSeconds(now, TWO_FACTOR_SECONDS)}~${randomToken(16)}~${sealed}`;
  return `${payload}~${await pendingMac(secret, payload)}`;
}

/**
 * The user id of a half-signed-in cookie this server issued and that has not expired, with its
 * random part (the attempt) and the secret it enrols (in the clear; null when none), else null.
 */
export async function pendingAttempt(secret: string, value: string | undefined, now: string) {
  const parts = (value ?? '').split('~');
  if (parts.length !== 5) return null;
  const [id, expires, random, sealed, mac] = parts as [string, string, string, string, string];
  if (!sameText(await pendingMac(secret, `${id}~${expires}~${random}~${sealed}`), mac)) return null;
  if (!/^\d{1,15}$/.test(id) || expires <= now) return null;
  const enrolSecret = sealed ? await openText(secret, ENROL_SEAL_PURPOSE, sealed) : null;
  return { userId: Number(id), attempt: random, enrolSecret };
}

/**
 * The password step: email and password (with the API login's lockout: the attempt is reserved
 * before the password is checked, ten in 15 minutes for one email, a hundred for one client
 * address, then 429) → the staff user, and whether they must enrol an authenticator app first
 * (`newPendingToken` then makes the attempt its own secret). No session, and the attempt stays
 * counted until the second factor is given. An inactive user fails like a wrong password; the
 * right password of a user who is not staff is a 403 that keeps its attempt counted too.
 */
export async function passwordStep(
  db: Db,
  email: string,
  password: string,
  ip: string | null,
  now: string,
): Promise<{ user: User; enrol: boolean }> {
  const { user } = await checkCredentials(db, email, password, ip, now);
  // No sign-in finishes here, so the attempt stays counted: clearing the failures of a user who is
  // not staff would let anyone with the password reset the lockout of their two-factor codes.
  if (!user.isStaff) throw forbidden('This account has no staff access.');
  return { user, enrol: !hasTwoFactor(user) };
}

/** A sign-in between its two steps: the staff user and the random part of its cookie. */
export interface Pending {
  user: User;
  attempt: string;
}

/**
 * The active staff user a half-signed-in cookie names, with its attempt and the enrolment it
 * carries (the secret and its `otpauth://` URI, or null), else null.
 */
export async function pendingStaff(db: Db, secret: string, value: string | undefined, now: string) {
  const attempt = await pendingAttempt(secret, value, now);
  if (attempt === null) return null;
  const user = await db.select().from(users).where(eq(users.id, attempt.userId)).get();
  if (!user?.isActive || !user.isStaff) return null;
  const enrolment = attempt.enrolSecret ? enrolmentOf(attempt.enrolSecret, user) : null;
  return { user, attempt: attempt.attempt, enrolment };
}

const WRONG_CODE = 'That code is not right, or it was used already.';

/**
 * A new console session for the user of a sign-in whose second factor was just accepted, which
 * also forgets the account's failed attempts. Each half-signed-in cookie finishes one sign-in:
 * its attempt is recorded (a guarded INSERT in rate_limit_hits, one per attempt while the cookie
 * lives), so a copy of the cookie used again, even with another good code, is refused.
 */
async function startSession(db: Db, { user, attempt }: Pending, now: string): Promise<string> {
  const once = { key: `admin-2fa-done:${attempt}`, max: 1, windowSeconds: TWO_FACTOR_SECONDS };
  if ((await hit(db, [once], now)) !== null) throw new ApiError(401, 'This sign-in was finished already; start again.');
  const token = newToken();
  await db.batch([
    db.insert(adminSessions).values({
      tokenHash: await tokenHash(token),
      userId: user.id,
      expiresAt: addSeconds(now, CONSOLE_SESSION_SECONDS),
    }),
    db.delete(adminSessions).where(lt(adminSessions.expiresAt, now)),
    ...clearLoginFailures(db, user.email, now),
  ]);
  return token;
}

/**
 * The second step: the 6-digit code (or a recovery code) typed into the code page → a new
 * console session token. A wrong or reused code is a 401 and counts toward the lockout; a locked
 * account is a 429 even with the right code.
 */
export async function codeStep(
  db: Db,
  secret: string,
  pending: Pending,
  text: string,
  ip: string | null,
  now: string,
): Promise<string> {
  const ok = await checkSecondFactor(db, secret, pending.user, factorOfText(text), ip, now);
  if (!ok) throw new ApiError(401, WRONG_CODE);
  return startSession(db, pending, now);
}

/**
 * First sign-in without an authenticator app: the first code of the attempt's own secret
 * (`shared`, from its cookie) turns two-factor sign-in on → a new session and the ten recovery
 * codes (shown once). Wrong codes count toward the lockout as on the code page.
 */
export async function enrolStep(
  db: Db,
  secret: string,
  pending: Pending,
  shared: string,
  code: string,
  ip: string | null,
  now: string,
): Promise<{ token: string; recoveryCodes: string[] }> {
  const { user } = pending;
  const clean = code.replace(/\s/g, '');
  const codes = /^\d{6}$/.test(clean)
    ? await withLockout(db, user.email, ip, now, () => confirmOwnSecret(db, secret, user, shared, clean, now))
    : await withLockout(db, user.email, ip, now, async () => null);
  if (!codes) throw new ApiError(401, WRONG_CODE);
  return { token: await startSession(db, pending, now), recoveryCodes: codes };
}

/** The active user of a console session unexpired at `now`, or null. */
export async function sessionUser(db: Db, token: string | undefined, now: string): Promise<User | null> {
  if (!token) return null;
  const row = await db
    .select({ user: users })
    .from(adminSessions)
    .innerJoin(users, eq(users.id, adminSessions.userId))
    .where(
      and(
        eq(adminSessions.tokenHash, await tokenHash(token)),
        gt(adminSessions.expiresAt, now),
        eq(users.isActive, true),
      ),
    )
    .get();
  return row?.user ?? null;
}

export async function signOut(db: Db, token: string): Promise<void> {
  await db.delete(adminSessions).where(eq(adminSessions.tokenHash, await tokenHash(token)));
}
