import { sql } from 'drizzle-orm';
import type { Db } from '../lib/db';
import { type QueuedMessage, queuedIds } from './delivery';

/**
 * Messages that exhausted their deliveries: rows still pending are failed, and the row says it
 * was dead-lettered. A row of the same message kept for a later round (`retry_at` ahead, set by
 * that last delivery) stays pending: it was given more time, not given up.
 */
export async function deadLetter(db: Db, messages: readonly QueuedMessage[], now: string) {
  const ids = queuedIds(messages);
  if (ids.length) {
    await db.run(sql`
      UPDATE notifications SET status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
        failed_reason = coalesce(failed_reason, 'no delivery succeeded') || ' (dead-lettered)', updated_at = ${now}
      WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND status IN ('pending', 'failed')
        AND (status = 'failed' OR retry_at IS NULL OR retry_at <= ${now})
        AND coalesce(failed_reason, '') NOT LIKE '%(dead-lettered)'`);
  }
  for (const m of messages) m.ack();
}
