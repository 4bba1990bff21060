// The trainer's business in numbers. Every figure is an SQL aggregate (nothing loads one row
// per booking into the Worker), periods are local days of the trainer's zone turned into UTC
// instants, and money stays integer cents until lib/money formats it.
import { and, count, desc, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import { dashboardMetrics, FITNESS_LEVELS, type Trainer, trainers } from '../db/schema';
import {
  addDays,
  addMonths,
  type CalendarPeriod,
  localDate,
  monthStart,
  type OffsetSpan,
  offsetSpans,
  periodOf,
  startOfDayMs,
} from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { averageCents, formatCents } from '../lib/money';
import { pageOffset } from '../lib/pagination';
import { invalidField } from '../lib/problem';
import type {
  BookingStatsOut,
  ClientStatsOut,
  DashboardOut,
  DateRange,
  MetricListQuery,
  MetricOut,
  RevenueOut,
} from './schemas';

type AnalyticsTrainer = Pick<Trainer, 'id' | 'timezone'>;
type Row = Record<string, unknown>;

const DEFAULT_CURRENCY = 'USD';
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Several read statements in one D1 round trip (a batch); the rows come back per statement,
 * typed by the caller (D1 hands back plain objects of numbers, strings and nulls).
 */
async function readBatch<T extends Row[][]>(db: Db, queries: SQL[]): Promise<T> {
  const results = await db.$client.batch(queries.map((q) => statement(db, q)));
  return results.map((r) => r.results) as T;
}

// ---- shared SQL ------------------------------------------------------------------------

/** The trainer's client packages (packages are the trainer's through their client). */
const soldBy = (trainerId: number) =>
  sql`client_packages cp JOIN clients c ON c.id = cp.client_id WHERE c.trainer_id = ${trainerId}`;

/** The currency of the trainer's most recent package sale, USD when none. */
const mainCurrencySql = (trainerId: number) =>
  sql`coalesce((SELECT cp.currency FROM ${soldBy(trainerId)}
    ORDER BY cp.purchased_at DESC, cp.id DESC LIMIT 1), ${DEFAULT_CURRENCY})`;

const byCurrency = (rows: { currency: string; cents: number }[]): Record<string, string> =>
  Object.fromEntries(
    [...rows].sort((a, b) => a.currency.localeCompare(b.currency)).map((r) => [r.currency, formatCents(r.cents)]),
  );

// ---- wall-clock fields in SQL ------------------------------------------------------------
//
// SQLite knows no time zones, only fixed modifiers ('+32400 seconds'). The zone's offset
// changes (DST, law) are computed with Temporal for exactly the span the query covers
// (scheduling/slots.ts offsetSpans); the statement then shifts each stored UTC instant by the
// offset in force at that instant, chosen by a CASE over the span boundaries, and groups by
// strftime of the shifted value. That is the exact local wall time, evaluated inside D1, so
// only the grouped counts travel back. A span list longer than SPANS_PER_STATEMENT is split
// over several statements of one batch (D1 allows 100 bound parameters per statement), each
// restricted to its own slice of time, and their groups are added up.

const SPANS_PER_STATEMENT = 30;

const shift = (seconds: number) => `${seconds >= 0 ? '+' : ''}${seconds} seconds`;

/** `strftime(format, column, <offset in force at column>)`; column must lie inside the spans. */
function wallClock(format: string, column: SQL, spans: OffsetSpan[]): SQL {
  const last = spans[spans.length - 1] as OffsetSpan;
  const branches = spans.slice(0, -1).map((s) => sql`WHEN ${column} < ${iso(s.end)} THEN ${shift(s.offsetSeconds)}`);
  const modifier = branches.length
    ? sql`CASE ${sql.join(branches, sql` `)} ELSE ${shift(last.offsetSeconds)} END`
    : sql`${shift(last.offsetSeconds)}`;
  return sql`strftime(${format}, ${column}, ${modifier})`;
}

/** One grouped statement per slice of at most SPANS_PER_STATEMENT spans; `build` gets the slice's bounds. */
function perSpanSlice(spans: OffsetSpan[], build: (slice: OffsetSpan[], from: string, to: string) => SQL): SQL[] {
  const out: SQL[] = [];
  for (let i = 0; i < spans.length; i += SPANS_PER_STATEMENT) {
    const slice = spans.slice(i, i + SPANS_PER_STATEMENT);
    const first = slice[0] as OffsetSpan;
    const last = slice[slice.length - 1] as OffsetSpan;
    out.push(build(slice, iso(first.start), iso(last.end)));
  }
  return out;
}

const bucketColumn = sql.raw('bucket');

/** Adds up `{bucket, n}` rows of several slices. */
function sumBuckets(results: { bucket: string; n: number }[][]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const rows of results) for (const r of rows) totals.set(r.bucket, (totals.get(r.bucket) ?? 0) + r.n);
  return totals;
}

