// A signed-in client acting for themselves across trainers: book an offered time, cancel or move
// their own bookings under each trainer's rules, and see their packs. They reach only the client
// records carrying their verified email; the rules are the manage link's (bookings/client-actions).
import { and, desc, eq, sql } from 'drizzle-orm';
import {
  bookAsClient,
  type ClientActionDeps,
  type ClientBookingRef,
  cancelAsClient,
  rescheduleAsClient,
} from '../bookings/client-actions';
import { bookingScope, findBooking, listBookings } from '../bookings/queries';
import type { BookingOut, ClientCancelInput } from '../bookings/schemas';
import { trainerOfSlug } from '../db/fragments';
import { bookings, clientPackages, clients, sessionPackages, trainers, type User, users } from '../db/schema';
import type { Viewer } from '../lib/auth';
import { localDate } from '../lib/calendar';
import type { Db } from '../lib/db';
import { idempotencyOf, isReplay } from '../lib/idempotency';
import { trainerName } from '../lib/names';
import { type PageQuery, pageOffset } from '../lib/pagination';
import { invalidField, notFound } from '../lib/problem';
import { ADDRESS, enforce, RATE_POLICIES } from '../lib/ratelimit';
import { clientScope } from '../lib/scope';
import { reservedCount } from '../packages/service';
import type { ClientBookingInput, MyClientPackageOut } from './schemas';

export type ClientViewer = Extract<Viewer, { kind: 'client' }>;

/** The trainer a client names: by public slug (text) or id (number); else 400 naming `trainer`. */
async function trainerByRef(db: Db, ref: string | number) {
  const row = await db
    .select({ id: trainers.id, autoConfirm: trainers.autoConfirm })
    .from(trainers)
    .where(typeof ref === 'number' ? eq(trainers.id, ref) : trainerOfSlug(ref.toLowerCase()))
    .get();
  if (!row) throw invalidField('trainer', 'No trainer with that slug or id.');
  return row;
}

/**
 * The signed-in client books a trainer under the visitor's rules. Their client record with that
 * trainer is the one carrying their email, created from their profile if there is none yet.
 */
export async function bookForClient(
  deps: ClientActionDeps & { secret: string; ip: string | null },
  user: Pick<User, 'id' | 'email' | 'firstName' | 'lastName' | 'phone'>,
  input: ClientBookingInput,
  idempotencyKey: string | undefined,
): Promise<{ booking: BookingOut; replayed: boolean }> {
  const scope = `client:${user.id}:POST /api/client/bookings`;
  // Counted per account and address; a retry of a booking already made is replayed, never refused.
  await enforce(deps.db, RATE_POLICIES.clientBooking, { [ADDRESS]: deps.ip, account: String(user.id) }, deps.now, {
    replays: async () => isReplay(deps.db, await idempotencyOf(idempotencyKey, scope, input), deps.now),
  });
  const trainer = await trainerByRef(deps.db, input.trainer);
  const { booking, replayed } = await bookAsClient(deps, {
    trainer,
    client: { email: user.email, firstName: user.firstName, lastName: user.lastName, phone: user.phone },
    serviceId: input.service ?? null,
    startTime: input.start_time ?? '',
    classSessionId: input.class_session ?? null,
    waitlist: input.waitlist ?? false,
    notes: input.notes ?? '',
    clientPackageId: input.client_package ?? null,
    // Naming no pack pays with the one that expires first, as on the booking page; null pays with none.
    pickPackage: input.client_package === undefined,
    clientTimezone: input.timezone ?? '',
    idempotency: { header: idempotencyKey, scope, body: input },
  });
  return { booking, replayed };
}

/** A booking of the client's own records (any trainer); 404, like a missing one, when not theirs. */
async function ownBooking(db: Db, viewer: ClientViewer, id: number): Promise<ClientBookingRef> {
  const row = await db
    .select({ id: bookings.id, trainerId: bookings.trainerId, status: bookings.status, startTime: bookings.startTime })
    .from(bookings)
    .innerJoin(clients, eq(clients.id, bookings.clientId))
    .where(and(eq(bookings.id, id), bookingScope(viewer)))
    .get();
  if (!row) throw notFound('Booking not found.');
  return row;
}

/** The client cancels their booking, exactly as through its manage link. */
export async function cancelForClient(
  deps: ClientActionDeps,
  viewer: ClientViewer,
  id: number,
  input: ClientCancelInput,
) {
  await cancelAsClient(deps, await ownBooking(deps.db, viewer, id), input);
  return findBooking(deps.db, viewer, id, deps.now);
}

/** The client moves their booking to another offered time, exactly as through its manage link. */
export async function rescheduleForClient(deps: ClientActionDeps, viewer: ClientViewer, id: number, start: string) {
  await rescheduleAsClient(deps, await ownBooking(deps.db, viewer, id), start);
  return findBooking(deps.db, viewer, id, deps.now);
}

/** A page of the client's bookings with every trainer. */
export const listForClient = (
  db: Db,
  viewer: ClientViewer,
  q: PageQuery & { status?: BookingOut['status']; when?: 'upcoming' | 'past' },
  now: string,
) => listBookings(db, viewer, 'UTC', q, q.when ?? 'all', now);

/** A page of the client's packs with every trainer: remaining, reserved by active bookings, active today. */
export async function packagesForClient(db: Db, viewer: ClientViewer, q: PageQuery, now: string) {
  const where = clientScope(viewer);
  const [countRows, rows] = await db.batch([
    db
      .select({ n: sql<number>`count(*)` })
      .from(clientPackages)
      .innerJoin(clients, eq(clients.id, clientPackages.clientId))
      .where(where),
    db
      .select({
        cp: clientPackages,
        packageName: sessionPackages.name,
        slug: trainers.slug,
        businessName: trainerName('Your trainer'),
        timezone: trainers.timezone,
        reserved: reservedCount(),
      })
      .from(clientPackages)
      .innerJoin(clients, eq(clients.id, clientPackages.clientId))
      .innerJoin(sessionPackages, eq(sessionPackages.id, clientPackages.sessionPackageId))
      .innerJoin(trainers, eq(trainers.id, clients.trainerId))
      .innerJoin(users, eq(users.id, trainers.userId))
      .where(where)
      .orderBy(desc(clientPackages.purchasedAt), desc(clientPackages.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  ]);
  const at = Date.parse(now);
  const results = rows.map((r): MyClientPackageOut => {
    const expired = r.cp.expiryDate !== null && r.cp.expiryDate < localDate(at, r.timezone);
    return {
      id: r.cp.id,
      trainer: { slug: r.slug, business_name: r.businessName },
      package_name: r.packageName,
      sessions_total: r.cp.sessionsTotal,
      sessions_remaining: r.cp.sessionsRemaining,
      sessions_reserved: r.reserved,
      expiry_date: r.cp.expiryDate,
      is_active: !expired && r.cp.sessionsRemaining > 0,
      refunded_at: r.cp.refundedAt,
    };
  });
  return { count: countRows[0]?.n ?? 0, results };
}
