import type { NOTIFICATION_KINDS } from '../db/schema';

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * A queue message: up to MAX_IDS_PER_MESSAGE outbox row ids, or a user whose email-verification
 * link is to be mailed (not an outbox row: it belongs to no trainer, and can be asked for again).
 */
export interface NotifyMessage {
  ids?: number[];
  verifyUserId?: number;
}

export const MAX_IDS_PER_MESSAGE = 10;