// ---- dashboard -------------------------------------------------------------------------

/** The local month containing `nowMs` as UTC instants [start, end). */
function thisMonth(timeZone: string, nowMs: number) {
  const first = monthStart(localDate(nowMs, timeZone));
  return {
    start: iso(startOfDayMs(first, timeZone)),
    end: iso(startOfDayMs(addMonths(first, 1), timeZone)),
  };
}

/** The dashboard in one D1 round trip. */
export async function dashboard(db: Db, trainer: AnalyticsTrainer, nowMs: number): Promise<DashboardOut> {
  const { id, timezone } = trainer;
  const now = iso(nowMs);
  const month = thisMonth(timezone, nowMs);
  const localToday = localDate(nowMs, timezone);
  const [[bk], [cl], revenue, [main], credits, [prepaid], spend] = await readBatch<
    [
      { total: number; completed: number; upcoming: number; cancelled: number }[],
      { total: number; active: number; fresh: number }[],
      { currency: string; cents: number; month: number }[],
      { currency: string }[],
      { currency: string; per: number; cents: number }[],
      { n: number }[],
      { currency: string; cents: number; latest: string }[],
    ]
  >(db, [
    sql`SELECT count(*) AS total,
        coalesce(sum(status = 'completed'), 0) AS completed,
        coalesce(sum(status IN ('pending', 'confirmed') AND start_time >= ${now}), 0) AS upcoming,
        coalesce(sum(status = 'cancelled'), 0) AS cancelled
      FROM bookings WHERE trainer_id = ${id}`,
    sql`SELECT count(*) AS total, coalesce(sum(is_active), 0) AS active,
        coalesce(sum(created_at >= ${month.start} AND created_at < ${month.end}), 0) AS fresh
      FROM clients WHERE trainer_id = ${id}`,
    sql`SELECT cp.currency AS currency, sum(cp.price_paid_cents) AS cents,
        coalesce(sum(CASE WHEN cp.purchased_at >= ${month.start} AND cp.purchased_at < ${month.end}
          THEN cp.price_paid_cents END), 0) AS month
      FROM ${soldBy(id)} GROUP BY cp.currency`,
    sql`SELECT ${mainCurrencySql(id)} AS currency`,
    // Each consumed credit (a ledger row of -1) is worth price_paid / sessions_total of its
    // package; grouping by (currency, sessions_total) keeps the sum exact: Σ cents / per.
    sql`SELECT cp.currency AS currency, cp.sessions_total AS per, sum(cp.price_paid_cents) AS cents
      FROM package_ledger l JOIN client_packages cp ON cp.id = l.client_package_id
        JOIN clients c ON c.id = cp.client_id
      WHERE c.trainer_id = ${id} AND l.delta = -1
      GROUP BY cp.currency, cp.sessions_total`,
    sql`SELECT coalesce(sum(cp.sessions_remaining), 0) AS n FROM ${soldBy(id)}
        AND cp.sessions_remaining > 0 AND (cp.expiry_date IS NULL OR cp.expiry_date >= ${localToday})`,
    sql`SELECT currency, sum(amount_cents) AS cents, max(created_at) AS latest FROM payments
      WHERE trainer_id = ${id} AND status = 'completed' AND created_at >= ${month.start} AND created_at < ${month.end}
      GROUP BY currency`,
  ]);
  const currency = main?.currency ?? DEFAULT_CURRENCY;
  const inMain = revenue.find((r) => r.currency === currency);
  const delivered = bk?.completed ?? 0;
  const consumed = credits.filter((r) => r.currency === currency).map((r) => ({ cents: r.cents, per: r.per }));
  // Platform payments are normally in one currency; if not, the latest payment's currency wins.
  const platform = [...spend].sort((a, b) => (a.latest < b.latest ? 1 : -1))[0];
  return {
    total_bookings: bk?.total ?? 0,
    completed_bookings: delivered,
    upcoming_bookings: bk?.upcoming ?? 0,
    cancelled_bookings: bk?.cancelled ?? 0,
    total_clients: cl?.total ?? 0,
    active_clients: cl?.active ?? 0,
    new_clients: cl?.fresh ?? 0,
    total_revenue: formatCents(inMain?.cents ?? 0),
    monthly_revenue: formatCents(inMain?.month ?? 0),
    revenue_by_currency: byCurrency(revenue),
    average_booking_value: formatCents(averageCents(consumed, delivered)),
    sessions_delivered: delivered,
    prepaid_sessions_outstanding: prepaid?.n ?? 0,
    currency,
    platform_spend_this_month: formatCents(platform?.cents ?? 0),
    platform_spend_currency: platform?.currency ?? DEFAULT_CURRENCY,
    as_of: now,
  };
}

