// A trainer's calendar connections: the calendars whose busy time blocks bookings. The address
// is a secret (whoever has it reads the calendar): it is checked (calendar/url.ts: no local,
// private or metadata host, never TrainerHub's own feed), stored sealed (AES-GCM, lib/tokens.ts),
// found again by its SHA-256 and shown only as its hint. Turning a calendar off, pointing it
// elsewhere or deleting it drops its busy time in the same batch and raises the schedule version,
// so a booking checked against the old busy time is checked again.
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import { bumpScheduleVersion } from '../db/fragments';
import { type CalendarConnection, calendarConnections } from '../db/schema';
import type { CalendarConfig } from '../lib/config';
import { batchSteps, type Db, type Step } from '../lib/db';
import { countedPage, type PageQuery, pageOffset } from '../lib/pagination';
import { ApiError, conflict, invalidField, notFound } from '../lib/problem';
import { sealText, sha256Hex } from '../lib/tokens';
import {
  type ConnectionCreateInput,
  type ConnectionOut,
  type ConnectionPatchInput,
  MAX_URL_LENGTH,
} from './connection-schemas';
import { checkCalendarUrl, type UrlCheck, urlHint } from './url';

/** Calendars one trainer may connect. */
export const MAX_CONNECTIONS = 10;
/** The `sealText` purpose of a stored calendar address. */
export const URL_PURPOSE = 'calendar-url';

/** What CALENDAR_QUEUE carries: one connection to sync now. */
export interface CalendarSyncMessage {
  connectionId: number;
}

export interface ConnectionDeps {
  db: Db;
  now: string;
  /** CALENDAR_QUEUE: a new or re-pointed or re-activated calendar is synced within seconds. */
  queue: Queue<CalendarSyncMessage>;
}

/** The key that seals calendar addresses, or a 503 saying how to set it. */
export function calendarSecretOf(config: CalendarConfig): string {
  if (config.secret) return config.secret;
  throw new ApiError(503, 'JWT_SECRET is not configured (set a secret of at least 32 characters).');
}

export const toConnectionOut = (r: CalendarConnection): ConnectionOut => ({
  id: r.id,
  provider: r.provider,
  name: r.name,
  ics_url_hint: r.urlHint,
  is_active: r.isActive,
  last_synced_at: r.lastSyncedAt,
  last_error: r.lastError,
  busy_count: r.busyCount,
  consecutive_failures: r.consecutiveFailures,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

/** A path of this app's calendar feeds (any token, trainer's or client's), after decoding and with repeated slashes folded. */
function isFeedPath(pathname: string): boolean {
  let path = pathname;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    // a malformed escape: judge the path as written
  }
  return /^\/api\/calendar\/feed(\/|$)/i.test(path.replace(/\/{2,}/g, '/'));
}

const bareHost = (host: string) => host.toLowerCase().replace(/\.$/, '');

/**
 * The address to store, or why not (a sentence): the calendar address rules, at most
 * MAX_URL_LENGTH characters, and never this app's own feed (importing it back would count every
 * booking twice, as a booking and as busy time).
 */
export function checkConnectionUrl(raw: string, config: CalendarConfig): UrlCheck {
  const fail = (reason: string): UrlCheck => ({ ok: false, reason: `The calendar address ${reason}` });
  if (raw.trim().length > MAX_URL_LENGTH) return fail(`must be at most ${MAX_URL_LENGTH} characters long.`);
  const check = checkCalendarUrl(raw, config.allowPlainUrls);
  if (!check.ok) return fail(check.reason);
  const ownHost = bareHost(new URL(config.appOrigin).hostname);
  if (bareHost(check.url.hostname) === ownHost && isFeedPath(check.url.pathname))
    return fail("is TrainerHub's own calendar feed: its bookings already block your time.");
  return check;
}

/** The address sealed for storage, its hint and its hash; a 400 naming `ics_url` when it breaks a rule. */
async function storedUrl(raw: string, config: CalendarConfig) {
  const check = checkConnectionUrl(raw, config);
  if (!check.ok) throw invalidField('ics_url', check.reason);
  const href = check.url.href;
  return {
    urlCiphertext: await sealText(calendarSecretOf(config), URL_PURPOSE, href),
    urlHint: urlHint(check.url),
    urlHash: await sha256Hex(href),
  };
}

const ofTrainer = (trainerId: number, id: number) =>
  and(eq(calendarConnections.id, id), eq(calendarConnections.trainerId, trainerId));

export async function listConnections(db: Db, trainerId: number, q: PageQuery) {
  const where = eq(calendarConnections.trainerId, trainerId);
  const { count, rows } = await countedPage(
    db,
    calendarConnections,
    where,
    db
      .select()
      .from(calendarConnections)
      .where(where)
      .orderBy(asc(calendarConnections.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return { count, results: rows.map(toConnectionOut) };
}

/** The trainer's connection, else 404 (another trainer's is not found either). */
export async function findConnection(db: Db, trainerId: number, id: number): Promise<CalendarConnection> {
  const row = await db.select().from(calendarConnections).where(ofTrainer(trainerId, id)).get();
  if (!row) throw notFound('Calendar connection not found.');
  return row;
}

/** Asks for a sync now; a lost message only delays it to the next cron tick. */
async function requestSync(queue: Queue<CalendarSyncMessage>, connectionId: number): Promise<void> {
  try {
    await queue.send({ connectionId });
  } catch (err) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'calendar sync request failed; the cron will sync it',
        connection_id: connectionId,
        err: String(err),
      }),
    );
  }
}

