// The commands that change a trainer's occupancy. They run inside the trainer's schedule
// object (one at a time), with `now` taken from the command the Worker sent.
import { and, eq, sql } from 'drizzle-orm';
import { isActiveStatus, packageCoversService, reservedCredits } from '../db/fragments';
import { bookingLinks, bookings, clientPackages, clients, idempotencyKeys } from '../db/schema';
import { MINUTE_MS } from '../lib/calendar';
import { type Db, isUniqueViolation, statement } from '../lib/db';
import type { Idempotency } from '../lib/idempotency';
import { sortKey } from '../lib/names';
import { ApiError, conflict, invalid, notFound, unauthorized } from '../lib/problem';
import { idsOf } from '../notifications/outbox';
import { missingService, type ServiceTiming } from '../scheduling/service';
import { occupiedSpan } from '../scheduling/slots';
import {
  type BookingClient,
  type BookingTrainer,
  checkOfferedSlot,
  checkSchedule,
  MAX_BOOKING_MINUTES,
  readForBooking,
  timeErrors,
} from './checks';
import { notifyClientOfBooking, notifyTrainerOfRequest } from './client-notices';
import type { Outcome } from './outcome';
import { checkPackageAndWindow, PICK_RETRIES, pickPackage } from './pack-checks';
import { asTrainer, findBooking, iso, toBookingOut } from './queries';
import type { BookingOut } from './schemas';
import {
  type Audience,
  batchByName,
  clientIdByEmailSql,
  guardedInsert,
  occupancyRefusal,
  type Row,
  retryOnScheduleChange,
  type SessionToCheck,
  scheduleChanged,
  scheduleMoved,
  sessionValid,
} from './sql';

export type { SessionToCheck } from './sql';

/** A client a public form names: found by email, or created; an existing one is never overwritten. */
export interface ClientByEmail {
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
}

export interface CreateBookingCommand {
  trainerId: number;
  client: { id: number } | ClientByEmail;
  /** The service booked; null: the trainer's default. Public requests may name only public, active ones. */
  serviceId: number | null;
  startTime: string;
  endTime: string | null;
  notes: string;
  clientPackageId: number | null;
  /**
   * With no `clientPackageId`: pay with the client's pack that expires first among those that
   * cover the service and have a credit left, if any (web bookings; a trainer names the pack).
   */
  pickPackage: boolean;
  /** The booking page picks by a typed email, which proves nothing (see `bookings.pack_by_email`). */
  pickedByEmail?: boolean;
  allowOutsideAvailability: boolean;
  /**
   * Public bookings must start at a slot the public availability offers (its grid, minimum
   * notice, horizon, breaks, buffers); a trainer may book any future time.
   */
  enforceBookingWindow: boolean;
  status: 'pending' | 'confirmed';
  idempotency: Idempotency | null;
  /** A trainer's session whose row is still to be checked (see requireTrainerClaim); null when checked or public. */
  session: SessionToCheck | null;
  /** The manage link: SHA-256 of its token (for lookup) and the salt it is derived from (for messages). */
  manageLink: { tokenHash: string; salt: string } | null;
  /** Who books: the public page (its unconfirmed requests expire) or the trainer. */
  source: 'public' | 'trainer';
  /** The client's IANA zone for their messages; '' = the trainer's. */
  clientTimezone: string;
  /** Public requests tell the trainer and the client at once; a trainer's own booking waits for confirm. */
  notify: 'none' | 'public';
  /** A place in this class session (its time and service are the class's); absent or null: a private booking. */
  classSessionId?: number | null;
  /** A place in a full class joins its waitlist instead of a 409 `class_full`. */
  waitlist?: boolean;
}

/**
 * Creates a booking. Its write is guarded by the schedule version its checks read; a change of
 * windows, breaks, overrides or services in between makes it read and check once more
 * (`schedule_changed` if the schedule moved again).
 */
export const scheduleBooking = (db: Db, cmd: CreateBookingCommand, now: number): Promise<Outcome> =>
  retryOnScheduleChange(() => scheduleBookingOnce(db, cmd, now, PICK_RETRIES));

