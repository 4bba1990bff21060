// A series confirmed or cancelled as a whole: every occurrence in one batch, one message listing them.
import { type SQL, sql } from 'drizzle-orm';
import { isLateCancel } from '../bookings/times';
import { consumeCredit } from '../bookings/transitions';
import { isActiveStatus } from '../db/fragments';
import { bookingSeries, bookings, trainers } from '../db/schema';
import { startOfDayMs } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { conflict, notFound } from '../lib/problem';
import { cancelPendingFor, dedupeKey, enqueue, idsOf, knownToClient, planForBooking } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { findSeriesRow, seriesDetail } from './service';

/** The database, the notification queue and now (ISO). */
export interface SeriesDeps {
  db: Db;
  queue: Queue<NotifyMessage>;
  now: string;
}

/**
 * The one client message of a series change (email, and SMS with a phone, as a single booking's
 * confirm and cancel send): its row points at the earliest occurrence `changed` selects (SQL
 * over `bookings`), and the message, rendered when sent, lists every such occurrence.
 */
function seriesMessage(
  db: Db,
  args: {
    seriesId: number;
    kind: 'series_confirmed' | 'series_cancelled';
    changed: SQL;
    now: string;
    listed?: number[];
  },
) {
  const first = sql`(SELECT id FROM ${bookings} WHERE series_id = ${args.seriesId} AND ${args.changed}
    ORDER BY start_time, id LIMIT 1)`;
  return planForBooking(db, {
    bookingId: first,
    kind: args.kind,
    now: args.now,
    guard: sql`1`,
    key: (channel) => dedupeKey({ series: args.seriesId, kind: args.kind, channel, at: args.now }),
    listed: args.listed,
  });
}

/** pending → confirmed for every pending occurrence, and ONE confirmation listing them (409 when none is pending). */
export async function confirmSeries({ db, queue, now }: SeriesDeps, trainerId: number, id: number) {
  await findSeriesRow(db, trainerId, id);
  const [changed, outbox] = await db.$client.batch<{ id: number }>([
    statement(
      db,
      sql`UPDATE ${bookings} SET status = 'confirmed', sequence = sequence + 1, updated_at = ${now}
        WHERE series_id = ${id} AND trainer_id = ${trainerId} AND status = 'pending' RETURNING id`,
    ),
    seriesMessage(db, {
      seriesId: id,
      kind: 'series_confirmed',
      changed: sql`status = 'confirmed' AND updated_at = ${now}`,
      now,
    }),
  ]);
  if (!changed?.results.length) {
    throw conflict('This series has no pending occurrence to confirm.', 'invalid_transition');
  }
  await enqueue(queue, idsOf(outbox ? [outbox] : []));
  return seriesDetail(db, trainerId, id, now);
}

interface Occurrence {
  id: number;
  status: 'pending' | 'confirmed';
  startTime: string;
  clientPackageId: number | null;
  /** 1: the client knows of it (knownToClient), so hears of its cancel. */
  known: number;
}

/**
 * Cancels every pending or confirmed occurrence from the local date `from` on (default: from
 * now), as the trainer's single cancel does each (late inside the late-cancel window: a
 * confirmed one then spends its pack credit; otherwise the credit is released), cancels their
 * unsent reminders, and writes ONE message listing the cancelled dates. The series itself is
 * marked cancelled once no occurrence from now on is left active. 409 when nothing is left to cancel.
 * Each occurrence is cancelled only as it was read (status and start): one confirmed or moved in
 * between is left as it is, never cancelled on a stale judgement of late or credit.
 */
export async function cancelSeries(
  { db, queue, now }: SeriesDeps,
  trainerId: number,
  id: number,
  body: { from?: string; reason?: string },
) {
  const series = await findSeriesRow(db, trainerId, id);
  const trainer = await db
    .select({ lateCancelHours: trainers.lateCancelHours })
    .from(trainers)
    .where(sql`id = ${trainerId}`)
    .get();
  if (!trainer) throw notFound('Trainer not found.');
  const nowMs = Date.parse(now);
  const bound = new Date(Math.max(nowMs, body.from ? startOfDayMs(body.from, series.timezone) : nowMs)).toISOString();
  const occurrences = await db.all<Occurrence>(sql`SELECT id, status, start_time AS startTime,
      client_package_id AS clientPackageId, ${knownToClient('bookings')} AS known FROM ${bookings}
    WHERE series_id = ${id} AND trainer_id = ${trainerId} AND ${isActiveStatus(sql`status`)} AND start_time >= ${bound}
    ORDER BY start_time`);
  if (!occurrences.length) {
    throw conflict('This series has no pending or confirmed occurrence left to cancel.', 'invalid_transition');
  }
  const cancelled = sql`b.status = 'cancelled' AND b.cancelled_at = ${now}`;
  const writes: D1PreparedStatement[] = [];
  for (const o of occurrences) {
    // A request never confirmed is declined, not cancelled late.
    const late = isLateCancel(o, trainer.lateCancelHours, nowMs);
    writes.push(
      statement(
        db,
        sql`UPDATE ${bookings} SET status = 'cancelled', cancellation_reason = ${body.reason ?? ''},
          cancelled_at = ${now}, late_cancellation = ${late ? 1 : 0}, sequence = sequence + 1, updated_at = ${now}
          WHERE id = ${o.id} AND status = ${o.status} AND start_time = ${o.startTime}`,
      ),
    );
    // A request the trainer never confirmed costs the client nothing, however late it is declined.
    if (late && o.clientPackageId !== null) {
      writes.push(...consumeCredit(db, o.clientPackageId, o.id, 'late_cancellation', now));
    }
    // Its unsent reminders and confirmation; never a series message (it speaks of the others too).
    const scope = sql`AND kind NOT IN ('booking_cancelled', 'series_confirmed', 'series_cancelled')`;
    writes.push(cancelPendingFor(db, { bookingId: o.id, now, guard: cancelled, scope }));
  }
  // The client hears of the cancel of what they knew of (an occurrence confirmed, or one they were
  // told of), and its message lists only those: a draft never announced stays unmentioned.
  const told = occurrences.filter((o) => o.known === 1).map((o) => o.id);
  const message = told.length
    ? seriesMessage(db, {
        seriesId: id,
        kind: 'series_cancelled',
        changed: sql`status = 'cancelled' AND cancelled_at = ${now}
          AND id IN (SELECT value FROM json_each(${JSON.stringify(told)}))`,
        now,
        listed: told,
      })
    : null;
  const closeSeries = statement(
    db,
    sql`UPDATE ${bookingSeries} SET cancelled_at = ${now}, updated_at = ${now}
      WHERE id = ${id} AND cancelled_at IS NULL AND NOT EXISTS (SELECT 1 FROM ${bookings}
        WHERE series_id = ${id} AND ${isActiveStatus(sql`status`)} AND start_time >= ${now})`,
  );
  const results = await db.$client.batch<{ id: number }>([...writes, ...(message ? [message] : []), closeSeries]);
  const outbox = message ? results[writes.length] : undefined;
  await enqueue(queue, idsOf(outbox ? [outbox] : []));
  return seriesDetail(db, trainerId, id, now);
}
