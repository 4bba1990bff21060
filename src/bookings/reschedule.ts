// Moving a booking: inside the trainer's schedule object, like creating one. The booking keeps
// its own service length and buffers (its stored occupied span) wherever it moves.
import { sql } from 'drizzle-orm';
import { isActiveStatus, scheduleVersionIs } from '../db/fragments';
import { bookings } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { conflict, invalid, notFound } from '../lib/problem';
import { heardOf, idsOf, planClientReschedule } from '../notifications/outbox';
import { occupiedSpan } from '../scheduling/slots';
import { checkOfferedSlot, checkSchedule, readForBooking, timeErrors } from './checks';
import { notifyTrainerOfReschedule } from './client-notices';
import { checkClientReschedule, classPlaceRefusal } from './client-reschedule';
import type { Outcome } from './outcome';
import { checkPackageAndWindow } from './pack-checks';
import { asTrainer, findBooking, isActive, iso } from './queries';
import type { BookingOut } from './schemas';
import {
  batchByName,
  cancelRemindersOfOldTime,
  occupancyFree,
  occupancyRefusal,
  type Row,
  retryOnScheduleChange,
  scheduleChanged,
  scheduleMoved,
} from './sql';

export interface RescheduleCommand {
  trainerId: number;
  bookingId: number;
  startTime: string | null;
  endTime: string | null;
  allowOutsideAvailability: boolean;
  /**
   * A client through the manage link: only while the trainer allows it and before the cut-off,
   * only to an offered slot, and the trainer is told. Moving to the time it already has changes nothing.
   */
  byClient?: boolean;
  /**
   * Statements the caller needs in the move's own batch, after it (staff's audit row), as plain
   * SQL text and values since they cross RPC; each guards itself on the move having happened.
   */
  also?: PlainStatement[];
}

/** A SQL statement as plain data (text with `?` placeholders and its values). */
export interface PlainStatement {
  sql: string;
  params: (string | number | null)[];
}

/** Reads and checks the schedule for moving `current` to [start, end); the trainer and the booking's own service timing. */
async function checkMove(
  db: Db,
  cmd: RescheduleCommand,
  current: BookingOut,
  { start, end, now }: { start: number; end: number; now: number },
) {
  const read = await readForBooking(
    db,
    {
      trainerId: cmd.trainerId,
      client: { id: current.client },
      serviceId: current.service,
      packageId: current.client_package,
      pickPackage: false,
      session: null,
      idempotency: null,
    },
    { start, end, excludeId: cmd.bookingId, now },
  );
  const { trainer: t, service } = read;
  if (!t || !service) throw notFound('Trainer not found.');
  if (cmd.byClient) checkClientReschedule(t, current, now);
  // The booking keeps its pack, which must still be good on the new date (the read leaves this
  // booking's own reservation out of the pack's count); a client also keeps to the booking window.
  checkPackageAndWindow(t, read.pkg, start, now, cmd.byClient === true);
  checkSchedule(t, read, service, { start, end }, overBusy(cmd), cmd.byClient ? 'client' : 'trainer');
  if (cmd.byClient) checkOfferedSlot(t, read, service, { start, end }, now);
  return { t, service, scheduleVersion: read.scheduleVersion };
}

/** A trainer (or staff) moving with `allow_outside_availability`: windows and calendar busy time waived; never a client. */
const overBusy = (cmd: RescheduleCommand) => cmd.allowOutsideAvailability && !cmd.byClient;

/** Moves a booking, guarded by the schedule version its checks read, like `scheduleBooking`. */
export const rescheduleBooking = (db: Db, cmd: RescheduleCommand, now: number): Promise<Outcome> =>
  retryOnScheduleChange(() => rescheduleOnce(db, cmd, now));

