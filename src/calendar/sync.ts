// One connection's sync: open its sealed address, fetch it (calendar/fetch-feed.ts), have its busy
// time read by the parser Worker (calendar/busy.ts) and replace that connection's calendar_busy rows in one D1 batch, or
// record why not. A feed's fault never throws: the existing blocks stay and the connection says why;
// the third failure in a row tells the trainer once per streak. Also the 15-minute cron's choice of
// connections due, and the manual sync's once-a-minute claim.
import { eq, type SQL, sql } from 'drizzle-orm';
import { bumpScheduleVersion } from '../db/fragments';
import { calendarConnections, trainers } from '../db/schema';
import type { CalendarConfig } from '../lib/config';
import { batchSteps, type Db } from '../lib/db';
import { unavailable } from '../lib/problem';
import { addSeconds } from '../lib/time';
import { openText } from '../lib/tokens';
import { dedupeKey, enqueue, idsOf, trainerMessage } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { type BusyBlock, type CalendarParser, expansionWindow, MALFORMED_CALENDAR } from './busy';
import { URL_PURPOSE } from './connections';
import { type FeedAnswer, FeedError, fetchFeed, type Validators } from './fetch-feed';
import { renderSyncFailing } from './messages';
import { checkCalendarUrl } from './url';

export const URL_UNREADABLE = 'The saved address can no longer be read; enter it again.';
export const PARSER_UNAVAILABLE = 'Calendars cannot be read just now; try again in a few minutes.';
/** How the runtime says an isolate ran out of memory or CPU (the file's doing, unlike a lost connection). */
const PARSER_EXHAUSTED = /exceeded|resource limit|out of memory/i;
/** Failed syncs in a row after which the trainer is told (once per streak). */
export const FAILURES_BEFORE_MESSAGE = 3;
/** Busy rows per INSERT: one JSON parameter each, far below D1's 100 bound parameters and its statement size. */
const ROWS_PER_INSERT = 500;

export interface SyncDeps {
  db: Db;
  now: string;
  fetcher?: typeof fetch;
  /** The calendar parser Worker (`parserOf(env)`). */
  parser: CalendarParser;
  /** The notifications queue: a "failing" message is queued at once (else the outbox sweeper finds it). */
  queue?: Queue<NotifyMessage>;
}

export interface SyncOutcome {
  /**
   * synced: new blocks stored; unchanged: a 304 or the same busy time; failed: last_error set;
   * skipped: gone or off, or re-pointed or switched off while it was read (nothing written).
   */
  status: 'synced' | 'unchanged' | 'failed' | 'skipped';
  busyCount: number;
  error: string | null;
}

type Connection = Awaited<ReturnType<typeof loadConnection>>;

const loadConnection = (db: Db, id: number) =>
  db
    .select({
      id: calendarConnections.id,
      trainerId: calendarConnections.trainerId,
      name: calendarConnections.name,
      urlCiphertext: calendarConnections.urlCiphertext,
      urlHint: calendarConnections.urlHint,
      isActive: calendarConnections.isActive,
      etag: calendarConnections.etag,
      lastModified: calendarConnections.lastModified,
      consecutiveFailures: calendarConnections.consecutiveFailures,
      failingSince: calendarConnections.failingSince,
      busyCount: calendarConnections.busyCount,
      lastSyncedAt: calendarConnections.lastSyncedAt,
      expandedFor: calendarConnections.expandedFor,
      timezone: trainers.timezone,
      horizonDays: trainers.bookingHorizonDays,
    })
    .from(calendarConnections)
    .innerJoin(trainers, eq(trainers.id, calendarConnections.trainerId))
    .where(eq(calendarConnections.id, id))
    .get();

/** The address to fetch, or a FeedError: the sealed text opened, and checked again as when it was saved. */
async function addressOf(config: CalendarConfig, sealed: string): Promise<URL> {
  const raw = config.secret ? await openText(config.secret, URL_PURPOSE, sealed) : null;
  if (raw === null) throw new FeedError(URL_UNREADABLE);
  const checked = checkCalendarUrl(raw, config.allowPlainUrls);
  if (!checked.ok) throw new FeedError(`The saved address is no longer allowed: it ${checked.reason}`);
  return checked.url;
}

