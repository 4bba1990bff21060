// One list, detail and change implementation for every model in ./models.ts, across all
// trainers (the one place that is not tenant-scoped), and the audit log every change writes.
import { eq, getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm';
import type { scheduleOf } from '../bookings/schedule-object';
import { adminAuditLog, adminSessions, notifications, sessions } from '../db/schema';
import { addDays, isValidDate } from '../lib/calendar';
import { containsAny, type Db, isUniqueViolation, statement } from '../lib/db';
import { formatCents } from '../lib/money';
import { type PageQuery, pageOffset, parseOrdering } from '../lib/pagination';
import { invalidField, notFound } from '../lib/problem';
import { retryNotification } from '../notifications/service';
import type { NotifyMessage } from '../notifications/types';
import { type Column, type Filter, MODEL_ORDER, MODELS, type ModelDef, type Relation } from './models';

/** The signed-in staff user making a change. */
export interface Staff {
  id: number;
  email: string;
}

export type ListQuery = PageQuery & { search?: string; ordering?: string } & Record<string, unknown>;
type Values = Record<string, unknown>;
export type Changes = Record<string, { before: unknown; after: unknown }>;

/** A listed row: its columns, and the zone its times are also shown in. */
export interface Row {
  values: Values;
  zone: string;
}

export interface Detail {
  model: string;
  id: number;
  timezone: string;
  record: Values;
  /** A one-relation is a row or null; a many-relation is `{count, results}` (the first few). */
  related: Record<string, Values | null | { count: number; results: Values[] }>;
}

const raw = (text: string) => sql.raw(text);
const zoneOf = (def: ModelDef) => raw(def.zone ?? 'tr.timezone');

// ---- lists -----------------------------------------------------------------------------

function decode(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.kind === 'bool') return value === 1 || value === true;
  if (column.kind === 'money') return formatCents(Number(value));
  return value;
}

function decodeRow(def: ModelDef, row: Values): Row {
  const values: Values = {};
  for (const [name, column] of Object.entries(def.columns)) values[name] = decode(column, row[name]);
  return { values, zone: typeof row._zone === 'string' ? row._zone : 'UTC' };
}