// ---- revenue ---------------------------------------------------------------------------

/** The buckets of a period: its local days, or its months for a year. */
function bucketsOf(period: CalendarPeriod, start: string, end: string): string[] {
  const out: string[] = [];
  if (period === 'year') {
    for (let m = start; m < end; m = addMonths(m, 1)) out.push(m.slice(0, 7));
  } else {
    for (let d = start; d < end; d = addDays(d, 1)) out.push(d);
  }
  return out;
}

/** Package sales of one ISO week, calendar month or year in the trainer's zone; one D1 round trip. */
export async function revenueReport(
  db: Db,
  trainer: AnalyticsTrainer,
  q: { period: CalendarPeriod; date?: string },
  nowMs: number,
): Promise<RevenueOut> {
  const { id, timezone } = trainer;
  const { start, end } = periodOf(q.period, q.date ?? localDate(nowMs, timezone));
  const fromMs = startOfDayMs(start, timezone);
  const toMs = startOfDayMs(end, timezone);
  const spans = offsetSpans(timezone, fromMs, toMs);
  const format = q.period === 'year' ? '%Y-%m' : '%Y-%m-%d';
  const purchasedAt = sql.raw('cp.purchased_at');
  const [[main], totals, ...series] = await readBatch<
    [{ currency: string }[], { currency: string; cents: number; n: number }[], ...{ bucket: string; n: number }[][]]
  >(db, [
    sql`SELECT ${mainCurrencySql(id)} AS currency`,
    sql`SELECT cp.currency AS currency, sum(cp.price_paid_cents) AS cents, count(*) AS n FROM ${soldBy(id)}
        AND cp.purchased_at >= ${iso(fromMs)} AND cp.purchased_at < ${iso(toMs)}
      GROUP BY cp.currency`,
    ...perSpanSlice(
      spans,
      (slice, from, to) =>
        sql`SELECT ${wallClock(format, purchasedAt, slice)} AS ${bucketColumn}, sum(cp.price_paid_cents) AS n
          FROM ${soldBy(id)} AND cp.purchased_at >= ${from} AND cp.purchased_at < ${to}
            AND cp.currency = ${mainCurrencySql(id)}
          GROUP BY ${bucketColumn}`,
    ),
  ]);
  const currency = main?.currency ?? DEFAULT_CURRENCY;
  const inMain = totals.find((r) => r.currency === currency);
  const perBucket = sumBuckets(series);
  return {
    period: q.period,
    start_date: start,
    end_date: addDays(end, -1),
    total_revenue: formatCents(inMain?.cents ?? 0),
    payment_count: totals.reduce((n, r) => n + r.n, 0),
    average_payment: formatCents(averageCents([{ cents: inMain?.cents ?? 0, per: 1 }], inMain?.n ?? 0)),
    revenue_by_currency: byCurrency(totals),
    currency,
    series: bucketsOf(q.period, start, end).map((date) => ({ date, revenue: formatCents(perBucket.get(date) ?? 0) })),
  };
}

