// Email verification: a link mailed to the user proves they own the address. Client records are
// linked to a client user by email, so until then a client user reads nothing.
import { and, eq, isNull } from 'drizzle-orm';
import { html } from 'hono/html';
import { users } from '../db/schema';
import type { Db } from '../lib/db';
import { ApiError } from '../lib/problem';
import { base64url, hmacSha256 } from '../lib/tokens';
import { cancelAccountMails, enqueue, writeAccountMail } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';

export const VERIFY_TTL_SECONDS = 48 * 3600;

const sign = async (secret: string, text: string) => base64url(await hmacSha256(secret, text));

/**
 * `<user id>.<expiry>.<HMAC over purpose, id, what the link is bound to and expiry>`: the shape of
 * every link mailed to a user (verification, password reset). `bound` is what must still hold
 * when the link is opened (the address it was sent to, the password it replaces).
 */
export async function userLinkToken(secret: string, purpose: string, userId: number, bound: string, exp: number) {
  return `${userId}.${exp}.${await sign(secret, `${purpose}:${userId}:${bound}:${exp}`)}`;
}

/** The user a well-formed link token names (unexpired at `now`, when given; its signature not yet checked), else null. */
export function userLinkOf(token: string, now?: string): { userId: number; exp: number } | null {
  const [idText, expText, sig, ...rest] = token.split('.');
  const userId = Number(idText);
  const exp = Number(expText);
  if (
    !Number.isSafeInteger(userId) ||
    !Number.isSafeInteger(exp) ||
    !sig ||
    rest.length ||
    (now !== undefined && exp * 1000 < Date.parse(now))
  )
    return null;
  return { userId, exp };
}

/** Whether the token is the one `userLinkToken` makes for these values; timing says nothing of the signature. */
export async function userLinkMatches(secret: string, purpose: string, token: string, bound: string) {
  const link = userLinkOf(token);
  if (!link) return false;
  const expected = await userLinkToken(secret, purpose, link.userId, bound, link.exp);
  // Compare digests of both, so the comparison's time says nothing about the signature.
  const [a, b] = await Promise.all([sign(secret, expected), sign(secret, token)]);
  return a === b;
}

/** `<user id>.<expiry>.<HMAC over id, email and expiry>`: bound to the address it was sent to. */
export async function verificationToken(secret: string, userId: number, email: string, nowMs: number) {
  return userLinkToken(secret, 'verify', userId, email, Math.floor(nowMs / 1000) + VERIFY_TTL_SECONDS);
}

const refused = () =>
  new ApiError(400, 'This verification link is invalid or has expired; ask for a new one.', {
    code: 'verification_invalid',
  });

/** Marks the address verified when the token is genuine, unexpired and for the user's current email. */
export async function verifyEmail(db: Db, secret: string, token: string, now: string): Promise<{ email: string }> {
  const link = userLinkOf(token, now);
  if (!link) throw refused();
  const { userId } = link;
  const user = await db.select({ email: users.email }).from(users).where(eq(users.id, userId)).get();
  if (!user || !(await userLinkMatches(secret, 'verify', token, user.email))) throw refused();
  await db.batch([
    db
      .update(users)
      .set({ emailVerifiedAt: now })
      .where(and(eq(users.id, userId), isNull(users.emailVerifiedAt))),
    // Links still waiting to be sent are not needed any more.
    cancelAccountMails(db, { userId, kind: 'email_verification', now }),
  ]);
  return { email: user.email };
}

/**
 * The page the mailed link opens: it confirms the address through GET /api/users/verify-email and
 * says so in words. The token rides in the fragment, which the browser never sends to a server.
 */
export const VERIFY_PAGE_PATH = '/account/verify-email';

export function renderVerification(link: string) {
  const text = `Please confirm your email address for TrainerHub by opening this link within 48 hours:\n\n${link}\n\nIf you did not create an account, ignore this message.`;
  // No async parts, so the template's result is a plain (escaped) string.
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>Please confirm your email address for TrainerHub within 48 hours:</p><p><a href="${link}">Confirm my email address</a></p><p>If you did not create an account, ignore this message.</p></body></html>`;
  return { subject: 'Confirm your email address', text, html: String(body) };
}

/**
 * Mails the user a fresh verification link through the outbox (an account mail, no trainer).
 * Never throws: a lost link is asked for again by the user.
 */
export async function mailVerificationLink(
  db: Db,
  queue: Queue<NotifyMessage>,
  args: { secret: string; appOrigin: string; now: string },
  user: { id: number; email: string },
): Promise<void> {
  try {
    const token = await verificationToken(args.secret, user.id, user.email, Date.parse(args.now));
    const link = `${args.appOrigin}${VERIFY_PAGE_PATH}#token=${encodeURIComponent(token)}`;
    const mail = { userId: user.id, kind: 'email_verification', to: user.email, now: args.now } as const;
    const id = await writeAccountMail(db, { ...mail, ...renderVerification(link) });
    if (id !== undefined) await enqueue(queue, [id]);
  } catch (err) {
    console.error(
      JSON.stringify({ level: 'error', msg: 'verification email not queued', userId: user.id, err: String(err) }),
    );
  }
}