/**
 * The trainer's zone or horizon changed: its busy time was expanded for the old ones, so each
 * switched-on calendar is synced now (the sync sees the rows no longer cover and reads in full),
 * not at the next 15-minute tick.
 */
export async function resyncCalendars(db: Db, queue: Queue<CalendarSyncMessage>, trainerId: number): Promise<void> {
  const rows = await db
    .select({ id: calendarConnections.id })
    .from(calendarConnections)
    .where(and(eq(calendarConnections.trainerId, trainerId), eq(calendarConnections.isActive, true)));
  await Promise.all(rows.map((r) => requestSync(queue, r.id)));
}

const alreadyConnected = () =>
  conflict('This calendar is already connected: the same address is saved as another connection.', 'connection_exists');

const sameAddress = (trainerId: number, urlHash: string, exceptId = 0): SQL =>
  sql`EXISTS (SELECT 1 FROM calendar_connections WHERE trainer_id = ${trainerId} AND url_hash = ${urlHash} AND id <> ${exceptId})`;

export async function createConnection(
  deps: ConnectionDeps,
  config: CalendarConfig,
  trainerId: number,
  input: ConnectionCreateInput,
): Promise<ConnectionOut> {
  const { db, now } = deps;
  const url = await storedUrl(input.ics_url, config);
  const isActive = input.is_active ?? true;
  // One guarded statement: two parallel requests cannot both add the same address or an 11th calendar.
  const [inserted] = await batchSteps<{ id: number }>(db, [
    sql`INSERT INTO calendar_connections
        (trainer_id, provider, name, url_ciphertext, url_hint, url_hash, is_active, created_at, updated_at)
      SELECT ${trainerId}, 'ics', ${input.name}, ${url.urlCiphertext}, ${url.urlHint}, ${url.urlHash},
        ${isActive ? 1 : 0}, ${now}, ${now}
      WHERE NOT ${sameAddress(trainerId, url.urlHash)}
        AND (SELECT count(*) FROM calendar_connections WHERE trainer_id = ${trainerId}) < ${MAX_CONNECTIONS}
      RETURNING id`,
  ]);
  const id = inserted?.results[0]?.id;
  if (id === undefined) {
    const dup = await db
      .select({ id: calendarConnections.id })
      .from(calendarConnections)
      .where(and(eq(calendarConnections.trainerId, trainerId), eq(calendarConnections.urlHash, url.urlHash)))
      .get();
    if (dup) throw alreadyConnected();
    throw conflict(`A trainer can connect at most ${MAX_CONNECTIONS} calendars.`, 'too_many_connections');
  }
  if (isActive) await requestSync(deps.queue, id);
  return toConnectionOut(await findConnection(db, trainerId, id));
}

