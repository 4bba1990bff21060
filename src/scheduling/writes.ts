// Every write to a trainer's windows, breaks or overrides raises the trainer's schedule version
// in the same batch, so a booking checked against the old schedule is refused at its insert.
import { getTableColumns } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { bumpScheduleVersion } from '../db/fragments';
import { batchSteps, type Db } from '../lib/db';

/**
 * Runs `write` (an INSERT/UPDATE … RETURNING or a DELETE of `table`) and the version bump as
 * one batch; returns the row the write returned, typed as drizzle would, or undefined.
 */
export async function withVersionBump<T extends SQLiteTable>(
  db: Db,
  table: T,
  trainerId: number,
  write: { toSQL(): { sql: string; params: unknown[] } },
): Promise<T['$inferSelect'] | undefined> {
  const [written] = await batchSteps(db, [write, bumpScheduleVersion(trainerId)]);
  const raw = written?.results[0];
  if (!raw) return undefined;
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}
