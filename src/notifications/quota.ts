import { sql } from 'drizzle-orm';
import { notifications } from '../db/schema';
import type { Db } from '../lib/db';
import { addSeconds } from '../lib/time';

/** The SMS a trainer may send in 24 h, and what is left of it per trainer. */
export interface SmsQuota {
  limit: number;
  left: Map<number, number>;
}

/**
 * How many more SMS each of these trainers may send: the daily limit less what was sent in the
 * last 24 h (one query, only when there is an SMS). Sends in flight elsewhere are not counted,
 * so parallel deliveries can pass the limit by a batch: a cost cap, not an exact quota.
 */
export async function smsQuota(db: Db, limit: number, trainerIds: number[], now: string): Promise<SmsQuota> {
  const trainers = [...new Set(trainerIds)];
  const left = new Map<number, number>();
  if (!trainers.length) return { limit, left };
  for (const t of trainers) left.set(t, limit);
  const sent = await db.all<{ trainerId: number; n: number }>(sql`
    SELECT trainer_id AS trainerId, count(*) AS n FROM ${notifications}
    WHERE trainer_id IN (SELECT value FROM json_each(${JSON.stringify(trainers)}))
      AND notification_type = 'sms' AND status = 'sent' AND sent_at > ${addSeconds(now, -24 * 3600)}
    GROUP BY trainer_id`);
  for (const s of sent) left.set(s.trainerId, limit - s.n);
  return { limit, left };
}

/** Takes one SMS from the trainer's quota; the refusal reason when none is left. */
export function takeSms(quota: SmsQuota, trainerId: number): string | null {
  const left = quota.left.get(trainerId) ?? 0;
  quota.left.set(trainerId, left - 1);
  return left > 0 ? null : `SMS limit reached: ${quota.limit} per trainer in 24 h.`;
}
