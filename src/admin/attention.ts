// The console's overview: what needs staff attention, each a capped count (one indexed, LIMITed
// read) with the link to the list filtered to exactly those rows.
import { type SQL, sql } from 'drizzle-orm';
import { type Db, statement } from '../lib/db';
import { addSeconds } from '../lib/time';

/** Counts stop here ("100+"): the overview points at work, it does not measure it. */
export const ATTENTION_CAP = 100;

export interface AttentionItem {
  key: string;
  /** What one of them is, and many ("failed notification", "failed notifications"). */
  one: string;
  many: string;
  count: number;
  /** More than ATTENTION_CAP. */
  more: boolean;
  href: string;
}

/** A pending booking older than this is a request nobody answered. */
const STALE_PENDING_SECONDS = 24 * 3600;

/**
 * Each check's rows (FROM … WHERE …). Status values are SQL literals, not parameters, so that
 * the partial indexes they are written for (src/db/schema.ts) can answer them.
 */
function checks(now: string): (Omit<AttentionItem, 'count' | 'more'> & { rows: SQL })[] {
  const cutoff = addSeconds(now, -STALE_PENDING_SECONDS);
  return [
    {
      key: 'failed_notifications',
      one: 'failed notification',
      many: 'failed notifications',
      rows: sql`notifications WHERE status = 'failed'`,
      href: '/admin/notifications/?status=failed',
    },
    {
      // Unmatched events, and applied ones with a note for a person (a second live subscription).
      key: 'unmatched_webhooks',
      one: 'webhook event to look at',
      many: 'webhook events to look at',
      rows: sql`webhook_events WHERE error IS NOT NULL`,
      href: '/admin/webhook-events/?has_error=true',
    },
    {
      key: 'past_due_subscriptions',
      one: 'past-due subscription',
      many: 'past-due subscriptions',
      rows: sql`subscriptions WHERE status = 'past_due'`,
      href: '/admin/subscriptions/?status=past_due',
    },
    {
      key: 'stale_pending_bookings',
      one: 'booking request pending for over a day',
      many: 'booking requests pending for over a day',
      rows: sql`bookings WHERE status = 'pending' AND created_at <= ${cutoff}`,
      href: `/admin/bookings/?status=pending&created_to=${encodeURIComponent(cutoff)}`,
    },
    {
      key: 'failing_calendars',
      one: 'calendar connection failing',
      many: 'calendar connections failing',
      rows: sql`calendar_connections WHERE failing_since IS NOT NULL AND is_active = 1`,
      href: '/admin/calendar-connections/?failing=true&is_active=true',
    },
  ];
}

/** One check's capped count. */
const cappedCount = (rows: SQL) =>
  sql`SELECT count(*) AS n FROM (SELECT 1 FROM ${rows} LIMIT ${sql.raw(String(ATTENTION_CAP + 1))})`;

/** The overview's checks as SQL (the query-plan test reads them). */
export const attentionQueries = (now: string): SQL[] => checks(now).map((c) => cappedCount(c.rows));

/** Every check's capped count, in one D1 batch. */
export async function attention(db: Db, now: string): Promise<AttentionItem[]> {
  const results = await db.$client.batch<{ n: number }>(attentionQueries(now).map((q) => statement(db, q)));
  return checks(now).map(({ rows: _rows, ...item }, i) => {
    const n = Number(results[i]?.results[0]?.n ?? 0);
    return { ...item, count: Math.min(n, ATTENTION_CAP), more: n > ATTENTION_CAP };
  });
}
