// A standing series: every occurrence checked and written in one schedule-object call, one
// read and one D1 batch. Runs inside the trainer's schedule object, with `now` from the Worker.
import { type SQL, sql } from 'drizzle-orm';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { scheduleVersionIs } from '../db/fragments';
import { bookingLinks, bookingSeries, bookings, idempotencyKeys } from '../db/schema';
import { MINUTE_MS } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { forgetExpired, type Idempotency, rememberKey, saveResponse } from '../lib/idempotency';
import { invalid, notFound } from '../lib/problem';
import type { ServiceTiming } from '../scheduling/service';
import { occupiedSpan } from '../scheduling/slots';
import { type BookingPackage, type BookingTrainer, checkSchedule, readForBooking } from './checks';
import { checkPackageAndWindow } from './pack-checks';
import { iso } from './queries';
import { occurrenceConflicts } from './repeat';
import {
  batchByName,
  guardedInsert,
  occupancyRefusal,
  retryOnScheduleChange,
  scheduleChanged,
  scheduleMoved,
  seriesMadeAt,
} from './sql';

export type SeriesMode = 'skip_conflicts' | 'all_or_nothing';

/** Why an occurrence was not created. */
export type OccurrenceConflict =
  | 'booking_overlap'
  | 'outside_availability'
  | 'trainer_break'
  | 'calendar_busy'
  | 'package_exhausted'
  | 'package_expired'
  | 'nonexistent_local_time';

export interface CreateSeriesCommand {
  trainerId: number;
  clientId: number;
  /** null: the trainer's default service. */
  serviceId: number | null;
  clientPackageId: number | null;
  notes: string;
  mode: SeriesMode;
  /** Occurrences may fall outside the windows and on busy time of the trainer's calendars (never a break or a booking). */
  allowOutsideAvailability?: boolean;
  /** The repeat as stored on the series row. */
  rule: {
    weekdays: number[];
    intervalWeeks: number;
    count: number | null;
    until: string | null;
    firstStart: string;
    localTime: string;
    timezone: string;
  };
  /** The expanded occurrences (weeklyOccurrences): local date, and the instant or null (the clocks skip it). */
  occurrences: { date: string; start: string | null }[];
  /** One manage link per occurrence, in the same order. */
  links: { tokenHash: string; salt: string }[];
  /** The request's Idempotency-Key: a series made under it is answered again, never made twice. */
  idempotency?: Idempotency | null;
}

export interface OccurrenceResult {
  date: string;
  start_time: string | null;
  booking: number | null;
  conflict: OccurrenceConflict | null;
}

/**
 * The object's answer: plain data, so it crosses Durable Object RPC unchanged. `replayed`: the
 * series an earlier request with the same Idempotency-Key made, with its key's stored record as it
 * is (`answer`: '' or the occurrences this object kept, then the whole answer once the Worker saved
 * it; series/service.ts `createdAnswer` reads it).
 */
export type SeriesOutcome =
  | { ok: true; seriesId: number; occurrences: OccurrenceResult[]; replayed: boolean; answer: string | null }
  | {
      ok: false;
      status: ContentfulStatusCode;
      detail: string;
      code?: string;
      errors?: Record<string, string[]>;
      occurrences?: OccurrenceResult[];
    };

/** A refusal that lists the occurrences (all_or_nothing, or nothing could be created). */
const refusedSeries = (occurrences: OccurrenceResult[], detail: string): SeriesOutcome => ({
  ok: false,
  status: 409,
  detail,
  code: 'series_conflict',
  occurrences,
});

/**
 * Creates a series and its occurrences. Its write is guarded by the schedule version its checks
 * read; a schedule change in between makes it read and check once more (like a single booking).
 */
export const scheduleSeries = (db: Db, cmd: CreateSeriesCommand, now: number): Promise<SeriesOutcome> =>
  retryOnScheduleChange(() => scheduleSeriesOnce(db, cmd, now));