/** A range bound: a date is a whole UTC day (or a local date for date columns), an instant is itself. */
function bound(f: Extract<Filter, { kind: 'range' }>, value: string, end: boolean): SQL {
  const expr = raw(f.expr);
  if (!f.dates && isValidDate(value)) {
    return end ? sql`${expr} < ${`${addDays(value, 1)}T00:00:00.000Z`}` : sql`${expr} >= ${`${value}T00:00:00.000Z`}`;
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
function listStatements(db: Db, def: ModelDef, q: ListQuery, extra?: SQL): [D1PreparedStatement, D1PreparedStatement] {
  const order = parseOrdering(q.ordering, Object.keys(def.columns), defaultOrdering(def));
  const conditions = filterConditions(def, q);
  if (extra) conditions.push(extra);
  const where = conditions.length ? sql` WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
  const columns = Object.entries(def.columns).map(([name, c]) => sql`${raw(c.expr)} AS ${sql.identifier(name)}`);
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

function pageFrom(def: ModelDef, countResult?: D1Result<Values>, rowsResult?: D1Result<Values>) {
  const count = Number(countResult?.results[0]?.n ?? 0);
  return { count, results: (rowsResult?.results ?? []).map((r) => decodeRow(def, r)) };
}

export async function listRecords(db: Db, def: ModelDef, q: ListQuery): Promise<{ count: number; results: Row[] }> {
  const [countResult, rowsResult] = await db.$client.batch<Values>(listStatements(db, def, q));
  return pageFrom(def, countResult, rowsResult);
}

/** Rows per model, for the console's front page. */
export async function countAll(db: Db): Promise<Record<string, number>> {
  const results = await db.$client.batch<{ n: number }>(
    MODEL_ORDER.map((m) => statement(db, sql`SELECT count(*) AS n FROM ${sql.identifier(getTableName(m.table))}`)),
  );
  return Object.fromEntries(MODEL_ORDER.map((m, i) => [m.name, results[i]?.results[0]?.n ?? 0]));
}

// ---- one record ------------------------------------------------------------------------

const recordStatement = (db: Db, def: ModelDef, id: number) =>
  statement(db, sql`SELECT t.*, ${zoneOf(def)} AS _zone FROM ${raw(def.from)} WHERE t.id = ${id}`);

/** The full row, snake_case as in D1, decoded by drizzle (booleans, JSON), secrets left out. */
function decodeRecord(def: ModelDef, row: Values): Values {
  const record: Values = {};
  for (const column of Object.values(getTableColumns(def.table))) {
    if (def.hidden?.includes(column.name)) continue;
    const value = row[column.name];
    record[column.name] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return record;
}

export async function findRecord(db: Db, def: ModelDef, id: number): Promise<Values> {
  const row = await recordStatement(db, def, id).first<Values>();
  if (!row) throw notFound(`No ${def.singular} with id ${id}.`);
  return decodeRecord(def, row);
}

/** Rows of the relation's model whose column equals this record's field. */
function relationCondition(def: ModelDef, rel: Relation, id: number): SQL {
  const value =
    rel.value === 'id'
      ? sql`${id}`
      : sql`(SELECT ${sql.identifier(rel.value)} FROM ${sql.identifier(getTableName(def.table))} WHERE id = ${id})`;
  return sql`${raw(rel.column)} = ${value}`;
}

const HISTORY: Relation = { name: 'history', model: 'audit-log', column: 't.record_id', value: 'id', limit: 10 };

/** The record and its related records, in one D1 batch. */
export async function getRecord(db: Db, def: ModelDef, id: number): Promise<Detail> {
  const relations = def.name === 'audit-log' ? def.related : [...def.related, HISTORY];
  const statements = [recordStatement(db, def, id)];
  for (const rel of relations) {
    const condition =
      rel === HISTORY ? sql`t.model = ${def.name} AND t.record_id = ${id}` : relationCondition(def, rel, id);
    const size = rel.one ? 1 : (rel.limit ?? 10);
    statements.push(...listStatements(db, MODELS[rel.model], { page: 1, page_size: size }, condition));
  }
  const results = await db.$client.batch<Values>(statements);
  const row = results[0]?.results[0];
  if (!row) throw notFound(`No ${def.singular} with id ${id}.`);
  const related: Detail['related'] = {};
  relations.forEach((rel, i) => {
    const page = pageFrom(MODELS[rel.model], results[1 + 2 * i], results[2 + 2 * i]);
    const values = page.results.map((r) => r.values);
    related[rel.name] = rel.one ? (values[0] ?? null) : { count: page.count, results: values };
  });
  return {
    model: def.name,
    id,
    timezone: typeof row._zone === 'string' ? row._zone : 'UTC',
    record: decodeRecord(def, row),
    related,
  };
}

// ---- changes, each with its audit row --------------------------------------------------

/** A database handle and the time of the request (ISO), which audit rows and updated_at record. */
export interface Writer {
  db: Db;
  now: string;
}

/** The audit row of a change, written only while `guard` holds (SQL over the batch's state). */
export function audit(
  { db, now }: Writer,
  staff: Staff,
  def: ModelDef,
  id: number,
  action: string,
  changes: Changes,
  guard: SQL,
) {
  return statement(
    db,
    sql`INSERT INTO ${adminAuditLog} (staff_user_id, model, record_id, action, changes, at)
      SELECT ${staff.id}, ${def.name}, ${id}, ${action}, ${JSON.stringify(changes)}, ${now} WHERE ${guard}`,
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function changesOf(record: Values, input: Values, fields: string[]): Changes {
  const changes: Changes = {};
  for (const name of fields) {
    if (input[name] !== undefined && !same(record[name], input[name])) {
      changes[name] = { before: record[name] ?? null, after: input[name] };
    }
  }
  return changes;
}

/** Plain column changes: the UPDATE, its audit row (guarded on the UPDATE) and follow-ups, one batch. */
async function writeChanges(w: Writer, staff: Staff, def: ModelDef, id: number, changes: Changes) {
  const { db } = w;
  const columns = new Map(Object.values(getTableColumns(def.table)).map((c) => [c.name, c]));
  const assignments = Object.entries(changes).map(
    ([name, { after }]) => sql`${sql.identifier(name)} = ${columns.get(name)?.mapToDriverValue(after) ?? after}`,
  );
  if (columns.has('updated_at')) assignments.push(sql`updated_at = ${w.now}`);
  const table = sql.identifier(getTableName(def.table));
  const writes = [
    statement(db, sql`UPDATE ${table} SET ${sql.join(assignments, sql`, `)} WHERE id = ${id}`),
    audit(w, staff, def, id, 'update', changes, sql`changes() = 1`),
  ];
  if (def.name === 'users' && changes.is_active?.after === false) {
    // Deactivation revokes every API token and console session of the user in the same batch.
    writes.push(
      statement(db, sql`DELETE FROM ${sessions} WHERE user_id = ${id}`),
      statement(db, sql`DELETE FROM ${adminSessions} WHERE user_id = ${id}`),
    );
  }
  try {
    await db.$client.batch(writes);
  } catch (err) {
    if (def.unique && isUniqueViolation(err)) throw invalidField(def.unique, `This ${def.unique} is already taken.`);
    throw err;
  }
}

/** What a change may need beside the database: the notification queue and trainers' schedules. */
export interface Deps extends Writer {
  queue: Queue<NotifyMessage>;
  /** The trainer's TrainerSchedule object. */
  schedule: (trainerId: number) => ReturnType<typeof scheduleOf>;
}

/** Booking fields that change state through the booking rules (booking-actions.ts), never by a plain UPDATE. */
export const BOOKING_STATE_FIELDS = [
  'status',
  'cancellation_reason',
  'start_time',
  'end_time',
  'allow_outside_availability',
];

/**
 * Applies the allow-listed fields of `input` (already validated by the model's patch schema);
 * anything else is ignored. A field equal to its current value changes nothing. A booking's
 * status and time are not applied here (see BOOKING_STATE_FIELDS).
 */
export async function patchRecord(deps: Deps, staff: Staff, def: ModelDef, id: number, input: Values): Promise<Detail> {
  const allowed = Object.keys(def.patch ?? {});
  const current = await findRecord(deps.db, def, id);
  // A booking's status and time are changed by booking-actions.ts first; here only its plain fields.
  const plain = def.name === 'bookings' ? allowed.filter((f) => !BOOKING_STATE_FIELDS.includes(f)) : allowed;
  const changes = changesOf(current, input, plain);
  if (Object.keys(changes).length) await writeChanges(deps, staff, def, id, changes);
  return getRecord(deps.db, def, id);
}

/** The one hard delete: a client note, with its content kept in the audit row of the same batch. */
export async function deleteRecord(w: Writer, staff: Staff, def: ModelDef, id: number): Promise<void> {
  const { db } = w;
  const current = await findRecord(db, def, id);
  const changes: Changes = Object.fromEntries(
    Object.entries(current).map(([name, before]) => [name, { before, after: null }]),
  );
  const table = sql.identifier(getTableName(def.table));
  await db.$client.batch([
    audit(w, staff, def, id, 'delete', changes, sql`EXISTS (SELECT 1 FROM ${table} WHERE id = ${id})`),
    statement(db, sql`DELETE FROM ${table} WHERE id = ${id}`),
  ]);
}

/** A failed notification back to pending and onto the queue, through the notifications service. */
export async function retryRecord(deps: Deps, staff: Staff, def: ModelDef, id: number): Promise<Detail> {
  const { db } = deps;
  const row = await db
    .select({ trainerId: notifications.trainerId, status: notifications.status })
    .from(notifications)
    .where(eq(notifications.id, id))
    .get();
  if (!row) throw notFound(`No ${def.singular} with id ${id}.`);
  // The audit row in the retry's batch, right after its UPDATE: written only if that row changed.
  const entry = audit(
    deps,
    staff,
    def,
    id,
    'retry',
    { status: { before: row.status, after: 'pending' } },
    sql`changes() = 1`,
  );
  await retryNotification(db, deps.queue, row.trainerId, id, deps.now, [entry]);
  return getRecord(db, def, id);
}
