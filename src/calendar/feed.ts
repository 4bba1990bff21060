// Calendar feeds out: the secret iCalendar address a trainer (or a client) subscribes to in their
// calendar app. The URL carries a token derived from the owner and its feed generation
// (lib/tokens.ts feedToken): nothing secret is stored, and rotating raises the generation so the
// old URL answers 404 at once. The file is rebuilt on each request from one read; its ETag is the
// hash of the body, so a calendar app polling an unchanged feed gets a 304.
import { type SQL, sql } from 'drizzle-orm';
import { clients, trainers } from '../db/schema';
import { addDays, today } from '../lib/calendar';
import type { CalendarConfig } from '../lib/config';
import { batchSteps, type Db } from '../lib/db';
import { type IcalEvent, icalCalendar } from '../lib/ical';
import { personNameOf, trainerName } from '../lib/names';
import { notFound, unavailable } from '../lib/problem';
import { enforce, RATE_POLICIES } from '../lib/ratelimit';
import { addSeconds } from '../lib/time';
import { base64url, feedToken, feedTokenOwner, sameText, sha256, sha256Hex } from '../lib/tokens';
import { knownToClient } from '../notifications/outbox';
import {
  breakEvents,
  classEvent,
  clientBookingEvent,
  type FeedBookingRow,
  type FeedBreakRow,
  type FeedClassRow,
  type FeedFrame,
  later,
  trainerBookingEvent,
} from './feed-events';

const DAY = 24 * 3600;
/** Events from this many days back to the trainer's booking horizon. */
export const FEED_PAST_DAYS = 60;
/**
 * Ahead, at least this many days whatever the horizon: the horizon bounds what visitors may book,
 * but the trainer may book (and schedule classes) beyond it, and those must reach their calendar.
 */
export const FEED_AHEAD_MIN_DAYS = 366;
/** Cancelled bookings and classes stay in the feed (as STATUS:CANCELLED) this long after the cancel. */
export const FEED_CANCELLED_DAYS = 30;
/** How often calendar apps are asked to fetch the feed again. */
export const FEED_REFRESH_MINUTES = 15;
/** How long a fetched feed may be reused before asking again (Cache-Control). */
export const FEED_MAX_AGE_SECONDS = 300;

export interface FeedUrls {
  url: string;
  webcal_url: string;
}