async function scheduleSeriesOnce(db: Db, cmd: CreateSeriesCommand, now: number): Promise<SeriesOutcome> {
  const starts = cmd.occurrences.flatMap((o) => (o.start ? [Date.parse(o.start)] : []));
  const first = starts[0] ?? now;
  const last = starts[starts.length - 1] ?? now;
  // One read over the whole span of the series: windows, overrides, breaks, bookings, package, service.
  const read = await readForBooking(
    db,
    {
      trainerId: cmd.trainerId,
      client: { id: cmd.clientId },
      serviceId: cmd.serviceId,
      packageId: cmd.clientPackageId,
      pickPackage: false,
      session: null,
      idempotency: cmd.idempotency ?? null,
    },
    { start: first, end: last + 24 * 60 * MINUTE_MS, excludeId: 0, now },
  );
  // Made before under this key (the same body, else priorOf's 422): that series again, nothing new.
  if (read.prior) {
    const seriesId = read.prior.resourceId ?? 0;
    return { ok: true, seriesId, occurrences: [], replayed: true, answer: read.prior.responseBody };
  }
  const { trainer: t, client, pkg, service } = read;
  if (!t) throw notFound('Trainer not found.');
  const errors: Record<string, string[]> = {};
  if (!service?.isActive) {
    errors.service = [cmd.serviceId === null ? 'The trainer has no default service.' : 'No such service is offered.'];
  } else if ((service.capacity ?? 1) > 1) {
    errors.service = ['This service is a class: schedule class sessions and book places in them.'];
  }
  if (!client) errors.client = ['Client not found.'];
  if (cmd.clientPackageId !== null && (!pkg || pkg.clientId !== client?.id)) {
    errors.client_package = ['Package not found for this client.'];
  }
  if (Object.keys(errors).length || !service) throw invalid(errors);

  const checked = checkOccurrences(t, read, service, pkg, cmd.occurrences, now, cmd.allowOutsideAvailability);
  const accepted = checked.filter((o) => o.conflict === null);
  if (!accepted.length) return refusedSeries(checked, 'No occurrence of this series can be booked.');
  if (cmd.mode === 'all_or_nothing' && accepted.length < checked.length) {
    return refusedSeries(checked, 'Some occurrences cannot be booked; nothing was stored.');
  }
  return writeSeries(db, { cmd, t, service, checked, nowIso: iso(now), scheduleVersion: read.scheduleVersion });
}

type Read = Awaited<ReturnType<typeof readForBooking>>;

/**
 * Each occurrence against the same pure checks as a single booking (package, then schedule);
 * occurrences accepted earlier count as busy (a series never overlaps itself) and as reserved
 * credits (a pack is never overdrawn).
 */
function checkOccurrences(
  t: BookingTrainer,
  read: Read,
  service: ServiceTiming,
  pkg: BookingPackage | undefined,
  occurrences: CreateSeriesCommand['occurrences'],
  now: number,
  allowOutside: boolean | undefined,
): OccurrenceResult[] {
  const conflicts = occurrenceConflicts(
    occurrences.map((o) => (o.start === null ? null : Date.parse(o.start))),
    service,
    (span, taken) => {
      checkPackageAndWindow(t, pkg && { ...pkg, reserved: pkg.reserved + taken.length }, span.start, now, false);
      checkSchedule(t, { ...read, busy: [...read.busy, ...taken] }, service, span, !!allowOutside, 'trainer');
    },
  );
  return occurrences.map((o, i) => ({
    date: o.date,
    start_time: o.start,
    booking: null,
    conflict: (conflicts[i] ?? null) as OccurrenceConflict | null,
  }));
}

interface NewSeries {
  cmd: CreateSeriesCommand;
  t: BookingTrainer;
  service: ServiceTiming & { id: number };
  checked: OccurrenceResult[];
  nowIso: string;
  scheduleVersion: number;
}

