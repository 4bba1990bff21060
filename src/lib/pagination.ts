import { type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from './db';
import { boolQuery, digits } from './openapi';
import { invalid, invalidField } from './problem';
import { toUtcInstant } from './time';
import { base64url, fromBase64url } from './tokens';
import * as z from './zod';

export const MAX_PAGE_SIZE = 100;

export const pageQuery = z.object({
  page: digits(z.number().int().min(1)).default(1).openapi({ description: '1-based page number' }),
  page_size: digits(z.number().int().min(1).max(MAX_PAGE_SIZE)).default(20),
});
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  /** Always in page mode; in cursor mode only when asked for with `count=true`. */
  count?: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** The DRF list envelope, with `next`/`previous` as absolute URLs that keep every other query parameter. */
export function pageOf<T>(requestUrl: string, q: PageQuery, count: number, results: T[]): Page<T> {
  const link = (page: number) => {
    const url = new URL(requestUrl);
    url.searchParams.set('page', String(page));
    url.searchParams.set('page_size', String(q.page_size));
    return url.toString();
  };
  return {
    count,
    next: q.page * q.page_size < count ? link(q.page + 1) : null,
    previous: q.page > 1 ? link(Math.min(q.page - 1, Math.max(1, Math.ceil(count / q.page_size)))) : null,
    results,
  };
}

export const pageOffset = (q: PageQuery): number => (q.page - 1) * q.page_size;

/**
 * The rows of one page (`page`, already limited by pageOffset) and how many rows of `table`
 * match `where` in all, in one D1 batch.
 */
export async function countedPage<P extends BatchItem<'sqlite'>>(
  db: Db,
  table: SQLiteTable,
  where: SQL | undefined,
  page: P,
): Promise<{ count: number; rows: P['_']['result'] }> {
  const [total, rows] = await db.batch([db.select({ n: sql<number>`count(*)` }).from(table).where(where), page]);
  return { count: total[0]?.n ?? 0, rows };
}

/**
 * Parses `ordering` ("-start_time") against an allow-list; unknown fields are a 400 naming `ordering`.
 * Returns the field and direction, or the default.
 */
export function parseOrdering<F extends string>(
  raw: string | undefined,
  allowed: readonly F[],
  fallback: { field: F; desc: boolean },
): { field: F; desc: boolean } {
  if (!raw) return fallback;
  const desc = raw.startsWith('-');
  const field = (desc ? raw.slice(1) : raw) as F;
  if (!allowed.includes(field)) {
    throw invalid({ ordering: [`Unknown ordering field "${field}". Allowed: ${allowed.join(', ')}.`] });
  }
  return { field, desc };
}

// ---- cursors (keyset pagination) -----------------------------------------------------------
//
// `?cursor=` (empty) asks for the first page in cursor mode; every answer's `next` carries the
// cursor of the page after it. A cursor is base64url(JSON [ordering, sort key, id]) of the last
// row shown, and the next page is the rows after that row in the list's order:
// `(key, id) > (last key, last id)` (with the directions of the ordering), which an index on
// (owner, sort key) answers by seeking to the last row, whatever the depth, and which rows
// inserted meanwhile cannot shift. Every allowed ordering is a NOT NULL column plus the id as
// the tie-breaker, so every ordering can be paginated this way.

export const CURSOR_DESCRIPTION =
  'Cursor pagination: send `cursor=` (empty) for the first page, then follow `next`. Opaque; stable while rows are added (no row is repeated or skipped); `page` is ignored. In cursor mode `previous` is null and `count` is only given with `count=true`. A cursor is tied to its `ordering`: another ordering answers 400 naming `cursor`.';

export const cursorPageQuery = pageQuery.extend({
  cursor: z.string().max(512).optional().openapi({ description: CURSOR_DESCRIPTION }),
  count: boolQuery.openapi({
    description: 'In cursor mode, also count every matching row (`count`); page mode always counts.',
  }),
});
export type CursorPageQuery = z.infer<typeof cursorPageQuery>;

/** The last row shown: its list's ordering ("-start_time"), its sort key and its id. */
export interface Cursor {
  ordering: string;
  key: string;
  id: number;
}

export const encodeCursor = (c: Cursor): string =>
  base64url(new TextEncoder().encode(JSON.stringify([c.ordering, c.key, c.id])));

const badCursor = () => invalidField('cursor', 'This cursor is not valid: start again with an empty cursor.');

/**
 * Cursor mode for `ordering` (canonical: "-start_time")? null = page mode, 'first' = the first
 * cursor page, else the row to continue after. A malformed cursor, or one made for another
 * ordering, is a 400 naming `cursor`.
 */
export function cursorOf(q: { cursor?: string | undefined }, ordering: string): Cursor | 'first' | null {
  if (q.cursor === undefined) return null;
  if (q.cursor === '') return 'first';
  if (!/^[A-Za-z0-9_-]+$/.test(q.cursor)) throw badCursor();
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromBase64url(q.cursor)));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(value) || value.length !== 3) throw badCursor();
  const [o, key, id] = value as unknown[];
  if (typeof key !== 'string' || typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw badCursor();
  // A list ordered by a time (start_time, created_at) resumes after an instant, as stored.
  if (/_(time|at)$/.test(ordering) && toUtcInstant(key) !== key) throw badCursor();
  if (o !== ordering) {
    throw invalidField('cursor', `This cursor belongs to ordering "${String(o)}", not "${ordering}".`);
  }
  return { ordering, key, id };
}

/**
 * The rows after `after` in the order (column desc?, id idDesc?): the range on the column lets an
 * index on (…, column) seek straight to the cursor; the OR settles ties by id.
 */
export function keysetAfter(
  column: SQLiteColumn,
  desc: boolean,
  id: SQLiteColumn,
  idDesc: boolean,
  after: Pick<Cursor, 'key' | 'id'> | { key: SQL; id: SQL },
): SQL {
  const op = sql.raw(desc ? '<' : '>');
  const opEq = sql.raw(desc ? '<=' : '>=');
  const idOp = sql.raw(idDesc ? '<' : '>');
  return sql`(${column} ${opEq} ${after.key} AND (${column} ${op} ${after.key} OR ${id} ${idOp} ${after.id}))`;
}

/** What a list service hands its route: a page's rows, the count when made, the next cursor in cursor mode. */
export interface Listing<T> {
  count?: number | undefined;
  results: T[];
  /** Cursor mode only: the cursor of the last row shown when more rows follow, else null. */
  after?: Cursor | null;
}

/** Cursor mode: the `page_size` rows to show (one more was read) and the cursor after them, if more follow. */
export function cursorSlice<R>(
  rows: R[],
  size: number,
  keyOf: (row: R) => Cursor,
): { rows: R[]; after: Cursor | null } {
  const shown = rows.slice(0, size);
  const last = shown[shown.length - 1];
  return { rows: shown, after: rows.length > size && last ? keyOf(last) : null };
}

/** The list envelope: page mode as `pageOf`, cursor mode `{ next, previous: null, results, count? }`. */
export function listingOf<T>(requestUrl: string, q: PageQuery, listing: Listing<T>): Page<T> {
  if (listing.after === undefined) return pageOf(requestUrl, q, listing.count ?? 0, listing.results);
  let next: string | null = null;
  if (listing.after) {
    const url = new URL(requestUrl);
    url.searchParams.delete('page');
    url.searchParams.set('cursor', encodeCursor(listing.after));
    next = url.toString();
  }
  return {
    next,
    previous: null,
    results: listing.results,
    ...(listing.count !== undefined && { count: listing.count }),
  };
}
