import { isoNow, systemClock } from '../lib/clock';
import { type Bindings, configOf } from '../lib/config';
import { getDb } from '../lib/db';
import { deadLetter } from '../notifications/dead-letter';
import { deliver } from '../notifications/delivery';
import type { NotifyMessage } from '../notifications/types';

export const NOTIFY_QUEUE_NAME = 'trainerhub-notifications';
export const NOTIFY_DLQ_NAME = 'trainerhub-notifications-dlq';

/** The Worker's queue handler: deliveries from the notifications queue, and its dead letters. */
export async function handleQueue(batch: MessageBatch<NotifyMessage>, env: Bindings): Promise<void> {
  const db = getDb(env.DB);
  const now = isoNow(systemClock);
  if (batch.queue === NOTIFY_DLQ_NAME) {
    await deadLetter(db, batch.messages, now);
    return;
  }
  await deliver(db, configOf(env).notify, batch.messages, now);
}
