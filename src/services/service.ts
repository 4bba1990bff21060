// The trainer's services: what is sold, its length, buffers, price and place. Exactly one is
// the default (what a booking without `service` is for); the trainer profile's
// session_duration_minutes and buffer_minutes are that default's duration and buffer after,
// kept equal both ways in the batch of every change. Every write raises the schedule version.
import { and, asc, eq, lte, type SQL, sql } from 'drizzle-orm';
import { bumpScheduleVersion, isActiveStatus } from '../db/fragments';
import { bookings, type Service, services, sessionPackageServices, trainers } from '../db/schema';
import { batchSteps, type Db, type Step } from '../lib/db';
import { checkPriceChange } from '../lib/fields';
import { formatCents } from '../lib/money';
import { countedPage, pageOffset } from '../lib/pagination';
import { conflict, invalidField, notFound } from '../lib/problem';
import {
  CURRENCY_WITHOUT_PRICE,
  PRICE_WITHOUT_CURRENCY,
  type PublicServiceOut,
  publicPart,
  type ServiceCreateInput,
  type ServiceListQuery,
  type ServiceOut,
  type ServicePatchInput,
} from './schemas';

export const toServiceOut = (s: Service): ServiceOut => ({
  id: s.id,
  name: s.name,
  description: s.description,
  duration_minutes: s.durationMinutes,
  price: s.priceCents === null ? null : formatCents(s.priceCents),
  currency: s.priceCents === null ? null : s.currency,
  buffer_before_minutes: s.bufferBeforeMinutes,
  buffer_after_minutes: s.bufferAfterMinutes,
  location_type: s.locationType,
  location: s.location,
  video_url: s.videoUrl,
  color: s.color,
  capacity: s.capacity,
  is_public: s.isPublic,
  position: s.position,
  is_active: s.isActive,
  is_default: s.isDefault,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

const ofTrainer = (trainerId: number, id: number) => and(eq(services.id, id), eq(services.trainerId, trainerId));

export async function listServices(db: Db, trainerId: number, q: ServiceListQuery) {
  const where = and(
    eq(services.trainerId, trainerId),
    q.is_active === undefined ? undefined : eq(services.isActive, q.is_active),
    q.is_public === undefined ? undefined : eq(services.isPublic, q.is_public),
  );
  const { count, rows } = await countedPage(
    db,
    services,
    where,
    db
      .select()
      .from(services)
      .where(where)
      .orderBy(asc(services.position), asc(services.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return { count, results: rows.map(toServiceOut) };
}

export async function findService(db: Db, trainerId: number, id: number): Promise<Service> {
  const row = await db.select().from(services).where(ofTrainer(trainerId, id)).get();
  if (!row) throw notFound('Service not found.');
  return row;
}

/** The public and active services of a trainer, as the booking page lists them. */
export async function publicServices(
  db: Db,
  trainerId: number,
  opts: { privateOnly?: boolean } = {},
): Promise<PublicServiceOut[]> {
  const rows = await db
    .select()
    .from(services)
    .where(
      and(
        eq(services.trainerId, trainerId),
        eq(services.isPublic, true),
        eq(services.isActive, true),
        // Private sessions only (capacity 1): a class is booked by its sessions, not a time of one's own.
        opts.privateOnly ? lte(services.capacity, 1) : undefined,
      ),
    )
    .orderBy(asc(services.position), asc(services.id));
  return rows.map((s) => publicPart(toServiceOut(s)));
}

/** The columns a body sets; `price: null` clears the currency with it. */
function serviceValues(input: ServicePatchInput) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.duration_minutes !== undefined && { durationMinutes: input.duration_minutes }),
    ...(input.price !== undefined && { priceCents: input.price }),
    ...(input.currency !== undefined && { currency: input.currency }),
    ...(input.price === null && { currency: null }),
    ...(input.buffer_before_minutes !== undefined && { bufferBeforeMinutes: input.buffer_before_minutes }),
    ...(input.buffer_after_minutes !== undefined && { bufferAfterMinutes: input.buffer_after_minutes }),
    ...(input.location_type !== undefined && { locationType: input.location_type }),
    ...(input.location !== undefined && { location: input.location }),
    ...(input.video_url !== undefined && { videoUrl: input.video_url }),
    ...(input.color !== undefined && { color: input.color }),
    ...(input.capacity !== undefined && { capacity: input.capacity }),
    ...(input.is_public !== undefined && { isPublic: input.is_public }),
    ...(input.position !== undefined && { position: input.position }),
    ...(input.is_active !== undefined && { isActive: input.is_active }),
  };
}

export async function createService(db: Db, trainerId: number, input: ServiceCreateInput, now: string) {
  checkPrice({ priceCents: null, currency: null }, input);
  const [inserted] = await batchSteps<{ id: number }>(db, [
    db
      .insert(services)
      .values({
        // New services go last unless a position is given.
        position: sql`(SELECT coalesce(max(position) + 1, 0) FROM services WHERE trainer_id = ${trainerId})`,
        ...serviceValues(input),
        name: input.name,
        durationMinutes: input.duration_minutes,
        trainerId,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: services.id }),
    bumpScheduleVersion(trainerId),
  ]);
  const id = inserted?.results[0]?.id;
  if (id === undefined) throw new Error('service insert returned no row');
  return toServiceOut(await findService(db, trainerId, id));
}

/**
 * The trainer's session length and buffer set from their default service (after the batch's
 * earlier statements), for a change of the default's duration or buffer after, or of which
 * service is the default.
 */
const trainerFromDefault = (db: Db, trainerId: number, now: string) => {
  const ofDefault = (column: 'duration_minutes' | 'buffer_after_minutes') =>
    sql`(SELECT ${sql.raw(column)} FROM services WHERE trainer_id = ${trainerId} AND is_default = 1)`;
  return db
    .update(trainers)
    .set({
      sessionDurationMinutes: sql`coalesce(${ofDefault('duration_minutes')}, ${trainers.sessionDurationMinutes})`,
      bufferMinutes: sql`coalesce(${ofDefault('buffer_after_minutes')}, ${trainers.bufferMinutes})`,
      updatedAt: now,
    })
    .where(eq(trainers.id, trainerId));
};

/**
 * The default service's duration and buffer after set from the trainer profile's
 * session_duration_minutes and buffer_minutes, for the profile update's batch; none when
 * neither changes.
 */
export function defaultFromTrainer(
  db: Db,
  trainerId: number,
  change: { sessionDurationMinutes?: number; bufferMinutes?: number },
  now: string,
): Step[] {
  if (change.sessionDurationMinutes === undefined && change.bufferMinutes === undefined) return [];
  return [
    db
      .update(services)
      .set({
        ...(change.sessionDurationMinutes !== undefined && { durationMinutes: change.sessionDurationMinutes }),
        ...(change.bufferMinutes !== undefined && { bufferAfterMinutes: change.bufferMinutes }),
        updatedAt: now,
      })
      .where(and(eq(services.trainerId, trainerId), eq(services.isDefault, true))),
    bumpScheduleVersion(trainerId),
  ];
}

/**
 * Price and currency as they would be after the change: a currency needs a price and a price a
 * currency, and the price must be chargeable in it (no ¥10.50).
 */
function checkPrice(current: Pick<Service, 'priceCents' | 'currency'>, input: ServicePatchInput) {
  const price = input.price !== undefined ? input.price : current.priceCents;
  const currency = input.price === null ? null : input.currency !== undefined ? input.currency : current.currency;
  if (price !== null && currency === null) throw invalidField('currency', PRICE_WITHOUT_CURRENCY);
  if (price === null && typeof input.currency === 'string') throw invalidField('currency', CURRENCY_WITHOUT_PRICE);
  checkPriceChange(input, current);
}

const isDefaultConflict = () =>
  conflict(
    'This is the default service: make another service the default before archiving or deleting it.',
    'service_is_default',
  );
const inactiveDefault = () =>
  conflict('An archived service cannot be the default; activate it first.', 'service_inactive');

export async function updateService(db: Db, trainerId: number, id: number, input: ServicePatchInput, now: string) {
  const current = await findService(db, trainerId, id);
  checkPrice(current, input);
  if (input.is_active === false && current.isDefault) throw isDefaultConflict();
  const makeDefault = input.is_default === true && !current.isDefault;
  // Archived by this very body, or already: never the default (else bookings without a service fail).
  if (makeDefault && (input.is_active === false || (input.is_active !== true && !current.isActive)))
    throw inactiveDefault();
  // The default is what a booking without a service is for: a private session, never a class.
  if ((current.isDefault || makeDefault) && (input.capacity ?? current.capacity) > 1) {
    throw invalidField('capacity', 'The default service is for one client at a time: its capacity stays 1.');
  }
  const inUse = crossesClassLine(current.capacity, input.capacity) && inUseBy(id, current.capacity, now);
  if (inUse && (await db.get<{ n: number }>(sql`SELECT ${inUse} AS n`))?.n) throw serviceInUse(current.capacity);
  // Guards against a change between the read above and the batch: an archive never touches the
  // default, and the default moves only to a service still active (or activated by this body).
  const stillActive = input.is_active === true ? sql`1` : sql`${services.isActive} = 1`;
  const guard = and(
    ofTrainer(trainerId, id),
    input.is_active === false ? eq(services.isDefault, false) : undefined,
    makeDefault ? stillActive : undefined,
    inUse ? sql`NOT ${inUse}` : undefined,
  );
  const unsetOld = db
    .update(services)
    .set({ isDefault: false, updatedAt: now })
    .where(
      and(
        eq(services.trainerId, trainerId),
        eq(services.isDefault, true),
        sql`${services.id} <> ${id}`,
        sql`EXISTS (SELECT 1 FROM services s WHERE s.id = ${id} AND s.trainer_id = ${trainerId} AND (${input.is_active === true ? sql`1` : sql`s.is_active = 1`}))`,
      ),
    );
  const change = db
    .update(services)
    .set({ ...serviceValues(input), ...(makeDefault && { isDefault: true }), updatedAt: now })
    .where(guard)
    .returning({ id: services.id });
  const mirrors =
    makeDefault ||
    (current.isDefault && (input.duration_minutes !== undefined || input.buffer_after_minutes !== undefined));
  const results = await batchSteps<{ id: number }>(db, [
    ...(makeDefault ? [unsetOld] : []),
    change,
    ...(mirrors ? [trainerFromDefault(db, trainerId, now)] : []),
    bumpScheduleVersion(trainerId),
  ]);
  if (results[makeDefault ? 1 : 0]?.results.length) return toServiceOut(await findService(db, trainerId, id));
  // The guard held the write back: say why, as it is now.
  const fresh = await findService(db, trainerId, id);
  if (inUse && !fresh.isDefault && fresh.isActive) throw serviceInUse(current.capacity);
  throw fresh.isDefault ? isDefaultConflict() : inactiveDefault();
}

/** Whether a new capacity turns a private service into a class service or back. */
const crossesClassLine = (from: number, to: number | undefined) => to !== undefined && from > 1 !== to > 1;

/**
 * What a capacity change across the class line would strand, as a SQL truth: a private service's
 * bookings still to come, or a class service's sessions still to come (their places are booked by
 * session, a private service's by time).
 */
const inUseBy = (id: number, capacity: number, now: string): SQL =>
  capacity > 1
    ? sql`EXISTS (SELECT 1 FROM class_sessions WHERE service_id = ${id} AND status = 'scheduled' AND start_time > ${now})`
    : sql`EXISTS (SELECT 1 FROM bookings WHERE service_id = ${id} AND class_session_id IS NULL
        AND ${isActiveStatus(sql`status`)} AND start_time > ${now})`;

const serviceInUse = (capacity: number) =>
  conflict(
    capacity > 1
      ? 'This class service has sessions to come: cancel them, or make a new service for one client at a time.'
      : 'This service has bookings to come: cancel or move them, or make a new service for classes.',
    'service_in_use',
  );

export async function deleteService(db: Db, trainerId: number, id: number) {
  await findService(db, trainerId, id);
  const [deleted] = await batchSteps<{ id: number }>(db, [
    db
      .delete(services)
      .where(
        and(
          ofTrainer(trainerId, id),
          eq(services.isDefault, false),
          sql`NOT EXISTS (SELECT 1 FROM ${bookings} WHERE ${bookings.serviceId} = ${id})`,
          // A package limited to this service would otherwise silently cover every service.
          sql`NOT EXISTS (SELECT 1 FROM ${sessionPackageServices} WHERE ${sessionPackageServices.serviceId} = ${id})`,
          sql`NOT EXISTS (SELECT 1 FROM class_sessions WHERE service_id = ${id})`,
        ),
      )
      .returning({ id: services.id }),
    bumpScheduleVersion(trainerId),
  ]);
  if (deleted?.results.length) return;
  const row = await findService(db, trainerId, id);
  if (row.isDefault) throw isDefaultConflict();
  throw conflict(
    'This service has bookings, class sessions or packages tied to it and cannot be deleted; archive it with is_active false instead.',
    'service_in_use',
  );
}