/** A new address starts afresh: the old calendar's validators, errors and counts do not apply to it. */
const FRESH_SYNC_STATE = {
  etag: null,
  lastModified: null,
  lastAttemptAt: null,
  lastSyncedAt: null,
  lastError: null,
  consecutiveFailures: 0,
  failingSince: null,
  busyCount: 0,
  expandedFor: null,
};

/**
 * The connection's busy time deleted and the trainer's schedule version raised, both only when
 * `applied` (the change's own guarded UPDATE went in): a refused change leaves nothing behind.
 */
const dropBusy = (trainerId: number, id: number, applied: SQL): Step[] => [
  sql`DELETE FROM calendar_busy WHERE connection_id = ${id} AND trainer_id = ${trainerId} AND ${applied}`,
  sql`${bumpScheduleVersion(trainerId)} AND ${applied}`,
];

export async function updateConnection(
  deps: ConnectionDeps,
  config: CalendarConfig,
  trainerId: number,
  id: number,
  input: ConnectionPatchInput,
): Promise<ConnectionOut> {
  const { db, now } = deps;
  const current = await findConnection(db, trainerId, id);
  const url = input.ics_url === undefined ? null : await storedUrl(input.ics_url, config);
  // The same address again changes nothing about it (its busy time stays).
  const newUrl = url && url.urlHash !== current.urlHash ? url : null;
  const deactivate = input.is_active === false && current.isActive;
  const values = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.is_active !== undefined && { isActive: input.is_active }),
    ...(newUrl && { ...newUrl, ...FRESH_SYNC_STATE }),
    // Its busy rows go: the validators and sync state go with them, or a 304 after turning it back
    // on would keep a calendar with no busy time.
    ...(deactivate && FRESH_SYNC_STATE),
  };
  if (!Object.keys(values).length) return toConnectionOut(current);
  // True once the UPDATE below went in: the row carries the new address, or is off.
  const applied = sql`EXISTS (SELECT 1 FROM calendar_connections WHERE id = ${id} AND trainer_id = ${trainerId}
    ${newUrl ? sql`AND url_hash = ${newUrl.urlHash}` : sql``} ${deactivate ? sql`AND is_active = 0` : sql``})`;
  const [changed] = await batchSteps<{ id: number }>(db, [
    db
      .update(calendarConnections)
      .set({ ...values, updatedAt: now })
      .where(and(ofTrainer(trainerId, id), newUrl ? sql`NOT ${sameAddress(trainerId, newUrl.urlHash, id)}` : undefined))
      .returning({ id: calendarConnections.id }),
    ...(newUrl || deactivate ? dropBusy(trainerId, id, applied) : []),
  ]);
  if (!changed?.results.length) {
    await findConnection(db, trainerId, id); // deleted meanwhile: 404
    throw alreadyConnected();
  }
  const active = input.is_active ?? current.isActive;
  if (active && (newUrl || !current.isActive)) await requestSync(deps.queue, id);
  return toConnectionOut(await findConnection(db, trainerId, id));
}

/** The connection and its busy time (the foreign key cascades), with the schedule version raised. */
export async function deleteConnection(db: Db, trainerId: number, id: number): Promise<void> {
  const [, deleted] = await batchSteps<{ id: number }>(db, [
    sql`${bumpScheduleVersion(trainerId)} AND EXISTS (SELECT 1 FROM calendar_connections WHERE id = ${id} AND trainer_id = ${trainerId})`,
    db.delete(calendarConnections).where(ofTrainer(trainerId, id)).returning({ id: calendarConnections.id }),
  ]);
  if (!deleted?.results.length) throw notFound('Calendar connection not found.');
}
