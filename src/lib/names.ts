import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { clients, trainers, users } from '../db/schema';

/** "First Last", or NULL when both are blank. */
const fullName = (first: SQLWrapper, last: SQLWrapper) => sql`nullif(trim(${first} || ' ' || ${last}), '')`;

/** A client as people see them: their name, else their email. */
export const clientName: SQL<string> = sql<string>`coalesce(${fullName(clients.firstName, clients.lastName)}, ${clients.email})`;

/** A user by name, else email (needs `users` in the query). */
export const userName: SQL<string> = sql<string>`coalesce(${fullName(users.firstName, users.lastName)}, ${users.email})`;

/**
 * A trainer as clients see them: the business name, else the trainer's own name, else
 * `fallback` (the email unless told). Needs `trainers` and `users` in the query.
 */
export const trainerName = (fallback: SQLWrapper | string = users.email): SQL<string> =>
  sql<string>`coalesce(nullif(${trainers.businessName}, ''), ${fullName(users.firstName, users.lastName)}, ${fallback})`;
