import { z } from '@hono/zod-openapi';
import { type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from './db';
import { invalid } from './problem';

export const MAX_PAGE_SIZE = 100;

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ description: '1-based page number' }),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  count: number;
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
