import { sql } from 'drizzle-orm';
import { isActiveStatus } from '../db/fragments';
import { FITNESS_LEVELS } from '../db/schema';
import { addMonths, localDate, monthStart, offsetSpans, startOfDayMs } from '../lib/calendar';
import type { Db } from '../lib/db';
import type { ClientStatsOut } from './schemas';
import { type AnalyticsTrainer, bucketColumn, iso, perSpanSlice, readBatch, sumBuckets, wallClock } from './sql';

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
        AND ${isActiveStatus(sql`b.status`)} AND b.start_time >= ${iso(nowMs)})`,
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
