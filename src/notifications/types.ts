import type { NOTIFICATION_KINDS } from '../db/schema';

/** The kinds a trainer sees in the notifications API. */
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A queue message: up to MAX_IDS_PER_MESSAGE outbox row ids. */
export interface NotifyMessage {
  ids?: number[];
}

export const MAX_IDS_PER_MESSAGE = 10;
