// The console's and the admin API's lists: one select, filter, search and sort implementation for
// every model in ./models, across all trainers, and how a listed row is decoded.
import { getTableName, type SQL, sql } from 'drizzle-orm';
import { addDays, isValidDate, startOfDayMs, today } from '../lib/calendar';
import { containsAny, type Db, statement } from '../lib/db';
import { displayAmount, formatCents } from '../lib/money';
import { type PageQuery, pageOffset, parseOrdering } from '../lib/pagination';
import { boundIso } from '../lib/time';
import { type Column, type Filter, MODEL_ORDER, type ModelDef } from './models';

export type ListQuery = PageQuery & { search?: string; ordering?: string } & Record<string, unknown>;
export type Values = Record<string, unknown>;

/** A listed row: its columns, the zone its times are also shown in, and what the console shows beside them. */
export interface Row {
  values: Values;
  zone: string;
  /** A link column's name and email, by column. */
  links?: Record<string, { label: unknown; sub: unknown }>;
  /** Money for people ("$600.00"), by column. */
  display?: Record<string, string>;
}

export const raw = (text: string) => sql.raw(text);
export const zoneOf = (def: ModelDef) => raw(def.zone ?? 'tr.timezone');

// ---- lists -----------------------------------------------------------------------------

function decode(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.kind === 'bool') return value === 1 || value === true;
  if (column.kind === 'money') return formatCents(Number(value));
  if (column.kind === 'json') return typeof value === 'string' ? JSON.parse(value) : value;
  return value;
}

function decodeRow(def: ModelDef, row: Values, now: string): Row {
  const zone = typeof row._zone === 'string' ? row._zone : 'UTC';
  const values: Values = {};
  const links: NonNullable<Row['links']> = {};
  const display: Record<string, string> = {};
  for (const [name, column] of Object.entries(def.columns)) {
    values[name] = decode(column, row[name]);
    const until = row[`${name}__until`];
    if (column.until && values[name] === true && typeof until === 'string')
      values[name] = until >= today(zone, Date.parse(now));
    if (column.label) links[name] = { label: row[`${name}__label`] ?? null, sub: row[`${name}__sub`] ?? null };
    const currency = column.currency && row[column.currency];
    if (column.kind === 'money' && row[name] !== null && typeof currency === 'string') {
      display[name] = displayAmount(Number(row[name]), currency);
    }
  }
  return { values, zone, links, display };
}

/** The select list of a model's columns, with each link's name and email and each expiry beside them. */
function selectList(def: ModelDef): SQL[] {
  const out: SQL[] = [];
  for (const [name, c] of Object.entries(def.columns)) {
    out.push(sql`${raw(c.expr)} AS ${sql.identifier(name)}`);
    for (const [suffix, expr] of [
      ['label', c.label],
      ['sub', c.sub],
      ['until', c.until],
    ] as const) {
      if (expr) out.push(sql`${raw(expr)} AS ${sql.identifier(`${name}__${suffix}`)}`);
    }
  }
  return out;
}

/** A range bound: a date is a whole UTC day (or a local date for date columns), an instant is itself. */
function bound(f: Extract<Filter, { kind: 'range' }>, value: string, end: boolean): SQL {
  const expr = raw(f.expr);
  if (!f.dates && isValidDate(value)) {
    return end
      ? sql`${expr} < ${boundIso(startOfDayMs(addDays(value, 1), 'UTC'))}`
      : sql`${expr} >= ${`${value}T00:00:00.000Z`}`;
  }
  return end ? sql`${expr} <= ${value}` : sql`${expr} >= ${value}`;
}

function filterConditions(def: ModelDef, q: ListQuery): SQL[] {
  const conditions: SQL[] = [];
  for (const [name, f] of Object.entries(def.filters)) {
    if (f.kind === 'range') {
      const from = q[`${name}_from`];
      const to = q[`${name}_to`];
      if (typeof from === 'string') conditions.push(bound(f, from, false));
      if (typeof to === 'string') conditions.push(bound(f, to, true));
      continue;
    }
    const value = q[name];
    if (value === undefined) continue;
    if (f.kind === 'present') conditions.push(sql`${raw(f.expr)} IS ${raw(value ? 'NOT NULL' : 'NULL')}`);
    else conditions.push(sql`${raw(f.expr)} = ${f.kind === 'bool' ? Number(value === true) : value}`);
  }
  if (q.search) conditions.push(containsAny(def.search.map(raw), q.search));
  return conditions;
}

const defaultOrdering = (def: ModelDef) => ({
  field: def.ordering.replace(/^-/, ''),
  desc: def.ordering.startsWith('-'),
});

/** The count and page statements of a list, for the caller's batch; `extra` narrows it (relations). */
export function listStatements(
  db: Db,
  def: ModelDef,
  q: ListQuery,
  extra?: SQL,
): [D1PreparedStatement, D1PreparedStatement] {
  const order = parseOrdering(q.ordering, Object.keys(def.columns), defaultOrdering(def));
  const conditions = filterConditions(def, q);
  if (extra) conditions.push(extra);
  const where = conditions.length ? sql` WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
  const columns = selectList(def);
  const dir = raw(order.desc ? 'DESC' : 'ASC');
  return [
    statement(db, sql`SELECT count(*) AS n FROM ${raw(def.from)}${where}`),
    statement(
      db,
      sql`SELECT ${sql.join(columns, sql`, `)}, ${zoneOf(def)} AS _zone FROM ${raw(def.from)}${where}
        ORDER BY ${sql.identifier(order.field)} ${dir}, t.id ${dir} LIMIT ${q.page_size} OFFSET ${pageOffset(q)}`,
    ),
  ];
}

export function pageFrom(def: ModelDef, now: string, countResult?: D1Result<Values>, rowsResult?: D1Result<Values>) {
  const count = Number(countResult?.results[0]?.n ?? 0);
  return { count, results: (rowsResult?.results ?? []).map((r) => decodeRow(def, r, now)) };
}

/** A page of a model's rows; `now` judges what depends on the day (a client package's expiry). */
export async function listRecords(
  db: Db,
  def: ModelDef,
  q: ListQuery,
  now: string,
): Promise<{ count: number; results: Row[] }> {
  const [countResult, rowsResult] = await db.$client.batch<Values>(listStatements(db, def, q));
  return pageFrom(def, now, countResult, rowsResult);
}

/** Rows per model, for the console's front page. */
export async function countAll(db: Db): Promise<Record<string, number>> {
  const results = await db.$client.batch<{ n: number }>(
    MODEL_ORDER.map((m) => statement(db, sql`SELECT count(*) AS n FROM ${sql.identifier(getTableName(m.table))}`)),
  );
  return Object.fromEntries(MODEL_ORDER.map((m, i) => [m.name, results[i]?.results[0]?.n ?? 0]));
}
