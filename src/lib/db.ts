import { getTableColumns, is, Param, Placeholder, SQL, type SQLWrapper, sql, type Table } from 'drizzle-orm';
import { DrizzleD1Database, SQLiteD1Session } from 'drizzle-orm/d1';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';

/**
 * What the app asks of a D1 client: `prepare` and `batch`, which the binding and a D1 session
 * (`withSession`) both have. drizzle's D1 driver calls nothing else on its client (`prepare` in
 * `prepareQuery`, `batch` in `batch`; its `transaction` would send BEGIN through `prepare`, and
 * nothing here uses it: one D1 batch is the only transaction), nor do `statement`/`batchSteps`.
 */
export type D1Client = Pick<D1Database, 'prepare' | 'batch'>;

/**
 * drizzle's query builders over a D1 client, without its relational API (`db.query.*`, unused
 * here): a handle with a schema builds one query-builder object per table in its constructor,
 * and a handle is made for every request (its own D1 session).
 */
export type Db = DrizzleD1Database & { $client: D1Client };

const dialect = new SQLiteAsyncDialect();

/** drizzle over any D1 client: what `drizzle(client)` builds, a few objects. */
function connect(client: D1Client): Db {
  // The driver's type asks for a D1Database; it only calls prepare and batch (see D1Client).
  const session = new SQLiteD1Session(client as D1Database, dialect, undefined, {});
  const db = new DrizzleD1Database('async', dialect, session, undefined) as Db;
  db.$client = client;
  return db;
}

// A binding is the same object for the isolate's lifetime, so each one is wrapped once.
const instances = new WeakMap<D1Database, Db>();

/**
 * The handle over the binding itself: every statement goes to the primary and no bookmark comes
 * back. The queue consumers and the crons use it (they claim, dedupe and count, so they must read
 * the newest rows); a request and a schedule-object command use a session (`sessionDb`).
 */
export function getDb(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    db = connect(d1);
    instances.set(d1, db);
  }
  return db;
}

/** The newer of two D1 bookmarks (null: none), ordered as the runtime orders them. */
export const newestBookmark = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null || b.localeCompare(a) <= 0 ? a : b;

/**
 * A D1 session that can move forward: the client of one request or one schedule-object command.
 * Statements of a session see every write it made and everything up to the bookmark it started
 * from. `advance(bookmark)` makes the statements after it see a write made elsewhere (by the
 * schedule object), by starting a new session from that bookmark when it is newer.
 */
export class SessionClient implements D1Client {
  readonly #d1: D1Database;
  // Opened on the first statement: a request that never reads (health, docs, a refused body)
  // costs no session.
  #start: D1SessionConstraint | D1SessionBookmark;
  #session: D1DatabaseSession | null = null;
  readonly #floor: string | null;

  /** `floor`: a bookmark the answer must not go below (the one the client sent back). */
  constructor(d1: D1Database, start: D1SessionConstraint | D1SessionBookmark, floor: string | null = null) {
    this.#d1 = d1;
    this.#start = start;
    this.#floor = floor;
  }

