// A trainer's breaks: whole local days, or the same wall-clock part of each day in a range.
import { and, asc, eq, sql } from 'drizzle-orm';
import { type TrainerBreak, trainerBreaks } from '../db/schema';
import type { Db } from '../lib/db';
import { type PageQuery, pageOffset } from '../lib/pagination';
import { invalid, notFound } from '../lib/problem';
import { type BreakInput, breakErrors } from './schemas';
import { withVersionBump } from './writes';

export const toBreakOut = (b: TrainerBreak) => ({
  id: b.id,
  start_date: b.startDate,
  end_date: b.endDate,
  start_time: b.startTime,
  end_time: b.endTime,
  reason: b.reason,
});

// ---- breaks ---------------------------------------------------------------------------

export async function listBreaks(db: Db, trainerId: number, q: PageQuery) {
  const where = eq(trainerBreaks.trainerId, trainerId);
  const [countRows, rows] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(trainerBreaks).where(where),
    db
      .select()
      .from(trainerBreaks)
      .where(where)
      .orderBy(asc(trainerBreaks.startDate), asc(trainerBreaks.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  return { count: countRows[0]?.n ?? 0, results: rows.map(toBreakOut) };
}

async function findBreak(db: Db, trainerId: number, id: number): Promise<TrainerBreak> {
  const row = await db
    .select()
    .from(trainerBreaks)
    .where(and(eq(trainerBreaks.id, id), eq(trainerBreaks.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Break not found.');
  return row;
}

export const getBreak = async (db: Db, trainerId: number, id: number) => toBreakOut(await findBreak(db, trainerId, id));

export async function createBreak(
  db: Db,
  trainerId: number,
  input: {
    start_date: string;
    end_date: string;
    start_time?: string | null;
    end_time?: string | null;
    reason?: string;
  },
) {
  const row = await withVersionBump(
    db,
    trainerBreaks,
    trainerId,
    db
      .insert(trainerBreaks)
      .values({
        trainerId,
        startDate: input.start_date,
        endDate: input.end_date,
        startTime: input.start_time ?? null,
        endTime: input.end_time ?? null,
        reason: input.reason ?? '',
      })
      .returning(),
  );
  return toBreakOut(row as TrainerBreak);
}

export async function updateBreak(db: Db, trainerId: number, id: number, input: BreakInput, now: string) {
  const current = await findBreak(db, trainerId, id);
  const next = {
    startDate: input.start_date ?? current.startDate,
    endDate: input.end_date ?? current.endDate,
    startTime: input.start_time === undefined ? current.startTime : input.start_time,
    endTime: input.end_time === undefined ? current.endTime : input.end_time,
    reason: input.reason ?? current.reason,
  };
  const errors = breakErrors(next);
  if (Object.keys(errors).length) throw invalid(errors);
  const row = await withVersionBump(
    db,
    trainerBreaks,
    trainerId,
    db
      .update(trainerBreaks)
      .set({ ...next, sequence: sql`${trainerBreaks.sequence} + 1`, updatedAt: now })
      .where(and(eq(trainerBreaks.id, id), eq(trainerBreaks.trainerId, trainerId)))
      .returning(),
  );
  return toBreakOut(row ?? { ...current, ...next });
}

export async function deleteBreak(db: Db, trainerId: number, id: number) {
  await findBreak(db, trainerId, id);
  await withVersionBump(
    db,
    trainerBreaks,
    trainerId,
    db.delete(trainerBreaks).where(and(eq(trainerBreaks.id, id), eq(trainerBreaks.trainerId, trainerId))),
  );
}
