// The staff console's models, one declarative entry each: what a list shows, how it filters,
// searches and sorts, what a detail page relates, and the allow-list of fields staff may change.
// src/admin/service.ts runs every one of them through the same list/detail/patch code.
//
// SQL here is static text written by us (aliases: t = the model's table, tr/tu = its trainer and
// the trainer's user, c = a client); values from a request only ever travel as bound parameters.
import { z } from '@hono/zod-openapi';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { ZodType } from 'zod';
import { cancelBody, instantField } from '../bookings/schemas';
import { clientPatchBody } from '../clients/schemas';
import {
  adminAuditLog,
  availabilitySlots,
  BOOKING_STATUSES,
  bookings,
  clientNotes,
  clientPackages,
  clients,
  FITNESS_LEVELS,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  NOTIFICATION_STATUSES,
  notifications,
  PAYMENT_STATUSES,
  packageLedger,
  payments,
  sessionPackages,
  subscriptions,
  trainerBreaks,
  trainers,
  users,
  webhookEvents,
} from '../db/schema';
import { SUBSCRIPTION_STATUSES } from '../payments/schemas';
import { profileUpdateBody, trainerSettingsFields } from '../users/schemas';

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
  'audit-log',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** How a listed value is decoded and shown. */
export type Kind = 'int' | 'text' | 'bool' | 'instant' | 'date' | 'money';

export interface Column {
  expr: string;
  kind: Kind;
  /** The model an id in this column points at (the console links it). */
  link?: ModelName;
}

/**
 * A list filter, by query parameter: `eq` compares (int, text, one of `values`, or a boolean),
 * `present` is true when the expression is not NULL, `range` adds `<name>_from` and `<name>_to`
 * (dates are UTC days, both ends inclusive; instants are accepted too).
 */
export type Filter =
  | { kind: 'int' | 'text' | 'bool'; expr: string }
  | { kind: 'enum'; expr: string; values: readonly string[] }
  | { kind: 'present'; expr: string }
  | { kind: 'range'; expr: string; dates?: boolean };

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
  /** Default `ordering`, e.g. "-id". */
  ordering: string;
  related: Relation[];
  /** Columns never shown (secrets). */
  hidden?: string[];
  /** The allow-list of PATCH; anything else in a body is ignored. */
  patch?: Record<string, PatchField>;
  /** The field a UNIQUE violation of a change is reported on. */
  unique?: string;
  /** Extra operations beyond PATCH. */
  deletable?: boolean;
  retryable?: boolean;
}

// ---- building blocks -------------------------------------------------------------------

const col = (expr: string, kind: Kind = 'text', link?: ModelName): Column => ({ expr, kind, ...(link && { link }) });
const id = col('t.id', 'int');
const createdAt = col('t.created_at', 'instant');
const eq = (kind: 'int' | 'text' | 'bool', expr: string): Filter => ({ kind, expr });
const oneOf = (expr: string, values: readonly string[]): Filter => ({ kind: 'enum', expr, values });
const range = (expr: string, dates = false): Filter => ({ kind: 'range', expr, dates });
const created = { created: range('t.created_at') };

const person = (a: string) => `coalesce(nullif(trim(${a}.first_name || ' ' || ${a}.last_name), ''), ${a}.email)`;
const TRAINER_NAME = `coalesce(nullif(tr.business_name, ''), ${person('tu')})`;
const withTrainer = (on: string) => `JOIN trainers tr ON tr.id = ${on} JOIN users tu ON tu.id = tr.user_id`;
const trainerColumns = { trainer: col('t.trainer_id', 'int', 'trainers'), trainer_name: col(TRAINER_NAME) };
const TRAINER_SEARCH = ['tr.business_name', 'tu.email'];
const clientColumns = { client: col('t.client_id', 'int', 'clients'), client_name: col(person('c')) };
const CLIENT_SEARCH = ['c.first_name', 'c.last_name', 'c.email'];
const byTrainer = { trainer: eq('int', 't.trainer_id') };

