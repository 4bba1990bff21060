// Deleting one's own account (a right under the GDPR, and a must for apps in Apple's App Store).
// A trainer's account goes with everything of the business: clients, bookings, packs, services,
// calendars, messages, payments. A client user's account is only the sign-in: the client records
// carrying their email are their trainers' records, which each trainer keeps or deletes.
import { type SQL, sql } from 'drizzle-orm';
import type { AuthContext } from '../lib/context';
import { type Db, statement } from '../lib/db';
import { ApiError, conflict } from '../lib/problem';
import { type Proof, proveIdentity } from './two-factor';

/**
 * A trainer's rows in an order the foreign keys allow: bookings, classes, series and sold packs
 * refer to clients, services and packages with RESTRICT, so they go first; the user's row then
 * takes the trainer and every other row of it by cascade. Each statement runs only while the
 * trainer has no live subscription, read in the same transaction.
 */
const trainerRows = (trainerId: number, userId: number, idle: SQL): SQL[] => [
  sql`DELETE FROM bookings WHERE trainer_id = ${trainerId} AND ${idle}`,
  sql`DELETE FROM class_sessions WHERE trainer_id = ${trainerId} AND ${idle}`,
  sql`DELETE FROM booking_series WHERE trainer_id = ${trainerId} AND ${idle}`,
  sql`DELETE FROM client_packages WHERE client_id IN (SELECT id FROM clients WHERE trainer_id = ${trainerId}) AND ${idle}`,
  sql`DELETE FROM users WHERE id = ${userId} AND ${idle} RETURNING id`,
];

/**
 * Deletes the signed-in user's account after the proof. Staff are removed in the console by
 * another staff member (403 `staff_account`); a trainer whose subscription still runs cancels it
 * first (409 `subscription_active`), so Paddle never bills an account that is gone.
 */
export async function deleteAccount(
  db: Db,
  secret: string,
  auth: AuthContext,
  proof: Proof,
  ip: string | null,
  now: string,
): Promise<void> {
  const { user, trainer } = auth;
  if (user.isStaff)
    throw new ApiError(403, 'A staff account is removed in the staff console by another staff member.', {
      code: 'staff_account',
    });
  await proveIdentity(db, secret, user, proof, ip, now);
  const live = trainer
    ? sql`EXISTS (SELECT 1 FROM subscriptions WHERE trainer_id = ${trainer.id} AND status <> 'canceled')`
    : sql`0`;
  const steps = trainer
    ? trainerRows(trainer.id, user.id, sql`NOT ${live}`)
    : [sql`DELETE FROM users WHERE id = ${user.id} RETURNING id`];
  const results = await db.$client.batch([...steps, sql`SELECT ${live} AS live`].map((s) => statement(db, s)));
  const gone = results.at(-2)?.results.length;
  // Nothing deleted: a subscription not canceled stood in the way, or a parallel delete came first.
  if (!gone && (results.at(-1)?.results[0] as { live?: number } | undefined)?.live)
    throw conflict(
      'Your subscription is not canceled (it may be active, trialing, past due or paused): cancel it first (POST /api/subscriptions/{id}/cancel/ with "immediately": true), then delete the account.',
      'subscription_active',
    );
}
