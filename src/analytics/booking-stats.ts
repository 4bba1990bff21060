import { sql } from 'drizzle-orm';
import { addDays, offsetSpans, startOfDayMs } from '../lib/calendar';
import type { Db } from '../lib/db';
import { boundIso } from '../lib/time';
import { allTimeCounts, countsOf, liveGrid } from './booking-months';
import { type ClassAttendanceRow, classAttendanceOut, classAttendanceSql } from './class-stats';
import type { BookingStatsOut, DateRange } from './schemas';
import {
  type AnalyticsTrainer,
  bucketColumn,
  checkDayRange,
  perSpanSlice,
  readBatch,
  sumBuckets,
  wallClock,
} from './sql';

/** A local date range (both ends inclusive, either open) as UTC instants [from, to). */
function instantRange(timeZone: string, range: DateRange): { from: string | null; to: string | null } {
  checkDayRange(range);
  return {
    from: range.from ? boundIso(startOfDayMs(range.from, timeZone)) : null,
    to: range.to ? boundIso(startOfDayMs(addDays(range.to, 1), timeZone)) : null,
  };
}

const percent = (part: number, whole: number): number => (whole ? Math.round((part * 1000) / whole) / 10 : 0);

/**
 * Booking counts in a local date range (default: all time). A range: two D1 round trips (the
 * counts, the time span of the bookings not cancelled and each class session's attendance,
 * then their local weekday and hour, grouped in SQL with the offsets of exactly that span).
 * All time: the ended months' stored rows plus the rest read live (booking-months.ts), so the
 * cost follows the bookings not yet rolled up, not the whole history.
 */
export async function bookingStats(db: Db, trainer: AnalyticsTrainer, range: DateRange): Promise<BookingStatsOut> {
  const { id, timezone } = trainer;
  const { from, to } = instantRange(timezone, range);
  const period = sql`trainer_id = ${id}${from ? sql` AND start_time >= ${from}` : sql``}${to ? sql` AND start_time < ${to}` : sql``}`;
  if (!from && !to) {
    const all = await allTimeCounts<[ClassAttendanceRow[]]>(db, id, [classAttendanceSql(period)]);
    const [classRows] = all.more;
    const live = await liveGrid(db, id, timezone, all.liveSpan);
    const c = all.counts;
    const counts = { ...c, total: c.total - c.waitlisted };
    return statsOut(counts, weekdayHour([all.rolledGrid, live]), classRows);
  }
  // A place that has only ever been on the waitlist is no booking: counted nowhere, waiting or gone.
  const inRange = sql`${period} AND waitlist_only = 0`;
  const [[counts], [span], classRows] = await readBatch<
    [
      {
        total: number;
        pending: number;
        confirmed: number;
        completed: number;
        cancelled: number;
        no_show: number;
        late: number;
      }[],
      { first: string | null; last: string | null }[],
      ClassAttendanceRow[],
    ]
  >(db, [
    countsOf(inRange),
    sql`SELECT min(start_time) AS first, max(start_time) AS last FROM bookings
      WHERE ${inRange} AND status <> 'cancelled'`,
    classAttendanceSql(period),
  ]);
  let buckets = new Map<string, number>();
  if (span?.first && span.last) {
    const startTime = sql.raw('start_time');
    // The last booking's own millisecond is inside the final span: end it one ms later.
    const spans = offsetSpans(timezone, Date.parse(span.first), Date.parse(span.last) + 1);
    const results = await readBatch<{ bucket: string; n: number }[][]>(
      db,
      perSpanSlice(
        spans,
        (slice, sliceFrom, sliceTo) =>
          sql`SELECT ${wallClock('%w %H', startTime, slice)} AS ${bucketColumn}, count(*) AS n FROM bookings
            WHERE ${inRange} AND status <> 'cancelled' AND start_time >= ${sliceFrom} AND start_time < ${sliceTo}
            GROUP BY ${bucketColumn}`,
      ),
    );
    buckets = sumBuckets(results);
  }
  return statsOut(counts, weekdayHour([buckets]), classRows);
}

/** "<%w> <%H>" buckets (SQLite's %w: 0 = Sunday) added up into our weekdays (0 = Monday) and hours. */
function weekdayHour(parts: Map<string, number>[]): { byWeekday: number[]; byHour: number[] } {
  const byWeekday = Array.from({ length: 7 }, () => 0);
  const byHour = Array.from({ length: 24 }, () => 0);
  for (const part of parts) {
    for (const [bucket, n] of part) {
      const [sundayFirst = 0, hour = 0] = bucket.split(' ').map(Number);
      const weekday = (sundayFirst + 6) % 7;
      byWeekday[weekday] = (byWeekday[weekday] ?? 0) + n;
      byHour[hour] = (byHour[hour] ?? 0) + n;
    }
  }
  return { byWeekday, byHour };
}

type Counts = {
  total: number;
  pending: number;
  confirmed: number;
  completed: number;
  cancelled: number;
  no_show: number;
  late: number;
};

function statsOut(
  counts: Counts | undefined,
  { byWeekday, byHour }: { byWeekday: number[]; byHour: number[] },
  classRows: ClassAttendanceRow[],
): BookingStatsOut {
  const total = counts?.total ?? 0;
  const completed = counts?.completed ?? 0;
  const noShows = counts?.no_show ?? 0;
  return {
    total,
    by_status: {
      pending: counts?.pending ?? 0,
      confirmed: counts?.confirmed ?? 0,
      completed,
      cancelled: counts?.cancelled ?? 0,
      no_show: noShows,
    },
    completion_rate: percent(completed, total),
    cancellation_rate: percent(counts?.cancelled ?? 0, total),
    late_cancellations: counts?.late ?? 0,
    no_show_bookings: noShows,
    // Of the sessions that were due and were settled: the client came (completed) or did not.
    no_show_rate: percent(noShows, completed + noShows),
    by_weekday: byWeekday,
    by_hour: byHour,
    classes: classRows.map(classAttendanceOut),
  };
}
