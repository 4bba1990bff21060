import { and, asc, desc, eq, gte, type SQL, sql } from 'drizzle-orm';
import { isActiveStatus } from '../db/fragments';
import { bookings, type Client, clientNotes, clientPackages, clients, users } from '../db/schema';
import { trainerIdOf, type Viewer } from '../lib/auth';
import { containsAny, type Db, isUniqueViolation } from '../lib/db';
import { clientNameContains, sortKey, userName } from '../lib/names';
import {
  countedPage,
  cursorOf,
  cursorSlice,
  keysetAfter,
  type Listing,
  type PageQuery,
  pageOffset,
  parseOrdering,
} from '../lib/pagination';
import { conflict, forbidden, invalidField, notFound } from '../lib/problem';
import { clientScope, findClient } from '../lib/scope';
import { knownToClient } from '../notifications/outbox';
import type { ClientDetailOut, ClientInput, ClientListQuery, ClientOut, NoteOut } from './schemas';

// Names its tables: drizzle leaves columns unqualified in single-table selects.
const notesCount = sql<number>`(select count(*) from client_notes cn where cn.client_id = "clients"."id")`;

export function toClientOut(c: Client, notes_count: number): ClientOut {
  return {
    id: c.id,
    email: c.email,
    first_name: c.firstName,
    last_name: c.lastName,
    phone: c.phone,
    fitness_level: c.fitnessLevel,
    goals: c.goals,
    preferences: c.preferences,
    notes: c.notes,
    is_active: c.isActive,
    notes_count,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

/** Client users read their records, but not what their trainer wrote or keeps about them (notes, preferences). */
const forViewer = (viewer: Viewer, out: ClientOut): ClientOut =>
  viewer.kind === 'trainer' ? out : { ...out, notes: '', notes_count: 0, preferences: {} };

const ORDERING = ['created_at', 'first_name', 'last_name'] as const;
// Names sort by their keys (accents dropped, lower case), never byte by byte.
const ORDER_COLUMNS = {
  created_at: clients.createdAt,
  first_name: clients.firstNameKey,
  last_name: clients.lastNameKey,
};

/**
 * A page of clients, ties by id in the ordering's direction in both modes (so the
 * (trainer_id, last_name) index serves both directions without a sort, and a list read by page
 * number and by cursor is the same list). Page mode counts every match; cursor mode (`q.cursor`)
 * continues after the cursor's row and counts only when asked.
 */
export async function listClients(db: Db, viewer: Viewer, q: ClientListQuery): Promise<Listing<ClientOut>> {
  const order = parseOrdering(q.ordering, ORDERING, { field: 'last_name', desc: false });
  const ordering = `${order.desc ? '-' : ''}${order.field}`;
  const cursor = cursorOf(q, ordering);
  const conditions: SQL[] = [clientScope(viewer)];
  if (q.fitness_level) conditions.push(eq(clients.fitnessLevel, q.fitness_level));
  if (q.is_active !== undefined) conditions.push(eq(clients.isActive, q.is_active));
  if (q.search)
    conditions.push(
      sql`(${clientNameContains(sortKey(q.search), q.search.toLowerCase())} OR ${containsAny([clients.email, clients.phone], q.search)})`,
    );
  const where = and(...conditions);
  const column = ORDER_COLUMNS[order.field];
  const after =
    cursor && cursor !== 'first' ? keysetAfter(column, order.desc, clients.id, order.desc, cursor) : undefined;
  const rowsQuery = db
    .select({ client: clients, notesCount })
    .from(clients)
    .where(and(where, after))
    .orderBy(order.desc ? desc(column) : asc(column), order.desc ? desc(clients.id) : asc(clients.id))
    .limit(cursor ? q.page_size + 1 : q.page_size)
    .offset(cursor ? 0 : pageOffset(q));
  const out = (r: { client: Client; notesCount: number }) => forViewer(viewer, toClientOut(r.client, r.notesCount));
  if (!cursor) {
    const { count, rows } = await countedPage(db, clients, where, rowsQuery);
    return { count, results: rows.map(out) };
  }
  const { count, rows } =
    q.count === true ? await countedPage(db, clients, where, rowsQuery) : { count: undefined, rows: await rowsQuery };
  const page = cursorSlice(rows, q.page_size, (r) => ({
    ordering,
    key:
      order.field === 'created_at'
        ? r.client.createdAt
        : order.field === 'first_name'
          ? r.client.firstNameKey
          : r.client.lastNameKey,
    id: r.client.id,
  }));
  return { count, results: page.rows.map(out), after: page.after };
}

const noteAuthor = sql<string>`coalesce(${userName}, '')`;

export async function getClientDetail(
  db: Db,
  viewer: Viewer,
  id: number,
  now: string,
): Promise<Omit<ClientDetailOut, 'packages'>> {
  const client = await findClient(db, viewer, id);
  const own = viewer.kind === 'trainer';
  // A client user counts what their bookings list shows them: what they were told of.
  const counted = own ? eq(bookings.clientId, id) : and(eq(bookings.clientId, id), knownToClient('bookings'));
  const [notes, counts] = await db.batch([
    db
      .select({ note: clientNotes, author: noteAuthor })
      .from(clientNotes)
      .leftJoin(users, eq(users.id, clientNotes.createdBy))
      .where(eq(clientNotes.clientId, id))
      .orderBy(desc(clientNotes.createdAt), desc(clientNotes.id)),
    db
      .select({
        total: sql<number>`count(*)`,
        upcoming: sql<number>`coalesce(sum(case when ${and(isActiveStatus(bookings.status), gte(bookings.startTime, now))} then 1 else 0 end), 0)`,
      })
      .from(bookings)
      .where(counted),
  ]);
  return {
    ...forViewer(viewer, toClientOut(client, notes.length)),
    client_notes: own ? notes.map((n) => toNoteOut(n.note, n.author)) : [],
    bookings_count: counts[0]?.total ?? 0,
    upcoming_bookings_count: counts[0]?.upcoming ?? 0,
  };
}

function clientValues(input: ClientInput) {
  return {
    ...(input.email !== undefined && { email: input.email }),
    ...(input.first_name !== undefined && { firstName: input.first_name, firstNameKey: sortKey(input.first_name) }),
    ...(input.last_name !== undefined && { lastName: input.last_name, lastNameKey: sortKey(input.last_name) }),
    ...(input.phone !== undefined && { phone: input.phone }),
    ...(input.fitness_level !== undefined && { fitnessLevel: input.fitness_level }),
    ...(input.goals !== undefined && { goals: input.goals }),
    ...(input.preferences !== undefined && { preferences: input.preferences }),
    ...(input.notes !== undefined && { notes: input.notes }),
    ...(input.is_active !== undefined && { isActive: input.is_active }),
  };
}

const emailTaken = () => invalidField('email', 'This trainer already has a client with this email.');

export async function createClient(db: Db, viewer: Viewer, input: ClientInput & { email: string }) {
  const trainerId = trainerIdOf(viewer);
  try {
    const row = await db
      .insert(clients)
      .values({ ...clientValues(input), email: input.email, trainerId })
      .returning()
      .get();
    return toClientOut(row, 0);
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken();
    throw err;
  }
}

export async function updateClient(db: Db, viewer: Viewer, id: number, input: ClientInput, now: string) {
  await findClient(db, viewer, id);
  const trainerId = trainerIdOf(viewer);
  try {
    await db
      .update(clients)
      .set({ ...clientValues(input), updatedAt: now })
      .where(and(eq(clients.id, id), eq(clients.trainerId, trainerId)));
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken();
    throw err;
  }
  const [row] = await db.select({ client: clients, notesCount }).from(clients).where(eq(clients.id, id));
  if (!row) throw notFound('Client not found.');
  return toClientOut(row.client, row.notesCount);
}

export async function deleteClient(db: Db, viewer: Viewer, id: number): Promise<void> {
  await findClient(db, viewer, id);
  const trainerId = trainerIdOf(viewer);
  // Guarded in SQL, so a booking or package added meanwhile still blocks the delete.
  const result = await db.run(sql`
    DELETE FROM ${clients} WHERE ${clients.id} = ${id} AND ${clients.trainerId} = ${trainerId}
      AND NOT EXISTS (SELECT 1 FROM ${bookings} WHERE ${bookings.clientId} = ${id})
      AND NOT EXISTS (SELECT 1 FROM ${clientPackages} WHERE ${clientPackages.clientId} = ${id})`);
  if (result.meta.changes === 0) {
    throw conflict(
      'This client has bookings or packages and cannot be deleted; set is_active to false instead.',
      'client_in_use',
    );
  }
}

export function toNoteOut(
  n: { id: number; content: string; createdAt: string },
  createdByName: string | null,
): NoteOut {
  return { id: n.id, content: n.content, created_by_name: createdByName ?? '', created_at: n.createdAt };
}

export async function addNote(db: Db, viewer: Viewer, clientId: number, content: string): Promise<NoteOut> {
  await findClient(db, viewer, clientId);
  trainerIdOf(viewer);
  const note = await db.insert(clientNotes).values({ clientId, content, createdBy: viewer.userId }).returning().get();
  const author = await db.select({ name: noteAuthor }).from(users).where(eq(users.id, viewer.userId)).get();
  return toNoteOut(note, author?.name ?? '');
}

export async function listNotes(db: Db, viewer: Viewer, clientId: number, q: PageQuery) {
  await findClient(db, viewer, clientId);
  // The notes are what the trainer wrote about the client: theirs alone to read.
  if (viewer.kind !== 'trainer') throw forbidden("Only the trainer reads a client's notes.");
  const where = eq(clientNotes.clientId, clientId);
  const { count, rows } = await countedPage(
    db,
    clientNotes,
    where,
    db
      .select({ note: clientNotes, author: noteAuthor })
      .from(clientNotes)
      .leftJoin(users, eq(users.id, clientNotes.createdBy))
      .where(where)
      .orderBy(desc(clientNotes.createdAt), desc(clientNotes.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return { count, results: rows.map((r) => toNoteOut(r.note, r.author)) };
}
