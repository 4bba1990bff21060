// Schedule exceptions by date: an override replaces the weekly windows on one local date of
// the trainer's zone (no windows = closed). One per date per trainer; every write raises the
// trainer's schedule version in its own batch.
import { and, asc, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import { type AvailabilityOverride, availabilityOverrides } from '../db/schema';
import { type Db, isUniqueViolation } from '../lib/db';
import { pageOffset } from '../lib/pagination';
import { conflict, invalidField, notFound } from '../lib/problem';
import type { OverrideInput, OverrideListQuery } from './schemas';
import type { DateOverride } from './slots';
import { withVersionBump } from './writes';

export const toOverrideOut = (o: AvailabilityOverride) => ({
  id: o.id,
  date: o.date,
  windows: o.windows.map((w) => ({ start_time: w.start_time, end_time: w.end_time })),
  reason: o.reason,
});

/** The override columns of a schedule read (see `scheduleColumns`) as slot-math values. */
export function parseExceptions(row: { overrides: string; schedule_version: number | null }): {
  overrides: DateOverride[];
  scheduleVersion: number;
} {
  const rows = JSON.parse(row.overrides) as [string, { start_time: string; end_time: string }[]][];
  return {
    overrides: rows.map(([date, windows]) => ({
      date,
      windows: windows.map((w) => ({ startTime: w.start_time, endTime: w.end_time })),
    })),
    scheduleVersion: row.schedule_version ?? 0,
  };
}

export async function listOverrides(db: Db, trainerId: number, q: OverrideListQuery) {
  if (q.from && q.to && q.to < q.from) throw invalidField('to', 'to must not be before from.');
  const conditions: SQL[] = [eq(availabilityOverrides.trainerId, trainerId)];
  if (q.from) conditions.push(gte(availabilityOverrides.date, q.from));
  if (q.to) conditions.push(lte(availabilityOverrides.date, q.to));
  const where = and(...conditions);
  const [countRows, rows] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(availabilityOverrides).where(where),
    db
      .select()
      .from(availabilityOverrides)
      .where(where)
      .orderBy(asc(availabilityOverrides.date))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map(toOverrideOut) };
}

async function findOverride(db: Db, trainerId: number, id: number): Promise<AvailabilityOverride> {
  const row = await db
    .select()
    .from(availabilityOverrides)
    .where(and(eq(availabilityOverrides.id, id), eq(availabilityOverrides.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Availability override not found.');
  return row;
}

export const getOverride = async (db: Db, trainerId: number, id: number) =>
  toOverrideOut(await findOverride(db, trainerId, id));

/** A second override for a date the trainer already has one for: 409, naming the one to change. */
async function dateTaken(db: Db, trainerId: number, date: string) {
  const existing = await db
    .select({ id: availabilityOverrides.id })
    .from(availabilityOverrides)
    .where(and(eq(availabilityOverrides.trainerId, trainerId), eq(availabilityOverrides.date, date)))
    .get();
  return conflict(
    `There is already an override for ${date}${existing ? ` (id ${existing.id})` : ''}; change that one instead.`,
    'override_exists',
  );
}

/** Runs a write batch; one that would give a date a second override is a 409. */
async function oneOverridePerDate<T>(db: Db, trainerId: number, date: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw await dateTaken(db, trainerId, date);
    throw err;
  }
}

export async function createOverride(
  db: Db,
  trainerId: number,
  input: { date: string; windows: { start_time: string; end_time: string }[]; reason?: string },
) {
  const row = await oneOverridePerDate(db, trainerId, input.date, () =>
    withVersionBump(
      db,
      availabilityOverrides,
      trainerId,
      db
        .insert(availabilityOverrides)
        .values({ trainerId, date: input.date, windows: input.windows, reason: input.reason ?? '' })
        .returning(),
    ),
  );
  return toOverrideOut(row as AvailabilityOverride);
}

export async function updateOverride(db: Db, trainerId: number, id: number, input: OverrideInput, now: string) {
  const current = await findOverride(db, trainerId, id);
  const next = {
    date: input.date ?? current.date,
    windows: input.windows ?? current.windows,
    reason: input.reason ?? current.reason,
  };
  const row = await oneOverridePerDate(db, trainerId, next.date, () =>
    withVersionBump(
      db,
      availabilityOverrides,
      trainerId,
      db
        .update(availabilityOverrides)
        .set({ ...next, updatedAt: now })
        .where(and(eq(availabilityOverrides.id, id), eq(availabilityOverrides.trainerId, trainerId)))
        .returning(),
    ),
  );
  return toOverrideOut(row ?? { ...current, ...next });
}

export async function deleteOverride(db: Db, trainerId: number, id: number) {
  await findOverride(db, trainerId, id);
  await withVersionBump(
    db,
    availabilityOverrides,
    trainerId,
    db
      .delete(availabilityOverrides)
      .where(and(eq(availabilityOverrides.id, id), eq(availabilityOverrides.trainerId, trainerId))),
  );
}
