import { and, asc, eq } from 'drizzle-orm';
import { bookAsClient, type ClientActionDeps, cancelAsClient, rescheduleAsClient } from '../bookings/client-actions';
import { checkClientMove, clientOptions } from '../bookings/client-reschedule';
import { asTrainer, findBooking } from '../bookings/queries';
import type { ScheduleNamespace } from '../bookings/schedule-object';
import type { ClientCancelInput } from '../bookings/schemas';
import { clientFeedUrls, type FeedUrls } from '../calendar/feed';
import { trainerOfSlug } from '../db/fragments';
import {
  bookingLinks,
  bookings,
  clientPackages,
  clients,
  services,
  sessionPackages,
  type Trainer,
  trainers,
  users,
} from '../db/schema';
import { MINUTE_MS } from '../lib/calendar';
import type { CalendarConfig } from '../lib/config';
import type { Db } from '../lib/db';
import { idempotencyOf, isReplay } from '../lib/idempotency';
import { formatCents } from '../lib/money';
import { trainerName } from '../lib/names';
import { conflict, notFound } from '../lib/problem';
import { ADDRESS, enforce, RATE_POLICIES } from '../lib/ratelimit';
import { formatSpan } from '../lib/time';
import { randomToken, sha256Hex } from '../lib/tokens';
import { addressOf, bookingIcs } from '../notifications/calendar';
import { placeLine, placeOf, serviceNameOf } from '../notifications/location';
import type { NotifyMessage } from '../notifications/types';
import { coversAnActiveService } from '../packages/coverage';
import { getAvailableTimes } from '../scheduling/service';
import { publicServices } from '../services/service';
import { type AvailabilityQuery, publicSpan } from './availability';
import type { PublicBookingInput } from './schemas';

const displayName = trainerName('Your trainer');

export async function trainerBySlug(db: Db, slug: string): Promise<{ trainer: Trainer; name: string }> {
  const row = await db
    .select({ trainer: trainers, name: displayName })
    .from(trainers)
    .innerJoin(users, eq(users.id, trainers.userId))
    .where(trainerOfSlug(slug.toLowerCase()))
    .get();
  if (!row) throw notFound('No trainer with that name.');
  return row;
}

/** What a visitor may know of a trainer: no emails, no trainer id; services with the id a booking names. */
export async function publicProfile(db: Db, slug: string) {
  const { trainer, name } = await trainerBySlug(db, slug);
  const [packages, offered] = await Promise.all([
    db
      .select()
      .from(sessionPackages)
      .where(
        and(
          eq(sessionPackages.trainerId, trainer.id),
          eq(sessionPackages.isActive, true),
          // One for archived services only could not be used: not on offer.
          coversAnActiveService(sessionPackages.id),
        ),
      )
      .orderBy(asc(sessionPackages.priceCents), asc(sessionPackages.id)),
    publicServices(db, trainer.id),
  ]);
  return {
    business_name: name,
    slug: trainer.slug,
    timezone: trainer.timezone,
    session_duration_minutes: trainer.sessionDurationMinutes,
    min_notice_minutes: trainer.minNoticeMinutes,
    booking_horizon_days: trainer.bookingHorizonDays,
    brand_color: trainer.brandColor,
    photo_url: trainer.photoUrl,
    bio: trainer.bio,
    packages: packages.map((p) => ({
      name: p.name,
      description: p.description,
      sessions_count: p.sessionsCount,
      price: formatCents(p.priceCents),
      currency: p.currency,
    })),
    services: offered,
  };
}

export interface PublicBookingContext {
  db: Db;
  schedules: ScheduleNamespace;
  queue: Queue<NotifyMessage>;
  appOrigin: string;
  now: string;
  secret: string;
  /** Cloudflare's CF-Connecting-IP; null outside Cloudflare (no per-address limit then). */
  ip: string | null;
  idempotencyKey: string | undefined;
}

