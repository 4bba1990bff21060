import { and, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { loginAttempts, rateLimitHits } from '../db/schema';
import { isoNow } from './clock';
import type { AppEnv } from './context';
import { type Db, statement } from './db';
import { tooManyRequests } from './problem';
import { addSeconds, secondsBetween } from './time';

const MINUTE = 60;
const HOUR = 3600;

/** At most `max` requests in any `windowSeconds`, per what `per` names. */
export interface Window {
  per: string;
  max: number;
  windowSeconds: number;
}

/**
 * The limits of one operation (as OpenAPI names it, "POST /api/users/register"): the one list
 * the route's 429 documentation, its limiter and the test comparing them are built from.
 */
export interface RatePolicy {
  name: string;
  operation: string;
  windows: Window[];
  /** What the limits do not count, said after them. */
  exempt?: string;
}

const policy = (name: string, operation: string, ...windows: Window[]): RatePolicy => ({ name, operation, windows });
const per = (what: string, max: number, windowSeconds: number): Window => ({ per: what, max, windowSeconds });

/** Per client address: Cloudflare's `CF-Connecting-IP`, the only address a client cannot set. */
export const ADDRESS = 'client address';
/** Per client address and the trainer it asks about. */
export const ADDRESS_AND_TRAINER = 'client address and trainer';

export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const LOGIN_MAX_FAILURES = 10;
/** Login attempts one client address may make in the window, across all emails (guessing many accounts). */
export const LOGIN_MAX_PER_IP = 100;
/**
 * Every rate-limited operation. Limits a person never meets (shared addresses of an office or a
 * gym included), low enough that guessing tokens or filling inboxes goes nowhere.
 */
export const RATE_POLICIES = {
  login: policy(
    'login',
    'POST /api/users/login',
    per(ADDRESS, LOGIN_MAX_PER_IP, LOGIN_WINDOW_SECONDS),
    per('email', LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS),
  ),
  register: policy('register', 'POST /api/users/register', per(ADDRESS, 20, HOUR)),
  resendVerification: policy('resend-verification', 'POST /api/users/resend-verification', per('account', 5, HOUR)),
  // Counted for any address, with an account or not, so the 429 says nothing about one either.
  passwordReset: policy(
    'password-reset',
    'POST /api/users/password-reset',
    per(ADDRESS, 20, HOUR),
    per('email', 5, HOUR),
  ),
  // Each refused try costs a signature check, each accepted one a password hash.
  passwordResetConfirm: policy(
    'password-reset-confirm',
    'POST /api/users/password-reset/confirm',
    per(ADDRESS, 30, HOUR),
  ),
  publicBooking: policy(
    'public-booking',
    'POST /api/public/trainers/{slug}/bookings',
    per(ADDRESS, 10, MINUTE),
    per('email', 5, HOUR),
  ),
  // A signed-in client's own bookings: each request or move mails the trainer.
  clientBooking: policy('client-booking', 'POST /api/client/bookings', per('account', 20, HOUR)),
  clientReschedule: policy('client-reschedule', 'POST /api/client/bookings/{id}/reschedule', per('account', 20, HOUR)),
  // An answer from the edge cache costs one indexed read: only the others (misses, 404s, 400s) count.
  publicAvailability: {
    ...policy(
      'public-availability',
      'GET /api/public/trainers/{slug}/availability',
      per(ADDRESS, 600, MINUTE),
      per(ADDRESS_AND_TRAINER, 120, MINUTE),
    ),
    exempt: 'answers from the edge cache (X-Cache: hit) are not counted',
  },
  manage: policy(
    'manage',
    'GET /api/public/bookings/{token}',
    per(ADDRESS, 60, MINUTE),
    per('manage link', 60, MINUTE),
  ),
  manageAvailability: policy(
    'manage-availability',
    'GET /api/public/bookings/{token}/availability',
    per(ADDRESS, 120, MINUTE),
    per('manage link', 60, MINUTE),
  ),
  manageIcs: policy(
    'manage-ics',
    'GET /api/public/bookings/{token}/ics',
    per(ADDRESS, 60, MINUTE),
    per('manage link', 60, MINUTE),
  ),
  manageCancel: policy(
    'manage-cancel',
    'POST /api/public/bookings/{token}/cancel',
    per(ADDRESS, 30, MINUTE),
    per('manage link', 10, MINUTE),
  ),
  manageReschedule: policy(
    'manage-reschedule',
    'POST /api/public/bookings/{token}/reschedule',
    per(ADDRESS, 30, MINUTE),
    per('manage link', 10, MINUTE),
  ),
  // A calendar app polls a feed every 15 minutes or so; many apps fetch from a few shared addresses,
  // so the limit is per feed, never per address.
  calendarFeed: policy('calendar-feed', 'GET /api/calendar/feed/{token}.ics', per('feed', 60, HOUR)),
  // A trainer's "sync now" of a connected calendar: each one fetches a third party's server.
  calendarSync: policy(
    'calendar-sync',
    'POST /api/calendar/connections/{id}/sync',
    per('calendar connection', 1, MINUTE),
  ),
} satisfies Record<string, RatePolicy>;

const spell = (seconds: number) =>
  seconds % HOUR === 0
    ? seconds === HOUR
      ? 'hour'
      : `${seconds / HOUR} hours`
    : seconds === MINUTE
      ? 'minute'
      : `${seconds / MINUTE} minutes`;

/** "at most 20 per hour per client address; …", for the route's documentation. */
export const describePolicy = (p: RatePolicy): string =>
  [
    ...p.windows.map((w) => `at most ${w.max} per ${spell(w.windowSeconds)} per ${w.per}`),
    ...(p.exempt ? [p.exempt] : []),
  ].join('; ');

/**
 * The policy's limits for one request: `keys` names the value of each window's `per` (the
 * client address, an account id, a manage-link hash…); a window without a value is skipped (no
 * `CF-Connecting-IP` happens only outside Cloudflare: tests and local tools).
 */
export const limitsOf = (p: RatePolicy, keys: Record<string, string | null | undefined>): Limit[] =>
  p.windows.flatMap((w) => {
    const value = keys[w.per];
    return value
      ? [{ key: `${p.name}:${w.per.replace(/\s+/g, '-')}:${value}`, max: w.max, windowSeconds: w.windowSeconds }]
      : [];
  });

/** The client's address as Cloudflare saw it, or null outside Cloudflare. Never X-Forwarded-For. */
export const clientAddress = (headers: Headers): string | null => headers.get('CF-Connecting-IP')?.trim() || null;

/**
 * Counts one request against the policy; a 429 with Retry-After when a window is full, unless
 * `replays` finds the request is a retry of one already answered under its Idempotency-Key
 * (`isReplay`: it writes nothing, so a client that lost an answer gets it, never a 429). Asked
 * only on that path.
 */
export async function enforce(
  db: Db,
  p: RatePolicy,
  keys: Record<string, string | null | undefined>,
  now: string,
  refused: { message?: string; replays?: () => Promise<boolean> } = {},
): Promise<void> {
  const wait = await hit(db, limitsOf(p, keys), now);
  if (wait !== null && !(await refused.replays?.())) {
    throw tooManyRequests(wait, refused.message ?? `Too many requests (${describePolicy(p)}); try again later.`);
  }
}

/**
 * Route middleware for a policy: the client address, plus what `keysOf` names for the other
 * windows (read from the request before validation, so refused requests cost no more).
 */
export const rateLimit = (
  p: RatePolicy,
  keysOf: (c: Context<AppEnv>) => Record<string, string | null> | Promise<Record<string, string | null>> = () => ({}),
) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const keys = { [ADDRESS]: clientAddress(c.req.raw.headers), ...(await keysOf(c)) };
    await enforce(c.get('db'), p, keys, isoNow(c.get('clock')));
    await next();
  });

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
    const wait = await hit(db, limitsOf(RATE_POLICIES.login, { [ADDRESS]: ip }), now);
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
 * One hit against every limit, exactly: each a single INSERT that only lands while the key has
 * fewer than `max` hits inside its sliding window (RETURNING a row when it landed). For a D1
 * batch of the caller's, so a route can read what it needs in the same round trip.
 */
export const hitStatements = (db: Db, limits: Limit[], now: string): D1PreparedStatement[] =>
  limits.map((l) =>
    statement(
      db,
      sql`INSERT INTO ${rateLimitHits} (key, at)
          SELECT ${l.key}, ${now}
          WHERE (SELECT count(*) FROM ${rateLimitHits} WHERE key = ${l.key} AND at > ${addSeconds(now, -l.windowSeconds)}) < ${l.max}
          RETURNING id`,
    ),
  );

/**
 * The seconds until the first refused limit frees up, given the results of `hitStatements` (in
 * order), or null when every limit passed.
 */
export async function waitAfter(db: Db, limits: Limit[], results: D1Result[], now: string): Promise<number | null> {
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

/**
 * Counts one hit against every limit, exactly, all in one D1 batch. Returns the seconds until
 * the first refused limit frees up, or null when every limit passed.
 */
export async function hit(db: Db, limits: Limit[], now: string): Promise<number | null> {
  if (!limits.length) return null;
  return waitAfter(db, limits, await db.$client.batch(hitStatements(db, limits, now)), now);
}