async function rescheduleOnce(db: Db, cmd: RescheduleCommand, now: number): Promise<Outcome> {
  const viewer = asTrainer(cmd.trainerId);
  const nowIso = iso(now);
  const current = await findBooking(db, viewer, cmd.bookingId, nowIso);
  if (!isActive(current.status) && !cmd.byClient) {
    throw conflict(`A ${current.status} booking cannot be rescheduled.`, 'invalid_transition');
  }
  // A place keeps its class's time: to change class, cancel it and book a place in another.
  if (current.class_session !== null) {
    throw classPlaceRefusal();
  }
  const oldStart = Date.parse(current.start_time);
  const oldEnd = Date.parse(current.end_time);
  const start = cmd.startTime ? Date.parse(cmd.startTime) : oldStart;
  // Moving only the start keeps the length; moving only the end keeps the start.
  const end = cmd.endTime ? Date.parse(cmd.endTime) : cmd.startTime ? start + (oldEnd - oldStart) : oldEnd;
  // A client's second click (or a retry) to the time the booking already has: one change, not two.
  if (cmd.byClient && isActive(current.status) && start === oldStart && end === oldEnd) {
    return { ok: true, booking: current, replayed: true, notificationIds: [] };
  }
  const errors = timeErrors(start, end, now, { start: Boolean(cmd.startTime), end: Boolean(cmd.endTime) });
  if (Object.keys(errors).length) throw invalid(errors);

  const { t, service, scheduleVersion } = await checkMove(db, cmd, current, { start, end, now });

  // The booking keeps its own buffers wherever it moves.
  const occupied = occupiedSpan(start, end, service);
  const span = {
    trainerId: cmd.trainerId,
    start: iso(occupied.start),
    end: iso(occupied.end),
    excludeId: cmd.bookingId,
  };
  const moved = sql`EXISTS (SELECT 1 FROM ${bookings} b WHERE b.id = ${cmd.bookingId}
    AND b.start_time = ${iso(start)} AND b.updated_at = ${nowIso})`;
  const results = await batchByName(db, {
    move: statement(
      db,
      sql`
    UPDATE ${bookings} SET start_time = ${iso(start)}, end_time = ${iso(end)}, updated_at = ${nowIso},
      occupied_start = ${span.start}, occupied_end = ${span.end},
      sequence = sequence + (CASE WHEN start_time = ${iso(start)} AND end_time = ${iso(end)} THEN 0 ELSE 1 END)
    WHERE id = ${cmd.bookingId} AND trainer_id = ${cmd.trainerId} AND ${isActiveStatus(sql`status`)}
      AND ${occupancyFree(span, overBusy(cmd))} AND ${scheduleVersionIs(cmd.trainerId, scheduleVersion)}
    RETURNING id`,
    ),
    cancelOldReminders: cancelRemindersOfOldTime(db, { bookingId: cmd.bookingId, newStart: iso(start), now: nowIso }),
    notifyTrainer: cmd.byClient
      ? notifyTrainerOfReschedule(db, { t, booking: current, newStart: iso(start), now: nowIso, moved })
      : null,
    // The client hears of a new time, start or end (whoever changed it: their calendar holds both);
    // no change says nothing, and neither does moving a trainer's booking nobody confirmed: the
    // client has not heard of it yet.
    notifyClient:
      start === oldStart && end === oldEnd
        ? null
        : planClientReschedule(db, {
            bookingId: cmd.bookingId,
            previous: { start: current.start_time, end: current.end_time },
            now: nowIso,
            moved: sql`b.start_time = ${iso(start)} AND b.end_time = ${iso(end)} AND b.updated_at = ${nowIso}
              AND (b.status <> 'pending' OR b.source = 'public' OR ${cmd.byClient ? sql`1` : heardOf()})`,
          }),
    ...Object.fromEntries((cmd.also ?? []).map((q, i) => [`also${i}`, db.$client.prepare(q.sql).bind(...q.params)])),
  });
  if (!results.move?.results[0]) throw await moveRefusal(db, cmd, span, scheduleVersion, nowIso);
  const notified = [results.notifyTrainer, results.notifyClient].filter((r): r is D1Result<Row> => !!r);
  return {
    ok: true,
    booking: await findBooking(db, viewer, cmd.bookingId, nowIso),
    replayed: false,
    notificationIds: idsOf(notified),
  };
}

/** Why the guarded move wrote nothing: the schedule changed, the booking left the active states, or the time is taken. */
async function moveRefusal(
  db: Db,
  cmd: RescheduleCommand,
  span: { start: string; end: string },
  scheduleVersion: number,
  nowIso: string,
) {
  if (await scheduleMoved(db, cmd.trainerId, scheduleVersion)) return scheduleChanged();
  // Cancelled (or completed) since the read, by a request that does not pass this object.
  const { status } = await findBooking(db, asTrainer(cmd.trainerId), cmd.bookingId, nowIso);
  if (!isActive(status)) {
    const code = cmd.byClient ? 'reschedule_not_allowed' : 'invalid_transition';
    return conflict(`A ${status} booking cannot be rescheduled.`, code);
  }
  return occupancyRefusal(db, {
    trainerId: cmd.trainerId,
    spans: [[span.start, span.end]],
    excludeId: cmd.bookingId,
    busyCounts: !overBusy(cmd),
    who: cmd.byClient ? 'client' : 'trainer',
  });
}