/**
 * ONE batch: the series row, every accepted occurrence through the guarded insert (each one
 * refused by the guard simply is not created), its manage link, and at the end the undo: in
 * all_or_nothing mode, when fewer occurrences went in than were accepted, the statements that
 * delete what this batch wrote (links, bookings); in both modes the series row goes when it has
 * no occurrence. A compensating delete in the same batch rather than a failing statement, so a
 * refusal is an answer read from the results, never an exception to tell apart from a real one.
 */
async function writeSeries(db: Db, s: NewSeries): Promise<SeriesOutcome> {
  const { cmd, t, nowIso } = s;
  // The series this batch creates; NULL when its insert was refused, never an earlier series of the
  // same instant, which the undo steps would otherwise delete.
  const seriesId = seriesMadeAt(t.id, nowIso, s.scheduleVersion);
  const idem = cmd.idempotency ?? null;
  const steps: Record<string, D1PreparedStatement> = {};
  // A record of this key older than 24 h goes (a live one was found by the read, in this object).
  if (idem) steps.forgetKey = statement(db, forgetExpired(idem, nowIso));
  steps.series = insertSeries(db, s);
  if (idem) {
    const guard = sql`${seriesId} IS NOT NULL`;
    steps.rememberKey = statement(db, rememberKey(idem, { statusCode: 201, resourceId: seriesId, guard, nowIso }));
  }
  const accepted = s.checked.flatMap((o, i) => (o.conflict === null && o.start_time ? [{ o, i }] : []));
  for (const { o, i } of accepted) {
    steps[`occurrence${i}`] = insertOccurrence(db, s, o.start_time as string);
    const link = cmd.links[i];
    if (link) {
      steps[`link${i}`] = statement(
        db,
        sql`INSERT INTO ${bookingLinks} (booking_id, token_hash, salt, created_at)
          SELECT id, ${link.tokenHash}, ${link.salt}, ${nowIso} FROM ${bookings}
          WHERE series_id = ${seriesId} AND start_time = ${o.start_time} AND created_at = ${nowIso}`,
      );
    }
  }
  Object.assign(steps, undoSteps(db, seriesId, cmd.mode === 'all_or_nothing' ? accepted.length : 0));
  // The key is kept only with the series it names (the undo may have removed it).
  if (idem) steps.dropKey = statement(db, dropOrphanKey(idem));
  const results = await batchByName(db, steps);
  const id = results.series?.results[0]?.id;
  const ids = new Map(accepted.map(({ i }) => [i, results[`occurrence${i}`]?.results[0]?.id]));
  const refused = [...ids.values()].filter((x) => x === undefined).length;
  if (id === undefined || refused === accepted.length || (cmd.mode === 'all_or_nothing' && refused > 0)) {
    if (await scheduleMoved(db, t.id, s.scheduleVersion)) throw scheduleChanged();
  }
  const occurrences = await Promise.all(
    s.checked.map(async (o, i): Promise<OccurrenceResult> => {
      if (o.conflict !== null) return o;
      const booking = ids.get(i);
      return booking === undefined
        ? { ...o, conflict: await guardRefusal(db, s, o.start_time as string) }
        : { ...o, booking };
    }),
  );
  if (id === undefined || refused === accepted.length) {
    return refusedSeries(occurrences, 'No occurrence of this series can be booked.');
  }
  if (cmd.mode === 'all_or_nothing' && refused > 0) {
    return refusedSeries(occurrences, 'Some occurrences cannot be booked; nothing was stored.');
  }
  // A retry with the key, served by this object before the Worker stores the whole answer, needs them.
  if (idem) await statement(db, saveResponse(idem, { occurrences })).run();
  return { ok: true, seriesId: id, occurrences, replayed: false, answer: null };
}

