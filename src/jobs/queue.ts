import type { Bindings } from '../env';
import { getDb } from '../lib/db';
import { deadLetter, deliver } from '../notifications/service';
import type { NotifyMessage } from '../notifications/types';

export const NOTIFY_QUEUE_NAME = 'trainerhub-notifications';
export const NOTIFY_DLQ_NAME = 'trainerhub-notifications-dlq';

/** The Worker's queue handler: deliveries from the notifications queue, and its dead letters. */
export async function handleQueue(batch: MessageBatch<NotifyMessage>, env: Bindings): Promise<void> {
  const db = getDb(env.DB);
  if (batch.queue === NOTIFY_DLQ_NAME) {
    await deadLetter(db, batch);
    return;
  }
  await deliver(db, env, batch, { retryBaseSeconds: Number(env.NOTIFY_RETRY_BASE_SECONDS) || 30 });
}
