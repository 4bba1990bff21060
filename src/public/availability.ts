// The public availability, computed once and answered from the edge cache (Cache API) while
// nothing it depends on has changed. See "The public availability cache" in docs/ARCHITECTURE.md.
import { sql } from 'drizzle-orm';
import { trainerOfSlug } from '../db/fragments';
import { type Trainer, trainers } from '../db/schema';
import { addDays, daysBetween, today } from '../lib/calendar';
import { type Db, Prepared, param } from '../lib/db';
import { invalidField, notFound, tooManyRequests } from '../lib/problem';
import { describePolicy, hit, type Limit, RATE_POLICIES } from '../lib/ratelimit';
import { getAvailableTimes, type ScheduleTrainer } from '../scheduling/service';

export const MAX_PUBLIC_RANGE_DAYS = 62;
const DEFAULT_DAYS = 14;

/**
 * How long an answer is reused, in seconds, at most: every write the answer depends on raises a
 * version an entry must be at least as new as, so this only bounds what time alone changes (a slot passing the minimum
 * notice, today's past times, a class's waitlist closing). The same 15 s the browser may keep it
 * (`Cache-Control: public, max-age=15`, documented since the widget shipped).
 */
export const AVAILABILITY_CACHE_SECONDS = 15;

/** What the query asks, as the validator hands it over (unknown parameters are already gone). */
export interface AvailabilityQuery {
  from?: string;
  to?: string;
  service?: number;
}

export interface AvailabilityDeps {
  db: Db;
  /** The colo's cache (`caches.default`), or null to compute every time. */
  cache: Cache | null;
  /** The request's origin: cache keys live under the app's own host. */
  origin: string;
  now: string;
  /** The rate limits a request that is not a cache hit counts against (`limitsOf(RATE_POLICIES.publicAvailability, …)`). */
  limits: Limit[];
}

/** The trainer values the answer and its key are made of. */
export type AvailabilityTrainer = ScheduleTrainer & Pick<Trainer, 'scheduleVersion' | 'occupancyVersion' | 'createdAt'>;

/** The trainer's row by the unique slug index, with both versions: one indexed read (a replica's). */
const trainerBySlug = new Prepared<{ slug: string }>(
  () =>
    sql`SELECT id, timezone, slot_interval_minutes AS slotIntervalMinutes, min_notice_minutes AS minNoticeMinutes,
      booking_horizon_days AS bookingHorizonDays, waitlist_cutoff_hours AS waitlistCutoffHours,
      schedule_version AS scheduleVersion, occupancy_version AS occupancyVersion, created_at AS createdAt
    FROM ${trainers} WHERE ${trainerOfSlug(param('slug'))}`,
);
const readTrainer = (db: Db, slug: string) =>
  trainerBySlug.bind(db, { slug: slug.toLowerCase() }).first<AvailabilityTrainer>();

/** Counts a request that is not a cache hit against the availability's limits: a 429 when one is full. */
async function count(db: Db, limits: Limit[], now: string): Promise<void> {
  const wait = await hit(db, limits, now);
  if (wait !== null) {
    throw tooManyRequests(
      wait,
      `Too many requests (${describePolicy(RATE_POLICIES.publicAvailability)}); try again later.`,
    );
  }
}

/** The span of a valid question, else null (its 400 is answered after the request is counted). */
function validSpan(t: AvailabilityTrainer, q: AvailabilityQuery, now: string) {
  try {
    return publicSpan(t, q, now);
  } catch {
    return null;
  }
}

/** The dates asked about, defaults filled in (today … +13 days in the trainer's zone, never past the horizon). */
export function publicSpan(
  t: Pick<AvailabilityTrainer, 'timezone' | 'bookingHorizonDays'>,
  q: AvailabilityQuery,
  now: string,
): { from: string; to: string } {
  const first = today(t.timezone, Date.parse(now));
  const last = addDays(first, t.bookingHorizonDays);
  const from = q.from ?? first;
  const horizon = `Bookings open at most ${t.bookingHorizonDays} days ahead (until ${last}).`;
  // Without a `to`, a `from` past the horizon is the field at fault (its default end would precede it).
  if (q.to === undefined && from > last) throw invalidField('from', horizon);
  const to = q.to ?? minDate(addDays(from, DEFAULT_DAYS - 1), last);
  const days = daysBetween(from, to) + 1;
  if (days < 1) throw invalidField('to', 'to must not be before from.');
  if (days > MAX_PUBLIC_RANGE_DAYS) throw invalidField('to', `A range covers at most ${MAX_PUBLIC_RANGE_DAYS} days.`);
  if (to > last) throw invalidField('to', horizon);
  return { from, to };
}

const minDate = (a: string, b: string) => (a < b ? a : b);

/**
 * What the answer depends on besides the versions, as one string: the trainer (id and creation,
 * so it never outlives its row), the settings the slot rules read, the normalised question (dates
 * resolved, service) and the 15-second window of "now" it was computed in. Only these values: no
 * query parameter of the request reaches it as sent. Stored beside the answer with the versions
 * it was computed from (`versionsOf`); see `servable`.
 */
