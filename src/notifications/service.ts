// The trainer's view of the outbox: list and retry. Account mails (no trainer) never show here.
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import {
  isAccountMail,
  type NOTIFICATION_CHANNELS,
  type NOTIFICATION_STATUSES,
  type Notification,
  notifications,
  trainers,
} from '../db/schema';
import { type Db, statement } from '../lib/db';
import { cursorOf, cursorSlice, keysetAfter, type Listing, type PageQuery, pageOffset } from '../lib/pagination';
import { conflict, notFound } from '../lib/problem';
import { enqueue } from './outbox';
import type { NotificationKind, NotifyMessage } from './types';

/** The one order of the list (newest first), as a cursor names it. */
const NOTIFICATION_ORDERING = '-created_at';

type TrainerNotification = Notification & { trainerId: number; kind: NotificationKind };

/** A trainer's row: every row with a trainer (account mails have none, and their own kind). */
const isTrainers = (n: Notification): n is TrainerNotification => n.trainerId !== null && !isAccountMail(n.kind);

export const toNotificationOut = (n: TrainerNotification) => ({
  id: n.id,
  booking: n.bookingId,
  kind: n.kind,
  notification_type: n.notificationType,
  recipient: n.recipient,
  subject: n.subject,
  message: n.message,
  status: n.status,
  attempts: n.attempts,
  provider_message_id: n.providerMessageId,
  sent_at: n.sentAt,
  failed_reason: n.failedReason,
  created_at: n.createdAt,
});

export interface NotificationFilters {
  status?: (typeof NOTIFICATION_STATUSES)[number];
  notification_type?: (typeof NOTIFICATION_CHANNELS)[number];
  kind?: NotificationKind;
  booking?: number;
}

/**
 * A page of the trainer's notifications, newest first. Page mode counts every match (the whole
 * list: the count the trainer's row keeps); cursor mode (`q.cursor`) continues after the cursor's
 * row through the (trainer_id, created_at) index and counts only when asked.
 */
export async function listNotifications(
  db: Db,
  trainerId: number,
  q: PageQuery & NotificationFilters & { cursor?: string | undefined; count?: boolean | undefined },
): Promise<Listing<ReturnType<typeof toNotificationOut>>> {
  const cursor = cursorOf(q, NOTIFICATION_ORDERING);
  const conditions: SQL[] = [eq(notifications.trainerId, trainerId)];
  if (q.status) conditions.push(eq(notifications.status, q.status));
  if (q.notification_type) conditions.push(eq(notifications.notificationType, q.notification_type));
  if (q.kind) conditions.push(eq(notifications.kind, q.kind));
  if (q.booking) conditions.push(eq(notifications.bookingId, q.booking));
  const where = and(...conditions);
  const after =
    cursor && cursor !== 'first'
      ? keysetAfter(notifications.createdAt, true, notifications.id, true, cursor)
      : undefined;
  const rowsQuery = db
    .select()
    .from(notifications)
    .where(and(where, after))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(cursor ? q.page_size + 1 : q.page_size)
    .offset(cursor ? 0 : pageOffset(q));
  const filtered = conditions.length > 1;
  // All of the trainer's notifications: the count its row keeps (trainers.notification_count);
  // no row (a replica behind) reads as none. A filtered list counts its matches.
  const countQuery = filtered
    ? db.select({ n: sql<number>`count(*)` }).from(notifications).where(where)
    : db.select({ n: trainers.notificationCount }).from(trainers).where(eq(trainers.id, trainerId));
  const counted = !cursor || q.count === true;
  const [countRows, rows] = counted ? await db.batch([countQuery, rowsQuery]) : [undefined, await rowsQuery];
  const count = countRows ? (countRows[0]?.n ?? 0) : undefined;
  // The trainer_id condition already keeps account mails out; the filter only tells the types so.
  if (!cursor) return { count, results: rows.filter(isTrainers).map(toNotificationOut) };
  const page = cursorSlice(rows, q.page_size, (r) => ({ ordering: NOTIFICATION_ORDERING, key: r.createdAt, id: r.id }));
  return { count, results: page.rows.filter(isTrainers).map(toNotificationOut), after: page.after };
}

/**
 * A failed notification of the trainer back to pending and onto the queue. `trainerId` null (an
 * account mail's owner) matches no row: account mails are asked for again by their user instead.
 * `also`: statements the caller needs in the same atomic batch, right after the UPDATE (so
 * `changes() = 1` there means the retry happened), e.g. an audit row.
 */
export async function retryNotification(
  db: Db,
  queue: Queue<NotifyMessage>,
  trainerId: number | null,
  id: number,
  now: string,
  also: D1PreparedStatement[] = [],
) {
  const row = await db.select().from(notifications).where(eq(notifications.id, id)).get();
  if (!row || !isTrainers(row) || row.trainerId !== trainerId) throw notFound('Notification not found.');
  const retry = db
    .update(notifications)
    .set({ status: 'pending', failedReason: null, updatedAt: now })
    .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
    .returning({ id: notifications.id });
  const [changed] = await db.$client.batch<{ id: number }>([statement(db, retry), ...also]);
  const updated = changed?.results[0]
    ? await db.select().from(notifications).where(eq(notifications.id, id)).get()
    : undefined;
  if (!updated || !isTrainers(updated))
    throw conflict(`Only failed notifications can be retried; this one is ${row.status}.`, 'invalid_transition');
  await enqueue(queue, [id]);
  return toNotificationOut(updated);
}
