import { is, SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import * as schema from '../db/schema';

const connect = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof connect>;

// Building a drizzle instance walks the whole schema (a few hundred µs of CPU); a binding is
// the same object for the isolate's lifetime, so each one is wrapped once.
const instances = new WeakMap<D1Database, Db>();

export function getDb(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    db = connect(d1);
    instances.set(d1, db);
  }
  return db;
}

/** True when D1 refused a write because of a UNIQUE constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  return /UNIQUE constraint failed/i.test(text);
}

/**
 * True when any of `columns` holds `text`, ignoring ASCII case; `%`, `_` and `\` are plain
 * characters. instr, not LIKE: D1 refuses a LIKE pattern over 50 bytes.
 */
export const containsAny = (columns: SQLWrapper[], text: string): SQL =>
  sql`(${sql.join(
    columns.map((c) => sql`instr(lower(${c}), lower(${text.toLowerCase()})) > 0`),
    sql` OR `,
  )})`;

const dialect = new SQLiteAsyncDialect();

/**
 * A raw D1 statement from a drizzle `sql` fragment or query builder. Guarded writes need
 * `changes()`/`RETURNING` in one atomic `DB.batch`, which drizzle's batch cannot mix with raw SQL.
 */
export function statement(db: Db, query: SQL | { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = is(query, SQL) ? dialect.sqlToQuery(query) : query.toSQL();
  return db.$client.prepare(text).bind(...params);
}

/** Anything `statement` takes: a drizzle query builder or a `sql` fragment. */
export type Step = Parameters<typeof statement>[1];

/** One atomic D1 batch of query builders and SQL fragments (drizzle's own batch takes no raw fragment). */
export const batchSteps = <T = Record<string, unknown>>(db: Db, steps: Step[]) =>
  db.$client.batch<T>(steps.map((step) => statement(db, step)));
