import { and, asc, eq } from 'drizzle-orm';
import { clientOptions } from '../bookings/client-reschedule';
import { type ScheduleNamespace, scheduleOf, unwrapOutcome } from '../bookings/schedule-object';
import { transition } from '../bookings/transitions';
import { bookingLinks, bookings, clientPackages, sessionPackages, type Trainer, trainers, users } from '../db/schema';
import { addDays, daysBetween, MINUTE_MS, today } from '../lib/calendar';
import type { Db } from '../lib/db';
import { idempotencyOf } from '../lib/idempotency';
import { formatCents } from '../lib/money';
import { trainerName } from '../lib/names';
import { conflict, invalidField, notFound, tooManyRequests } from '../lib/problem';
import { ADDRESS, hit, limitsOf, RATE_POLICIES } from '../lib/ratelimit';
import { formatSpan } from '../lib/time';
import { newManageLink, randomToken, sha256Hex } from '../lib/tokens';
import { addressOf, bookingIcs } from '../notifications/calendar';
import { enqueue } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import { getAvailableTimes } from '../scheduling/service';
import type { PublicBookingInput } from './schemas';

export const MAX_PUBLIC_RANGE_DAYS = 62;
const DEFAULT_DAYS = 14;

const displayName = trainerName('Your trainer');

export async function trainerBySlug(db: Db, slug: string): Promise<{ trainer: Trainer; name: string }> {
  const row = await db
    .select({ trainer: trainers, name: displayName })
    .from(trainers)
    .innerJoin(users, eq(users.id, trainers.userId))
    .where(eq(trainers.slug, slug.toLowerCase()))
    .get();
  if (!row) throw notFound('No trainer with that name.');
  return row;
}

/** What a visitor may know of a trainer: no ids, no emails. */
export async function publicProfile(db: Db, slug: string) {
  const { trainer, name } = await trainerBySlug(db, slug);
  const packages = await db
    .select()
    .from(sessionPackages)
    .where(and(eq(sessionPackages.trainerId, trainer.id), eq(sessionPackages.isActive, true)))
    .orderBy(asc(sessionPackages.priceCents), asc(sessionPackages.id));
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
  };
}

/** The trainer's own free-slot computation, over today … +13 days by default, never past the horizon. */
export async function publicAvailability(
  db: Db,
  slug: string,
  q: { from?: string; to?: string; service?: number },
  now: string,
) {
  const { trainer } = await trainerBySlug(db, slug);
  const first = today(trainer.timezone, Date.parse(now));
  const last = addDays(first, trainer.bookingHorizonDays);
  const from = q.from ?? first;
  const to = q.to ?? minDate(addDays(from, DEFAULT_DAYS - 1), last);
  const days = daysBetween(from, to) + 1;
  if (days < 1) throw invalidField('to', 'to must not be before from.');
  if (days > MAX_PUBLIC_RANGE_DAYS) throw invalidField('to', `A range covers at most ${MAX_PUBLIC_RANGE_DAYS} days.`);
  if (to > last)
    throw invalidField('to', `Bookings open at most ${trainer.bookingHorizonDays} days ahead (until ${last}).`);
  const ask = { serviceId: q.service, visitor: true };
  const {
    service,
    rules,
    days: result,
  } = await getAvailableTimes(db, trainer, { fromDate: from, toDate: to }, ask, now);
  return { timezone: trainer.timezone, service: service.id, duration_minutes: rules.durationMinutes, days: result };
}

const minDate = (a: string, b: string) => (a < b ? a : b);

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
  const wait = await hit(db, limitsOf(RATE_POLICIES.publicBooking, { [ADDRESS]: ctx.ip, email: input.email }), ctx.now);
  if (wait !== null) throw tooManyRequests(wait, 'Too many booking requests; please try again later.');
  const origin = ctx.appOrigin;

  if (input.website) {
    // A robot filled the hidden field: answer as if booked, book nothing.
    const start = Date.parse(input.start_time);
    return {
      start_time: input.start_time,
      end_time: new Date(start + trainer.sessionDurationMinutes * MINUTE_MS).toISOString(),
      status: 'pending' as const,
      business_name: name,
      manage_url: `${origin}/book/manage/${randomToken()}`,
    };
  }

  const idempotency = await idempotencyOf(ctx.idempotencyKey, `public:${trainer.id}:POST /bookings`, input);
  const link = await newManageLink(ctx.secret, idempotency ? `${idempotency.scope}:${idempotency.key}` : null);
  const outcome = await scheduleOf(ctx.schedules, trainer.id).createBooking({
    trainerId: trainer.id,
    client: { email: input.email, firstName: input.first_name, lastName: input.last_name, phone: input.phone ?? '' },
    startTime: input.start_time,
    endTime: null,
    notes: input.notes ?? '',
    serviceId: input.service ?? null,
    clientPackageId: null,
    pickPackage: true,
    allowOutsideAvailability: false,
    enforceBookingWindow: true,
    status: trainer.autoConfirm ? 'confirmed' : 'pending',
    idempotency,
    session: null,
    manageLink: { tokenHash: link.tokenHash, salt: link.salt },
    source: 'public',
    clientTimezone: input.timezone ?? '',
    notify: 'public',
    now: ctx.now,
  });
  const { booking, notificationIds } = unwrapOutcome(outcome);
  await enqueue(ctx.queue, notificationIds);
  return {
    start_time: booking.start_time,
    end_time: booking.end_time,
    status: booking.status,
    business_name: name,
    manage_url: `${origin}/book/manage/${link.token}`,
  };
}

