// The zod schemas of the admin API, derived from each model's definition: its list query
// (filters, search, ordering), its row, and its PATCH allow-list.

import type { ZodType } from 'zod';
import { notesField } from '../bookings/schemas';
import { isValidDate } from '../lib/calendar';
import { boolQuery, digits } from '../lib/openapi';
import { pageQuery } from '../lib/pagination';
import { multiLine, singleLine } from '../lib/text';
import { toUtcInstant } from '../lib/time';
import * as z from '../lib/zod';
import { dateField } from '../scheduling/schemas';
import type { Filter, Kind, ModelDef } from './models';

const dateOrInstant = z
  .string()
  .refine((v) => isValidDate(v) || toUtcInstant(v) !== null, 'Use YYYY-MM-DD or an ISO 8601 instant.')
  .transform((v) => (isValidDate(v) ? v : (toUtcInstant(v) ?? v)));

const EQUALS = 'Only rows with this value.';
const PRESENT = 'true: only rows that have one; false: only rows without.';

function filterSchemas(name: string, f: Filter): [string, ZodType][] {
  switch (f.kind) {
    case 'range': {
      const bound = f.dates ? dateField : dateOrInstant;
      return [
        [`${name}_from`, bound.optional().openapi({ description: `${name} on or after (UTC day or instant)` })],
        [`${name}_to`, bound.optional().openapi({ description: `${name} on or before (UTC day or instant)` })],
      ];
    }
    case 'int':
      return [[name, digits(z.number().int().min(0)).optional().openapi({ description: EQUALS })]];
    case 'text':
      return [[name, singleLine().trim().min(1).max(200).optional().openapi({ description: EQUALS })]];
    case 'enum':
      return [[name, z.enum(f.values).optional().openapi({ description: EQUALS })]];
    default:
      return [[name, boolQuery.openapi({ description: f.kind === 'bool' ? EQUALS : PRESENT })]];
  }
}

export function listQuerySchema(def: ModelDef) {
  const orderable = Object.keys(def.columns).join(', ');
  return pageQuery.extend({
    search: singleLine()
      .trim()
      .max(200)
      .optional()
      .openapi({ description: `Matches ${def.search.length} text fields (names, emails, Paddle ids …)` }),
    ordering: singleLine()
      .max(100)
      .optional()
      .openapi({ description: `One of ${orderable}; "-" first for descending. Default ${def.ordering}.` }),
    ...Object.fromEntries(Object.entries(def.filters).flatMap(([name, f]) => filterSchemas(name, f))),
  });
}

const KIND_SCHEMAS: Record<Kind, ZodType> = {
  int: z.number().int().nullable(),
  bool: z.boolean().nullable(),
  money: z.string().nullable().openapi({ example: '249.99' }),
  text: z.string().nullable(),
  instant: z.string().nullable(),
  date: z.string().nullable(),
  json: z.record(z.string(), z.unknown()).nullable().openapi({
    description: 'Each changed field with its value before and after: {"status": {"before": …, "after": …}}',
  }),
};

const pascal = (name: string) => name.replace(/(^|-)(\w)/g, (_, __, ch: string) => ch.toUpperCase());

export const rowSchema = (def: ModelDef) =>
  z
    .object(Object.fromEntries(Object.entries(def.columns).map(([name, c]) => [name, KIND_SCHEMAS[c.kind]])))
    .openapi(`Admin${pascal(def.name)}Row`);

/** The allow-list: every field optional, unknown fields stripped (never applied). */
export const patchSchema = (def: ModelDef) =>
  z
    .object(Object.fromEntries(Object.entries(def.patch ?? {}).map(([name, f]) => [name, f.schema.optional()])))
    .openapi(`Admin${pascal(def.name)}Patch`);

export const detailSchema = z
  .object({
    model: z.string(),
    id: z.number().int(),
    timezone: z.string().openapi({ description: "The record's trainer's zone (UTC when none)" }),
    record: z.record(z.string(), z.unknown()).openapi({ description: 'Every column, snake_case, secrets left out' }),
    related: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'One-relations as a row or null; many-relations as {count, results}; history' }),
  })
  .openapi('AdminDetail');

/** The console's cancel form: a reason is required (it goes in the client's message, when there is one). */
export const cancelForm = z.object({
  cancellation_reason: multiLine()
    .trim()
    .min(1, 'Enter the reason for cancelling; it goes in the client’s message when they get one.')
    .max(1000, 'Keep the reason to 1000 characters.'),
});

/** The console's notes form: the notes alone. */
export const notesForm = z.object({ notes: notesField });