/**
 * The guard of every write a sync makes: the connection is still on and still points where this
 * sync read. A calendar re-pointed, switched off or deleted meanwhile keeps what that change left
 * (the old address's blocks, 304 or 404 are not written onto the new one).
 */
const stillOn = (c: NonNullable<Connection>) => sql`EXISTS (SELECT 1 FROM calendar_connections
  WHERE id = ${c.id} AND is_active = 1 AND url_ciphertext = ${c.urlCiphertext})`;

/** The busy rows of a connection replaced, its state updated and the trainer's schedule version raised: one batch. */
function replaceSteps(c: NonNullable<Connection>, blocks: BusyBlock[], read: Read, now: string): SQL[] {
  const inserts: SQL[] = [];
  for (let i = 0; i < blocks.length; i += ROWS_PER_INSERT) {
    const rows = JSON.stringify(blocks.slice(i, i + ROWS_PER_INSERT).map((b) => [b.start, b.end]));
    inserts.push(sql`INSERT INTO calendar_busy (trainer_id, connection_id, start_time, end_time)
      SELECT ${c.trainerId}, ${c.id}, json_extract(value, '$[0]'), json_extract(value, '$[1]')
      FROM json_each(${rows}) WHERE ${stillOn(c)}`);
  }
  const validators = validatorsAfter(c, read.answer);
  return [
    sql`DELETE FROM calendar_busy WHERE connection_id = ${c.id} AND ${stillOn(c)}`,
    ...inserts,
    sql`UPDATE calendar_connections SET etag = ${validators.etag}, last_modified = ${validators.lastModified},
      last_attempt_at = ${now}, last_synced_at = ${now}, last_error = NULL, consecutive_failures = 0,
      failing_since = NULL, busy_count = (SELECT count(*) FROM calendar_busy WHERE connection_id = ${c.id}),
      expanded_for = ${read.expandedFor}, updated_at = ${now}
      WHERE id = ${c.id} AND ${stillOn(c)}`,
    bumpScheduleVersion(c.trainerId),
  ];
}

/**
 * Nothing new (a 304, or the same busy time again): the stored blocks stand, the schedule version
 * stays, the connection is marked read now (with the answer's validators, if it sent any).
 */
function unchangedStep(c: NonNullable<Connection>, now: string, read: Read): SQL {
  const validators = validatorsAfter(c, read.answer);
  return sql`UPDATE calendar_connections SET etag = ${validators.etag}, last_modified = ${validators.lastModified},
    last_attempt_at = ${now}, last_synced_at = ${now}, last_error = NULL, consecutive_failures = 0,
    failing_since = NULL, expanded_for = ${read.expandedFor}, updated_at = ${now}
    WHERE id = ${c.id} AND ${stillOn(c)}`;
}

/** The validators to keep: a 200's own (none if it sent none), else those the connection had. */
const validatorsAfter = (c: NonNullable<Connection>, answer: FeedAnswer): Validators =>
  answer.status === 200 ? answer : { etag: c.etag, lastModified: c.lastModified };

/**
 * Whether the connection already stores exactly these blocks. Many calendars answer 200 with the
 * same file every time (no validators): rewriting thousands of rows and moving the trainer's
 * schedule version (which makes a booking in flight check again) every 15 minutes would be waste.
 */
async function sameBlocks(db: Db, connectionId: number, blocks: BusyBlock[]): Promise<boolean> {
  const rows = await db.all<{ s: string; e: string }>(
    sql`SELECT start_time AS s, end_time AS e FROM calendar_busy WHERE connection_id = ${connectionId} ORDER BY start_time`,
  );
  return rows.length === blocks.length && rows.every((r, i) => r.s === blocks[i]?.start && r.e === blocks[i]?.end);
}

