import { and, eq, type SQL } from 'drizzle-orm';
import { type Client, clients } from '../db/schema';
import type { Viewer } from './auth';
import type { Db } from './db';
import { notFound } from './problem';

// Which client records a viewer may see. Clients and packages both scope by it, so it lives
// below both areas.

/** The rows a viewer may see: a trainer's own clients, or a client user's records by email. */
export const clientScope = (viewer: Viewer): SQL =>
  viewer.kind === 'trainer' ? eq(clients.trainerId, viewer.trainerId) : eq(clients.email, viewer.email);

/** The client if the viewer may see it; otherwise 404, exactly like a missing one. */
export async function findClient(db: Db, viewer: Viewer, id: number): Promise<Client> {
  const row = await db
    .select()
    .from(clients)
    .where(and(eq(clients.id, id), clientScope(viewer)))
    .get();
  if (!row) throw notFound('Client not found.');
  return row;
}
