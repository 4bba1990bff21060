// One list, detail and change implementation for every model in ./models.ts, across all
// trainers (the one place that is not tenant-scoped), and the audit log every change writes.
import { eq, getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm';
import type { scheduleOf } from '../bookings/schedule-object';
import { adminAuditLog, adminSessions, notifications, sessions } from '../db/schema';
import { type Db, isUniqueViolation, statement } from '../lib/db';
import { invalidField, notFound } from '../lib/problem';
import { retryNotification } from '../notifications/service';
import type { NotifyMessage } from '../notifications/types';
import { listStatements, pageFrom, type Row, raw, type Values, zoneOf } from './list';
import { MODELS, type ModelDef, type Relation } from './models';

export { countAll, type ListQuery, listRecords, type Row } from './list';

/** The signed-in staff user making a change. */
export interface Staff {
  id: number;
  email: string;
}

export type Changes = Record<string, { before: unknown; after: unknown }>;

export interface Detail {
  model: string;
  id: number;
  timezone: string;
  record: Values;
  /** A one-relation is a row or null; a many-relation is `{count, results}` (the first few). */
  related: Record<string, Values | null | { count: number; results: Values[] }>;
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
export async function getRecord(db: Db, def: ModelDef, id: number, now: string): Promise<Detail> {
  return (await readRecord(db, def, id, now)).detail;
}

/** The detail, and its related records as listed rows (names, money), for the console's page. */
export async function readRecord(
  db: Db,
  def: ModelDef,
  id: number,
  now: string,
): Promise<{ detail: Detail; rows: Record<string, Row[]> }> {
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
  const rows: Record<string, Row[]> = {};
  relations.forEach((rel, i) => {
    const page = pageFrom(MODELS[rel.model], now, results[1 + 2 * i], results[2 + 2 * i]);
    const values = page.results.map((r) => r.values);
    related[rel.name] = rel.one ? (values[0] ?? null) : { count: page.count, results: values };
    rows[rel.name] = page.results;
  });
  const timezone = typeof row._zone === 'string' ? row._zone : 'UTC';
  return { detail: { model: def.name, id, timezone, record: decodeRecord(def, row), related }, rows };
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
  for (const [name, d] of Object.entries(def.derived ?? {})) {
    if (changes[name]) assignments.push(sql`${sql.identifier(d.column)} = ${d.of(changes[name].after)}`);
  }
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
  return getRecord(deps.db, def, id, deps.now);
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
  return getRecord(db, def, id, deps.now);
}