/** A failure recorded (blocks kept); the third in a row also writes the trainer's one message of this streak. */
function failureSteps(c: NonNullable<Connection>, error: string, now: string, config: CalendarConfig): SQL[] {
  const since = c.failingSince ?? now;
  const steps = [
    sql`UPDATE calendar_connections SET last_error = ${error}, last_attempt_at = ${now},
      consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, ${now}),
      updated_at = ${now} WHERE id = ${c.id} AND ${stillOn(c)}`,
  ];
  if (c.consecutiveFailures + 1 >= FAILURES_BEFORE_MESSAGE) {
    const rendered = renderSyncFailing({
      name: c.name,
      urlHint: c.urlHint,
      error,
      failingSince: since,
      timezone: c.timezone,
      appOrigin: config.appOrigin,
    });
    steps.push(
      trainerMessage({
        trainerId: c.trainerId,
        bookingId: null,
        kind: 'calendar_sync_failing',
        dedupeKey: dedupeKey({
          connection: c.id,
          kind: 'calendar_sync_failing',
          since: sql`(SELECT failing_since FROM calendar_connections WHERE id = ${c.id})`,
        }),
        now,
        guard: sql`${stillOn(c)} AND EXISTS (SELECT 1 FROM calendar_connections
          WHERE id = ${c.id} AND consecutive_failures >= ${FAILURES_BEFORE_MESSAGE})`,
        rendered,
      }),
    );
  }
  return steps;
}

interface Read {
  answer: FeedAnswer;
  /** The blocks to store (200), or null (304: the stored rows stand). */
  blocks: BusyBlock[] | null;
  /** What the rows stored after this read were expanded for (calendar_connections.expanded_for). */
  expandedFor: string | null;
}

const NO_VALIDATORS: Validators = { etag: null, lastModified: null };

/**
 * Whether the stored rows (expanded for "<zone>|<window end>") still cover what a sync needs now:
 * the trainer's zone unchanged and the window reaching `needed`. Only then may a 304 keep them.
 */
function rowsCover(c: NonNullable<Connection>, needed: string): boolean {
  const bar = c.expandedFor?.lastIndexOf('|') ?? -1;
  if (!c.expandedFor || bar < 0) return false;
  // both ends are toISOString() text: compared as text, they compare as instants
  return c.expandedFor.slice(0, bar) === c.timezone && c.expandedFor.slice(bar + 1) >= needed;
}

/** Fetch and expand: the blocks to store (200), null for a 304, or a FeedError. */
async function readFeed(deps: SyncDeps, config: CalendarConfig, c: NonNullable<Connection>): Promise<Read> {
  const url = await addressOf(config, c.urlCiphertext);
  const window = expansionWindow(deps.now, c.horizonDays);
  // A 304 says the file is the same, not that the rows expanded from it reach the window needed
  // now (time moved on, the horizon or the zone changed): then the file is fetched in full.
  const known = rowsCover(c, window.needed) ? c : NO_VALIDATORS;
  const answer = await fetchFeed(deps.fetcher ?? globalThis.fetch, url, known, config.allowPlainUrls);
  if (answer.status === 304) return { answer, blocks: null, expandedFor: c.expandedFor };
  const options = { from: window.from, to: window.to, zone: c.timezone, ownHost: new URL(config.appOrigin).host };
  const parsed = await deps.parser.busy(answer.body, options).catch((err: unknown) => {
    console.error(JSON.stringify({ level: 'error', msg: 'calendar parser failed', err: String(err) }));
    // The file made the parser's isolate run out of memory or time: the file's fault, recorded.
    if (PARSER_EXHAUSTED.test(String(err))) return { ok: false, error: MALFORMED_CALENDAR } as const;
    // The parser could not be reached: ours, not the calendar's, so nothing is recorded against the
    // connection (no failure, no streak, no email); the queue retries, a manual sync answers 503.
    throw unavailable(PARSER_UNAVAILABLE);
  });
  if (!parsed.ok) throw new FeedError(parsed.error);
  return { answer, blocks: parsed.blocks, expandedFor: `${c.timezone}|${window.to}` };
}

/**
 * The CALENDAR_PARSER service binding as what it is: RPC to ./parser-worker.ts. `wrangler types`
 * types a service binding as a plain Fetcher (it cannot see another Worker's class from this
 * config), so its one method is declared here, in ./busy.ts's CalendarParser.
 */
export const parserOf = (env: { CALENDAR_PARSER: Fetcher }): CalendarParser =>
  env.CALENDAR_PARSER as unknown as CalendarParser;

/**
 * Syncs one connection: its busy rows replaced (200), kept (304) or kept with last_error set (any
 * failure of the feed). Never throws for the feed's fault; a database failure does throw (the
 * queue retries the message).
 */
