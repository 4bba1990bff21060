// All-time booking figures that do not read every booking: the trainer's ended local months come
// from booking_month_stats (one row a month, written by the hourly cron), everything else (the
// month in progress, the future, and any month whose row is missing: not yet written, or deleted
// by a trigger because one of its bookings changed) is read live from bookings, in the same
// statement batch. A row exists
// only while it equals its month's live figures (see the table's comment in db/schema.ts), so
// rows plus the live rest are always exactly the live answer.
import { type SQL, sql } from 'drizzle-orm';
import { addMonths, localDate, monthStart, offsetSpans, startOfDayMs } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { iso, perSpanSlice, readBatch, sumBuckets, wallClock } from './sql';

/**
 * Bookings by status; `total` includes the places that have only ever been on a class's waitlist,
 * counted apart as `waitlisted` (waiting now, or gone unseated), so callers leave them out.
 */
export type StatusCounts = {
  total: number;
  pending: number;
  confirmed: number;
  completed: number;
  cancelled: number;
  no_show: number;
  waitlisted: number;
  late: number;
};
type Range = { from: string; to: string };

const COUNT_KEYS = [
  'total',
  'pending',
  'confirmed',
  'completed',
  'cancelled',
  'no_show',
  'waitlisted',
  'late',
] as const;

/** Bookings by status (and late cancellations) among `from` rows matching `where`: one row. */
export const countsOf = (where: SQL, from: SQL = sql`bookings`) =>
  sql`SELECT count(*) AS total,
      coalesce(sum(status = 'pending'), 0) AS pending,
      coalesce(sum(status = 'confirmed'), 0) AS confirmed,
      coalesce(sum(status = 'completed'), 0) AS completed,
      coalesce(sum(status = 'cancelled' AND waitlist_only = 0), 0) AS cancelled,
      coalesce(sum(status = 'no_show'), 0) AS no_show,
      coalesce(sum(waitlist_only), 0) AS waitlisted,
      coalesce(sum(status = 'cancelled' AND late_cancellation = 1), 0) AS late
    FROM ${from} WHERE ${where}`;

/** Bookings that count in the weekday and hour figures: neither cancelled nor waitlisted. */
const COUNTED = sql`status NOT IN ('cancelled', 'waitlisted')`;

const inRange = (trainerId: number, r: Range): SQL =>
  sql`trainer_id = ${trainerId} AND start_time >= ${r.from} AND start_time < ${r.to}`;

/**
 * The live part of a trainer's bookings, as `FROM <this> WHERE …` on `b`: every booking whose
 * start no row covers. The gaps between the trainer's rows (before the first, between rows that
 * do not touch, after the last; everything when there is none) drive the loop (CROSS JOIN keeps
 * them outside), each one an index range of (trainer_id, start_time).
 */
const liveBookings = (trainerId: number): SQL => sql`(WITH r AS (SELECT range_start, range_end
      FROM booking_month_stats WHERE trainer_id = ${trainerId}),
    g AS (SELECT '' AS gs, coalesce((SELECT min(range_start) FROM r), '~') AS ge
      UNION ALL
      SELECT r.range_end, coalesce((SELECT min(n.range_start) FROM r n WHERE n.range_start >= r.range_end), '~')
      FROM r WHERE NOT EXISTS (SELECT 1 FROM r n WHERE n.range_start = r.range_end))
    SELECT b.* FROM g CROSS JOIN bookings b
    WHERE b.trainer_id = ${trainerId} AND b.start_time >= g.gs AND b.start_time < g.ge)`;

const add = (a: StatusCounts, b: Partial<StatusCounts> | undefined): StatusCounts =>
  Object.fromEntries(COUNT_KEYS.map((k) => [k, (a[k] ?? 0) + (b?.[k] ?? 0)])) as unknown as StatusCounts;

const ZERO = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as unknown as StatusCounts;

/**
 * A trainer's bookings of all time by status (the rows' sums plus the live rest), the rows'
 * weekday-and-hour buckets and the time span of the live counted bookings; `extra` statements
 * ride in the same D1 batch (one round trip) and come back as `more`.
 */
export async function allTimeCounts<T extends Record<string, unknown>[][] = []>(
  db: Db,
  trainerId: number,
  extra: SQL[] = [],
): Promise<{
  counts: StatusCounts;
  rolledGrid: Map<string, number>;
  liveSpan: { first: string | null; last: string | null } | undefined;
  more: T;
}> {
  const [[rolled], [live], grid, [liveSpan], ...more] = await readBatch<
    [
      StatusCounts[],
      StatusCounts[],
      { bucket: string; n: number }[],
      { first: string | null; last: string | null }[],
      ...Record<string, unknown>[][],
    ]
  >(db, [
    sql`SELECT ${sql.raw(COUNT_KEYS.map((k) => `coalesce(sum(${k}), 0) AS ${k}`).join(', '))}
      FROM booking_month_stats WHERE trainer_id = ${trainerId}`,
    countsOf(sql`true`, liveBookings(trainerId)),
    sql`SELECT j.key AS bucket, sum(j.value) AS n FROM booking_month_stats s, json_each(s.grid) j
      WHERE s.trainer_id = ${trainerId} GROUP BY j.key`,
    sql`SELECT min(start_time) AS first, max(start_time) AS last FROM ${liveBookings(trainerId)} WHERE ${COUNTED}`,
    ...extra,
  ]);
  return { counts: add(add(ZERO, rolled), live), rolledGrid: sumBuckets([grid]), liveSpan, more: more as T };
}