/** Many `model` rows whose `column` equals this record's `value` field (its id unless told). */
const many = (name: string, model: ModelName, column: string, value = 'id'): Relation => ({
  name,
  model,
  column,
  value,
  limit: 10,
});
/** The `model` row this record's `value` field points at. */
const one = (name: string, model: ModelName, value: string, column = 't.id'): Relation => ({
  name,
  model,
  column,
  value,
  one: true,
});
const trainerOf = one('trainer', 'trainers', 'trainer_id');

const field = (schema: ZodType, input: Input = 'text', help?: string): PatchField => ({
  schema,
  input,
  ...(help && { help }),
});
const clientFields = clientPatchBody.shape;
const trainerPatch: Record<string, PatchField> = Object.fromEntries(
  Object.entries(trainerSettingsFields).map(([name, schema]) => [
    name,
    field(schema, schema instanceof z.ZodBoolean ? 'bool' : schema instanceof z.ZodNumber ? 'number' : 'text'),
  ]),
);

// ---- the models ------------------------------------------------------------------------

const MODEL_LIST: ModelDef[] = [
  {
    name: 'users',
    label: 'Users',
    singular: 'user',
    table: users,
    from: 'users t LEFT JOIN trainers tr ON tr.user_id = t.id',
    zone: "coalesce(tr.timezone, 'UTC')",
    columns: {
      id,
      email: col('t.email'),
      first_name: col('t.first_name'),
      last_name: col('t.last_name'),
      is_trainer: col('t.is_trainer', 'bool'),
      is_client: col('t.is_client', 'bool'),
      is_staff: col('t.is_staff', 'bool'),
      is_active: col('t.is_active', 'bool'),
      created_at: createdAt,
    },
    filters: {
      is_trainer: eq('bool', 't.is_trainer'),
      is_client: eq('bool', 't.is_client'),
      is_staff: eq('bool', 't.is_staff'),
      is_active: eq('bool', 't.is_active'),
      ...created,
    },
    search: ['t.email', 't.first_name', 't.last_name'],
    ordering: '-id',
    related: [one('trainer', 'trainers', 'id', 't.user_id'), many('client_records', 'clients', 't.email', 'email')],
    hidden: ['password_hash'],
    patch: {
      is_active: field(z.boolean(), 'bool', 'Deactivating signs the user out everywhere at once.'),
      first_name: field(profileUpdateBody.shape.first_name),
      last_name: field(profileUpdateBody.shape.last_name),
    },
  },
  {
    name: 'trainers',
    label: 'Trainers',
    singular: 'trainer',
    table: trainers,
    from: 'trainers t JOIN users tu ON tu.id = t.user_id',
    zone: 't.timezone',
    columns: {
      id,
      business_name: col('t.business_name'),
      email: col('tu.email'),
      name: col(`trim(tu.first_name || ' ' || tu.last_name)`),
      slug: col('t.slug'),
      timezone: col('t.timezone'),
      user: col('t.user_id', 'int', 'users'),
      created_at: createdAt,
    },
    filters: { timezone: eq('text', 't.timezone'), auto_confirm: eq('bool', 't.auto_confirm'), ...created },
    search: ['t.business_name', 't.slug', 'tu.email', 'tu.first_name', 'tu.last_name'],
    ordering: '-id',
    related: [
      one('user', 'users', 'user_id'),
      one('subscription', 'subscriptions', 'id', 't.trainer_id'),
      many('clients', 'clients', 't.trainer_id'),
      many('recent_bookings', 'bookings', 't.trainer_id'),
      many('packages', 'packages', 't.trainer_id'),
      many('payments', 'payments', 't.trainer_id'),
    ],
    patch: trainerPatch,
    unique: 'slug',
  },
  {
    name: 'clients',
    label: 'Clients',
    singular: 'client',
    table: clients,
    from: `clients t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      full_name: col(`trim(t.first_name || ' ' || t.last_name)`),
      email: col('t.email'),
      ...trainerColumns,
      fitness_level: col('t.fitness_level'),
      is_active: col('t.is_active', 'bool'),
      created_at: createdAt,
    },
    filters: {
      ...byTrainer,
      fitness_level: oneOf('t.fitness_level', FITNESS_LEVELS),
      is_active: eq('bool', 't.is_active'),
      ...created,
    },
    search: ['t.first_name', 't.last_name', 't.email', 't.phone', ...TRAINER_SEARCH],
    ordering: '-id',
    related: [
      trainerOf,
      many('notes', 'client-notes', 't.client_id'),
      many('bookings', 'bookings', 't.client_id'),
      many('packages', 'client-packages', 't.client_id'),
    ],
    patch: {
      email: field(clientFields.email),
      first_name: field(clientFields.first_name),
      last_name: field(clientFields.last_name),
      phone: field(clientFields.phone, 'text', 'International format, e.g. +14155550123.'),
    },
    unique: 'email',
  },
  {
    name: 'client-notes',
    label: 'Client notes',
    singular: 'client note',
    table: clientNotes,
    from: `client_notes t JOIN clients c ON c.id = t.client_id ${withTrainer('c.trainer_id')} LEFT JOIN users au ON au.id = t.created_by`,
    columns: {
      id,
      ...clientColumns,
      content: col('substr(t.content, 1, 80)'),
      created_by: col('t.created_by', 'int', 'users'),
      created_by_email: col('au.email'),
      created_at: createdAt,
    },
    filters: { client: eq('int', 't.client_id'), created_by: eq('int', 't.created_by'), ...created },
    search: ['t.content', 'au.email', ...CLIENT_SEARCH],
    ordering: '-id',
    related: [one('client', 'clients', 'client_id'), one('author', 'users', 'created_by')],
    deletable: true,
  },
  {
    name: 'availability-slots',
    label: 'Availability slots',
    singular: 'availability slot',
    table: availabilitySlots,
    from: `availability_slots t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      ...trainerColumns,
      day_of_week: col('t.day_of_week', 'int'),
      start_time: col('t.start_time'),
      end_time: col('t.end_time'),
      is_active: col('t.is_active', 'bool'),
    },
    filters: { ...byTrainer, day_of_week: eq('int', 't.day_of_week'), is_active: eq('bool', 't.is_active') },
    search: TRAINER_SEARCH,
    ordering: 'day_of_week',
    related: [trainerOf],
  },
  {
    name: 'trainer-breaks',
    label: 'Trainer breaks',
    singular: 'trainer break',
    table: trainerBreaks,
    from: `trainer_breaks t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      ...trainerColumns,
      start_date: col('t.start_date', 'date'),
      end_date: col('t.end_date', 'date'),
      reason: col('t.reason'),
    },
    filters: { ...byTrainer, start: range('t.start_date', true) },
    search: ['t.reason', ...TRAINER_SEARCH],
    ordering: '-start_date',
    related: [trainerOf],
  },
  {
    name: 'bookings',
    label: 'Bookings',
    singular: 'booking',
    table: bookings,
    from: `bookings t JOIN clients c ON c.id = t.client_id ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      ...trainerColumns,
      ...clientColumns,
      start_time: col('t.start_time', 'instant'),
      end_time: col('t.end_time', 'instant'),
      status: col('t.status'),
      created_at: createdAt,
    },
    filters: {
      status: oneOf('t.status', BOOKING_STATUSES),
      ...byTrainer,
      client: eq('int', 't.client_id'),
      start: range('t.start_time'),
    },
    search: [...CLIENT_SEARCH, 't.notes', ...TRAINER_SEARCH],
    ordering: '-start_time',
    related: [
      one('client', 'clients', 'client_id'),
      trainerOf,
      one('client_package', 'client-packages', 'client_package_id'),
      many('notifications', 'notifications', 't.booking_id'),
      many('ledger', 'package-ledger', 't.booking_id'),
    ],
    patch: {
      status: field(
        z.enum(['confirmed', 'cancelled', 'completed']),
        { options: BOOKING_STATUSES },
        'Follows the booking rules: pending → confirmed → completed; pending or confirmed → cancelled.',
      ),
      cancellation_reason: field(cancelBody.shape.reason, 'text', 'Used when the status becomes cancelled.'),
      start_time: field(instantField, 'instant', 'UTC, ISO 8601; checked by the trainer’s schedule.'),
      end_time: field(instantField, 'instant', 'UTC, ISO 8601.'),
      allow_outside_availability: field(z.boolean(), 'bool', 'Allow a new time outside the weekly availability.'),
      notes: field(z.string().max(5000), 'textarea'),
    },
  },
  {
    name: 'packages',
    label: 'Session packages',
    singular: 'session package',
    table: sessionPackages,
    from: `session_packages t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      ...trainerColumns,
      name: col('t.name'),
      sessions_count: col('t.sessions_count', 'int'),
      price: col('t.price_cents', 'money'),
      currency: col('t.currency'),
      is_active: col('t.is_active', 'bool'),
      created_at: createdAt,
    },
    filters: { ...byTrainer, is_active: eq('bool', 't.is_active'), currency: eq('text', 't.currency'), ...created },
    search: ['t.name', ...TRAINER_SEARCH],
    ordering: '-id',
    related: [trainerOf, many('sold', 'client-packages', 't.session_package_id')],
  },
  {
    name: 'client-packages',
    label: 'Client packages',
    singular: 'client package',
    table: clientPackages,
    from: `client_packages t JOIN clients c ON c.id = t.client_id JOIN session_packages sp ON sp.id = t.session_package_id ${withTrainer('c.trainer_id')}`,
    columns: {
      id,
      ...clientColumns,
      session_package: col('t.session_package_id', 'int', 'packages'),
      package_name: col('sp.name'),
      sessions_total: col('t.sessions_total', 'int'),
      sessions_remaining: col('t.sessions_remaining', 'int'),
      expiry_date: col('t.expiry_date', 'date'),
      price_paid: col('t.price_paid_cents', 'money'),
      currency: col('t.currency'),
      purchased_at: col('t.purchased_at', 'instant'),
    },
    filters: {
      client: eq('int', 't.client_id'),
      session_package: eq('int', 't.session_package_id'),
      trainer: eq('int', 'c.trainer_id'),
      purchased: range('t.purchased_at'),
    },
    search: [...CLIENT_SEARCH, 'sp.name'],
    ordering: '-purchased_at',
    related: [
      one('client', 'clients', 'client_id'),
      one('session_package', 'packages', 'session_package_id'),
      many('ledger', 'package-ledger', 't.client_package_id'),
      many('bookings', 'bookings', 't.client_package_id'),
    ],
  },
  {
    name: 'package-ledger',
    label: 'Package ledger',
    singular: 'ledger entry',
    table: packageLedger,
    from: `package_ledger t JOIN client_packages cp ON cp.id = t.client_package_id JOIN clients c ON c.id = cp.client_id ${withTrainer('c.trainer_id')}`,
    columns: {
      id,
      client_package: col('t.client_package_id', 'int', 'client-packages'),
      client_name: col(person('c')),
      booking: col('t.booking_id', 'int', 'bookings'),
      delta: col('t.delta', 'int'),
      reason: col('t.reason'),
      at: col('t.at', 'instant'),
    },
    filters: {
      client_package: eq('int', 't.client_package_id'),
      booking: eq('int', 't.booking_id'),
      reason: oneOf('t.reason', ['use_session', 'booking_completed', 'late_cancellation']),
      at: range('t.at'),
    },
    search: CLIENT_SEARCH,
    ordering: '-id',
    related: [one('client_package', 'client-packages', 'client_package_id'), one('booking', 'bookings', 'booking_id')],
  },
  {
    name: 'subscriptions',
    label: 'Subscriptions',
    singular: 'subscription',
    table: subscriptions,
    from: `subscriptions t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      ...trainerColumns,
      status: col('t.status'),
      paddle_subscription_id: col('t.paddle_subscription_id'),
      next_billing_date: col('t.next_billing_date', 'date'),
      scheduled_cancel_at: col('t.scheduled_cancel_at', 'instant'),
      created_at: createdAt,
    },
    filters: { status: oneOf('t.status', SUBSCRIPTION_STATUSES), ...byTrainer, ...created },
    search: ['t.paddle_subscription_id', 't.paddle_customer_id', ...TRAINER_SEARCH],
    ordering: '-id',
    related: [trainerOf, many('payments', 'payments', 't.subscription_id')],
  },
  {
    name: 'payments',
    label: 'Payments',
    singular: 'payment',
    table: payments,
    from: `payments t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      subscription: col('t.subscription_id', 'int', 'subscriptions'),
      ...trainerColumns,
      paddle_transaction_id: col('t.paddle_transaction_id'),
      amount: col('t.amount_cents', 'money'),
      currency: col('t.currency'),
      status: col('t.status'),
      created_at: createdAt,
    },
    filters: {
      status: oneOf('t.status', PAYMENT_STATUSES),
      ...byTrainer,
      subscription: eq('int', 't.subscription_id'),
      currency: eq('text', 't.currency'),
      ...created,
    },
    search: ['t.paddle_transaction_id', ...TRAINER_SEARCH],
    ordering: '-created_at',
    related: [one('subscription', 'subscriptions', 'subscription_id'), trainerOf],
  },
  {
    name: 'notifications',
    label: 'Notifications',
    singular: 'notification',
    table: notifications,
    from: `notifications t ${withTrainer('t.trainer_id')}`,
    columns: {
      id,
      ...trainerColumns,
      booking: col('t.booking_id', 'int', 'bookings'),
      kind: col('t.kind'),
      notification_type: col('t.notification_type'),
      recipient: col('t.recipient'),
      status: col('t.status'),
      attempts: col('t.attempts', 'int'),
      created_at: createdAt,
    },
    filters: {
      status: oneOf('t.status', NOTIFICATION_STATUSES),
      kind: oneOf('t.kind', NOTIFICATION_KINDS),
      notification_type: oneOf('t.notification_type', NOTIFICATION_CHANNELS),
      ...byTrainer,
      booking: eq('int', 't.booking_id'),
      ...created,
    },
    search: ['t.recipient', 't.subject', 't.failed_reason', ...TRAINER_SEARCH],
    ordering: '-id',
    related: [trainerOf, one('booking', 'bookings', 'booking_id')],
    retryable: true,
  },
  {
    name: 'webhook-events',
    label: 'Webhook events',
    singular: 'webhook event',
    table: webhookEvents,
    from: 'webhook_events t',
    zone: "'UTC'",
    columns: {
      id,
      event_id: col('t.event_id'),
      event_type: col('t.event_type'),
      occurred_at: col('t.occurred_at', 'instant'),
      processed_at: col('t.processed_at', 'instant'),
      error: col('t.error'),
      created_at: createdAt,
    },
    filters: {
      event_type: eq('text', 't.event_type'),
      processed: { kind: 'present', expr: 't.processed_at' },
      has_error: { kind: 'present', expr: 't.error' },
      occurred: range('t.occurred_at'),
    },
    // The payload carries the Paddle ids (sub_…, txn_…, ctm_…).
    search: ['t.event_id', 't.event_type', 't.payload'],
    ordering: '-occurred_at',
    related: [],
  },
  {
    name: 'audit-log',
    label: 'Audit log',
    singular: 'audit entry',
    table: adminAuditLog,
    from: 'admin_audit_log t LEFT JOIN users su ON su.id = t.staff_user_id',
    zone: "'UTC'",
    columns: {
      id,
      at: col('t.at', 'instant'),
      staff_user: col('t.staff_user_id', 'int', 'users'),
      staff_email: col('su.email'),
      model: col('t.model'),
      record_id: col('t.record_id', 'int'),
      action: col('t.action'),
    },
    filters: {
      staff_user: eq('int', 't.staff_user_id'),
      model: oneOf('t.model', MODEL_NAMES),
      record: eq('int', 't.record_id'),
      at: range('t.at'),
    },
    search: ['su.email', 't.action', 't.model'],
    ordering: '-id',
    related: [one('staff_user', 'users', 'staff_user_id')],
  },
];

export const MODELS = Object.fromEntries(MODEL_LIST.map((m) => [m.name, m])) as Record<ModelName, ModelDef>;
export const MODEL_ORDER: readonly ModelDef[] = MODEL_LIST;

export const isModelName = (name: string): name is ModelName => (MODEL_NAMES as readonly string[]).includes(name);
