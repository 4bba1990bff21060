import { FITNESS_LEVELS } from '../db/schema';
import { boolQuery } from '../lib/openapi';
import { cursorPageQuery } from '../lib/pagination';
import { multiLine, singleLine } from '../lib/text';
import * as z from '../lib/zod';
import { clientPackageOut } from '../packages/schemas';
import { emailField, phoneField } from '../users/schemas';

const PREFERENCES_MAX_BYTES = 8 * 1024;
const PREFERENCES =
  "Free-form JSON the trainer keeps, at most 8 KB; a client user reads {} (as notes, it is the trainer's own).";

const clientFields = {
  email: emailField,
  first_name: singleLine().trim().max(150),
  last_name: singleLine().trim().max(150),
  phone: phoneField,
  fitness_level: z.enum(FITNESS_LEVELS),
  goals: z.array(singleLine().trim().min(1).max(200)).max(50),
  preferences: z
    .record(z.string(), z.unknown())
    .refine((v) => new TextEncoder().encode(JSON.stringify(v)).length <= PREFERENCES_MAX_BYTES, {
      message: 'Preferences are limited to 8 KB of JSON.',
    })
    .openapi({ description: PREFERENCES }),
  notes: multiLine().max(10_000),
  is_active: z.boolean(),
};

export const clientCreateBody = z
  .strictObject({ ...clientFields })
  .partial()
  .required({ email: true })
  .openapi('ClientCreate');
export const clientPatchBody = z.strictObject(clientFields).partial().openapi('ClientUpdate');
export type ClientInput = z.infer<typeof clientPatchBody>;

export const clientOut = z
  .object({
    id: z.number().int(),
    email: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    phone: z.string(),
    fitness_level: z.enum(FITNESS_LEVELS),
    goals: z.array(z.string()),
    preferences: z.record(z.string(), z.unknown()).openapi({ description: PREFERENCES }),
    notes: z.string(),
    is_active: z.boolean().openapi({
      description: 'False: a former client. Their next confirmed booking or pack makes it true.',
    }),
    notes_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Client');
export type ClientOut = z.infer<typeof clientOut>;

export const noteOut = z
  .object({ id: z.number().int(), content: z.string(), created_by_name: z.string(), created_at: z.string() })
  .openapi('ClientNote');
export type NoteOut = z.infer<typeof noteOut>;

export const clientDetailOut = clientOut
  .extend({
    client_notes: z.array(noteOut),
    bookings_count: z.number().int(),
    upcoming_bookings_count: z.number().int(),
    packages: z.array(clientPackageOut).openapi({ description: 'Active packages: sessions left, not expired.' }),
  })
  .openapi('ClientDetail');
export type ClientDetailOut = z.infer<typeof clientDetailOut>;

export const noteBody = z
  .strictObject({ content: multiLine().trim().min(1, 'A note cannot be empty.').max(10_000) })
  .openapi('ClientNoteCreate');

export const clientListQuery = cursorPageQuery.extend({
  fitness_level: z.enum(FITNESS_LEVELS).optional(),
  is_active: boolQuery,
  search: singleLine().trim().max(200).optional().openapi({
    description: 'Only clients whose name (accents and case ignored), email or phone contains this text.',
  }),
  ordering: singleLine()
    .optional()
    .openapi({ description: 'last_name (default), first_name or created_at; - first for descending.' }),
});
export type ClientListQuery = z.infer<typeof clientListQuery>;