/** Removes this key's record when the series it names is not there (the batch's undo removed it). */
const dropOrphanKey = (idem: Idempotency) =>
  sql`DELETE FROM ${idempotencyKeys} WHERE scope = ${idem.scope} AND key = ${idem.key}
    AND NOT EXISTS (SELECT 1 FROM ${bookingSeries} s WHERE s.id = ${idempotencyKeys}.resource_id)`;

/** Why the guard refused an occurrence the checks accepted: a booking or class since, else calendar busy time. */
async function guardRefusal(db: Db, s: NewSeries, startIso: string): Promise<OccurrenceConflict> {
  const start = Date.parse(startIso);
  const occupied = occupiedSpan(start, start + s.service.durationMinutes * MINUTE_MS, s.service);
  const refusal = await occupancyRefusal(db, {
    trainerId: s.t.id,
    spans: [[iso(occupied.start), iso(occupied.end)]],
    excludeId: 0,
    busyCounts: !s.cmd.allowOutsideAvailability,
    who: 'trainer',
  });
  return refusal.extra.code === 'calendar_busy' ? 'calendar_busy' : 'booking_overlap';
}

const insertSeries = (db: Db, { cmd, t, service, nowIso, scheduleVersion }: NewSeries) => {
  const r = cmd.rule;
  return statement(
    db,
    sql`INSERT INTO ${bookingSeries} (trainer_id, client_id, service_id, weekdays, interval_weeks, count, until,
        first_start, local_time, timezone, client_package_id, notes, created_at, updated_at)
      SELECT ${t.id}, ${cmd.clientId}, ${service.id}, ${JSON.stringify(r.weekdays)}, ${r.intervalWeeks}, ${r.count},
        ${r.until}, ${r.firstStart}, ${r.localTime}, ${r.timezone}, ${cmd.clientPackageId}, ${cmd.notes}, ${nowIso}, ${nowIso}
      WHERE ${scheduleVersionIs(t.id, scheduleVersion)}
      RETURNING id`,
  );
};

function insertOccurrence(db: Db, s: NewSeries, startIso: string) {
  const start = Date.parse(startIso);
  const end = start + s.service.durationMinutes * MINUTE_MS;
  const occupied = occupiedSpan(start, end, s.service);
  return guardedInsert(db, {
    trainerId: s.t.id,
    client: { id: s.cmd.clientId },
    startTime: startIso,
    endTime: iso(end),
    serviceId: s.service.id,
    // A trainer's own booking waits for the confirm, as a single one does.
    status: 'pending',
    notes: s.cmd.notes,
    clientPackageId: s.cmd.clientPackageId,
    source: 'trainer',
    clientTimezone: '',
    occupied: { start: iso(occupied.start), end: iso(occupied.end) },
    overBusy: !!s.cmd.allowOutsideAvailability,
    session: null,
    now: s.nowIso,
    scheduleVersion: s.scheduleVersion,
    inSeries: true,
  });
}

/**
 * The end of the batch: with `expected` > 0 (all_or_nothing), the series' links and bookings are
 * deleted when fewer than `expected` went in; then the series row, if it has no occurrence left.
 */
function undoSteps(db: Db, seriesId: SQL, expected: number): Record<string, D1PreparedStatement> {
  const short = sql`(SELECT count(*) FROM ${bookings} WHERE series_id = ${seriesId}) < ${expected}`;
  const steps: Record<string, D1PreparedStatement> = {};
  if (expected > 0) {
    steps.undoLinks = statement(
      db,
      sql`DELETE FROM ${bookingLinks} WHERE ${short}
        AND booking_id IN (SELECT id FROM ${bookings} WHERE series_id = ${seriesId})`,
    );
    steps.undoBookings = statement(db, sql`DELETE FROM ${bookings} WHERE series_id = ${seriesId} AND ${short}`);
  }
  steps.undoSeries = statement(
    db,
    sql`DELETE FROM ${bookingSeries} WHERE id = ${seriesId}
      AND NOT EXISTS (SELECT 1 FROM ${bookings} WHERE series_id = ${seriesId})`,
  );
  return steps;
}