// ---- bookings --------------------------------------------------------------------------

/** A local date range (both ends inclusive, either open) as UTC instants [from, to). */
function instantRange(timeZone: string, range: DateRange): { from: string | null; to: string | null } {
  if (range.from && range.to && range.to < range.from) {
    throw invalidField('to', 'The last day must not be before the first day.');
  }
  return {
    from: range.from ? iso(startOfDayMs(range.from, timeZone)) : null,
    to: range.to ? iso(startOfDayMs(addDays(range.to, 1), timeZone)) : null,
  };
}

const percent = (part: number, whole: number): number => (whole ? Math.round((part * 1000) / whole) / 10 : 0);

/**
 * Booking counts in a local date range (default: all time). Two D1 round trips: the counts
 * and the time span of the bookings not cancelled, then their local weekday and hour, grouped
 * in SQL with the offsets of exactly that span.
 */
export async function bookingStats(db: Db, trainer: AnalyticsTrainer, range: DateRange): Promise<BookingStatsOut> {
  const { id, timezone } = trainer;
  const { from, to } = instantRange(timezone, range);
  const inRange = sql`trainer_id = ${id}${from ? sql` AND start_time >= ${from}` : sql``}${to ? sql` AND start_time < ${to}` : sql``}`;
  const [[counts], [span]] = await readBatch<
    [
      {
        total: number;
        pending: number;
        confirmed: number;
        completed: number;
        cancelled: number;
        late: number;
      }[],
      { first: string | null; last: string | null }[],
    ]
  >(db, [
    sql`SELECT count(*) AS total,
        coalesce(sum(status = 'pending'), 0) AS pending,
        coalesce(sum(status = 'confirmed'), 0) AS confirmed,
        coalesce(sum(status = 'completed'), 0) AS completed,
        coalesce(sum(status = 'cancelled'), 0) AS cancelled,
        coalesce(sum(status = 'cancelled' AND late_cancellation = 1), 0) AS late
      FROM bookings WHERE ${inRange}`,
    sql`SELECT min(start_time) AS first, max(start_time) AS last FROM bookings
      WHERE ${inRange} AND status <> 'cancelled'`,
  ]);

  const byWeekday = Array.from({ length: 7 }, () => 0);
  const byHour = Array.from({ length: 24 }, () => 0);
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
    for (const [bucket, n] of sumBuckets(results)) {
      const [sundayFirst = 0, hour = 0] = bucket.split(' ').map(Number);
      const weekday = (sundayFirst + 6) % 7; // SQLite's %w: 0 = Sunday; ours: 0 = Monday
      byWeekday[weekday] = (byWeekday[weekday] ?? 0) + n;
      byHour[hour] = (byHour[hour] ?? 0) + n;
    }
  }
  const total = counts?.total ?? 0;
  return {
    total,
    by_status: {
      pending: counts?.pending ?? 0,
      confirmed: counts?.confirmed ?? 0,
      completed: counts?.completed ?? 0,
      cancelled: counts?.cancelled ?? 0,
    },
    completion_rate: percent(counts?.completed ?? 0, total),
    cancellation_rate: percent(counts?.cancelled ?? 0, total),
    late_cancellations: counts?.late ?? 0,
    by_weekday: byWeekday,
    by_hour: byHour,
  };
}

// ---- clients ---------------------------------------------------------------------------

const MONTHS_SHOWN = 12;

