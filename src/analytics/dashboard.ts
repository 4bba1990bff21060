import { sql } from 'drizzle-orm';
import { isActiveStatus } from '../db/fragments';
import { addMonths, localDate, monthStart, startOfDayMs } from '../lib/calendar';
import type { Db } from '../lib/db';
import { averageCents, DEFAULT_CURRENCY, formatCents } from '../lib/money';
import { allTimeCounts } from './booking-months';
import type { DashboardOut } from './schemas';
import { type AnalyticsTrainer, byCurrency, iso, mainCurrencySql, soldBy } from './sql';

/** The local month containing `nowMs` as UTC instants [start, end). */
function thisMonth(timeZone: string, nowMs: number) {
  const first = monthStart(localDate(nowMs, timeZone));
  return {
    start: iso(startOfDayMs(first, timeZone)),
    end: iso(startOfDayMs(addMonths(first, 1), timeZone)),
  };
}

/**
 * The dashboard in one D1 round trip: the bookings of all time from the ended months' rows plus
 * the rest read live (booking-months.ts), upcoming bookings, clients, sales, credits, platform spend.
 */
export async function dashboard(db: Db, trainer: AnalyticsTrainer, nowMs: number): Promise<DashboardOut> {
  const { id, timezone } = trainer;
  const now = iso(nowMs);
  const month = thisMonth(timezone, nowMs);
  const localToday = localDate(nowMs, timezone);
  const all = await allTimeCounts<
    [
      { upcoming: number }[],
      { total: number; active: number; fresh: number }[],
      { currency: string; cents: number; month: number }[],
      { currency: string }[],
      { currency: string; per: number; cents: number; byHand: number }[],
      { n: number }[],
      { currency: string; cents: number; latest: string }[],
    ]
  >(db, id, [
    // Through (trainer_id, status, start_time): the active bookings from now on only.
    sql`SELECT count(*) AS upcoming FROM bookings
      WHERE trainer_id = ${id} AND ${isActiveStatus(sql`status`)} AND start_time >= ${now}`,
    sql`SELECT count(*) AS total, coalesce(sum(is_active), 0) AS active,
        coalesce(sum(created_at >= ${month.start} AND created_at < ${month.end}), 0) AS fresh
      FROM clients WHERE trainer_id = ${id}`,
    // Sales less refunds: a refund counts in the month it was made, its sale in the sale's.
    sql`SELECT cp.currency AS currency, sum(cp.price_paid_cents) - coalesce(sum(cp.refunded_cents), 0) AS cents,
        coalesce(sum(CASE WHEN cp.purchased_at >= ${month.start} AND cp.purchased_at < ${month.end}
          THEN cp.price_paid_cents END), 0)
        - coalesce(sum(CASE WHEN cp.refunded_at >= ${month.start} AND cp.refunded_at < ${month.end}
          THEN cp.refunded_cents END), 0) AS month
      FROM ${soldBy(id)} GROUP BY cp.currency`,
    sql`SELECT ${mainCurrencySql(id)} AS currency`,
    // Each consumed credit (a ledger row of -1) is worth price_paid / sessions_total of its
    // package; grouping by (currency, sessions_total) keeps the sum exact: Σ cents / per.
    sql`SELECT cp.currency AS currency, cp.sessions_total AS per, sum(cp.price_paid_cents) AS cents,
        sum(l.reason = 'use_session') AS byHand
      FROM package_ledger l JOIN client_packages cp ON cp.id = l.client_package_id
        JOIN clients c ON c.id = cp.client_id
      WHERE c.trainer_id = ${id} AND l.delta = -1 AND l.reason <> 'refunded'
      GROUP BY cp.currency, cp.sessions_total`,
    sql`SELECT coalesce(sum(cp.sessions_remaining), 0) AS n FROM ${soldBy(id)}
        AND cp.sessions_remaining > 0 AND (cp.expiry_date IS NULL OR cp.expiry_date >= ${localToday})`,
    sql`SELECT currency, sum(amount_cents - refunded_cents) AS cents, max(created_at) AS latest FROM payments
      WHERE trainer_id = ${id} AND status = 'completed' AND created_at >= ${month.start} AND created_at < ${month.end}
      GROUP BY currency`,
  ]);
  const [[bk], [cl], revenue, [main], credits, [prepaid], spend] = all.more;
  const currency = main?.currency ?? DEFAULT_CURRENCY;
  const inMain = revenue.find((r) => r.currency === currency);
  const delivered = all.counts.completed;
  const inCurrency = credits.filter((r) => r.currency === currency);
  const consumed = inCurrency.map((r) => ({ cents: r.cents, per: r.per }));
  // A credit used by hand (use_session) is a session held outside the bookings: delivered too.
  const heldByHand = inCurrency.reduce((n, r) => n + r.byHand, 0);
  // Platform payments are normally in one currency; if not, the latest payment's currency wins.
  const platform = [...spend].sort((a, b) => (a.latest < b.latest ? 1 : -1))[0];
  return {
    total_bookings: all.counts.total - all.counts.waitlisted,
    completed_bookings: delivered,
    upcoming_bookings: bk?.upcoming ?? 0,
    cancelled_bookings: all.counts.cancelled,
    total_clients: cl?.total ?? 0,
    active_clients: cl?.active ?? 0,
    new_clients: cl?.fresh ?? 0,
    total_revenue: formatCents(inMain?.cents ?? 0),
    monthly_revenue: formatCents(inMain?.month ?? 0),
    revenue_by_currency: byCurrency(revenue),
    average_booking_value: formatCents(averageCents(consumed, delivered + heldByHand, currency)),
    sessions_delivered: delivered,
    prepaid_sessions_outstanding: prepaid?.n ?? 0,
    currency,
    platform_spend_this_month: formatCents(platform?.cents ?? 0),
    platform_spend_currency: platform?.currency ?? DEFAULT_CURRENCY,
    as_of: now,
  };
}
