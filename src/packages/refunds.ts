// A refund ends a client's pack: its credits go to 0 (one ledger row) and what was paid back is
// kept beside the sale, so revenue counts the sale on its day and the refund, negative, on its own.
// The client is told by email, from the same batch.
import { sql } from 'drizzle-orm';
import { reservedCredits } from '../db/fragments';
import { clientPackages, packageLedger } from '../db/schema';
import type { TrainerViewer } from '../lib/auth';
import { type Db, statement } from '../lib/db';
import { checkAmount } from '../lib/fields';
import { averageCents, displayAmount, formatCents } from '../lib/money';
import { trainerNameOf } from '../lib/names';
import { conflict, invalidField } from '../lib/problem';
import { clientPackageMessage, dedupeKey, enqueue, idsOf } from '../notifications/outbox';
import { renderRefund } from '../notifications/pack-lines';
import type { NotifyMessage } from '../notifications/types';
import type { ClientPackageOut, RefundInput } from './schemas';
import { findClientPackage, findClientPackageRow } from './service';

/**
 * Refunds a client package: `amount` (default: the unused share of the price) is recorded as paid
 * back and the remaining credits are removed. Refused with a 409 while a booking not yet held
 * reserves one of its credits (`package_in_use`: complete or cancel it first), and once
 * refunded (`already_refunded`). One guarded batch: the ledger row and the update see the same
 * state, so a booking that takes a credit at the same moment and the refund never both succeed.
 * The client's email about it is written in that batch, once per pack (its dedupe key).
 */
export async function refundClientPackage(
  db: Db,
  queue: Queue<NotifyMessage>,
  viewer: TrainerViewer,
  id: number,
  input: RefundInput,
  now: string,
  tries = 3,
): Promise<ClientPackageOut> {
  const row = await findClientPackageRow(db, viewer, id);
  const { cp } = row;
  const unused = averageCents(
    [{ cents: cp.pricePaidCents * cp.sessionsRemaining, per: cp.sessionsTotal }],
    1,
    cp.currency,
  );
  const amount = input.amount ?? unused;
  if (amount > cp.pricePaidCents) {
    throw invalidField('amount', `At most what was paid: ${formatCents(cp.pricePaidCents)} ${cp.currency}.`);
  }
  checkAmount('amount', amount, cp.currency);
  const names = await db.get<{ first: string; business: string }>(sql`
    SELECT coalesce(nullif(c.first_name, ''), ${row.clientName}) AS first, ${trainerNameOf('t', 'u')} AS business
    FROM clients c JOIN trainers t ON t.id = c.trainer_id JOIN users u ON u.id = t.user_id
    WHERE c.id = ${cp.clientId}`);

  // The balance read above, still: the unused share was judged on it.
  const open = sql`id = ${id} AND refunded_at IS NULL AND ${reservedCredits(id)} = 0
    AND sessions_remaining = ${cp.sessionsRemaining}`;
  const told = clientPackageMessage({
    clientPackageId: id,
    kind: 'package_refunded',
    dedupeKey: dedupeKey({ clientPackage: id, kind: 'package_refunded' }),
    now,
    guard: sql`cp.refunded_at = ${now} AND cp.refunded_cents = ${amount}`,
    rendered: renderRefund({
      clientFirstName: names?.first ?? row.clientName,
      businessName: names?.business ?? '',
      packageName: row.packageName,
      amount: amount > 0 ? displayAmount(amount, cp.currency) : null,
      creditsEnded: cp.sessionsRemaining,
      reason: input.reason ?? '',
    }),
  });
  const [, updated, message] = await db.$client.batch<{ id: number }>([
    statement(
      db,
      sql`INSERT INTO ${packageLedger} (client_package_id, booking_id, delta, reason, at, balance_after)
        SELECT id, NULL, -sessions_remaining, 'refunded', ${now}, 0 FROM ${clientPackages}
        WHERE ${open} AND sessions_remaining > 0`,
    ),
    statement(
      db,
      sql`UPDATE ${clientPackages} SET sessions_remaining = 0, refunded_cents = ${amount}, refunded_at = ${now},
          refund_reason = ${input.reason ?? ''}
        WHERE ${open} RETURNING id`,
    ),
    statement(db, told),
  ]);
  if (updated?.results.length) {
    await enqueue(queue, message ? idsOf([message]) : []);
    return findClientPackage(db, viewer, id, now);
  }
  const fresh = await findClientPackage(db, viewer, id, now);
  if (fresh.refunded_at !== null) {
    throw conflict(`This package was refunded at ${fresh.refunded_at}.`, 'already_refunded');
  }
  const n = fresh.sessions_reserved;
  if (n === 0) {
    // A credit was used or given back in between (use_session, a completion, a cancel): judge again.
    if (tries > 1) return refundClientPackage(db, queue, viewer, id, input, now, tries - 1);
    throw conflict('The package kept changing while it was refunded; try again.', 'package_changed');
  }
  const them = n === 1 ? 'it' : 'them';
  throw conflict(
    `${n} ${n === 1 ? 'booking reserves a credit' : 'bookings reserve credits'} of this package: complete or cancel ${them} first.`,
    'package_in_use',
  );
}
