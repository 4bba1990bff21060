import { and, desc, eq, gte, lte } from 'drizzle-orm';
import { dashboardMetrics } from '../db/schema';
import type { Db } from '../lib/db';
import { formatCents } from '../lib/money';
import { countedPage, pageOffset } from '../lib/pagination';
import type { MetricListQuery, MetricOut } from './schemas';
import { checkDayRange } from './sql';

/** The stored daily rows (written by the rollup), newest first. */
export async function listMetrics(
  db: Db,
  trainerId: number,
  q: MetricListQuery,
): Promise<{ count: number; results: MetricOut[] }> {
  checkDayRange(q);
  const where = and(
    eq(dashboardMetrics.trainerId, trainerId),
    q.from ? gte(dashboardMetrics.date, q.from) : undefined,
    q.to ? lte(dashboardMetrics.date, q.to) : undefined,
  );
  const { count, rows } = await countedPage(
    db,
    dashboardMetrics,
    where,
    db
      .select()
      .from(dashboardMetrics)
      .where(where)
      .orderBy(desc(dashboardMetrics.date))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return {
    count,
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
