import { and, asc, desc, eq, getTableColumns, gte, isNull, or, type SQL, sql } from 'drizzle-orm';
import { reservedCredits } from '../db/fragments';
import {
  type ClientPackage,
  clientPackages,
  clients,
  type SessionPackage,
  sessionPackages,
  type Trainer,
  trainers,
} from '../db/schema';
import type { TrainerViewer, Viewer } from '../lib/auth';
import { addDays, localDate } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { checkAmount, checkPriceChange } from '../lib/fields';
import { DEFAULT_CURRENCY, formatCents } from '../lib/money';
import { clientName } from '../lib/names';
import { countedPage, type PageQuery, pageOffset } from '../lib/pagination';
import { conflict, invalidField, notFound } from '../lib/problem';
import { clientScope, findClient } from '../lib/scope';
import { checkServices, coveredServicesJson, parseIds, replaceServices } from './coverage';
import type { ClientPackageListQuery, ClientPackageOut, PackageInput } from './schemas';

/** A package with the ids of the services it covers (JSON; '[]' = every service). */
export type PackageRow = SessionPackage & { servicesJson: string };

const packageColumns = {
  ...getTableColumns(sessionPackages),
  servicesJson: coveredServicesJson(sql.raw('"session_packages"."id"')),
};

export const toPackageOut = (p: PackageRow) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  sessions_count: p.sessionsCount,
  price: formatCents(p.priceCents),
  currency: p.currency,
  validity_days: p.validityDays,
  is_active: p.isActive,
  services: parseIds(p.servicesJson),
  created_at: p.createdAt,
  updated_at: p.updatedAt,
});

// ---- the trainer's package catalogue ---------------------------------------------------

