import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { clients, trainers, users } from '../db/schema';

// How people are named, once. The drizzle forms below read the tables by name; the `…Of`
// forms read table aliases of raw SQL (`FROM clients c`), and sqlText turns either into the
// plain text that string-built queries (the admin console) need.

type Person = { first: SQLWrapper; last: SQLWrapper; email: SQLWrapper };

/** "First Last", or NULL when both are blank. */
const fullName = ({ first, last }: Person) => sql`nullif(trim(${first} || ' ' || ${last}), '')`;

/** A person by name, else email. */
const person = (p: Person): SQL<string> => sql<string>`coalesce(${fullName(p)}, ${p.email})`;

/** A trainer by business name, else the trainer's own name, else `fallback`. */
const business = (businessName: SQLWrapper, user: Person, fallback: SQLWrapper | string): SQL<string> =>
  sql<string>`coalesce(nullif(${businessName}, ''), ${fullName(user)}, ${fallback})`;

const userColumns: Person = { first: users.firstName, last: users.lastName, email: users.email };
const column = (alias: string, name: string) => sql.raw(`${alias}.${name}`);
const aliased = (alias: string): Person => ({
  first: column(alias, 'first_name'),
  last: column(alias, 'last_name'),
  email: column(alias, 'email'),
});

/** A client as people see them: their name, else their email. */
export const clientName: SQL<string> = person({
  first: clients.firstName,
  last: clients.lastName,
  email: clients.email,
});

/** A user by name, else email (needs `users` in the query). */
export const userName: SQL<string> = person(userColumns);

/**
 * A trainer as clients see them: the business name, else the trainer's own name, else
 * `fallback` (the email unless told). Needs `trainers` and `users` in the query.
 */
export const trainerName = (fallback: SQLWrapper | string = users.email): SQL<string> =>
  business(trainers.businessName, userColumns, fallback);

/** clientName / userName over a table alias of raw SQL: `personNameOf('c')` for `clients c`. */
export const personNameOf = (alias: string): SQL<string> => person(aliased(alias));

/** trainerName over aliases of raw SQL: the trainers row and its users row (fallback: that email). */
export const trainerNameOf = (trainerAlias: string, userAlias: string): SQL<string> =>
  business(column(trainerAlias, 'business_name'), aliased(userAlias), column(userAlias, 'email'));

const dialect = new SQLiteAsyncDialect();

/** The SQL text of an alias form (it binds no parameters), for queries assembled as strings. */
export const sqlText = (fragment: SQL): string => dialect.sqlToQuery(fragment).sql;

// Letters that are not a base letter plus marks, and would otherwise sort after "z".
const UNFOLDED: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', þ: 'th', ð: 'd', ı: 'i' };

/**
 * A name as lists sort it: accents dropped, lower case ("Östberg" → "ostberg", "de Vries" →
 * "de vries"), so "Álvarez" sorts beside "Alvarez" and "van Dijk" among the V's, not after "Z".
 */
export const sortKey = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[øæœßłđþðı]/g, (c) => UNFOLDED[c] ?? c);

/**
 * The client's whole name holds the search: folded (`folded`, its `sortKey`: "etoile", "Étoile"
 * and "anna étoile" all find Anna Étoile, which SQLite's `lower()`, ASCII only, never would), or
 * as typed (`lowered`, lower-cased in JS), for rows whose keys predate the app's fold (migration 0032).
 */
export const clientNameContains = (folded: SQLWrapper | string, lowered: SQLWrapper | string): SQL =>
  sql`(instr(${clients.firstNameKey} || ' ' || ${clients.lastNameKey}, ${folded}) > 0
    OR instr(lower(${clients.firstName} || ' ' || ${clients.lastName}), ${lowered}) > 0)`;