async function scheduleBookingOnce(db: Db, cmd: CreateBookingCommand, now: number, retries: number): Promise<Outcome> {
  const start = Date.parse(cmd.startTime);
  // Until the trainer row is read the default length is unknown; read with the longest.
  const provisionalEnd = cmd.endTime ? Date.parse(cmd.endTime) : start + MAX_BOOKING_MINUTES * MINUTE_MS;
  const read = await readForBooking(
    db,
    { ...cmd, packageId: cmd.clientPackageId, visitor: cmd.pickedByEmail === true },
    { start, end: provisionalEnd, excludeId: 0, now },
  );
  const { prior } = read;
  if (prior) {
    const booking: BookingOut = prior.responseBody
      ? JSON.parse(prior.responseBody)
      : await findBooking(db, asTrainer(cmd.trainerId), prior.resourceId ?? 0, iso(now));
    return { ok: true, booking, replayed: true, notificationIds: [] };
  }

  const { trainer: t, client, pkg, service } = read;
  if (!t) throw notFound('Trainer not found.');
  const end = cmd.endTime ? provisionalEnd : start + (service?.durationMinutes ?? 0) * MINUTE_MS;

  const errors = timeErrors(start, end, now, { start: true, end: Boolean(cmd.endTime) });
  if (!service?.isActive || (cmd.source === 'public' && !service.isPublic)) {
    errors.service = [missingService(cmd.serviceId !== null, cmd.source === 'public')];
    // Without a service there is no length to judge the end by.
    if (!cmd.endTime) delete errors.end_time;
  } else if ((service.capacity ?? 1) > 1) {
    errors.service = ['This service is a class: book a place in one of its sessions with `class_session`.'];
  }
  if (!client && 'id' in cmd.client) errors.client = ['Client not found.'];
  if (cmd.clientPackageId !== null && (!pkg || pkg.clientId !== client?.id)) {
    errors.client_package = ['Package not found for this client.'];
  }
  if (Object.keys(errors).length || !service) throw invalid(errors);
  checkPackageAndWindow(t, pkg, start, now, cmd.enforceBookingWindow);
  checkSchedule(t, read, service, { start, end }, cmd.allowOutsideAvailability, audienceOf(cmd));
  if (cmd.enforceBookingWindow) checkOfferedSlot(t, read, service, { start, end }, now);

  const newClient = 'email' in cmd.client && !client ? cmd.client : null;
  const picked = cmd.pickPackage && cmd.clientPackageId === null ? pickPackage(t, read.packs, start, now) : undefined;
  const clientPackageId = cmd.clientPackageId ?? picked?.id ?? null;
  const { scheduleVersion } = read;
  const checked: NewBooking = {
    cmd,
    t,
    client,
    newClient,
    service,
    start,
    end,
    clientPackageId,
    packByEmail: picked !== undefined && cmd.pickedByEmail === true,
    nowIso: iso(now),
    scheduleVersion,
  };
  const written = await writeBooking(db, checked);
  // The picked pack was spent elsewhere (use_session) after the read: decide again from a new read.
  if (!written) {
    if (await scheduleMoved(db, t.id, scheduleVersion)) throw scheduleChanged();
    if (picked && retries > 0) return scheduleBookingOnce(db, cmd, now, retries - 1);
    throw await refusalOf(db, checked);
  }
  const booking = await createdBookingOut(db, checked, written.id);
  const idem = cmd.idempotency;
  if (idem) {
    await db
      .update(idempotencyKeys)
      .set({ responseBody: JSON.stringify(booking) })
      .where(and(eq(idempotencyKeys.scope, idem.scope), eq(idempotencyKeys.key, idem.key)));
  }
  return { ok: true, booking, replayed: false, notificationIds: written.notificationIds };
}

/** A new booking, checked and about to be written. */
export interface NewBooking {
  cmd: CreateBookingCommand;
  t: BookingTrainer;
  client: BookingClient | undefined;
  newClient: ClientByEmail | null;
  service: ServiceTiming;
  start: number;
  end: number;
  /** The pack it is paid with: the one named, or the one picked for a web booking. */
  clientPackageId: number | null;
  /** That pack was picked by a typed email (`CreateBookingCommand.pickedByEmail`). */
  packByEmail?: boolean;
  nowIso: string;
  /** The trainer's schedule version the checks read. */
  scheduleVersion: number;
  /** A place in a class session, and its status (a full class's waitlist: `waitlisted`). */
  place?: { classSessionId: number; status: 'pending' | 'confirmed' | 'waitlisted' };
}

