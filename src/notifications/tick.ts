import type { Db } from '../lib/db';
import { enqueue, idsOf, planDueReminders, sweepStale } from './outbox';
import type { NotifyMessage } from './types';

/** The cron tick: plan due reminders, re-queue stale pending rows. Two D1 queries in all. */
export async function tick(db: Db, queue: Queue<NotifyMessage>, now: string) {
  const [planned, stale] = await db.$client.batch([planDueReminders(db, now), sweepStale(db, now)]);
  const plannedIds = idsOf(planned ? [planned] : []);
  const staleIds = idsOf(stale ? [stale] : []);
  const calls = await enqueue(queue, [...plannedIds, ...staleIds]);
  return { planned: plannedIds.length, requeued: staleIds.length, sendBatchCalls: calls };
}