/**
 * The weekday-and-hour buckets ("<%w> <%H>") of the live counted bookings, grouped in SQL with
 * the zone's offsets of exactly their span (one round trip; none when there are none).
 */
export async function liveGrid(
  db: Db,
  trainerId: number,
  timeZone: string,
  span: { first: string | null; last: string | null } | undefined,
): Promise<Map<string, number>> {
  if (!span?.first || !span.last) return new Map();
  const startTime = sql.raw('start_time');
  // The last booking's own millisecond is inside the final span: end it one ms later.
  const offsets = offsetSpans(timeZone, Date.parse(span.first), Date.parse(span.last) + 1);
  const queries = perSpanSlice(
    offsets,
    (slice, from, to) =>
      sql`SELECT ${wallClock('%w %H', startTime, slice)} AS bucket, count(*) AS n FROM ${liveBookings(trainerId)}
        WHERE ${COUNTED} AND start_time >= ${from} AND start_time < ${to} GROUP BY bucket`,
  );
  return sumBuckets(await readBatch<{ bucket: string; n: number }[][]>(db, queries));
}

// ---- the hourly writer ------------------------------------------------------------------------

/** At most this many month rows are written per run (one INSERT … SELECT each), in batches of 100. */
export const MONTHS_PER_RUN = 1000;
const WRITES_PER_BATCH = 100;
const IDS_PER_STATEMENT = 90;

/** The trainer's local months from `first`'s month to the last ended one, newest first. */
function endedMonths(timeZone: string, first: string, nowMs: number): string[] {
  const current = monthStart(localDate(nowMs, timeZone));
  const out: string[] = [];
  for (let m = addMonths(current, -1); m >= monthStart(localDate(Date.parse(first), timeZone)); m = addMonths(m, -1)) {
    out.push(m);
  }
  return out;
}

/**
 * One month's row, computed and written by one statement (so no change can slip in between), and
 * only while the trainer's zone is still the one the month was cut in: a zone changed since the
 * writer read it (its trigger deleted every row) must not get rows of the old zone back.
 */
function monthRow(trainerId: number, timeZone: string, month: string, now: string): SQL {
  const startMs = startOfDayMs(month, timeZone);
  const endMs = startOfDayMs(addMonths(month, 1), timeZone);
  const r = { from: iso(startMs), to: iso(endMs) };
  const grid = wallClock('%w %H', sql.raw('start_time'), offsetSpans(timeZone, startMs, endMs));
  return sql`INSERT INTO booking_month_stats (trainer_id, month, range_start, range_end,
      ${sql.raw(COUNT_KEYS.join(', '))}, grid, computed_at)
    SELECT ${trainerId}, ${month.slice(0, 7)}, ${r.from}, ${r.to}, c.*,
      (SELECT coalesce(json_group_object(bucket, n), '{}') FROM (SELECT ${grid} AS bucket, count(*) AS n
        FROM bookings WHERE ${inRange(trainerId, r)} AND ${COUNTED} GROUP BY bucket)), ${now}
    FROM (${countsOf(inRange(trainerId, r))}) c
    WHERE (SELECT timezone FROM trainers WHERE id = ${trainerId}) = ${timeZone}
    ON CONFLICT (trainer_id, month) DO NOTHING`;
}

/**
 * Writes the missing rows of ended local months (a trainer is due when fewer rows cover its ended
 * months, from its first booking's on, than there are such months; the first run after a trainer's month ends
 * writes it; a month whose row a change deleted is written again; a long history is filled in
 * over several runs, newest months first). Returns the number of rows written.
 */
export async function rollupBookingMonths(db: Db, nowMs: number, limit = MONTHS_PER_RUN): Promise<number> {
  const trainers = await readBatch<[{ id: number; timezone: string; first: string | null; have: number }[]]>(db, [
    sql`SELECT t.id AS id, t.timezone AS timezone,
        (SELECT min(b.start_time) FROM bookings b WHERE b.trainer_id = t.id) AS first,
        (SELECT count(*) FROM booking_month_stats s WHERE s.trainer_id = t.id AND s.range_end > (
          SELECT min(b.start_time) FROM bookings b WHERE b.trainer_id = t.id)) AS have
      FROM trainers t`,
  ]);
  const due = trainers[0]
    .map((t) => ({ ...t, months: t.first ? endedMonths(t.timezone, t.first, nowMs) : [] }))
    .filter((t) => t.months.length > t.have);
  if (!due.length) return 0;
  const have = new Set<string>();
  for (let i = 0; i < due.length; i += IDS_PER_STATEMENT) {
    const ids = due.slice(i, i + IDS_PER_STATEMENT).map((t) => t.id);
    const [rows] = await readBatch<[{ trainer_id: number; month: string }[]]>(db, [
      sql`SELECT trainer_id, month FROM booking_month_stats WHERE trainer_id IN (${sql.join(ids, sql`, `)})`,
    ]);
    for (const r of rows) have.add(`${r.trainer_id} ${r.month}`);
  }
  const now = iso(nowMs);
  const writes: SQL[] = [];
  for (const t of due) {
    for (const month of t.months) {
      if (writes.length >= limit) break;
      if (!have.has(`${t.id} ${month.slice(0, 7)}`)) writes.push(monthRow(t.id, t.timezone, month, now));
    }
  }
  let written = 0;
  for (let i = 0; i < writes.length; i += WRITES_PER_BATCH) {
    const results = await db.$client.batch(writes.slice(i, i + WRITES_PER_BATCH).map((s) => statement(db, s)));
    written += results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  }
  return written;
}
