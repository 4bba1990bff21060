import { and, desc, eq, gt, ne, type SQL } from 'drizzle-orm';
import { adminSessions, sessions } from '../db/schema';
import type { AuthContext } from '../lib/context';
import type { Db } from '../lib/db';
import { countedPage, type Page, type PageQuery, pageOf, pageOffset } from '../lib/pagination';
import { notFound } from '../lib/problem';
import type { TokenClaims } from '../lib/tokens';
import type { SessionOut } from './schemas';

// A user's signed-in devices: each API token has a session row, listed here so that a trainer
// who lost a phone can end its session (or every other one) without changing the password.

const USER_AGENT_MAX = 256;

/** The User-Agent as kept: control characters out, trimmed, at most 256 characters. */
export const deviceOf = (userAgent: string | undefined): string =>
  (userAgent ?? '')
    .replace(/\p{Cc}/gu, ' ')
    .trim()
    .slice(0, USER_AGENT_MAX);

/** The session row of a new token. `userId` may be a subquery when the user is inserted in the same batch. */
export const sessionRow = (claims: TokenClaims, userId: number | SQL, userAgent: string) => ({
  jti: claims.jti,
  userId,
  expiresAt: claims.expiresAt,
  userAgent,
});

const live = (auth: AuthContext, now: string) => and(eq(sessions.userId, auth.user.id), gt(sessions.expiresAt, now));

/** The user's live sessions, newest first; `current` marks the one of this request. */
export async function listSessions(
  db: Db,
  auth: AuthContext,
  q: PageQuery,
  requestUrl: string,
  now: string,
): Promise<Page<SessionOut>> {
  const where = live(auth, now);
  const page = db
    .select()
    .from(sessions)
    .where(where)
    .orderBy(desc(sessions.createdAt), desc(sessions.jti))
    .limit(q.page_size)
    .offset(pageOffset(q));
  const { count, rows } = await countedPage(db, sessions, where, page);
  const results = rows.map((s) => ({
    id: s.jti,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
    user_agent: s.userAgent,
    current: s.jti === auth.jti,
  }));
  return pageOf(requestUrl, q, count, results);
}

/** Ends one of the user's sessions (this request's too, like logout); another user's or an unknown one: 404. */
export async function endSession(db: Db, auth: AuthContext, id: string, now: string): Promise<void> {
  const gone = await db
    .delete(sessions)
    .where(and(live(auth, now), eq(sessions.jti, id)))
    .returning({ jti: sessions.jti });
  if (!gone.length) throw notFound('No such session.');
}

/**
 * Ends every session of the user but this request's, the staff console's too; answers how many
 * live API sessions ended (expired rows go too).
 */
export async function endOtherSessions(db: Db, auth: AuthContext, now: string): Promise<number> {
  const [gone] = await db.batch([
    db
      .delete(sessions)
      .where(and(eq(sessions.userId, auth.user.id), ne(sessions.jti, auth.jti)))
      .returning({ expiresAt: sessions.expiresAt }),
    db.delete(adminSessions).where(eq(adminSessions.userId, auth.user.id)),
  ]);
  return gone.filter((s) => s.expiresAt > now).length;
}
