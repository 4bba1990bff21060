import { lt } from 'drizzle-orm';
import { rollupBookingMonths, rollupDashboardMetrics } from '../analytics/service';
import { expirePendingRequests } from '../bookings/expiry';
import { expireWaitlists } from '../bookings/waitlist';
import type { CalendarSyncMessage } from '../calendar/connections';
import { claimDueConnections, MAX_CLAIMS_PER_TICK, MAX_DUE_PER_CLAIM } from '../calendar/sync';
import { idempotencyKeys, loginAttempts, rateLimitHits, sessions } from '../db/schema';
import { type Bindings, configOf } from '../lib/config';
import { getDb } from '../lib/db';
import { IDEMPOTENCY_TTL_SECONDS } from '../lib/idempotency';
import { LOGIN_WINDOW_SECONDS } from '../lib/ratelimit';
import { addSeconds } from '../lib/time';
import { enqueue } from '../notifications/outbox';
import { tick } from '../notifications/tick';

export const EVERY_FIVE_MINUTES = '*/5 * * * *';
export const HOURLY = '7 * * * *';
export const EVERY_FIFTEEN_MINUTES = '*/15 * * * *';

/** The connections due, claimed and queued, 100 messages per sendBatch call. */
async function queueCalendarSyncs(db: ReturnType<typeof getDb>, queue: Queue<CalendarSyncMessage>, now: string) {
  let queued = 0;
  for (let claim = 0; claim < MAX_CLAIMS_PER_TICK; claim++) {
    const ids = await claimDueConnections(db, now);
    for (let i = 0; i < ids.length; i += 100) {
      await queue.sendBatch(ids.slice(i, i + 100).map((connectionId) => ({ body: { connectionId } })));
    }
    queued += ids.length;
    if (ids.length < MAX_DUE_PER_CLAIM) break;
  }
  return queued;
}

/** The Worker's scheduled handler. */
export async function handleScheduled(cron: string, env: Bindings, scheduledTime: number) {
  // The primary, no session: the crons claim, expire and count, so they must read the newest rows.
  const db = getDb(env.DB);
  const now = new Date(scheduledTime).toISOString();
  if (cron === EVERY_FIFTEEN_MINUTES) {
    return { cron, calendarsQueued: await queueCalendarSyncs(db, env.CALENDAR_QUEUE, now) };
  }
  if (cron === HOURLY) {
    // Housekeeping: expired sessions, idempotency records and login failures.
    await db.batch([
      db.delete(sessions).where(lt(sessions.expiresAt, now)),
      db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, addSeconds(now, -IDEMPOTENCY_TTL_SECONDS))),
      db.delete(loginAttempts).where(lt(loginAttempts.at, addSeconds(now, -LOGIN_WINDOW_SECONDS))),
      // The longest public limit window is an hour.
      db.delete(rateLimitHits).where(lt(rateLimitHits.at, addSeconds(now, -3600))),
    ]);
    // Each trainer's local yesterday, written once its day has ended (idempotent upserts); the
    // booking figures of ended local months that have no row (new, or deleted by a change).
    return {
      cron,
      rolledUp: await rollupDashboardMetrics(db, scheduledTime),
      monthsRolledUp: await rollupBookingMonths(db, scheduledTime),
    };
  }
  // Expired requests first: their cancellation mails are queued now, and reminders are never
  // planned for a request that has just lapsed.
  const deps = { db, queue: env.NOTIFY_QUEUE, now };
  const expired = await expirePendingRequests(deps, configOf(env).bookings);
  // Waitlisted places never promoted lapse at start − the trainer's waitlist_cutoff_hours.
  const waitlist = await expireWaitlists(db, now);
  await enqueue(env.NOTIFY_QUEUE, waitlist.ids);
  return { cron, expired, waitlistExpired: waitlist.expired, ...(await tick(db, env.NOTIFY_QUEUE, now)) };
}