/** A visitor books: rate limits, honeypot, then the trainer's schedule object with every check. */
export async function publicBook(ctx: PublicBookingContext, slug: string, input: PublicBookingInput) {
  const { db } = ctx;
  const { trainer, name } = await trainerBySlug(db, slug);
  const scope = `public:${trainer.id}:POST /bookings`;
  // A retry of a booking already made (its key and body answered) is replayed, never refused; the
  // same key with another body is its 422 here, before the schedule object.
  await enforce(db, RATE_POLICIES.publicBooking, { [ADDRESS]: ctx.ip, email: input.email }, ctx.now, {
    message: 'Too many booking requests; please try again later.',
    replays: async () => isReplay(db, await idempotencyOf(ctx.idempotencyKey, scope, input), ctx.now),
  });
  const origin = ctx.appOrigin;

  if (input.website) {
    // A robot filled the hidden field: answer as if booked, book nothing.
    const startTime = input.start_time ?? ctx.now;
    const start = Date.parse(startTime);
    const answer = {
      start_time: startTime,
      end_time: new Date(start + trainer.sessionDurationMinutes * MINUTE_MS).toISOString(),
      status: 'pending' as const,
      business_name: name,
      manage_url: `${origin}/book/manage/${randomToken()}`,
    };
    return { answer, replayed: false };
  }

  const { booking, manageToken, replayed } = await bookAsClient(ctx, {
    trainer,
    client: { email: input.email, firstName: input.first_name, lastName: input.last_name, phone: input.phone ?? '' },
    serviceId: input.service ?? null,
    startTime: input.start_time ?? '',
    classSessionId: input.class_session ?? null,
    waitlist: input.waitlist ?? false,
    notes: input.notes ?? '',
    clientPackageId: null,
    pickPackage: true,
    pickedByEmail: true,
    clientTimezone: input.timezone ?? '',
    idempotency: { header: ctx.idempotencyKey, scope, body: input },
  });
  const answer = {
    start_time: booking.start_time,
    end_time: booking.end_time,
    status: booking.status,
    business_name: name,
    manage_url: `${origin}/book/manage/${manageToken}`,
    // Only a place in a class says which, and where it waits.
    ...(booking.class_session !== null && {
      class_session: booking.class_session,
      waitlist_position: booking.waitlist_position,
    }),
  };
  return { answer, replayed };
}

/** A booking without a service row (none should be: a trigger gives each one the default). */
const noService = { name: null, locationType: null, location: null, videoUrl: null };

async function bookingByToken(db: Db, token: string) {
  const row = await db
    .select({
      booking: bookings,
      name: displayName,
      trainer: {
        id: trainers.id,
        slug: trainers.slug,
        timezone: trainers.timezone,
        slotIntervalMinutes: trainers.slotIntervalMinutes,
        minNoticeMinutes: trainers.minNoticeMinutes,
        bookingHorizonDays: trainers.bookingHorizonDays,
        waitlistCutoffHours: trainers.waitlistCutoffHours,
        lateCancelHours: trainers.lateCancelHours,
        allowClientReschedule: trainers.allowClientReschedule,
        rescheduleCutoffHours: trainers.rescheduleCutoffHours,
      },
      pkg: { name: sessionPackages.name, sessionsRemaining: clientPackages.sessionsRemaining },
      clientPhone: clients.phone,
      clientFeedGeneration: clients.calendarFeedGeneration,
      service: {
        id: services.id,
        name: services.name,
        durationMinutes: services.durationMinutes,
        locationType: services.locationType,
        location: services.location,
        videoUrl: services.videoUrl,
      },
    })
    .from(bookingLinks)
    .innerJoin(bookings, eq(bookings.id, bookingLinks.bookingId))
    .innerJoin(trainers, eq(trainers.id, bookings.trainerId))
    .innerJoin(users, eq(users.id, trainers.userId))
    .innerJoin(clients, eq(clients.id, bookings.clientId))
    .leftJoin(services, eq(services.id, bookings.serviceId))
    .leftJoin(clientPackages, eq(clientPackages.id, bookings.clientPackageId))
    .leftJoin(sessionPackages, eq(sessionPackages.id, clientPackages.sessionPackageId))
    .where(eq(bookingLinks.tokenHash, await sha256Hex(token)))
    .get();
  if (!row) throw notFound('No booking for this link.');
  return { ...row, place: placeOf(row.service ?? noService, row.clientPhone) };
}

type ManagedRow = Awaited<ReturnType<typeof bookingByToken>>;

/**
 * The pack that pays for the booking, as its manage page may show it: never for a web booking,
 * whose link the booking answer hands to whoever typed the email (the client's email names it).
 */
const shownPackage = (row: ManagedRow) =>
  row.booking.source !== 'public' && row.pkg?.name
    ? { name: row.pkg.name, sessions_remaining: row.pkg.sessionsRemaining ?? 0 }
    : null;

/**
 * The client's feed of all their sessions with this trainer: only for a booking the trainer made.
 * A web booking's link goes to whoever typed the email (as `package`), and the feed would show
 * that person every other session of the client's.
 */
const clientFeedOf = (row: ManagedRow, calendar: CalendarConfig) =>
  row.booking.source === 'public' ? null : clientFeedUrls(calendar, row.booking.clientId, row.clientFeedGeneration);

const managed = (row: ManagedRow, now: string, feed: FeedUrls | null, waitlistPosition: number | null) => ({
  start_time: row.booking.startTime,
  end_time: row.booking.endTime,
  status: row.booking.status,
  business_name: row.name,
  timezone: row.trainer.timezone,
  client_timezone: row.booking.clientTimezone || null,
  slug: row.trainer.slug,
  late_cancellation: row.booking.lateCancellation,
  package: shownPackage(row),
  service: row.service
    ? {
        id: row.service.id,
        name: row.service.name,
        duration_minutes: row.service.durationMinutes,
        location_type: row.service.locationType,
      }
    : null,
  waitlist_position: waitlistPosition,
  location: row.place?.text ?? '',
  video_url: row.place?.videoUrl || null,
  ...clientOptions(
    row.trainer,
    {
      status: row.booking.status,
      startTime: row.booking.startTime,
      // Whether a late cancel would spend a pack's credit: a pack picked by a typed email never is.
      hasPackage: row.booking.clientPackageId !== null && !row.booking.packByEmail,
      classPlace: row.booking.classSessionId !== null,
    },
    Date.parse(now),
  ),
  calendar_feed_url: feed?.url ?? null,
  calendar_feed_webcal_url: feed?.webcal_url ?? null,
});

