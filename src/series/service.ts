// Standing series: the repeat checked and expanded (in the trainer's zone), and the read model.
import { and, asc, desc, eq } from 'drizzle-orm';
import { seriesBookings } from '../bookings/queries';
import { planRepeat } from '../bookings/repeat';
import type { CreateSeriesCommand, OccurrenceResult } from '../bookings/schedule-object';
import { type BookingSeries, bookingSeries } from '../db/schema';
import { localTime } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { type Idempotency, saveResponse } from '../lib/idempotency';
import { countedPage, pageOffset } from '../lib/pagination';
import { type FieldErrors, invalid, notFound } from '../lib/problem';
import type { SeriesCreated, SeriesCreateInput, SeriesListQuery, SeriesOut } from './schemas';

/** The command's repeat and occurrences, or a 400 naming every bad field. */
export function planSeries(
  trainer: { id: number; timezone: string },
  body: SeriesCreateInput,
  now: string,
): Pick<CreateSeriesCommand, 'rule' | 'occurrences'> {
  const tz = trainer.timezone;
  const start = Date.parse(body.start_time);
  const { count, until } = body.repeat;
  const intervalWeeks = body.repeat.interval_weeks ?? 1;
  const plan = planRepeat(start, tz, { weekdays: body.repeat.weekdays, intervalWeeks, count, until });
  const errors: FieldErrors = {};
  if (start <= Date.parse(now)) errors.start_time = ['Start time must be in the future.'];
  if ((count === undefined) === (until === undefined)) {
    errors.repeat = ['Give exactly one of count (1 to 52 occurrences) or until (a date).'];
  }
  Object.assign(errors, plan.errors);
  if (Object.keys(errors).length) throw invalid(errors);
  const rule = {
    weekdays: plan.weekdays,
    intervalWeeks,
    count: count ?? null,
    until: until ?? null,
    firstStart: body.start_time,
    localTime: localTime(start, tz),
    timezone: tz,
  };
  const occurrences = plan.occurrences.map((o) => ({
    date: o.date,
    start: o.start === null ? null : new Date(o.start).toISOString(),
  }));
  return { rule, occurrences };
}

export const toSeriesOut = (s: BookingSeries): SeriesOut => ({
  id: s.id,
  trainer: s.trainerId,
  client: s.clientId,
  service: s.serviceId,
  weekdays: s.weekdays,
  interval_weeks: s.intervalWeeks,
  count: s.count,
  until: s.until,
  first_start: s.firstStart,
  local_time: s.localTime,
  timezone: s.timezone,
  client_package: s.clientPackageId,
  notes: s.notes,
  cancelled_at: s.cancelledAt,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

/** One of the trainer's series (another trainer's answers 404, like a missing one). */
export async function findSeriesRow(db: Db, trainerId: number, id: number): Promise<BookingSeries> {
  const row = await db
    .select()
    .from(bookingSeries)
    .where(and(eq(bookingSeries.id, id), eq(bookingSeries.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Series not found.');
  return row;
}

/** A series with its occurrences (bookings), soonest first, as of `now` (ISO). */
export async function seriesDetail(db: Db, trainerId: number, id: number, now: string) {
  const row = await findSeriesRow(db, trainerId, id);
  return { ...toSeriesOut(row), bookings: await seriesBookings(db, trainerId, id, now) };
}

/** What the schedule object answered a create that went through: a new series or a replayed one. */
export interface SeriesMade {
  seriesId: number;
  occurrences: OccurrenceResult[];
  replayed: boolean;
  /** A replay's stored answer (JSON), or null: not stored yet, or a new series. */
  answer: string | null;
}

/**
 * The 201 body of a create: a replay answers the first request's stored answer (while that request
 * has not stored it yet, the series as it is with the occurrences it found); a new series is read
 * and, under an Idempotency-Key, stored for the replays.
 */
export async function createdAnswer(
  db: Db,
  trainerId: number,
  made: SeriesMade,
  idem: Idempotency | null,
  now: string,
): Promise<SeriesCreated> {
  if (made.replayed && made.answer) return JSON.parse(made.answer) as SeriesCreated;
  const body: SeriesCreated = {
    ...(await seriesDetail(db, trainerId, made.seriesId, now)),
    occurrences: made.occurrences,
  };
  if (idem && !made.replayed) await statement(db, saveResponse(idem, body)).run();
  return body;
}

/** A page of the trainer's series, newest first. */
export async function listSeries(db: Db, trainerId: number, q: SeriesListQuery) {
  const where = and(
    eq(bookingSeries.trainerId, trainerId),
    q.client ? eq(bookingSeries.clientId, q.client) : undefined,
  );
  const page = db
    .select()
    .from(bookingSeries)
    .where(where)
    .orderBy(desc(bookingSeries.createdAt), asc(bookingSeries.id))
    .limit(q.page_size)
    .offset(pageOffset(q));
  const { count, rows } = await countedPage(db, bookingSeries, where, page);
  return { count, results: rows.map(toSeriesOut) };
}
