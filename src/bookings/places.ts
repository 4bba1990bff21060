// A place in a class: a booking pointing at a class session. It takes the class's time and
// service and needs no free time of its own (the class session holds it); the class's free
// places decide, and a full class puts the client on its waitlist when asked.
import { and, eq, sql } from 'drizzle-orm';
import { activePlaces } from '../db/fragments';
import { bookings, classSessions, idempotencyKeys } from '../db/schema';
import { MINUTE_MS } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { conflict, type FieldErrors, invalid, notFound } from '../lib/problem';
import { waitlistOpen } from '../scheduling/slots';
import { type BookingTrainer, readForBooking } from './checks';
import type { CreateBookingCommand, NewBooking } from './commands';
import { refusalOf, writeBooking } from './commands';
import type { Outcome } from './outcome';
import { checkPackageAndWindow, PICK_RETRIES, pickPackage } from './pack-checks';
import { asTrainer, findBooking, iso } from './queries';
import type { BookingOut } from './schemas';
import { retryOnScheduleChange, scheduleChanged, scheduleMoved } from './sql';

/** A class session as a place's checks read it. */
interface PlaceClass {
  id: number;
  serviceId: number;
  startTime: string;
  endTime: string;
  occupiedStart: string;
  occupiedEnd: string;
  capacity: number;
  status: string;
  active: number;
  isPublic: boolean;
  mine: number;
}

/** Books a place (or joins the waitlist); the schedule-version guard re-checks once, like a booking. */
export const bookPlace = (db: Db, cmd: CreateBookingCommand, now: number): Promise<Outcome> =>
  retryOnScheduleChange(() => bookPlaceOnce(db, cmd, now, PICK_RETRIES));

async function readClass(db: Db, cmd: CreateBookingCommand, clientId: number | null): Promise<PlaceClass | null> {
  const mine = sql`(SELECT count(*) FROM ${bookings} m WHERE m.class_session_id = cs.id AND m.client_id = ${clientId ?? 0}
    AND m.status IN ('pending', 'confirmed', 'waitlisted'))`;
  const row = await statement(
    db,
    sql`SELECT cs.id, cs.service_id AS serviceId, cs.start_time AS startTime, cs.end_time AS endTime,
        cs.occupied_start AS occupiedStart, cs.occupied_end AS occupiedEnd, cs.capacity, cs.status,
        ${activePlaces(sql`cs.id`)} AS active, s.is_public AND s.is_active AS isPublic, ${mine} AS mine
      FROM ${classSessions} cs JOIN services s ON s.id = cs.service_id
      WHERE cs.id = ${cmd.classSessionId ?? 0} AND cs.trainer_id = ${cmd.trainerId}`,
  ).first<PlaceClass>();
  return row ?? null;
}

/**
 * A full class takes no more names on its waitlist once its start is within the trainer's
 * `waitlist_cutoff_hours` (`waitlistOpen`, as the availability lists it): 409 class_full.
 */
function checkWaitlistOpen(t: BookingTrainer, start: number, now: number) {
  const hours = t.waitlistCutoffHours;
  if (waitlistOpen(start, hours, now)) return;
  throw conflict(
    `This class is full, and its waitlist closed ${hours} ${hours === 1 ? 'hour' : 'hours'} before the start.`,
    'class_full',
  );
}

async function bookPlaceOnce(db: Db, cmd: CreateBookingCommand, now: number, retries: number): Promise<Outcome> {
  // Packs are judged for the class's service; a web booking naming none picks one, as for a private booking.
  const read = await readForBooking(
    db,
    { ...cmd, serviceId: null, packageId: cmd.clientPackageId, visitor: cmd.pickedByEmail === true },
    { start: now, end: now, excludeId: 0, now },
  );
  const { prior, trainer: t, client, pkg } = read;
  if (prior) {
    const booking: BookingOut = prior.responseBody
      ? JSON.parse(prior.responseBody)
      : await findBooking(db, asTrainer(cmd.trainerId), prior.resourceId ?? 0, iso(now));
    return { ok: true, booking, replayed: true, notificationIds: [] };
  }
  if (!t) throw notFound('Trainer not found.');
  const cls = await readClass(db, cmd, client?.id ?? null);
  const errors: FieldErrors = {};
  if (!cls || (cmd.source === 'public' && !cls.isPublic)) errors.class_session = ['No such class session.'];
  else if (cls.status !== 'scheduled') errors.class_session = ['This class session is cancelled.'];
  else if (Date.parse(cls.startTime) <= now) errors.class_session = ['This class session has already started.'];
  if (!client && 'id' in cmd.client) errors.client = ['Client not found.'];
  if (cmd.clientPackageId !== null && (!pkg || pkg.clientId !== client?.id)) {
    errors.client_package = ['Package not found for this client.'];
  }
  if (Object.keys(errors).length || !cls) throw invalid(errors);
  const start = Date.parse(cls.startTime);
  checkPackageAndWindow(t, pkg, start, now, cmd.enforceBookingWindow);
  if (cls.mine) throw conflict('This client already has a place in this class.', 'already_booked');
  const full = cls.active >= cls.capacity;
  if (full && !cmd.waitlist) throw conflict('This class is full.', 'class_full');
  if (full) checkWaitlistOpen(t, start, now);

  const end = Date.parse(cls.endTime);
  const minutes = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / MINUTE_MS);
  const service = {
    id: cls.serviceId,
    durationMinutes: minutes(cls.startTime, cls.endTime),
    bufferBeforeMinutes: minutes(cls.occupiedStart, cls.startTime),
    bufferAfterMinutes: minutes(cls.endTime, cls.occupiedEnd),
  };
  const newClient = 'email' in cmd.client && !client ? cmd.client : null;
  const picked = cmd.pickPackage && cmd.clientPackageId === null ? pickPackage(t, read.packs, start, now) : undefined;
  const checked: NewBooking = {
    cmd,
    t,
    client,
    newClient,
    service,
    start,
    end,
    clientPackageId: cmd.clientPackageId ?? picked?.id ?? null,
    packByEmail: picked !== undefined && cmd.pickedByEmail === true,
    nowIso: iso(now),
    scheduleVersion: read.scheduleVersion,
    place: { classSessionId: cls.id, status: full ? 'waitlisted' : cmd.status },
  };
  const written = await writeBooking(db, checked);
  if (!written) {
    if (await scheduleMoved(db, t.id, checked.scheduleVersion)) throw scheduleChanged();
    const refusal = await refusalOf(db, checked);
    // Asked with the waitlist, and the class's count moved since the read (a waitlisted insert
    // refused because a place freed, a cancel with nobody waiting written outside this object),
    // or the picked pack spent elsewhere since: read again and decide again, as a booking does.
    const moved = (cmd.waitlist && refusal.extra.code === 'class_full') || picked !== undefined;
    if (retries > 0 && moved) return bookPlaceOnce(db, cmd, now, retries - 1);
    throw refusal;
  }
  const booking = await findBooking(db, asTrainer(cmd.trainerId), written.id, iso(now));
  const idem = cmd.idempotency;
  if (idem) {
    await db
      .update(idempotencyKeys)
      .set({ responseBody: JSON.stringify(booking) })
      .where(and(eq(idempotencyKeys.scope, idem.scope), eq(idempotencyKeys.key, idem.key)));
  }
  return { ok: true, booking, replayed: false, notificationIds: written.notificationIds };
}
