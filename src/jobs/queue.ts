import type { CalendarSyncMessage } from '../calendar/connections';
import { parserOf, syncConnection } from '../calendar/sync';
import { isoNow, systemClock } from '../lib/clock';
import { type Bindings, configOf } from '../lib/config';
import { getDb } from '../lib/db';
import { deadLetter } from '../notifications/dead-letter';
import { deliver } from '../notifications/delivery';
import type { NotifyMessage } from '../notifications/types';

export const NOTIFY_QUEUE_NAME = 'trainerhub-notifications';
export const NOTIFY_DLQ_NAME = 'trainerhub-notifications-dlq';
export const CALENDAR_QUEUE_NAME = 'trainerhub-calendar-sync';

/**
 * Each connection of the batch synced (a feed's failure is recorded, not thrown) and acknowledged;
 * a message whose sync threw (the database) is retried.
 */
async function syncCalendars(batch: MessageBatch<CalendarSyncMessage>, env: Bindings, now: string) {
  const deps = { db: getDb(env.DB), now, queue: env.NOTIFY_QUEUE, parser: parserOf(env) };
  const config = configOf(env).calendar;
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await syncConnection(deps, config, Number(message.body.connectionId));
        message.ack();
      } catch (err) {
        console.error(JSON.stringify({ level: 'error', msg: 'calendar sync failed', err: String(err) }));
        message.retry();
      }
    }),
  );
}

/** The Worker's queue handler: deliveries from the notifications queue, its dead letters, and calendar syncs. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  // The consumers read and write the primary (`getDb`, no session): a replica could show an outbox
  // row still pending after it was sent, and send it twice.
  const now = isoNow(systemClock);
  if (batch.queue === CALENDAR_QUEUE_NAME) {
    await syncCalendars(batch as MessageBatch<CalendarSyncMessage>, env, now);
    return;
  }
  const db = getDb(env.DB);
  if (batch.queue === NOTIFY_DLQ_NAME) {
    await deadLetter(db, (batch as MessageBatch<NotifyMessage>).messages, now);
    return;
  }
  await deliver(db, configOf(env).notify, (batch as MessageBatch<NotifyMessage>).messages, now, env.NOTIFY_QUEUE);
}