export async function listPackages(db: Db, trainerId: number, q: PageQuery & { is_active?: boolean }) {
  const where = and(
    eq(sessionPackages.trainerId, trainerId),
    q.is_active === undefined ? undefined : eq(sessionPackages.isActive, q.is_active),
  );
  const { count, rows } = await countedPage(
    db,
    sessionPackages,
    where,
    db
      .select(packageColumns)
      .from(sessionPackages)
      .where(where)
      .orderBy(asc(sessionPackages.name), asc(sessionPackages.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return { count, results: rows.map(toPackageOut) };
}

export async function findPackage(db: Db, trainerId: number, id: number): Promise<PackageRow> {
  const row = await db
    .select(packageColumns)
    .from(sessionPackages)
    .where(and(eq(sessionPackages.id, id), eq(sessionPackages.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Package not found.');
  return row;
}

function packageValues(input: PackageInput) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.sessions_count !== undefined && { sessionsCount: input.sessions_count }),
    ...(input.price !== undefined && { priceCents: input.price }),
    ...(input.currency !== undefined && { currency: input.currency }),
    ...(input.validity_days !== undefined && { validityDays: input.validity_days }),
    ...(input.is_active !== undefined && { isActive: input.is_active }),
  };
}

export async function createPackage(
  db: Db,
  trainerId: number,
  input: PackageInput & { name: string; sessions_count: number; price: number },
) {
  checkPriceChange(input, { priceCents: null, currency: DEFAULT_CURRENCY });
  await checkServices(db, trainerId, input.services);
  const insert = statement(
    db,
    db
      .insert(sessionPackages)
      .values({
        ...packageValues(input),
        name: input.name,
        sessionsCount: input.sessions_count,
        priceCents: input.price,
        trainerId,
      })
      .returning({ id: sessionPackages.id }),
  );
  // Inside the batch (one transaction) the trainer's newest package is the one just inserted.
  const created = sql`(SELECT max(id) FROM ${sessionPackages} WHERE trainer_id = ${trainerId})`;
  const [inserted] = await db.$client.batch<{ id: number }>([
    insert,
    ...(input.services?.length ? replaceServices(db, trainerId, created, input.services) : []),
  ]);
  return toPackageOut(await findPackage(db, trainerId, inserted?.results[0]?.id ?? 0));
}

export async function updatePackage(db: Db, trainerId: number, id: number, input: PackageInput, now: string) {
  const current = await findPackage(db, trainerId, id);
  checkPriceChange(input, current);
  await checkServices(db, trainerId, input.services, parseIds(current.servicesJson));
  const own = sql`(SELECT id FROM ${sessionPackages} WHERE id = ${id} AND trainer_id = ${trainerId})`;
  await db.$client.batch([
    statement(
      db,
      db
        .update(sessionPackages)
        .set({ ...packageValues(input), updatedAt: now })
        .where(and(eq(sessionPackages.id, id), eq(sessionPackages.trainerId, trainerId))),
    ),
    ...(input.services ? replaceServices(db, trainerId, own, input.services) : []),
  ]);
  return toPackageOut(await findPackage(db, trainerId, id));
}

export async function deletePackage(db: Db, trainerId: number, id: number) {
  await findPackage(db, trainerId, id);
  const result = await db.run(sql`
    DELETE FROM ${sessionPackages} WHERE id = ${id} AND trainer_id = ${trainerId}
      AND NOT EXISTS (SELECT 1 FROM ${clientPackages} WHERE session_package_id = ${id})`);
  if (result.meta.changes === 0) {
    throw conflict(
      'This package was sold to clients and cannot be deleted; set is_active to false instead.',
      'package_in_use',
    );
  }
}

// ---- client packages -------------------------------------------------------------------

// Names its table: drizzle leaves columns unqualified in single-table selects.
const clientPackageId = sql.raw('"client_packages"."id"');

/** Credits of the selected client package reserved by active bookings, leaving out one booking. */
export const reservedCount = (excludeBookingId = 0) => reservedCredits(clientPackageId, excludeBookingId);
const reserved = reservedCount();

const clientPackageColumns = {
  cp: clientPackages,
  clientName,
  packageName: sessionPackages.name,
  timezone: trainers.timezone,
  reserved,
  servicesJson: coveredServicesJson(clientPackages.sessionPackageId),
};

const selectClientPackages = (db: Db) =>
  db
    .select(clientPackageColumns)
    .from(clientPackages)
    .innerJoin(clients, eq(clients.id, clientPackages.clientId))
    .innerJoin(sessionPackages, eq(sessionPackages.id, clientPackages.sessionPackageId))
    .innerJoin(trainers, eq(trainers.id, clients.trainerId));

/** The trainer's local date at `now` (ISO instant). */
export const todayIn = (timeZone: string, now: string) => localDate(Date.parse(now), timeZone);

export type ClientPackageRow = {
  cp: ClientPackage;
  clientName: string;
  packageName: string;
  timezone: string;
  reserved: number;
  servicesJson: string;
};

/** A client package as shown at `now` (expiry is judged in its trainer's zone). */
export function toClientPackageOut(row: ClientPackageRow, now: string): ClientPackageOut {
  const { cp } = row;
  const isExpired = cp.expiryDate !== null && cp.expiryDate < todayIn(row.timezone, now);
  return {
    id: cp.id,
    client: cp.clientId,
    client_name: row.clientName,
    session_package: cp.sessionPackageId,
    package_name: row.packageName,
    services: parseIds(row.servicesJson),
    sessions_total: cp.sessionsTotal,
    sessions_remaining: cp.sessionsRemaining,
    sessions_reserved: row.reserved,
    sessions_available: Math.max(0, cp.sessionsRemaining - row.reserved),
    expiry_date: cp.expiryDate,
    is_expired: isExpired,
    is_active: cp.sessionsRemaining > 0 && !isExpired,
    price_paid: formatCents(cp.pricePaidCents),
    currency: cp.currency,
    purchased_at: cp.purchasedAt,
    refunded: cp.refundedCents === null ? null : formatCents(cp.refundedCents),
    refunded_at: cp.refundedAt,
    refund_reason: cp.refundReason,
  };
}

/** SQL for "sessions left and not expired" as of a local date. */
const activeAsOf = (localToday: string | SQL) =>
  and(
    sql`${clientPackages.sessionsRemaining} > 0`,
    or(isNull(clientPackages.expiryDate), gte(clientPackages.expiryDate, localToday)),
  );

export async function listClientPackages(
  db: Db,
  viewer: Viewer,
  timeZone: string,
  q: ClientPackageListQuery,
  now: string,
  packageId?: number,
) {
  const conditions: (SQL | undefined)[] = [clientScope(viewer)];
  if (packageId !== undefined) conditions.push(eq(clientPackages.sessionPackageId, packageId));
  if (q.client) conditions.push(eq(clientPackages.clientId, q.client));
  if (q.is_active !== undefined) {
    const active = activeAsOf(
      viewer.kind === 'trainer' ? todayIn(timeZone, now) : await todayPerTrainer(db, viewer.email, now),
    );
    conditions.push(q.is_active ? active : sql`not (${active})`);
  }
  const where = and(...conditions);
  const [countRows, rows] = await db.batch([
    db
      .select({ n: sql<number>`count(*)` })
      .from(clientPackages)
      .innerJoin(clients, eq(clients.id, clientPackages.clientId))
      .innerJoin(trainers, eq(trainers.id, clients.trainerId))
      .where(where),
    selectClientPackages(db)
      .where(where)
      .orderBy(desc(clientPackages.purchasedAt), desc(clientPackages.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map((r) => toClientPackageOut(r, now)) };
}

/**
 * A client user's records span trainers in different zones: "today" is each row's trainer's
 * local date, as a CASE over the (few) zones of the trainers that hold this email.
 */
async function todayPerTrainer(db: Db, email: string, now: string): Promise<SQL> {
  const zones = await db
    .selectDistinct({ tz: trainers.timezone })
    .from(clients)
    .innerJoin(trainers, eq(trainers.id, clients.trainerId))
    .where(eq(clients.email, email));
  if (!zones.length) return sql`${todayIn('UTC', now)}`;
  const cases = zones.map((z) => sql`WHEN ${z.tz} THEN ${todayIn(z.tz, now)}`);
  return sql`(CASE ${trainers.timezone} ${sql.join(cases, sql` `)} END)`;
}

/** The client's packages that still have sessions and have not expired, in its trainer's zone (for the client detail). */
export async function activePackagesOf(db: Db, clientId: number, now: string) {
  const rows = await selectClientPackages(db)
    .where(and(eq(clientPackages.clientId, clientId), sql`${clientPackages.sessionsRemaining} > 0`))
    .orderBy(asc(clientPackages.expiryDate), asc(clientPackages.id));
  return rows.map((r) => toClientPackageOut(r, now)).filter((p) => p.is_active);
}

/** The viewer's client package as stored, with what its answer shows beside it; 404 when not theirs. */
export async function findClientPackageRow(db: Db, viewer: Viewer, id: number): Promise<ClientPackageRow> {
  const row = await selectClientPackages(db)
    .where(and(eq(clientPackages.id, id), clientScope(viewer)))
    .get();
  if (!row) throw notFound('Client package not found.');
  return row;
}

export async function findClientPackage(db: Db, viewer: Viewer, id: number, now: string): Promise<ClientPackageOut> {
  return toClientPackageOut(await findClientPackageRow(db, viewer, id), now);
}

export async function assignToClient(
  db: Db,
  viewer: TrainerViewer,
  trainer: Trainer,
  packageId: number,
  input: { client_id: number; expiry_date?: string | null; price_paid?: number },
  now: string,
): Promise<ClientPackageOut> {
  const pkg = await findPackage(db, trainer.id, packageId);
  const client = await findClient(db, viewer, input.client_id);
  if (!pkg.isActive) throw conflict('This package is inactive and cannot be sold.', 'package_inactive');
  const localToday = todayIn(trainer.timezone, now);
  const expiry =
    input.expiry_date !== undefined
      ? input.expiry_date
      : pkg.validityDays !== null
        ? addDays(localToday, pkg.validityDays)
        : null;
  if (expiry !== null && expiry < localToday) throw invalidField('expiry_date', 'The expiry date is in the past.');
  checkAmount('price_paid', input.price_paid ?? null, pkg.currency);
  const row = await db
    .insert(clientPackages)
    .values({
      clientId: client.id,
      sessionPackageId: pkg.id,
      sessionsTotal: pkg.sessionsCount,
      sessionsRemaining: pkg.sessionsCount,
      expiryDate: expiry,
      pricePaidCents: input.price_paid ?? pkg.priceCents,
      currency: pkg.currency,
      purchasedAt: now,
    })
    .returning({ id: clientPackages.id })
    .get();
  return findClientPackage(db, viewer, row.id, now);
}
