import { type SQL, sql } from 'drizzle-orm';
import { trainers } from '../db/schema';
import { addDays, localDate, startOfDayMs } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { DEFAULT_CURRENCY } from '../lib/money';
import { iso } from './sql';

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
 * the run); package sales made that day less refunds made that day, in the trainer's main currency
 * at the day's end (the currency of the latest sale before it, USD when none); clients created that day; active
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
        (SELECT count(*) FROM bookings b WHERE b.trainer_id = x.trainer_id AND b.start_time >= x.s AND b.start_time < x.e
          AND b.waitlist_only = 0),
        (SELECT count(*) FROM bookings b WHERE b.trainer_id = x.trainer_id AND b.start_time >= x.s AND b.start_time < x.e
          AND b.status = 'completed'),
        (SELECT count(*) FROM bookings b WHERE b.trainer_id = x.trainer_id AND b.start_time >= x.s AND b.start_time < x.e
          AND b.status = 'cancelled' AND b.waitlist_only = 0),
        (SELECT coalesce(sum(CASE WHEN cp.purchased_at >= x.s AND cp.purchased_at < x.e THEN cp.price_paid_cents END), 0)
            - coalesce(sum(CASE WHEN cp.refunded_at >= x.s AND cp.refunded_at < x.e THEN cp.refunded_cents END), 0)
          FROM client_packages cp JOIN clients c ON c.id = cp.client_id
          WHERE c.trainer_id = x.trainer_id AND cp.currency = x.currency
            AND ((cp.purchased_at >= x.s AND cp.purchased_at < x.e) OR (cp.refunded_at >= x.s AND cp.refunded_at < x.e))),
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