export function availabilityKey(
  t: AvailabilityTrainer,
  span: { from: string; to: string },
  q: AvailabilityQuery,
  now: string,
) {
  const parts: [string, string | number][] = [
    ['created', t.createdAt],
    ['from', span.from],
    ['horizon', t.bookingHorizonDays],
    ['notice', t.minNoticeMinutes],
    ['service', q.service ?? ''],
    ['slot', t.slotIntervalMinutes],
    ['time', timeWindow(now)],
    ['to', span.to],
    ['tz', t.timezone],
    ['waitlist', t.waitlistCutoffHours],
  ];
  return `${t.id}?${query(parts)}`;
}

/**
 * Where the answer to a question is kept in the cache: the slug and the question as validated
 * (dates as asked, unknown parameters already dropped) in the 15-second window of now. Made
 * without the trainer's row, so the lookup runs beside the read of it; which answer the entry
 * may hold is `availabilityKey`'s to say.
 */
export function entryUrl(origin: string, slug: string, q: AvailabilityQuery, now: string) {
  const parts: [string, string | number][] = [
    ['from', q.from ?? ''],
    ['service', q.service ?? ''],
    ['time', timeWindow(now)],
    ['to', q.to ?? ''],
  ];
  return `${origin}/__cache/public-availability/v2/${encodeURIComponent(slug.toLowerCase())}?${query(parts)}`;
}

const timeWindow = (now: string) => Math.floor(Date.parse(now) / (AVAILABILITY_CACHE_SECONDS * 1000));
const query = (parts: [string, string | number][]) =>
  parts.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');

/** The headers an entry keeps its `availabilityKey` and its `versionsOf` in. */
const KEY_HEADER = 'X-Availability-Key';
const VERSIONS_HEADER = 'X-Availability-Versions';

/** Schedule (windows, breaks, overrides, services, calendar connections) and occupancy (bookings, class sessions, busy rows) versions. */
const versionsOf = (t: AvailabilityTrainer) => `${t.scheduleVersion}.${t.occupancyVersion}`;

/**
 * Whether a stored entry answers this request: the same key, and versions at least as new as
 * the row just read in both counts. Both only ever rise, so of two reads of one trainer row one
 * is as new as the other in both: an entry older than the row is never served, and a reader of a
 * replica that lags behind the entry's gets the newer answer instead of recomputing an older one
 * over it (which readers of the primary would then recompute again, each miss counted).
 */
function servable(stored: Response, key: string, t: AvailabilityTrainer): boolean {
  if (stored.headers.get(KEY_HEADER) !== key) return false;
  const [schedule = Number.NaN, occupancy = Number.NaN] = (stored.headers.get(VERSIONS_HEADER) ?? '')
    .split('.')
    .map(Number);
  return schedule >= t.scheduleVersion && occupancy >= t.occupancyVersion;
}

/** The answer itself: the trainer's own free-slot computation, for a visitor. */
async function computeAvailability(
  db: Db,
  t: AvailabilityTrainer,
  span: { from: string; to: string },
  q: AvailabilityQuery,
  now: string,
) {
  const ask = { serviceId: q.service, visitor: true };
  const { service, rules, days } = await getAvailableTimes(db, t, { fromDate: span.from, toDate: span.to }, ask, now);
  return { timezone: t.timezone, service: service.id, duration_minutes: rules.durationMinutes, days };
}

export interface CachedAnswer {
  /** The JSON body: a hit's as the cache streams it, never decoded here. */
  body: string | ReadableStream;
  cache: 'hit' | 'miss';
}

/**
 * The public availability as JSON text: one indexed read of the trainer (with its versions) and,
 * beside it, the cache lookup. A hit (an entry `servable` for the row just read) is answered as stored and counts against no rate limit: it costs one read and a
 * cache lookup, at the time of the slower of the two, the same for a crowd as for one visitor.
 * Anything else (a miss, an unknown slug, a bad range) is counted first (one D1 batch: a 429
 * when a limit is full), then a miss is computed and stored before answering. Only 200 answers
 * are stored: a 400 or 404 is thrown before the cache is written. Nothing in it is per visitor.
 */
export async function cachedAvailability(
  deps: AvailabilityDeps,
  slug: string,
  q: AvailabilityQuery,
): Promise<CachedAnswer> {
  const { db, cache, now } = deps;
  const entry = entryUrl(deps.origin, slug, q, now);
  const [t, stored] = await Promise.all([readTrainer(db, slug), cache?.match(entry)]);
  const asked = t && validSpan(t, q, now);
  const key = t && asked && availabilityKey(t, asked, q, now);
  if (stored?.body && t && key && servable(stored, key, t)) return { body: stored.body, cache: 'hit' };
  // An entry made from older versions (or for another trainer of this slug) is never read.
  void stored?.body?.cancel();
  // Everything else counts: a miss, an unknown slug, a bad range.
  await count(db, deps.limits, now);
  if (!t) throw notFound('No trainer with that name.');
  const span = publicSpan(t, q, now);
  const body = JSON.stringify(await computeAvailability(db, t, span, q, now));
  await cache?.put(
    entry,
    new Response(body, {
      headers: {
        'Content-Type': 'application/json',
        'Cache-Control': `public, max-age=${AVAILABILITY_CACHE_SECONDS}`,
        [KEY_HEADER]: key ?? availabilityKey(t, span, q, now),
        [VERSIONS_HEADER]: versionsOf(t),
      },
    }),
  );
  return { body, cache: 'miss' };
}