/**
 * The write batch, each statement named: the guarded insert, and around it what exists only if
 * the booking went in (the new client, the idempotency record, the manage link, the messages).
 */
function bookingWrites(db: Db, b: NewBooking) {
  const { cmd, t, newClient, nowIso } = b;
  const clientIdSql = b.client ? sql`${b.client.id}` : clientIdByEmailSql(t.id, newClient?.email ?? '');
  // The booking this batch creates, found again by what makes it unique among active bookings.
  // A place: by its class and client (one place per client per class).
  const created = b.place
    ? sql`(SELECT id FROM ${bookings} WHERE class_session_id = ${b.place.classSessionId} AND client_id = ${clientIdSql}
        AND status IN ('pending', 'confirmed', 'waitlisted') AND created_at = ${nowIso})`
    : // A private booking: never a class place or a series occurrence made at the same instant.
      sql`(SELECT id FROM ${bookings} WHERE trainer_id = ${t.id} AND start_time = ${iso(b.start)}
    AND ${isActiveStatus(sql`status`)} AND created_at = ${nowIso} AND class_session_id IS NULL AND series_id IS NULL)`;
  const status = b.place?.status ?? cmd.status;
  const idem = cmd.idempotency;
  const occupied = occupiedSpan(b.start, b.end, b.service);
  // A waitlisted place: the trainer hears of it when it is promoted, not now.
  const notifies = cmd.notify === 'public' && status !== 'waitlisted';
  return {
    forgetExpiredKey:
      idem && statement(db, sql`DELETE FROM ${idempotencyKeys} WHERE scope = ${idem.scope} AND key = ${idem.key}`),
    addClient:
      newClient &&
      statement(
        db,
        sql`INSERT OR IGNORE INTO ${clients} (trainer_id, email, first_name, last_name, first_name_key, last_name_key,
            phone, created_at, updated_at)
          VALUES (${t.id}, ${newClient.email}, ${newClient.firstName}, ${newClient.lastName}, ${sortKey(newClient.firstName)},
            ${sortKey(newClient.lastName)}, ${newClient.phone}, ${nowIso}, ${nowIso})`,
      ),
    // The database itself refuses an overlap (or an overdrawn package), even if a second writer
    // ever slipped past the schedule object.
    insertBooking: guardedInsert(db, {
      trainerId: t.id,
      client: b.client ? { id: b.client.id } : { email: newClient?.email ?? '' },
      startTime: iso(b.start),
      endTime: iso(b.end),
      serviceId: b.service.id,
      status,
      notes: cmd.notes,
      clientPackageId: b.clientPackageId,
      packByEmail: b.packByEmail === true,
      source: cmd.source,
      clientTimezone: cmd.clientTimezone,
      occupied: { start: iso(occupied.start), end: iso(occupied.end) },
      overBusy: cmd.allowOutsideAvailability,
      session: cmd.session,
      now: nowIso,
      scheduleVersion: b.scheduleVersion,
      classSessionId: b.place?.classSessionId ?? null,
    }),
    rememberKey:
      idem &&
      statement(
        db,
        sql`INSERT INTO ${idempotencyKeys} (scope, key, request_hash, status_code, response_body, resource_id, created_at)
          SELECT ${idem.scope}, ${idem.key}, ${idem.hash}, 201, '', ${created}, ${nowIso} WHERE ${created} IS NOT NULL`,
      ),
    linkManageToken: cmd.manageLink
      ? statement(
          db,
          sql`INSERT INTO ${bookingLinks} (booking_id, token_hash, salt, created_at)
            SELECT ${created}, ${cmd.manageLink.tokenHash}, ${cmd.manageLink.salt}, ${nowIso} WHERE ${created} IS NOT NULL`,
        )
      : null,
    notifyTrainer: notifies ? notifyTrainerOfRequest(db, t.id, created, nowIso) : null,
    notifyClient: cmd.notify === 'public' ? notifyClientOfBooking(db, status, created, nowIso) : null,
  };
}

/**
 * Runs the write batch: the new booking's id and the messages it planned, or null when the guard
 * refused it for an overlap (a place: a full class) or an overdrawn or no longer valid package.
 */