  #open(): D1DatabaseSession {
    this.#session ??= this.#d1.withSession(this.#start);
    return this.#session;
  }

  prepare(query: string): D1PreparedStatement {
    return this.#open().prepare(query);
  }

  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return this.#open().batch<T>(statements);
  }

  /** The newest bookmark this client has seen, or null before its first statement. */
  get bookmark(): string | null {
    const own =
      this.#session?.getBookmark() ??
      (typeof this.#start === 'string' && !this.#start.startsWith('first-') ? this.#start : null);
    return newestBookmark(own, this.#floor);
  }

  /** A new session on the primary over the same database (this one's bookmark is left alone). */
  primary(): SessionClient {
    return new SessionClient(this.#d1, 'first-primary');
  }

  advance(bookmark: string | null | undefined): void {
    if (!bookmark) return;
    if (!this.#session) {
      // Not opened yet: it opens from this bookmark (at least as new as anything it would have
      // read), and the answer carries it.
      this.#start = bookmark;
      return;
    }
    const current = this.#session.getBookmark();
    if (current !== null && bookmark.localeCompare(current) <= 0) return;
    this.#session = this.#d1.withSession(bookmark);
  }
}

/** A drizzle handle over a session client. */
export const sessionDb = (client: SessionClient): Db => connect(client);

/** Makes `db`'s later statements see everything up to `bookmark` (a handle over the binding already does). */
export function advanceTo(db: Db, bookmark: string | null | undefined): void {
  if (db.$client instanceof SessionClient) db.$client.advance(bookmark);
}

/** True when D1 refused a write because of a UNIQUE constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  return /UNIQUE constraint failed/i.test(text);
}

/**
 * True when any of `columns` holds `text`, ignoring ASCII case; `%`, `_` and `\` are plain
 * characters. instr, not LIKE: D1 refuses a LIKE pattern over 50 bytes. A `param` is bound
 * lower-cased by its caller.
 */
export const containsAny = (columns: SQLWrapper[], text: string | SQL): SQL =>
  sql`(${sql.join(
    columns.map((c) => sql`instr(lower(${c}), lower(${typeof text === 'string' ? text.toLowerCase() : text})) > 0`),
    sql` OR `,
  )})`;

/**
 * A raw D1 statement from a drizzle `sql` fragment or query builder. Guarded writes need
 * `changes()`/`RETURNING` in one atomic `DB.batch`, which drizzle's batch cannot mix with raw SQL.
 */
export function statement(db: Db, query: SQL | { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = toQuery(query);
  return db.$client.prepare(text).bind(...params);
}

const toQuery = (query: SQL | { toSQL(): { sql: string; params: unknown[] } }) =>
  is(query, SQL) ? dialect.sqlToQuery(query) : query.toSQL();

/** Anything `statement` takes: a drizzle query builder or a `sql` fragment. */
export type Step = Parameters<typeof statement>[1];

/** One atomic D1 batch of query builders and SQL fragments (drizzle's own batch takes no raw fragment). */
export const batchSteps = <T = Record<string, unknown>>(db: Db, steps: Step[]) =>
  db.$client.batch<T>(steps.map((step) => statement(db, step)));

/** A value bound per call to a statement built once (`Prepared`): `sql.placeholder` as a fragment. */
export const param = (name: string): SQL => sql`${sql.placeholder(name)}`;

/**
 * A statement whose SQL text drizzle builds once per isolate. drizzle builds a query's text on
 * every run (an `is` check per chunk of every fragment), which was a fifth of the hot reads'
 * CPU; here `build` makes the query with `param(name)` where the request's values go, on first
 * use, and `bind` fills them into a statement of the request's client (each parameter's source
 * is worked out once too: what drizzle's `fillPlaceholders` does per call).
 */
export class Prepared<V extends Record<string, unknown>> {
  readonly #build: () => Step;
  #query: { sql: string; fill: (values: V) => unknown[] } | undefined;

  constructor(build: () => Step) {
    this.#build = build;
  }

  bind(db: Db, values: V): D1PreparedStatement {
    this.#query ??= compile(toQuery(this.#build()));
    return db.$client.prepare(this.#query.sql).bind(...this.#query.fill(values));
  }
}

/**
 * What `make` builds for a shape (plain data: which parts a statement has), made once per shape
 * and isolate: the statements whose text varies with the request's options (`Prepared` each).
 */
export function byShape<S, T>(make: (shape: S) => T): (shape: S) => T {
  const made = new Map<string, T>();
  return (shape) => {
    const key = JSON.stringify(shape);
    let found = made.get(key);
    if (found === undefined) {
      found = make(shape);
      made.set(key, found);
    }
    return found;
  };
}

function compile<V extends Record<string, unknown>>(query: { sql: string; params: unknown[] }) {
  const named = (values: V, name: string) => {
    if (!(name in values)) throw new Error(`No value for the parameter "${name}".`);
    return values[name];
  };
  const sources = query.params.map((p): ((values: V) => unknown) => {
    if (is(p, Placeholder)) return (values) => named(values, p.name);
    if (is(p, Param) && is(p.value, Placeholder)) {
      const { encoder, value } = p;
      return (values) => encoder.mapToDriverValue(named(values, value.name));
    }
    return () => p;
  });
  return { sql: query.sql, fill: (values: V) => sources.map((source) => source(values)) };
}

/**
 * A table's row from a D1 result row (keys: the column names), decoded as drizzle decodes it
 * (booleans, JSON), for statements run outside drizzle's builders (`Prepared`, a raw batch).
 * The columns are listed once; the row must not carry another table's column of the same name.
 */
export function rowReader<T extends Table>(table: T): (raw: Record<string, unknown>) => T['$inferSelect'] {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name, column }));
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const { key, name, column } of columns) {
      const value = raw[name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as T['$inferSelect'];
  };
}
