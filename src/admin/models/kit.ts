// The vocabulary of the console's model declarations (people.ts, sales.ts): their types and the
// small builders they are written with.
//
// SQL here is static text written by us (aliases: t = the model's table, tr/tu = its trainer and
// the trainer's user, c = a client); values from a request only ever travel as bound parameters.
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { ZodType } from 'zod';

export const MODEL_NAMES = [
  'users',
  'trainers',
  'clients',
  'client-notes',
  'availability-slots',
  'trainer-breaks',
  'bookings',
  'packages',
  'client-packages',
  'package-ledger',
  'subscriptions',
  'payments',
  'notifications',
  'webhook-events',
  'calendar-connections',
  'dashboard-metrics',
  'audit-log',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** How a listed value is decoded and shown. */
export type Kind = 'int' | 'text' | 'bool' | 'instant' | 'date' | 'money' | 'json';

export interface Column {
  expr: string;
  kind: Kind;
  /** The model an id in this column points at (the console links it). */
  link?: ModelName;
  /** The column (of the same row) naming the model `record_id`-like ids point at (the audit log's `model`). */
  linkVia?: string;
  /** SQL for the text of the link (a name), and for a second line beside it (an email). */
  label?: string;
  sub?: string;
  /** Money: the column of the same row holding its ISO 4217 code. */
  currency?: string;
  /** A local date (SQL) after which a true value no longer holds, judged in the row's zone (expiry). */
  until?: string;
  /** How the console shows it: a status badge, minutes as a duration, an audit entry's changes. */
  show?: 'badge' | 'minutes' | 'changes';
  /** In the JSON API only: the console shows it through another column's link. */
  apiOnly?: boolean;
}

/**
 * A list filter, by query parameter: `eq` compares (int, text, one of `values`, or a boolean),
 * `present` is true when the expression is not NULL, `range` adds `<name>_from` and `<name>_to`
 * (dates are UTC days, both ends inclusive; instants are accepted too).
 */
export type Filter =
  | {
      kind: 'int';
      expr: string /** The console asks for it by name or email: a picker of this model. */;
      pick?: PickModel;
    }
  | { kind: 'text' | 'bool'; expr: string }
  | { kind: 'enum'; expr: string; values: readonly string[] }
  | { kind: 'present'; expr: string }
  | { kind: 'range'; expr: string; dates?: boolean };

/** The models a picker finds by name, email or id. */
export type PickModel = 'trainers' | 'clients' | 'users';

/** Records of `model` whose `column` equals this record's `value` field: one, or the first `limit` of many. */
export interface Relation {
  name: string;
  model: ModelName;
  column: string;
  value: string;
  one?: boolean;
  limit?: number;
}

/** How the console asks for a field. */
export type Input = 'text' | 'textarea' | 'number' | 'bool' | 'instant' | { options: readonly string[] };

export interface PatchField {
  schema: ZodType;
  input: Input;
  help?: string;
}

export interface ModelDef {
  name: ModelName;
  label: string;
  singular: string;
  table: SQLiteTable;
  from: string;
  /** SQL for the IANA zone the record's times are also shown in; default its trainer's, joined as `tr`. */
  zone?: string;
  columns: Record<string, Column>;
  filters: Record<string, Filter>;
  search: string[];
  /** Lower-case plural for counts ("4 audit log entries"); default the singular + "s". */
  plural?: string;
  /** Default `ordering`, e.g. "-id". */
  ordering: string;
  related: Relation[];
  /** Columns never shown (secrets). */
  hidden?: string[];
  /** Text columns holding JSON (not decoded by drizzle): the console shows them as lists. */
  jsonText?: string[];
  /** The allow-list of PATCH; anything else in a body is ignored. */
  patch?: Record<string, PatchField>;
  /** The field a UNIQUE violation of a change is reported on. */
  unique?: string;
  /** Columns written beside a changed PATCH field, from its new value (a name's sort key). */
  derived?: Record<string, { column: string; of: (value: unknown) => unknown }>;
  /** Extra operations beyond PATCH. */
  deletable?: boolean;
  retryable?: boolean;
}

// ---- building blocks -------------------------------------------------------------------

export const col = (
  expr: string,
  kind: Kind = 'text',
  link?: ModelName,
  more: Omit<Column, 'expr' | 'kind' | 'link'> = {},
): Column => ({
  expr,
  kind,
  ...(link && { link }),
  ...more,
});
/** An id linking to its record, shown by its name (and email). */
export const ref = (expr: string, link: ModelName, label: string, sub?: string): Column =>
  col(expr, 'int', link, { label, ...(sub && { sub }) });
/** Money in minor units with the column holding its currency. */
export const money = (expr: string, currency = 'currency'): Column => col(expr, 'money', undefined, { currency });
export const badge = (expr: string): Column => col(expr, 'text', undefined, { show: 'badge' });
export const id = col('t.id', 'int');
export const createdAt = col('t.created_at', 'instant');
export const eq = (kind: 'int' | 'text' | 'bool', expr: string): Filter => ({ kind, expr });
export const oneOf = (expr: string, values: readonly string[]): Filter => ({ kind: 'enum', expr, values });
export const range = (expr: string, dates = false): Filter => ({ kind: 'range', expr, dates });
export const created = { created: range('t.created_at') };

export const person = (a: string) => `coalesce(nullif(trim(${a}.first_name || ' ' || ${a}.last_name), ''), ${a}.email)`;
export const TRAINER_NAME = `coalesce(nullif(tr.business_name, ''), ${person('tu')})`;
export const withTrainer = (on: string) => `JOIN trainers tr ON tr.id = ${on} JOIN users tu ON tu.id = tr.user_id`;
export const trainerColumns = {
  trainer: ref('t.trainer_id', 'trainers', TRAINER_NAME, 'tu.email'),
  trainer_name: col(TRAINER_NAME, 'text', undefined, { apiOnly: true }),
};
export const TRAINER_SEARCH = ['tr.business_name', 'tu.email'];
export const clientColumns = {
  client: ref('t.client_id', 'clients', person('c'), 'c.email'),
  client_name: col(person('c'), 'text', undefined, { apiOnly: true }),
};
/** A booking link's text: its start (UTC) and client. */
export const BOOKING_LABEL = `(SELECT replace(substr(b.start_time, 1, 16), 'T', ' ') || ' UTC · ' || ${person('bc')}
  FROM bookings b JOIN clients bc ON bc.id = b.client_id WHERE b.id = t.booking_id)`;
export const CLIENT_SEARCH = ['c.first_name', 'c.last_name', 'c.email'];
/** An id filter the console asks for as a picker of `model` (name, email or id). */
export const pick = (expr: string, model: PickModel): Filter => ({ kind: 'int', expr, pick: model });
export const byTrainer = { trainer: pick('t.trainer_id', 'trainers') };

/** Many `model` rows whose `column` equals this record's `value` field (its id unless told). */
export const many = (name: string, model: ModelName, column: string, value = 'id'): Relation => ({
  name,
  model,
  column,
  value,
  limit: 10,
});
/** The `model` row this record's `value` field points at. */
export const one = (name: string, model: ModelName, value: string, column = 't.id'): Relation => ({
  name,
  model,
  column,
  value,
  one: true,
});
export const trainerOf = one('trainer', 'trainers', 'trainer_id');

export const field = (schema: ZodType, input: Input = 'text', help?: string): PatchField => ({
  schema,
  input,
  ...(help && { help }),
});
