// Which services a session package's credits may be spent on (`session_package_services`; no
// rows = every service). Bookings apply the rule through `packageCoversService` (db/fragments.ts).
import { type AnyColumn, and, eq, type SQL, sql } from 'drizzle-orm';
import { services, sessionPackageServices } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { type FieldErrors, invalid } from '../lib/problem';

/** The ids of the services a package covers, ascending, as a JSON array ('[]' = every service). */
export const coveredServicesJson = (sessionPackageId: SQL | AnyColumn): SQL<string> =>
  sql<string>`(SELECT json_group_array(service_id) FROM (SELECT ps.service_id FROM ${sessionPackageServices} ps
    WHERE ps.session_package_id = ${sessionPackageId} ORDER BY ps.service_id))`;

/** A package whose credits can still be spent: it covers every service, or one still active. */
export const coversAnActiveService = (sessionPackageId: SQL | AnyColumn): SQL =>
  sql`(NOT EXISTS (SELECT 1 FROM ${sessionPackageServices} ps WHERE ps.session_package_id = ${sessionPackageId})
    OR EXISTS (SELECT 1 FROM ${sessionPackageServices} ps JOIN ${services} s ON s.id = ps.service_id
      WHERE ps.session_package_id = ${sessionPackageId} AND s.is_active = 1))`;

export const parseIds = (json: string | null): number[] => (json ? (JSON.parse(json) as number[]) : []);

/**
 * 400 naming `services.N` for every id that is not one of the trainer's services, or names an
 * archived one the package does not cover already (`covered`): credits for a service nobody can
 * book would be sold and never spent. The ids go as one JSON parameter (a list may hold 100 ids,
 * D1 binds at most 100 values).
 */
export async function checkServices(db: Db, trainerId: number, ids: number[] | undefined, covered: number[] = []) {
  if (!ids?.length) return;
  const own = await db
    .select({ id: services.id, isActive: services.isActive })
    .from(services)
    .where(
      and(
        eq(services.trainerId, trainerId),
        sql`${services.id} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(ids)])}))`,
      ),
    );
  const active = new Map(own.map((s) => [s.id, s.isActive]));
  const errors: FieldErrors = {};
  ids.forEach((id, i) => {
    if (!active.has(id)) errors[`services.${i}`] = [`You have no service with id ${id}.`];
    else if (!active.get(id) && !covered.includes(id))
      errors[`services.${i}`] = [`Service ${id} is archived: nobody can book it, so a pack cannot newly cover it.`];
  });
  if (Object.keys(errors).length) throw invalid(errors);
}

/**
 * The statements that make the package's covered services exactly `ids` (for its write batch):
 * the old rows go, the trainer's own services among `ids` go in. `sessionPackageId` may be SQL
 * that finds the package inserted earlier in the same batch.
 */
export function replaceServices(db: Db, trainerId: number, sessionPackageId: SQL, ids: number[]) {
  return [
    statement(db, sql`DELETE FROM ${sessionPackageServices} WHERE session_package_id = ${sessionPackageId}`),
    statement(
      db,
      sql`INSERT INTO ${sessionPackageServices} (session_package_id, service_id)
        SELECT ${sessionPackageId}, s.id FROM ${services} s
        WHERE s.trainer_id = ${trainerId} AND s.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))
          AND ${sessionPackageId} IS NOT NULL`,
    ),
  ];
}
