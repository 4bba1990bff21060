// Class sessions as the trainer sees and changes them: the list, one with its places and
// waitlist, a capacity change (a raise promotes waitlisted people at once) and the cancel.
// Neither change takes the trainer's time, so neither needs the schedule object: each is one
// batch of guarded statements (see waitlist.ts).
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { activePlaces } from '../db/fragments';
import { bookings, type ClassSession, classSessions, clients } from '../db/schema';
import { type Db, statement } from '../lib/db';
import { clientName } from '../lib/names';
import { countedPage, pageOffset } from '../lib/pagination';
import { conflict, invalidField, notFound } from '../lib/problem';
import { enqueue, idsOf } from '../notifications/outbox';
import type { NotifyMessage } from '../notifications/types';
import type { ClassDetailOut, ClassListQuery, ClassOut } from './class-schemas';
import { cancelPlaces, promoteWaitlisted } from './waitlist';

// Qualified by hand: drizzle leaves a single table's columns unqualified, which the subquery's own table would capture.
const classId = sql.raw('class_sessions.id');
const counts = {
  placesTaken: activePlaces(classId),
  waitlisted: sql<number>`(SELECT count(*) FROM bookings wl WHERE wl.class_session_id = ${classId} AND wl.status = 'waitlisted')`,
};

const toClassOut = (c: ClassSession & { placesTaken: number; waitlisted: number }): ClassOut => ({
  id: c.id,
  service: c.serviceId,
  start_time: c.startTime,
  end_time: c.endTime,
  capacity: c.capacity,
  status: c.status,
  places_taken: c.placesTaken,
  waitlisted: c.waitlisted,
  cancellation_reason: c.cancellationReason,
  cancelled_at: c.cancelledAt,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

export async function listClasses(db: Db, trainerId: number, q: ClassListQuery) {
  if (q.from && q.to && q.to < q.from) throw invalidField('to', 'to must not be before from.');
  const where = and(
    eq(classSessions.trainerId, trainerId),
    q.status ? eq(classSessions.status, q.status) : undefined,
    q.from ? gte(classSessions.startTime, q.from) : undefined,
    q.to ? lt(classSessions.startTime, q.to) : undefined,
  );
  const { count, rows } = await countedPage(
    db,
    classSessions,
    where,
    db
      .select({ c: classSessions, ...counts })
      .from(classSessions)
      .where(where)
      .orderBy(asc(classSessions.startTime), asc(classSessions.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return {
    count,
    results: rows.map((r) => toClassOut({ ...r.c, placesTaken: r.placesTaken, waitlisted: r.waitlisted })),
  };
}

async function findClassRow(db: Db, trainerId: number, id: number) {
  const row = await db
    .select({ c: classSessions, ...counts })
    .from(classSessions)
    .where(and(eq(classSessions.id, id), eq(classSessions.trainerId, trainerId)))
    .get();
  if (!row) throw notFound('Class session not found.');
  return toClassOut({ ...row.c, placesTaken: row.placesTaken, waitlisted: row.waitlisted });
}

/** One class session with its places (by booking time) and its waitlist (next first). */
export async function findClass(db: Db, trainerId: number, id: number): Promise<ClassDetailOut> {
  const out = await findClassRow(db, trainerId, id);
  const rows = await db
    .select({ id: bookings.id, client: bookings.clientId, name: clientName, status: bookings.status })
    .from(bookings)
    .innerJoin(clients, eq(clients.id, bookings.clientId))
    .where(
      and(
        eq(bookings.classSessionId, id),
        sql`${bookings.status} IN ('pending', 'confirmed', 'completed', 'no_show', 'waitlisted')`,
      ),
    )
    .orderBy(asc(bookings.createdAt), asc(bookings.id));
  const attendees = rows.map((r) => ({
    booking: r.id,
    client: r.client,
    client_name: r.name,
    status: r.status,
    waitlist_position: null as number | null,
  }));
  const waitlist = attendees.filter((a) => a.status === 'waitlisted');
  waitlist.forEach((a, i) => {
    a.waitlist_position = i + 1;
  });
  return { ...out, places: attendees.filter((a) => a.status !== 'waitlisted'), waitlist };
}

export interface ClassChangeDeps {
  db: Db;
  queue: Queue<NotifyMessage>;
  now: string;
}

/**
 * A new capacity: never below the places taken (409 `capacity_below_booked`); a raise promotes
 * that many waitlisted people in the same batch, each told once.
 */
export async function changeCapacity(
  { db, queue, now }: ClassChangeDeps,
  trainerId: number,
  id: number,
  capacity: number,
) {
  const current = await findClassRow(db, trainerId, id);
  if (current.status !== 'scheduled')
    throw conflict('A cancelled class session cannot be changed.', 'invalid_transition');
  const [changed, , ...told] = await db.$client.batch<{ id: number }>([
    statement(
      db,
      sql`UPDATE ${classSessions} SET capacity = ${capacity}, updated_at = ${now}
        WHERE id = ${id} AND trainer_id = ${trainerId} AND status = 'scheduled' AND ${activePlaces(id)} <= ${capacity}
        RETURNING id`,
    ),
    ...promoteWaitlisted(db, id, now),
  ]);
  if (!changed?.results[0]) {
    throw conflict(
      `This class has ${current.places_taken} places taken; its capacity cannot go below that.`,
      'capacity_below_booked',
    );
  }
  await enqueue(queue, idsOf(told));
  return findClass(db, trainerId, id);
}

/**
 * Cancels a class session: every place and waitlisted entry is cancelled (credits released, no
 * late charge) and each person who was told of their place told once (`class_cancelled`, or
 * `waitlist_class_cancelled` to a waitlisted entry), in one batch.
 */
export async function cancelClass({ db, queue, now }: ClassChangeDeps, trainerId: number, id: number, reason: string) {
  const current = await findClassRow(db, trainerId, id);
  if (current.status !== 'scheduled') throw conflict('This class session is already cancelled.', 'invalid_transition');
  // A class under way or over is not called off: its places are completed or no-shows (their credits
  // decided by that), and a cancel would release credits and tell everyone after the fact.
  const started = () =>
    conflict('This class session has started: mark its places completed or no-shows instead.', 'class_started');
  if (Date.parse(current.start_time) <= Date.parse(now)) throw started();
  const [changed, toldPlaces, toldWaiting] = await db.$client.batch<{ id: number }>([
    statement(
      db,
      sql`UPDATE ${classSessions} SET status = 'cancelled', cancellation_reason = ${reason}, cancelled_at = ${now},
          updated_at = ${now}
        WHERE id = ${id} AND trainer_id = ${trainerId} AND status = 'scheduled' AND start_time > ${now} RETURNING id`,
    ),
    ...cancelPlaces(db, id, reason, now),
  ]);
  if (!changed?.results[0]) throw conflict('This class session is already cancelled.', 'invalid_transition');
  await enqueue(queue, idsOf([toldPlaces, toldWaiting].filter((r) => r !== undefined)));
  return findClass(db, trainerId, id);
}
