// Password reset: whoever reads the account's mailbox may set a new password without the old one.
// The mailed link carries `<user id>.<expiry>.<HMAC over id, email, current password hash and
// expiry>` (./verification userLinkToken): it lasts an hour and works once, since the new hash
// retires it, and every link mailed before it with it. Asking never says whether the address has
// an account: the answer and its timing are the same either way (the mail is written after it).
import { and, eq, sql } from 'drizzle-orm';
import { html } from 'hono/html';
import { users } from '../db/schema';
import type { Db } from '../lib/db';
import { hashPassword, passwordProblems } from '../lib/password';
import { type FieldErrors, invalid } from '../lib/problem';
import { clearLoginFailures } from '../lib/ratelimit';
import { cancelAccountMails, enqueue, writeAccountMail } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { endSessions } from './service';
import { userLinkMatches, userLinkOf, userLinkToken } from './verification';

export const RESET_TTL_SECONDS = 3600;
const PURPOSE = 'reset';
/** The page the link opens; the token travels in the fragment, which no server log or Referer sees. */
export const RESET_PAGE_PATH = '/account/reset-password';

const boundTo = (u: { email: string; passwordHash: string }) => `${u.email}:${u.passwordHash}`;

export async function resetToken(
  secret: string,
  user: { id: number; email: string; passwordHash: string },
  nowMs: number,
): Promise<string> {
  return userLinkToken(secret, PURPOSE, user.id, boundTo(user), Math.floor(nowMs / 1000) + RESET_TTL_SECONDS);
}

export function renderReset(link: string) {
  const text = `Someone (we hope you) asked to reset the password of your TrainerHub account. Open this link within one hour to choose a new one:\n\n${link}\n\nIf it was not you, ignore this message: your password stays as it is.`;
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>Someone (we hope you) asked to reset the password of your TrainerHub account. Choose a new one within one hour:</p><p><a href="${link}">Choose a new password</a></p><p>If it was not you, ignore this message: your password stays as it is.</p></body></html>`;
  return { subject: 'Reset your TrainerHub password', text, html: String(body) };
}

/**
 * Mails a reset link to the active account with this address, if there is one; nothing otherwise.
 * Never throws: it runs after the answer, and a lost link is asked for again.
 */
export async function mailResetLink(
  db: Db,
  queue: Queue<NotifyMessage>,
  args: { secret: string; appOrigin: string; now: string },
  email: string,
): Promise<void> {
  try {
    const user = await db
      .select({ id: users.id, email: users.email, passwordHash: users.passwordHash })
      .from(users)
      .where(and(eq(users.email, email), eq(users.isActive, true)))
      .get();
    if (!user) return;
    const token = await resetToken(args.secret, user, Date.parse(args.now));
    const link = `${args.appOrigin}${RESET_PAGE_PATH}#token=${encodeURIComponent(token)}`;
    const mail = { userId: user.id, kind: 'password_reset', to: user.email, now: args.now } as const;
    const id = await writeAccountMail(db, { ...mail, ...renderReset(link) });
    if (id !== undefined) await enqueue(queue, [id]);
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'password reset email not queued', err: String(err) }));
  }
}

const TOKEN_REFUSED = 'This reset link is invalid, used or expired; ask for a new one.';

/**
 * Sets the new password when the token is genuine, unexpired and still for the account's current
 * password. Every session of the user ends (a thief's too), the login lockout of the address is
 * lifted, and the address counts as confirmed: the link proved it. Two-factor sign-in stays on.
 */
export async function resetPassword(
  db: Db,
  secret: string,
  input: { token: string; new_password: string },
  now: string,
): Promise<void> {
  const link = userLinkOf(input.token, now);
  const user = link
    ? await db
        .select({ id: users.id, email: users.email, passwordHash: users.passwordHash, isActive: users.isActive })
        .from(users)
        .where(eq(users.id, link.userId))
        .get()
    : undefined;
  const genuine = !!user?.isActive && (await userLinkMatches(secret, PURPOSE, input.token, boundTo(user)));
  const errors: FieldErrors = {};
  if (!genuine) errors.token = [TOKEN_REFUSED];
  // The address only once the token is genuine: a forged one must not learn which id has which email.
  const problems = passwordProblems(input.new_password, genuine && user ? user.email : '');
  if (problems.length) errors.new_password = problems;
  if (!genuine || !user || problems.length) throw invalid(errors);

  const newHash = await hashPassword(input.new_password);
  // Only while the hash is still the one the link was made for: of two uses at once, one lands.
  const stillOld = and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash));
  const [changed] = await db.batch([
    db
      .update(users)
      .set({ passwordHash: newHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now})`, updatedAt: now })
      .where(stillOld)
      .returning({ id: users.id }),
    // The rest only counts once the new hash is in (a use that lost the race changes nothing).
    ...endSessions(db, user.id, sql`(SELECT password_hash FROM users WHERE id = ${user.id}) = ${newHash}`),
    cancelAccountMails(db, { userId: user.id, kind: 'password_reset', now }),
    ...clearLoginFailures(db, user.email, now),
  ]);
  if (!changed.length) throw invalid({ token: [TOKEN_REFUSED] });
}
