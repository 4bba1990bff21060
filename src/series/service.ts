// Standing series: the repeat checked and expanded (in the trainer's zone), and the read model.
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { seriesBookings } from '../bookings/queries';
import { planRepeat } from '../bookings/repeat';
import type { CreateSeriesCommand, OccurrenceResult } from '../bookings/schedule-object';
import { repeatStartErrors } from '../bookings/times';
import { type BookingSeries, bookingSeries } from '../db/schema';
import { localDate, localTime } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { type Idempotency, priorColumn, priorOf, saveResponse, saveResponseOnce } from '../lib/idempotency';
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
  // null (as an answer shows the end not used) is absent.
  const count = body.repeat.count ?? undefined;
  const until = body.repeat.until ?? undefined;
  const intervalWeeks = body.repeat.interval_weeks ?? 1;
  const plan = planRepeat(start, tz, { weekdays: body.repeat.weekdays, intervalWeeks, count, until });
  const errors: FieldErrors = {};
  const last = Math.max(start, ...plan.occurrences.map((o) => o.start ?? start));
  Object.assign(errors, repeatStartErrors(start, last, Date.parse(now)));
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
  /** A replay's stored record (JSON: the occurrences the object kept, or the whole answer; '' when neither), null for a new series. */
  answer: string | null;
}

/** A stored answer, parsed: the whole 201 body once saved (it has an `id`), else what the object kept. */
function storedAnswer(stored: string | null): { id?: number; occurrences?: OccurrenceResult[] } {
  return stored ? (JSON.parse(stored) as { id?: number; occurrences?: OccurrenceResult[] }) : {};
}

/**
 * The 201 body of a create. A replay answers the first request's saved answer; while none is saved
 * (the first request has not saved it yet, or never did), the series as it is, with the
 * occurrences the object kept (else one per booking of the series), and that answer is saved for
 * every later replay, so they all agree from then on. A new series is read and, under an
 * Idempotency-Key, saved for the replays.
 */
export async function createdAnswer(
  db: Db,
  trainerId: number,
  made: SeriesMade,
  idem: Idempotency | null,
  now: string,
): Promise<SeriesCreated> {
  const stored = storedAnswer(made.answer);
  if (made.replayed && stored.id !== undefined) return stored as SeriesCreated;
  const detail = await seriesDetail(db, trainerId, made.seriesId, now);
  const kept = made.replayed ? stored.occurrences : made.occurrences;
  const occurrences = kept?.length
    ? kept
    : detail.bookings.map((b) => ({
        date: localDate(Date.parse(b.start_time), detail.timezone),
        start_time: b.start_time,
        booking: b.id,
        conflict: null,
      }));
  const body: SeriesCreated = { ...detail, occurrences };
  if (idem) await statement(db, made.replayed ? saveResponseOnce(idem, body) : saveResponse(idem, body)).run();
  return body;
}

/**
 * The series a request with this key made (the same body, else 422), answered again, or null when
 * the key made none. For a retry whose body no longer plans (its first start has passed since the
 * first request): the key answers before the body is checked, as the booking create's does.
 */
export async function replayedSeries(db: Db, trainerId: number, idem: Idempotency, now: string) {
  const row = await statement(db, sql`SELECT ${priorColumn(idem, now)} AS prior`).first<{ prior: string | null }>();
  const prior = priorOf(row?.prior ?? null, idem);
  if (!prior?.resourceId) return null;
  const made = { seriesId: prior.resourceId, occurrences: [], replayed: true, answer: prior.responseBody };
  return createdAnswer(db, trainerId, made, idem, now);
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
