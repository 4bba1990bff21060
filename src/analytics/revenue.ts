import { type SQL, sql } from 'drizzle-orm';
import {
  addDays,
  addMonths,
  type CalendarPeriod,
  daysBetween,
  isValidDate,
  localDate,
  offsetSpans,
  periodOf,
  startOfDayMs,
} from '../lib/calendar';
import type { Db } from '../lib/db';
import { averageCents, DEFAULT_CURRENCY, formatCents } from '../lib/money';
import { invalidField } from '../lib/problem';
import type { RevenueOut } from './schemas';
import {
  type AnalyticsTrainer,
  bucketColumn,
  byCurrency,
  iso,
  mainCurrencySql,
  perSpanSlice,
  readBatch,
  soldBy,
  sumBuckets,
  wallClock,
} from './sql';

/**
 * The buckets of a period: its local days, or its months for a year. Counted, not compared as
 * text: the day after 9999-12-31 is "+010000-01-01", which sorts before every date.
 */
function bucketsOf(period: CalendarPeriod, start: string, end: string): string[] {
  if (period === 'year') return Array.from({ length: 12 }, (_, i) => addMonths(start, i).slice(0, 7));
  return Array.from({ length: daysBetween(start, end) }, (_, i) => addDays(start, i));
}

/** A period's first and last days must be dates of years 0000 to 9999 (a week can straddle either end). */
function checkPeriod(start: string, end: string): void {
  if (!isValidDate(start) || !isValidDate(addDays(end, -1))) {
    throw invalidField('date', 'This period reaches outside the years 0000 to 9999; choose a date inside them.');
  }
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
  checkPeriod(start, end);
  const fromMs = startOfDayMs(start, timezone);
  const toMs = startOfDayMs(end, timezone);
  const spans = offsetSpans(timezone, fromMs, toMs);
  const format = q.period === 'year' ? '%Y-%m' : '%Y-%m-%d';
  const [from, to] = [iso(fromMs), iso(toMs)];
  const sold = sql`cp.purchased_at >= ${from} AND cp.purchased_at < ${to}`;
  const refunded = sql`cp.refunded_at >= ${from} AND cp.refunded_at < ${to}`;
  // Each bucket: the sales made in it less the refunds made in it (amounts bucketed by their own time).
  const bucketed = (at: 'purchased_at' | 'refunded_at', amount: SQL) =>
    perSpanSlice(
      spans,
      (slice, sliceFrom, sliceTo) =>
        sql`SELECT ${wallClock(format, sql.raw(`cp.${at}`), slice)} AS ${bucketColumn}, sum(${amount}) AS n
          FROM ${soldBy(id)} AND cp.${sql.raw(at)} >= ${sliceFrom} AND cp.${sql.raw(at)} < ${sliceTo}
            AND cp.currency = ${mainCurrencySql(id)}
          GROUP BY ${bucketColumn}`,
    );
  const [[main], totals, ...series] = await readBatch<
    [
      { currency: string }[],
      { currency: string; sold: number; refunded: number; n: number }[],
      ...{ bucket: string; n: number }[][],
    ]
  >(db, [
    sql`SELECT ${mainCurrencySql(id)} AS currency`,
    sql`SELECT cp.currency AS currency, coalesce(sum(CASE WHEN ${sold} THEN cp.price_paid_cents END), 0) AS sold,
        coalesce(sum(CASE WHEN ${refunded} THEN cp.refunded_cents END), 0) AS refunded, coalesce(sum(${sold}), 0) AS n
      FROM ${soldBy(id)} AND ((${sold}) OR (${refunded}))
      GROUP BY cp.currency`,
    ...bucketed('purchased_at', sql`cp.price_paid_cents`),
    ...bucketed('refunded_at', sql`-cp.refunded_cents`),
  ]);
  const currency = main?.currency ?? DEFAULT_CURRENCY;
  const inMain = totals.find((r) => r.currency === currency);
  const perBucket = sumBuckets(series);
  const net = totals.map((r) => ({ currency: r.currency, cents: r.sold - r.refunded }));
  return {
    period: q.period,
    start_date: start,
    end_date: addDays(end, -1),
    total_revenue: formatCents((inMain?.sold ?? 0) - (inMain?.refunded ?? 0)),
    refunded: formatCents(inMain?.refunded ?? 0),
    payment_count: totals.reduce((n, r) => n + r.n, 0),
    average_payment: formatCents(averageCents([{ cents: inMain?.sold ?? 0, per: 1 }], inMain?.n ?? 0, currency)),
    revenue_by_currency: byCurrency(net),
    currency,
    series: bucketsOf(q.period, start, end).map((date) => ({ date, revenue: formatCents(perBucket.get(date) ?? 0) })),
  };
}