/** The client book in numbers; one D1 round trip. */
export async function clientStats(db: Db, trainer: AnalyticsTrainer, nowMs: number): Promise<ClientStatsOut> {
  const { id, timezone } = trainer;
  const current = monthStart(localDate(nowMs, timezone));
  const first = addMonths(current, 1 - MONTHS_SHOWN);
  const fromMs = startOfDayMs(first, timezone);
  const toMs = startOfDayMs(addMonths(current, 1), timezone);
  const createdAt = sql.raw('created_at');
  const [levels, [idle], ...months] = await readBatch<
    [{ level: string; total: number; active: number }[], { n: number }[], ...{ bucket: string; n: number }[][]]
  >(db, [
    sql`SELECT fitness_level AS level, count(*) AS total, coalesce(sum(is_active), 0) AS active
      FROM clients WHERE trainer_id = ${id} GROUP BY fitness_level`,
    sql`SELECT count(*) AS n FROM clients c WHERE c.trainer_id = ${id} AND c.is_active = 1
      AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.client_id = c.id AND b.trainer_id = ${id}
        AND b.status IN ('pending', 'confirmed') AND b.start_time >= ${iso(nowMs)})`,
    ...perSpanSlice(
      offsetSpans(timezone, fromMs, toMs),
      (slice, from, to) =>
        sql`SELECT ${wallClock('%Y-%m', createdAt, slice)} AS ${bucketColumn}, count(*) AS n FROM clients
          WHERE trainer_id = ${id} AND created_at >= ${from} AND created_at < ${to}
          GROUP BY ${bucketColumn}`,
    ),
  ]);
  const perMonth = sumBuckets(months);
  const byLevel = Object.fromEntries(
    FITNESS_LEVELS.map((level) => [level, levels.find((r) => r.level === level)?.total ?? 0]),
  ) as ClientStatsOut['by_fitness_level'];
  const total = levels.reduce((n, r) => n + r.total, 0);
  const active = levels.reduce((n, r) => n + r.active, 0);
  return {
    total_clients: total,
    active_clients: active,
    inactive_clients: total - active,
    by_fitness_level: byLevel,
    new_clients_by_month: Array.from({ length: MONTHS_SHOWN }, (_, i) => {
      const month = addMonths(first, i).slice(0, 7);
      return { month, count: perMonth.get(month) ?? 0 };
    }),
    clients_without_upcoming_booking: idle?.n ?? 0,
  };
}

// ---- stored daily rows -------------------------------------------------------------------

