// Credits used outside a booking, and the ledger of every change of a package's balance.
import { desc, eq, sql } from 'drizzle-orm';
import { reservedCredits } from '../db/fragments';
import { clientPackages, packageLedger, type Trainer } from '../db/schema';
import type { TrainerViewer, Viewer } from '../lib/auth';
import { type Db, statement } from '../lib/db';
import {
  forgetExpired,
  type Idempotency,
  keyRecorded,
  type PriorRequest,
  priorColumn,
  priorOf,
  rememberKey,
  saveResponse,
} from '../lib/idempotency';
import { countedPage, type PageQuery, pageOffset } from '../lib/pagination';
import { type ApiError, conflict } from '../lib/problem';
import type { ClientPackageOut } from './schemas';
import { findClientPackage, findClientPackageRow, toClientPackageOut, todayIn } from './service';

export interface UsedSession {
  body: ClientPackageOut;
  /** True when this is the stored answer of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * Uses one credit outside a booking. One batch: a guarded UPDATE (never below zero, never after
 * expiry, never into credits bookings reserved, never twice for one Idempotency-Key) returning
 * the balance it left, the ledger row carrying that balance, and the key's record. The answer
 * reports the balance this very decrement produced, whatever parallel requests did since.
 */
export async function useSession(
  db: Db,
  viewer: TrainerViewer,
  trainer: Trainer,
  id: number,
  now: string,
  idem: Idempotency | null,
): Promise<UsedSession> {
  await findClientPackageRow(db, viewer, id);
  const prior = idem && (await priorRequest(db, idem, now));
  if (prior) return replay(db, viewer, id, prior, now);
  const balance = await spend(db, trainer.timezone, id, now, idem);
  if (balance === null) {
    // A parallel request with the same key may have spent the credit first: answer as it did.
    const winner = idem && (await priorRequest(db, idem, now));
    if (winner) return replay(db, viewer, id, winner, now);
    throw await refusal(db, viewer, id, now);
  }
  const body = await answerAt(db, viewer, id, balance, now);
  if (idem) await statement(db, saveResponse(idem, body)).run();
  return { body, replayed: false };
}

/** Runs the write batch; the balance the decrement left, or null when the guard refused it. */
async function spend(db: Db, timeZone: string, id: number, now: string, idem: Idempotency | null) {
  const localToday = todayIn(timeZone, now);
  const decrement = statement(
    db,
    sql`UPDATE ${clientPackages} SET sessions_remaining = sessions_remaining - 1
      WHERE id = ${id} AND sessions_remaining > 0 AND (expiry_date IS NULL OR expiry_date >= ${localToday})
        AND sessions_remaining > ${reservedCredits(id)} AND NOT ${idem ? keyRecorded(idem) : sql`0`}
      RETURNING sessions_remaining AS balance`,
  );
  // changes() is the row count of the statement before: the decrement, then the ledger row.
  const ledgerRow = statement(
    db,
    sql`INSERT INTO ${packageLedger} (client_package_id, booking_id, delta, reason, at, balance_after)
      SELECT id, NULL, -1, 'use_session', ${now}, sessions_remaining FROM ${clientPackages}
      WHERE id = ${id} AND changes() = 1`,
  );
  const steps = idem
    ? [
        statement(db, forgetExpired(idem, now)),
        decrement,
        ledgerRow,
        statement(
          db,
          rememberKey(idem, {
            statusCode: 200,
            resourceId: sql`last_insert_rowid()`,
            guard: sql`changes() = 1`,
            nowIso: now,
          }),
        ),
      ]
    : [decrement, ledgerRow];
  const results = await db.$client.batch<{ balance: number }>(steps);
  return results[steps.indexOf(decrement)]?.results[0]?.balance ?? null;
}

/** The package as the decrement that left `balance` answered it. */
async function answerAt(db: Db, viewer: Viewer, id: number, balance: number, now: string) {
  const row = await findClientPackageRow(db, viewer, id);
  return toClientPackageOut({ ...row, cp: { ...row.cp, sessionsRemaining: balance } }, now);
}

async function priorRequest(db: Db, idem: Idempotency, now: string): Promise<PriorRequest | null> {
  const row = await statement(db, sql`SELECT ${priorColumn(idem, now)} AS prior`).first<{ prior: string | null }>();
  return priorOf(row?.prior ?? null, idem);
}

/** The first answer under a key: as stored, or rebuilt from its ledger row while its writer is still storing it. */
async function replay(db: Db, viewer: Viewer, id: number, prior: PriorRequest, now: string): Promise<UsedSession> {
  if (prior.responseBody) return { body: JSON.parse(prior.responseBody) as ClientPackageOut, replayed: true };
  const entry = await db
    .select({ balance: packageLedger.balanceAfter })
    .from(packageLedger)
    .where(eq(packageLedger.id, prior.resourceId ?? 0))
    .get();
  const body =
    entry?.balance != null
      ? await answerAt(db, viewer, id, entry.balance, now)
      : await findClientPackage(db, viewer, id, now);
  return { body, replayed: true };
}

/** Why the guarded decrement wrote nothing, as the 409 a client can act on. */
async function refusal(db: Db, viewer: Viewer, id: number, now: string): Promise<ApiError> {
  const fresh = await findClientPackage(db, viewer, id, now);
  if (fresh.is_expired) return conflict(`This package expired on ${fresh.expiry_date}.`, 'package_expired');
  if (fresh.sessions_remaining === 0) return conflict('This package has no sessions left.', 'package_exhausted');
  return conflict(
    `All ${fresh.sessions_remaining} remaining sessions are reserved by upcoming bookings.`,
    'package_exhausted',
  );
}

export async function ledger(db: Db, viewer: Viewer, id: number, q: PageQuery, now: string) {
  await findClientPackage(db, viewer, id, now);
  const where = eq(packageLedger.clientPackageId, id);
  const { count, rows } = await countedPage(
    db,
    packageLedger,
    where,
    db
      .select()
      .from(packageLedger)
      .where(where)
      .orderBy(desc(packageLedger.at), desc(packageLedger.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return {
    count,
    results: rows.map((r) => ({
      id: r.id,
      client_package: r.clientPackageId,
      booking: r.bookingId,
      delta: r.delta,
      reason: r.reason,
      balance_after: r.balanceAfter,
      at: r.at,
    })),
  };
}