/** The https address of a feed and the same as webcal:// (which makes calendar apps offer to subscribe). */
export function feedUrlsOf(appOrigin: string, token: string): FeedUrls {
  const url = `${appOrigin}/api/calendar/feed/${token}.ics`;
  return { url, webcal_url: url.replace(/^https?:\/\//, 'webcal://') };
}

const secretOf = (config: CalendarConfig): string => {
  if (config.secret) return config.secret;
  throw unavailable('JWT_SECRET is not configured (set a secret of at least 32 characters).');
};

/** A client's own feed (the manage page links it), or null without a configured secret. */
export async function clientFeedUrls(config: CalendarConfig, clientId: number, generation: number) {
  if (!config.secret) return null;
  return feedUrlsOf(config.appOrigin, await feedToken(config.secret, 'c', clientId, generation));
}

/** The trainer's feed addresses (only the trainer's own GET and rotate answer with them). */
export async function trainerFeedUrls(db: Db, config: CalendarConfig, trainerId: number): Promise<FeedUrls> {
  const secret = secretOf(config);
  const row = await db
    .select({ generation: trainers.calendarFeedGeneration })
    .from(trainers)
    .where(sql`${trainers.id} = ${trainerId}`)
    .get();
  if (!row) throw notFound('No trainer.');
  return feedUrlsOf(config.appOrigin, await feedToken(secret, 't', trainerId, row.generation));
}

/** A new feed address for the trainer: the generation is raised, so the old address answers 404 at once. */
export async function rotateTrainerFeed(db: Db, config: CalendarConfig, trainerId: number): Promise<FeedUrls> {
  const secret = secretOf(config);
  const [row] = await db.all<{ generation: number }>(
    sql`UPDATE ${trainers} SET calendar_feed_generation = calendar_feed_generation + 1
        WHERE id = ${trainerId} RETURNING calendar_feed_generation AS generation`,
  );
  if (!row) throw notFound('No trainer.');
  return feedUrlsOf(config.appOrigin, await feedToken(secret, 't', trainerId, row.generation));
}

/**
 * A new feed address for one of the trainer's clients (a leaked one is revoked so): the client's
 * generation is raised, so the old address answers 404 at once and the manage page links the new
 * one. Another trainer's client is a 404, as a missing one.
 */
export async function rotateClientFeed(
  db: Db,
  config: CalendarConfig,
  trainerId: number,
  clientId: number,
): Promise<FeedUrls> {
  const secret = secretOf(config);
  const [row] = await db.all<{ generation: number }>(
    sql`UPDATE ${clients} SET calendar_feed_generation = calendar_feed_generation + 1
        WHERE id = ${clientId} AND trainer_id = ${trainerId} RETURNING calendar_feed_generation AS generation`,
  );
  if (!row) throw notFound('Client not found.');
  return feedUrlsOf(config.appOrigin, await feedToken(secret, 'c', clientId, row.generation));
}

/** Whose feed a token opens: the trainer (and, for a client's feed, the client) with what the feed needs. */
interface FeedOwner {
  kind: 't' | 'c';
  trainerId: number;
  clientId: number | null;
  timezone: string;
  horizonDays: number;
  trainerName: string;
  /** The trainer's last change (their name is in every event of a client's feed). */
  trainerStamp: string;
}

type OwnerRow = Omit<FeedOwner, 'kind'> & { generation: number };

/** The owner of a genuine token of the current generation, else null (unknown, forged or rotated). */
async function ownerOf(db: Db, secret: string, token: string): Promise<FeedOwner | null> {
  const named = feedTokenOwner(token);
  if (!named) return null;
  // as clients see the trainer (the booking .ics says the same): never the trainer's email
  const trainerColumns = sql`trainers.id AS trainerId, trainers.timezone, trainers.booking_horizon_days AS horizonDays,
    ${trainerName('Your trainer')} AS trainerName, max(trainers.updated_at, users.updated_at) AS trainerStamp`;
  const withUser = sql`JOIN users ON users.id = trainers.user_id`;
  const query =
    named.kind === 't'
      ? sql`SELECT ${trainerColumns}, NULL AS clientId, trainers.calendar_feed_generation AS generation
          FROM trainers ${withUser} WHERE trainers.id = ${named.id}`
      : sql`SELECT ${trainerColumns}, c.id AS clientId, c.calendar_feed_generation AS generation
          FROM clients c JOIN trainers ON trainers.id = c.trainer_id ${withUser} WHERE c.id = ${named.id}`;
  const [row] = await db.all<OwnerRow>(query);
  if (!row || !sameText(token, await feedToken(secret, named.kind, named.id, row.generation))) return null;
  const { generation: _, ...owner } = row;
  return { kind: named.kind, ...owner };
}

/** The instants and local dates a feed covers, as of `now`. */
function windowOf(owner: FeedOwner, now: string) {
  const day = today(owner.timezone, Date.parse(now));
  const ahead = Math.max(owner.horizonDays, FEED_AHEAD_MIN_DAYS);
  return {
    from: addSeconds(now, -FEED_PAST_DAYS * DAY),
    to: addSeconds(now, ahead * DAY),
    cancelledSince: addSeconds(now, -FEED_CANCELLED_DAYS * DAY),
    fromDate: addDays(day, -FEED_PAST_DAYS),
    toDate: addDays(day, ahead),
  };
}

type FeedWindow = ReturnType<typeof windowOf>;

/** Bookings starting inside the window, active or done, or cancelled lately; with client and service. */
const bookingRows = (filter: SQL, w: FeedWindow) => sql`
  SELECT b.id, b.status, b.sequence, b.start_time AS startTime, b.end_time AS endTime, b.notes,
    max(b.updated_at, c.updated_at, coalesce(s.updated_at, '')) AS stamp,
    ${personNameOf('c')} AS clientName, c.phone AS clientPhone, s.name AS serviceName,
    s.location_type AS locationType, s.location, s.video_url AS videoUrl
  FROM bookings b JOIN clients c ON c.id = b.client_id LEFT JOIN services s ON s.id = b.service_id
  WHERE ${filter} AND b.start_time >= ${w.from} AND b.start_time < ${w.to}
    AND (b.status IN ('pending', 'confirmed', 'completed', 'no_show')
      OR (b.status = 'cancelled' AND b.cancelled_at >= ${w.cancelledSince}))
  ORDER BY b.start_time, b.id`;

/**
 * Class sessions inside the window with their places taken (a place's change is the class's too);
 * a cancelled class counts the places its cancel took (never a waitlisted one: `waitlist_only`).
 */
const classRows = (trainerId: number, w: FeedWindow) => sql`
  SELECT cs.id, cs.status, cs.start_time AS startTime, cs.end_time AS endTime, cs.capacity,
    (SELECT count(*) FROM bookings p WHERE p.class_session_id = cs.id AND CASE WHEN cs.status = 'cancelled'
      THEN p.status = 'cancelled' AND p.cancelled_at = cs.cancelled_at AND NOT p.waitlist_only
      ELSE p.status IN ('pending', 'confirmed', 'completed', 'no_show') END) AS booked,
    max(cs.updated_at, s.updated_at,
      coalesce((SELECT max(p.updated_at) FROM bookings p WHERE p.class_session_id = cs.id), '')) AS stamp,
    s.name AS serviceName, s.location_type AS locationType, s.location, s.video_url AS videoUrl
  FROM class_sessions cs JOIN services s ON s.id = cs.service_id
  WHERE cs.trainer_id = ${trainerId} AND cs.start_time >= ${w.from} AND cs.start_time < ${w.to}
    AND (cs.status = 'scheduled' OR cs.cancelled_at >= ${w.cancelledSince})
  ORDER BY cs.start_time, cs.id`;

const breakRows = (trainerId: number, w: FeedWindow) => sql`
  SELECT id, start_date AS startDate, end_date AS endDate, start_time AS startTime, end_time AS endTime,
    reason, sequence, updated_at AS stamp
  FROM trainer_breaks
  WHERE trainer_id = ${trainerId} AND end_date >= ${w.fromDate} AND start_date <= ${w.toDate}
  ORDER BY start_date, id`;

/** The trainer's events: bookings (not class places), class sessions and breaks, in one round trip. */
async function trainerEvents(db: Db, owner: FeedOwner, w: FeedWindow, frame: FeedFrame): Promise<IcalEvent[]> {
  const [bookings, classes, breaks] = await batchSteps(db, [
    bookingRows(sql`b.trainer_id = ${owner.trainerId} AND b.class_session_id IS NULL`, w),
    classRows(owner.trainerId, w),
    breakRows(owner.trainerId, w),
  ]);
  return [
    ...((bookings?.results ?? []) as unknown as FeedBookingRow[]).map((r) => trainerBookingEvent(r, frame)),
    ...((classes?.results ?? []) as unknown as FeedClassRow[]).map((r) => classEvent(r, frame)),
    ...((breaks?.results ?? []) as unknown as FeedBreakRow[]).flatMap((r) => breakEvents(r, frame)),
  ];
}

/** The client's own bookings with this trainer (class places included), in one query. */
async function clientEvents(db: Db, owner: FeedOwner, w: FeedWindow, frame: FeedFrame): Promise<IcalEvent[]> {
  const rows = await db.all<FeedBookingRow>(
    bookingRows(sql`b.client_id = ${owner.clientId} AND b.trainer_id = ${owner.trainerId} AND ${knownToClient()}`, w),
  );
  return rows.map((r) =>
    clientBookingEvent({ ...r, stamp: later(r.stamp, owner.trainerStamp) }, frame, owner.trainerName),
  );
}

async function feedBody(db: Db, appOrigin: string, owner: FeedOwner, now: string): Promise<string> {
  const w = windowOf(owner, now);
  const frame: FeedFrame = { appOrigin, timezone: owner.timezone, fromDate: w.fromDate, toDate: w.toDate };
  const trainer = owner.kind === 't';
  const events = trainer ? await trainerEvents(db, owner, w, frame) : await clientEvents(db, owner, w, frame);
  return icalCalendar({
    prodId: '-//TrainerHub//Calendar feed//EN',
    method: 'PUBLISH',
    feed: {
      name: trainer ? `${owner.trainerName} · TrainerHub` : `Sessions with ${owner.trainerName}`,
      refreshMinutes: FEED_REFRESH_MINUTES,
    },
    events,
  });
}

export type FeedAnswer = { status: 200; body: string; etag: string } | { status: 304; etag: string };

/** True when an If-None-Match header names this entity tag (or `*`); weak tags compare by their value. */
const matches = (header: string | undefined, etag: string): boolean =>
  !!header &&
  header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');

/**
 * A feed by its token: 404 for anything but a genuine token of the current generation, then the
 * rate limit of that feed (429), then the file, or 304 when the caller holds this very body.
 */
export async function serveFeed(
  deps: { db: Db; now: string },
  config: CalendarConfig,
  token: string,
  ifNoneMatch: string | undefined,
): Promise<FeedAnswer> {
  const owner = await ownerOf(deps.db, secretOf(config), token);
  if (!owner) throw notFound('No calendar feed at this address.');
  await enforce(deps.db, RATE_POLICIES.calendarFeed, { feed: await sha256Hex(token) }, deps.now);
  const body = await feedBody(deps.db, config.appOrigin, owner, deps.now);
  const etag = `"${base64url(await sha256(body))}"`;
  return matches(ifNoneMatch, etag) ? { status: 304, etag } : { status: 200, body, etag };
}
