import { and, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { loginAttempts, rateLimitHits } from '../db/schema';
import { type Db, statement } from './db';
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

/** Login attempts one client address may make in the window, across all emails (guessing many accounts). */
export const LOGIN_MAX_PER_IP = 100;

/**
 * Reserves one login attempt before the password is checked. First the client address, when
 * Cloudflare names it (`CF-Connecting-IP`; a client-set header is never trusted for this):
 * at most LOGIN_MAX_PER_IP attempts in the window, whatever the emails. Then the email: a single
 * INSERT that lands only while the window holds fewer than LOGIN_MAX_FAILURES attempts, so
 * parallel guesses cannot slip past the count. Returns the seconds to wait when refused, else
 * null. A successful login then clears the email's attempts (its own reservation included).
 */
export async function reserveLoginAttempt(
  db: Db,
  email: string,
  ip: string | null,
  now: string,
): Promise<number | null> {
  if (ip) {
    const wait = await hit(
      db,
      [{ key: `login:ip:${ip}`, max: LOGIN_MAX_PER_IP, windowSeconds: LOGIN_WINDOW_SECONDS }],
      now,
    );
    if (wait !== null) return wait;
  }
  const reserved = await db.all<{ id: number }>(sql`
    INSERT INTO ${loginAttempts} (email, at)
    SELECT ${email}, ${now}
    WHERE (SELECT count(*) FROM ${loginAttempts} WHERE email = ${email} AND at > ${addSeconds(now, -LOGIN_WINDOW_SECONDS)}) < ${LOGIN_MAX_FAILURES}
    RETURNING id`);
  if (reserved.length) return null;
  return (await loginLockedFor(db, email, now)) ?? 1;
}

/** Forgets this email's failures, and everyone's that left the window (keeps the table small). */
export const clearLoginFailures = (db: Db, email: string, now: string) => [
  db.delete(loginAttempts).where(eq(loginAttempts.email, email)),
  db.delete(loginAttempts).where(lt(loginAttempts.at, addSeconds(now, -LOGIN_WINDOW_SECONDS))),
];

export interface Limit {
  key: string;
  max: number;
  windowSeconds: number;
}

/**
 * Counts one hit against every limit, exactly: each is a single INSERT that only lands while
 * the key has fewer than `max` hits inside its sliding window, and all run in one D1 batch.
 * Returns the seconds until the first refused limit frees up, or null when every limit passed.
 */
export async function hit(db: Db, limits: Limit[], now: string): Promise<number | null> {
  const results = await db.$client.batch<{ id: number }>(
    limits.map((l) =>
      statement(
        db,
        sql`INSERT INTO ${rateLimitHits} (key, at)
          SELECT ${l.key}, ${now}
          WHERE (SELECT count(*) FROM ${rateLimitHits} WHERE key = ${l.key} AND at > ${addSeconds(now, -l.windowSeconds)}) < ${l.max}
          RETURNING id`,
      ),
    ),
  );
  const refused = limits.filter((_, i) => !results[i]?.results.length);
  if (!refused.length) return null;
  let wait = 1;
  for (const l of refused) {
    const oldest = await db
      .select({ at: rateLimitHits.at })
      .from(rateLimitHits)
      .where(and(eq(rateLimitHits.key, l.key), gt(rateLimitHits.at, addSeconds(now, -l.windowSeconds))))
      .orderBy(desc(rateLimitHits.at))
      .limit(1)
      .offset(l.max - 1)
      .get();
    if (oldest) wait = Math.max(wait, l.windowSeconds - secondsBetween(oldest.at, now));
  }
  return wait;
}