export async function listMetrics(
  db: Db,
  trainerId: number,
  q: MetricListQuery,
): Promise<{ count: number; results: MetricOut[] }> {
  if (q.from && q.to && q.to < q.from) throw invalidField('to', 'The last day must not be before the first day.');
  const where = and(
    eq(dashboardMetrics.trainerId, trainerId),
    q.from ? gte(dashboardMetrics.date, q.from) : undefined,
    q.to ? lte(dashboardMetrics.date, q.to) : undefined,
  );
  const [[total], rows] = await db.batch([
    db.select({ n: count() }).from(dashboardMetrics).where(where),
    db
      .select()
      .from(dashboardMetrics)
      .where(where)
      .orderBy(desc(dashboardMetrics.date))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return {
    count: total?.n ?? 0,
    results: rows.map((r) => ({
      date: r.date,
      bookings_count: r.bookingsCount,
      completed_bookings: r.completedBookings,
      cancelled_bookings: r.cancelledBookings,
      revenue: formatCents(r.revenueCents),
      currency: r.currency,
      new_clients: r.newClients,
      active_clients: r.activeClients,
    })),
  };
}

// ---- the daily rollup ----------------------------------------------------------------------

// D1 binds at most 100 parameters per statement: 4 per zone, 3 more (timestamps, default currency).
const ZONES_PER_STATEMENT = 20;

/**
 * Writes each trainer's row for its local yesterday (run hourly: a trainer's day is rolled up
 * in the first run after its local midnight, and later runs of that local day refresh it).
 * Two D1 round trips whatever the number of trainers: the distinct zones, then one batch with
 * one INSERT … SELECT per 20 zones that aggregates every trainer of those zones. The upsert
 * only touches a row whose figures changed, so a re-run leaves rows byte-for-byte identical.
 * Returns the number of rows inserted or changed.
 *
 * Per row: bookings starting that local day (all, completed, cancelled — their status as of
 * the run); package sales made that day in the trainer's main currency at the day's end (the
 * currency of the latest sale before it, USD when none); clients created that day; active
 * clients that existed by the day's end.
 */
export async function rollupDashboardMetrics(db: Db, nowMs: number): Promise<number> {
  const zones = await db.selectDistinct({ timezone: trainers.timezone }).from(trainers);
  const days = zones.map(({ timezone }) => {
    const day = addDays(localDate(nowMs, timezone), -1);
    return {
      timezone,
      day,
      start: iso(startOfDayMs(day, timezone)),
      end: iso(startOfDayMs(addDays(day, 1), timezone)),
    };
  });
  if (!days.length) return 0;
  const now = iso(nowMs);
  const statements: SQL[] = [];
  for (let i = 0; i < days.length; i += ZONES_PER_STATEMENT) {
    const values = days
      .slice(i, i + ZONES_PER_STATEMENT)
      .map((d) => sql`(${d.timezone}, ${d.day}, ${d.start}, ${d.end})`);
    statements.push(sql`
      WITH z(tz, day, s, e) AS (VALUES ${sql.join(values, sql`, `)}),
      x AS (
        SELECT t.id AS trainer_id, z.day AS day, z.s AS s, z.e AS e,
          coalesce((SELECT cp.currency FROM client_packages cp JOIN clients c ON c.id = cp.client_id
            WHERE c.trainer_id = t.id AND cp.purchased_at < z.e
            ORDER BY cp.purchased_at DESC, cp.id DESC LIMIT 1), ${DEFAULT_CURRENCY}) AS currency
        FROM trainers t JOIN z ON z.tz = t.timezone)
      INSERT INTO dashboard_metrics (trainer_id, date, bookings_count, completed_bookings, cancelled_bookings,
        revenue_cents, currency, new_clients, active_clients, created_at, updated_at)
      SELECT x.trainer_id, x.day,
        (SELECT count(*) FROM bookings b WHERE b.trainer_id = x.trainer_id AND b.start_time >= x.s AND b.start_time < x.e),
        (SELECT count(*) FROM bookings b WHERE b.trainer_id = x.trainer_id AND b.start_time >= x.s AND b.start_time < x.e
          AND b.status = 'completed'),
        (SELECT count(*) FROM bookings b WHERE b.trainer_id = x.trainer_id AND b.start_time >= x.s AND b.start_time < x.e
          AND b.status = 'cancelled'),
        (SELECT coalesce(sum(cp.price_paid_cents), 0) FROM client_packages cp JOIN clients c ON c.id = cp.client_id
          WHERE c.trainer_id = x.trainer_id AND cp.currency = x.currency
            AND cp.purchased_at >= x.s AND cp.purchased_at < x.e),
        x.currency,
        (SELECT count(*) FROM clients c WHERE c.trainer_id = x.trainer_id AND c.created_at >= x.s AND c.created_at < x.e),
        (SELECT count(*) FROM clients c WHERE c.trainer_id = x.trainer_id AND c.is_active = 1 AND c.created_at < x.e),
        ${now}, ${now}
      FROM x WHERE true
      ON CONFLICT (trainer_id, date) DO UPDATE SET
        bookings_count = excluded.bookings_count,
        completed_bookings = excluded.completed_bookings,
        cancelled_bookings = excluded.cancelled_bookings,
        revenue_cents = excluded.revenue_cents,
        currency = excluded.currency,
        new_clients = excluded.new_clients,
        active_clients = excluded.active_clients,
        updated_at = excluded.updated_at
      WHERE bookings_count IS NOT excluded.bookings_count
        OR completed_bookings IS NOT excluded.completed_bookings
        OR cancelled_bookings IS NOT excluded.cancelled_bookings
        OR revenue_cents IS NOT excluded.revenue_cents
        OR currency IS NOT excluded.currency
        OR new_clients IS NOT excluded.new_clients
        OR active_clients IS NOT excluded.active_clients`);
  }
  const results = await db.$client.batch(statements.map((s) => statement(db, s)));
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