export async function syncConnection(
  deps: SyncDeps,
  config: CalendarConfig,
  connectionId: number,
): Promise<SyncOutcome> {
  const { db, now } = deps;
  const c = await loadConnection(db, connectionId);
  if (!c?.isActive) return { status: 'skipped', busyCount: c?.busyCount ?? 0, error: null };
  // The connection changed meanwhile (stillOn filtered the writes out): nothing of this sync counts.
  const moved = { status: 'skipped', busyCount: c.busyCount, error: null } as const;
  let read: Read;
  try {
    read = await readFeed(deps, config, c);
  } catch (err) {
    if (!(err instanceof FeedError)) throw err;
    const results = await batchSteps(db, failureSteps(c, err.message, now, config));
    if (!results[0]?.meta.changes) return moved;
    if (deps.queue) await enqueue(deps.queue, idsOf(results));
    return { status: 'failed', busyCount: c.busyCount, error: err.message };
  }
  if (!read.blocks || (c.lastSyncedAt !== null && (await sameBlocks(db, c.id, read.blocks)))) {
    const [result] = await batchSteps(db, [unchangedStep(c, now, read)]);
    return result?.meta.changes ? { status: 'unchanged', busyCount: c.busyCount, error: null } : moved;
  }
  const steps = replaceSteps(c, read.blocks, read, now);
  const results = await batchSteps(db, steps);
  // the connection's UPDATE comes after the DELETE and the INSERTs
  if (!results[steps.length - 2]?.meta.changes) return moved;
  return { status: 'synced', busyCount: read.blocks.length, error: null };
}

// ---- which connections sync when ---------------------------------------------------------------

/** The cron's interval less a minute's slack: a connection attempted 14 minutes ago is due again. */
export const DUE_AFTER_SECONDS = 14 * 60;
/** Most connections one claim takes (the oldest attempts first). */
export const MAX_DUE_PER_CLAIM = 1_000;
/**
 * Claims one cron tick makes: up to 50,000 connections every 15 minutes (each claim is one UPDATE
 * and ten sendBatch calls, well inside a cron invocation's subrequests); the rest wait for the
 * next tick, oldest first. Past that, docs/SCALING.md: shard.
 */
export const MAX_CLAIMS_PER_TICK = 50;

/**
 * The active connections due (never attempted, or not for DUE_AFTER_SECONDS), oldest attempt first,
 * claimed by setting their last_attempt_at now, so an overlapping tick does not queue them twice.
 */
export async function claimDueConnections(db: Db, now: string, limit = MAX_DUE_PER_CLAIM): Promise<number[]> {
  const rows = await db.all<{ id: number }>(sql`UPDATE calendar_connections SET last_attempt_at = ${now}
    WHERE id IN (SELECT id FROM calendar_connections
      WHERE is_active = 1 AND (last_attempt_at IS NULL OR last_attempt_at <= ${addSeconds(now, -DUE_AFTER_SECONDS)})
      ORDER BY last_attempt_at IS NOT NULL, last_attempt_at, id LIMIT ${limit})
    RETURNING id`);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** Seconds between two manual syncs of one connection. */
export const MANUAL_SYNC_SECONDS = 60;

export type ManualClaim =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'inactive' }
  | { ok: false; retryAfter: number };

/**
 * Claims a manual sync of the trainer's own connection: at most one a minute (by last_attempt_at,
 * which every attempt sets), decided by one guarded UPDATE so parallel requests cannot both pass.
 */
export async function claimManualSync(db: Db, trainerId: number, id: number, now: string): Promise<ManualClaim> {
  const claimed = await db.all<{ id: number }>(sql`UPDATE calendar_connections SET last_attempt_at = ${now}
    WHERE id = ${id} AND trainer_id = ${trainerId} AND is_active = 1
      AND (last_attempt_at IS NULL OR last_attempt_at <= ${addSeconds(now, -MANUAL_SYNC_SECONDS)})
    RETURNING id`);
  if (claimed.length) return { ok: true };
  const row = await db
    .select({
      trainerId: calendarConnections.trainerId,
      isActive: calendarConnections.isActive,
      at: calendarConnections.lastAttemptAt,
    })
    .from(calendarConnections)
    .where(eq(calendarConnections.id, id))
    .get();
  if (!row || row.trainerId !== trainerId) return { ok: false, reason: 'missing' };
  if (!row.isActive) return { ok: false, reason: 'inactive' };
  const waited = (Date.parse(now) - Date.parse(row.at ?? now)) / 1000;
  return { ok: false, retryAfter: Math.max(1, Math.ceil(MANUAL_SYNC_SECONDS - waited)) };
}
