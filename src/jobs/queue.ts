import type { Bindings } from '../lib/config';
import { getDb } from '../lib/db';
import { deadLetter, deliver, sendVerifications } from '../notifications/service';
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
  const retryBaseSeconds = Number(env.NOTIFY_RETRY_BASE_SECONDS) || 30;
  const verifications = batch.messages.filter((m) => typeof m.body?.verifyUserId === 'number');
  const outbox = batch.messages.filter((m) => typeof m.body?.verifyUserId !== 'number');
  if (verifications.length) await sendVerifications(db, env, verifications, retryBaseSeconds);
  if (outbox.length) await deliver(db, env, { messages: outbox }, { retryBaseSeconds });
}
