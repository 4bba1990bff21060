import { and, desc, eq, gt, lt } from 'drizzle-orm';
import { loginAttempts } from '../db/schema';
import type { Db } from './db';
import { addSeconds, secondsBetween } from './time';

export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const LOGIN_MAX_FAILURES = 10;

/**
 * Seconds until this email may try again, or null when it is not locked. Locked while the
 * window holds LOGIN_MAX_FAILURES failures; it opens when the oldest of those ages out.
 */
export async function loginLockedFor(db: Db, email: string, now: string): Promise<number | null> {
  const nth = await db
    .select({ at: loginAttempts.at })
    .from(loginAttempts)
    .where(and(eq(loginAttempts.email, email), gt(loginAttempts.at, addSeconds(now, -LOGIN_WINDOW_SECONDS))))
    .orderBy(desc(loginAttempts.at))
    .limit(1)
    .offset(LOGIN_MAX_FAILURES - 1)
    .get();
  return nth ? LOGIN_WINDOW_SECONDS - secondsBetween(nth.at, now) : null;
}

export const recordLoginFailure = (db: Db, email: string, now: string) =>
  db.insert(loginAttempts).values({ email, at: now });

/** Forgets this email's failures, and everyone's that left the window (keeps the table small). */
export const clearLoginFailures = (db: Db, email: string, now: string) => [
  db.delete(loginAttempts).where(eq(loginAttempts.email, email)),
  db.delete(loginAttempts).where(lt(loginAttempts.at, addSeconds(now, -LOGIN_WINDOW_SECONDS))),
];
