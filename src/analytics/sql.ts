// What every analytics report shares: batched reads, the trainer's sales and main currency,
// and local wall-clock buckets computed inside D1.
import { type SQL, sql } from 'drizzle-orm';
import type { Trainer } from '../db/schema';
import type { OffsetSpan } from '../lib/calendar';
import { type Db, statement } from '../lib/db';
import { DEFAULT_CURRENCY, formatCents } from '../lib/money';
import { invalidField } from '../lib/problem';
import { boundIso } from '../lib/time';

export type AnalyticsTrainer = Pick<Trainer, 'id' | 'timezone'>;
type Row = Record<string, unknown>;

/** Instants as the ISO text rows are compared with; a bound past year 9999 is clamped (`boundIso`). */
export const iso = boundIso;

/**
 * Several read statements in one D1 round trip (a batch); the rows come back per statement,
 * typed by the caller (D1 hands back plain objects of numbers, strings and nulls).
 */
export async function readBatch<T extends Row[][]>(db: Db, queries: SQL[]): Promise<T> {
  const results = await db.$client.batch(queries.map((q) => statement(db, q)));
  return results.map((r) => r.results) as T;
}

// ---- shared SQL ------------------------------------------------------------------------

/** The trainer's client packages (packages are the trainer's through their client). */
export const soldBy = (trainerId: number) =>
  sql`client_packages cp JOIN clients c ON c.id = cp.client_id WHERE c.trainer_id = ${trainerId}`;

/** The currency of the trainer's most recent package sale, USD when none. */
export const mainCurrencySql = (trainerId: number) =>
  sql`coalesce((SELECT cp.currency FROM ${soldBy(trainerId)}
    ORDER BY cp.purchased_at DESC, cp.id DESC LIMIT 1), ${DEFAULT_CURRENCY})`;

export const byCurrency = (rows: { currency: string; cents: number }[]): Record<string, string> =>
  Object.fromEntries(
    [...rows].sort((a, b) => a.currency.localeCompare(b.currency)).map((r) => [r.currency, formatCents(r.cents)]),
  );

// ---- wall-clock fields in SQL ------------------------------------------------------------
//
// SQLite knows no time zones, only fixed modifiers ('+32400 seconds'). The zone's offset
// changes (DST, law) are computed from the zone's rules for exactly the span the query covers
// (lib/calendar.ts offsetSpans); the statement then shifts each stored UTC instant by the
// offset in force at that instant, chosen by a CASE over the span boundaries, and groups by
// strftime of the shifted value. That is the exact local wall time, evaluated inside D1, so
// only the grouped counts travel back. A span list longer than SPANS_PER_STATEMENT is split
// over several statements of one batch (D1 allows 100 bound parameters per statement), each
// restricted to its own slice of time, and their groups are added up.

const SPANS_PER_STATEMENT = 30;

const shift = (seconds: number) => `${seconds >= 0 ? '+' : ''}${seconds} seconds`;

/** `strftime(format, column, <offset in force at column>)`; column must lie inside the spans. */
export function wallClock(format: string, column: SQL, spans: OffsetSpan[]): SQL {
  const last = spans[spans.length - 1] as OffsetSpan;
  const branches = spans.slice(0, -1).map((s) => sql`WHEN ${column} < ${iso(s.end)} THEN ${shift(s.offsetSeconds)}`);
  const modifier = branches.length
    ? sql`CASE ${sql.join(branches, sql` `)} ELSE ${shift(last.offsetSeconds)} END`
    : sql`${shift(last.offsetSeconds)}`;
  return sql`strftime(${format}, ${column}, ${modifier})`;
}

/** One grouped statement per slice of at most SPANS_PER_STATEMENT spans; `build` gets the slice's bounds. */
export function perSpanSlice(
  spans: OffsetSpan[],
  build: (slice: OffsetSpan[], from: string, to: string) => SQL,
): SQL[] {
  const out: SQL[] = [];
  for (let i = 0; i < spans.length; i += SPANS_PER_STATEMENT) {
    const slice = spans.slice(i, i + SPANS_PER_STATEMENT);
    const first = slice[0] as OffsetSpan;
    const last = slice[slice.length - 1] as OffsetSpan;
    out.push(build(slice, iso(first.start), iso(last.end)));
  }
  return out;
}

export const bucketColumn = sql.raw('bucket');

/** Adds up `{bucket, n}` rows of several slices. */
export function sumBuckets(results: { bucket: string; n: number }[][]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const rows of results) for (const r of rows) totals.set(r.bucket, (totals.get(r.bucket) ?? 0) + r.n);
  return totals;
}

/** 400 when a local date range (both ends inclusive) ends before it begins. */
export function checkDayRange(range: { from?: string | null; to?: string | null }): void {
  if (range.from && range.to && range.to < range.from) {
    throw invalidField('to', 'The last day must not be before the first day.');
  }
}