async function bookingByToken(db: Db, token: string) {
  const row = await db
    .select({
      booking: bookings,
      name: displayName,
      trainer: {
        slug: trainers.slug,
        timezone: trainers.timezone,
        lateCancelHours: trainers.lateCancelHours,
        allowClientReschedule: trainers.allowClientReschedule,
        rescheduleCutoffHours: trainers.rescheduleCutoffHours,
      },
      pkg: { name: sessionPackages.name, sessionsRemaining: clientPackages.sessionsRemaining },
    })
    .from(bookingLinks)
    .innerJoin(bookings, eq(bookings.id, bookingLinks.bookingId))
    .innerJoin(trainers, eq(trainers.id, bookings.trainerId))
    .innerJoin(users, eq(users.id, trainers.userId))
    .leftJoin(clientPackages, eq(clientPackages.id, bookings.clientPackageId))
    .leftJoin(sessionPackages, eq(sessionPackages.id, clientPackages.sessionPackageId))
    .where(eq(bookingLinks.tokenHash, await sha256Hex(token)))
    .get();
  if (!row) throw notFound('No booking for this link.');
  return row;
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

const managed = (row: ManagedRow, now: string) => ({
  start_time: row.booking.startTime,
  end_time: row.booking.endTime,
  status: row.booking.status,
  business_name: row.name,
  timezone: row.trainer.timezone,
  client_timezone: row.booking.clientTimezone || null,
  slug: row.trainer.slug,
  late_cancellation: row.booking.lateCancellation,
  package: shownPackage(row),
  ...clientOptions(
    row.trainer,
    { status: row.booking.status, startTime: row.booking.startTime, hasPackage: !!shownPackage(row) },
    Date.parse(now),
  ),
});

export const getManaged = async (db: Db, token: string, now: string) => managed(await bookingByToken(db, token), now);

/** What a manage-link reschedule needs: the schedule objects, the queue and now. */
export interface ManageDeps {
  db: Db;
  schedules: ScheduleNamespace;
  queue: Queue<NotifyMessage>;
  now: string;
}

/**
 * The client moves the booking through the manage link: the trainer's schedule object checks it
 * (the trainer allows it, before the cut-off, an offered free slot) and tells the trainer.
 */
export async function rescheduleManaged(deps: ManageDeps, token: string, startTime: string) {
  const row = await bookingByToken(deps.db, token);
  const outcome = await scheduleOf(deps.schedules, row.booking.trainerId).rescheduleBooking({
    trainerId: row.booking.trainerId,
    bookingId: row.booking.id,
    startTime,
    endTime: null,
    allowOutsideAvailability: false,
    byClient: true,
    now: deps.now,
  });
  const { notificationIds } = unwrapOutcome(outcome);
  await enqueue(deps.queue, notificationIds);
  return getManaged(deps.db, token, deps.now);
}

/** The client cancels through the manage link, under the trainer's rules (late flag, credits, messages). */
export async function cancelManaged(db: Db, queue: Queue<NotifyMessage>, token: string, reason: string, now: string) {
  const row = await bookingByToken(db, token);
  if (row.booking.status === 'cancelled') throw conflict('This booking is already cancelled.', 'invalid_transition');
  if (Date.parse(row.booking.startTime) <= Date.parse(now)) {
    throw conflict('This booking has already started or passed.', 'invalid_transition');
  }
  await transition({ db, queue, now }, row.booking.trainerId, row.booking.id, 'cancel', reason);
  return getManaged(db, token, now);
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
      summary: `Session with ${row.name}`,
      description: `${span}\nSee, change or cancel: ${manageUrl}`,
      location: '',
      organizer: { name: row.name, email: addressOf(site.emailFrom) },
      now,
    },
    'PUBLISH',
  );
}