export async function writeBooking(db: Db, b: NewBooking): Promise<{ id: number; notificationIds: number[] } | null> {
  let results: Partial<Record<keyof ReturnType<typeof bookingWrites>, D1Result<Row>>>;
  try {
    results = await batchByName(db, bookingWrites(db, b));
  } catch (err) {
    if (b.place && isUniqueViolation(err) && String(err).includes('class_session_id')) {
      throw conflict('This client already has a place in this class.', 'already_booked');
    }
    // Only a manage link derived from an Idempotency-Key reused after its 24 h can collide.
    if (isUniqueViolation(err)) {
      throw new ApiError(422, 'This Idempotency-Key was already used; send a new one.', {
        code: 'idempotency_key_reused',
      });
    }
    throw err;
  }
  const id = results.insertBooking?.results[0]?.id;
  if (id === undefined) {
    // Refused by the guard: an overlap, an overdrawn package, or a session revoked since the read.
    const { session } = b.cmd;
    if (session && !(await statement(db, sql`SELECT ${sessionValid(session, b.t.id, b.nowIso)} AS ok`).first('ok'))) {
      throw unauthorized('Invalid or expired token.');
    }
    return null;
  }
  const notified = [results.notifyTrainer, results.notifyClient].filter((r): r is D1Result<Row> => !!r);
  return { id, notificationIds: idsOf(notified) };
}

/** Why the guarded insert wrote nothing, as it is now: the package, else a full class, an overlap or calendar busy time. */
export async function refusalOf(db: Db, b: NewBooking): Promise<ApiError> {
  const pkg = b.clientPackageId;
  const now = pkg
    ? await statement(
        db,
        sql`SELECT ${packageCoversService(pkg, b.service.id)} AS covers,
          (SELECT sessions_remaining FROM ${clientPackages} WHERE id = ${pkg}) > ${reservedCredits(pkg)} AS credits`,
      ).first<{ covers: number; credits: number }>()
    : null;
  if (now && !now.covers) {
    return conflict('This package cannot be used for this service.', 'package_not_valid_for_service');
  }
  if (now && !now.credits) return conflict('This package has no sessions left to book.', 'package_exhausted');
  if (b.place) return conflict('This class is full.', 'class_full');
  const occupied = occupiedSpan(b.start, b.end, b.service);
  return occupancyRefusal(db, {
    trainerId: b.t.id,
    spans: [[iso(occupied.start), iso(occupied.end)]],
    excludeId: 0,
    busyCounts: !b.cmd.allowOutsideAvailability,
    who: audienceOf(b.cmd),
  });
}

/** A public request (the booking page, a client account) hears nothing of the trainer's own calendar. */
const audienceOf = (cmd: CreateBookingCommand): Audience => (cmd.source === 'public' ? 'client' : 'trainer');

/** The booking just written, shaped without reading it back (the client is read only if new). */
async function createdBookingOut(db: Db, b: NewBooking, id: number): Promise<BookingOut> {
  const { cmd, t, client, newClient, nowIso } = b;
  const occupied = occupiedSpan(b.start, b.end, b.service);
  const who = client ?? { firstName: newClient?.firstName, lastName: newClient?.lastName, email: newClient?.email };
  return toBookingOut(
    {
      booking: {
        id,
        trainerId: t.id,
        clientId: client?.id ?? (await clientIdByEmail(db, t.id, newClient?.email ?? '')),
        startTime: iso(b.start),
        endTime: iso(b.end),
        serviceId: b.service.id,
        occupiedStart: iso(occupied.start),
        occupiedEnd: iso(occupied.end),
        seriesId: null,
        classSessionId: null,
        status: cmd.status,
        notes: cmd.notes,
        cancellationReason: '',
        clientPackageId: b.clientPackageId,
        cancelledAt: null,
        lateCancellation: false,
        sequence: 0,
        clientTimezone: cmd.clientTimezone,
        source: cmd.source,
        waitlistOnly: false,
        packByEmail: b.packByEmail === true,
        createdAt: nowIso,
        updatedAt: nowIso,
      },
      clientName: [who.firstName, who.lastName].filter(Boolean).join(' ') || (who.email ?? ''),
      trainerName: t.name,
    },
    Date.parse(nowIso),
  );
}

async function clientIdByEmail(db: Db, trainerId: number, email: string): Promise<number> {
  const row = await db
    .select({ id: clients.id })
    .from(clients)
    .where(and(eq(clients.trainerId, trainerId), eq(clients.email, email)))
    .get();
  return row?.id ?? 0;
}
