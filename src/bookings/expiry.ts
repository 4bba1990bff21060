// Unconfirmed public requests stop holding their slot: the 5-minute cron cancels them.
import { and, asc, eq, lte, or, sql } from 'drizzle-orm';
import { bookings } from '../db/schema';
import type { BookingsConfig } from '../lib/config';
import { ApiError } from '../lib/problem';
import { addSeconds } from '../lib/time';
import { type TransitionDeps, transition } from './transitions';

/** The cancellation reason an expired request carries. */
export const EXPIRED_REASON = 'expired';
/** Most requests one tick expires; the next tick takes the rest. */
const PER_TICK = 200;

/**
 * Cancels every public request still `pending` whose hold has run out: `pendingHoldHours` after it
 * was made, or at its start if that comes first. A public request is a booking whose `source` is
 * 'public' (set by the public booking API); a trainer's own pending booking is never expired,
 * although it has a manage link too.
 *
 * Safe to run twice at once: the cancel is guarded on `pending` in its UPDATE, its outbox rows
 * exist only if that UPDATE happened, and their dedupe keys are unique, so the client hears once.
 */
export async function expirePendingRequests(deps: TransitionDeps, config: BookingsConfig): Promise<number> {
  const { db, now } = deps;
  const heldSince = addSeconds(now, -config.pendingHoldHours * 3600);
  const due = await db
    .select({ id: bookings.id, trainerId: bookings.trainerId })
    .from(bookings)
    .where(
      and(
        eq(bookings.status, 'pending'),
        // A class place promoted from the waitlist is held from its promotion, not from joining.
        or(
          sql`CASE WHEN ${bookings.classSessionId} IS NULL THEN ${bookings.createdAt} ELSE ${bookings.updatedAt} END <= ${heldSince}`,
          lte(bookings.startTime, now),
        ),
        eq(bookings.source, 'public'),
      ),
    )
    .orderBy(asc(bookings.startTime))
    .limit(PER_TICK)
    .all();
  let expired = 0;
  for (const row of due) {
    try {
      await transition(deps, row.trainerId, row.id, 'cancel', EXPIRED_REASON, {
        from: ['pending'],
        lateCounts: false,
        // Like the request's receipt: a public form must not make us text any number typed in.
        clientMessage: 'emailOnly',
      });
      expired++;
    } catch (err) {
      // Confirmed or cancelled meanwhile (by the trainer, the client or another tick): leave it.
      if (!(err instanceof ApiError && (err.status === 409 || err.status === 404))) throw err;
    }
  }
  return expired;
}