export async function getManaged(db: Db, token: string, now: string, calendar: CalendarConfig) {
  const row = await bookingByToken(db, token);
  const { booking } = row;
  // A waitlisted place's position, as the trainer's booking reads count it.
  const position =
    booking.status === 'waitlisted'
      ? (await findBooking(db, asTrainer(booking.trainerId), booking.id, now)).waitlist_position
      : null;
  return managed(row, now, await clientFeedOf(row, calendar), position);
}

/**
 * The times the booking of a manage link may move to: as the public availability, but with the
 * booking's own length and buffers (as booked, whatever its service says now; its service may
 * even be private) and its own time not counted as taken. What `rescheduleManaged` accepts, but
 * for a date past the expiry of the pack paying for it; a booking the client may not move gets
 * the move's own 409 (class_place, reschedule_not_allowed) instead of times it would refuse.
 */
export async function managedAvailability(db: Db, token: string, q: AvailabilityQuery, now: string) {
  const { booking, trainer: t } = await bookingByToken(db, token);
  const classPlace = booking.classSessionId !== null;
  checkClientMove(t, { status: booking.status, startTime: booking.startTime, classPlace }, Date.parse(now));
  const span = publicSpan(t, q, now);
  const minutes = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / MINUTE_MS);
  const timing = {
    ...(booking.serviceId !== null && { id: booking.serviceId }),
    durationMinutes: minutes(booking.startTime, booking.endTime),
    bufferBeforeMinutes: minutes(booking.occupiedStart, booking.startTime),
    bufferAfterMinutes: minutes(booking.endTime, booking.occupiedEnd),
  };
  const ask = { serviceId: undefined, visitor: false, moving: { bookingId: booking.id, timing } };
  const dates = { fromDate: span.from, toDate: span.to };
  const { service, rules, days } = await getAvailableTimes(db, t, dates, ask, now);
  // A move lists no classes: a private session moves among private times.
  const none: (typeof days)[number]['classes'] = [];
  const slotsOnly = days.map((d) => ({ ...d, classes: none }));
  return { timezone: t.timezone, service: service.id, duration_minutes: rules.durationMinutes, days: slotsOnly };
}

/** What a manage-link reschedule needs: the schedule objects, the queue and now. */
export type ManageDeps = ClientActionDeps;

/**
 * The client moves the booking through the manage link: the trainer's schedule object checks it
 * (the trainer allows it, before the cut-off, an offered free slot) and tells the trainer.
 */
export async function rescheduleManaged(deps: ManageDeps, calendar: CalendarConfig, token: string, startTime: string) {
  const row = await bookingByToken(deps.db, token);
  await rescheduleAsClient(deps, row.booking, startTime);
  return getManaged(deps.db, token, deps.now, calendar);
}

/** The client cancels through the manage link, under the trainer's rules (late flag, credits, messages). */
export async function cancelManaged(
  deps: { db: Db; queue: Queue<NotifyMessage>; now: string },
  calendar: CalendarConfig,
  token: string,
  input: ClientCancelInput,
) {
  const row = await bookingByToken(deps.db, token);
  await cancelAsClient(deps, row.booking, input);
  return getManaged(deps.db, token, deps.now, calendar);
}

/** The booking's calendar file (the same event as every client email's attachment), in the client's zone. */
export async function icsFor(
  db: Db,
  token: string,
  site: { appOrigin: string; emailFrom: string },
  now: string,
): Promise<string> {
  const row = await bookingByToken(db, token);
  const b = row.booking;
  if (b.status === 'waitlisted') throw conflict('A place on the waitlist holds no time yet.', 'waitlisted');
  const manageUrl = `${site.appOrigin}/book/manage/${token}`;
  const span = formatSpan(b.startTime, b.endTime, b.clientTimezone || row.trainer.timezone);
  return bookingIcs(
    {
      bookingId: b.id,
      appOrigin: site.appOrigin,
      manageUrl,
      status: b.status,
      sequence: b.sequence,
      startTime: b.startTime,
      endTime: b.endTime,
      summary: `${serviceNameOf(row.service ?? noService)} with ${row.name}`,
      description: [span, ...(row.place ? [placeLine(row.place)] : []), `See, change or cancel: ${manageUrl}`].join(
        '\n',
      ),
      location: row.place?.calendar ?? '',
      videoUrl: row.place?.videoUrl ?? '',
      organizer: { name: row.name, email: addressOf(site.emailFrom) },
      now,
    },
    'PUBLISH',
  );
}
