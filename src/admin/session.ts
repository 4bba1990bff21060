// Staff console sign-in: a random token in an HttpOnly cookie on /admin, stored only as its
// SHA-256, 12 hours from login. It is a separate credential from API tokens: the API never reads
// this cookie and the console never reads an Authorization header.
import { and, eq, gt, lt } from 'drizzle-orm';
import { adminSessions, type User, users } from '../db/schema';
import type { Db } from '../lib/db';
import { forbidden } from '../lib/problem';
import { clearLoginFailures } from '../lib/ratelimit';
import { addSeconds } from '../lib/time';
import { base64url, hmacSha256, randomToken, sameText, sha256 } from '../lib/tokens';
import { checkCredentials } from '../users/service';

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

/**
 * Email and password → a new console session token, with the API login's lockout: the attempt
 * is reserved before the password is checked (ten in 15 minutes for one email, a hundred for one
 * client address, then 429) and
 * cleared on success. An inactive user fails like a wrong password; the right password of a user
 * who is not staff is a 403.
 */
export async function signIn(
  db: Db,
  email: string,
  password: string,
  ip: string | null,
  now: string,
): Promise<{ token: string; user: User }> {
  const { user } = await checkCredentials(db, email, password, ip, now);
  if (!user.isStaff) {
    await Promise.all(clearLoginFailures(db, email, now));
    throw forbidden('This account has no staff access.');
  }
  const token = newToken();
  await db.batch([
    db.insert(adminSessions).values({
      tokenHash: await tokenHash(token),
      userId: user.id,
      expiresAt: addSeconds(now, CONSOLE_SESSION_SECONDS),
    }),
    db.delete(adminSessions).where(lt(adminSessions.expiresAt, now)),
    ...clearLoginFailures(db, email, now),
  ]);
  return { token, user };
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
