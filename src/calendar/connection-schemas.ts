import { CALENDAR_PROVIDERS } from '../db/schema';
import { pageQuery } from '../lib/pagination';
import { singleLine } from '../lib/text';
import * as z from '../lib/zod';

/** Longest calendar address accepted (a secret iCalendar address is well under it). */
export const MAX_URL_LENGTH = 2048;

const connectionFields = {
  name: singleLine().trim().min(1).max(100).openapi({ example: 'Personal (Google)' }),
  ics_url: singleLine().trim().min(1).max(MAX_URL_LENGTH).openapi({
    description:
      'The secret iCalendar address of the calendar (https:// or webcal://). It is stored encrypted and never shown again: answers carry `ics_url_hint`.',
    example: 'webcal://calendar.google.com/calendar/ical/me%40example.com/private-0123456789abcdef/basic.ics',
  }),
  is_active: z.boolean().openapi({
    description:
      'false: the calendar is not synced and its busy time blocks nothing (its imported busy time is dropped).',
    example: true,
  }),
};

export const connectionCreateBody = z
  .strictObject(connectionFields)
  .partial()
  .required({ name: true, ics_url: true })
  .openapi('CalendarConnectionCreate', {
    example: { name: 'Personal (Google)', ics_url: 'webcal://calendar.google.com/calendar/ical/…/basic.ics' },
  });
export type ConnectionCreateInput = z.infer<typeof connectionCreateBody>;

export const connectionPatchBody = z
  .strictObject(connectionFields)
  .partial()
  .openapi('CalendarConnectionUpdate', { example: { is_active: false } });
export type ConnectionPatchInput = z.infer<typeof connectionPatchBody>;

export const connectionOut = z
  .object({
    id: z.number().int(),
    provider: z.enum(CALENDAR_PROVIDERS).openapi({ description: '`ics`: a secret iCalendar address.' }),
    name: z.string(),
    ics_url_hint: z
      .string()
      .openapi({ description: 'The host and the last 6 characters of the address (the address itself is a secret).' }),
    is_active: z.boolean(),
    last_synced_at: z.string().nullable(),
    last_error: z
      .string()
      .nullable()
      .openapi({ description: 'Why the last sync failed, as a sentence; null after a success.' }),
    busy_count: z.number().int().openapi({ description: 'Busy blocks imported by the last successful sync.' }),
    consecutive_failures: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CalendarConnection', {
    example: {
      id: 3,
      provider: 'ics',
      name: 'Personal (Google)',
      ics_url_hint: 'calendar.google.com …ic.ics',
      is_active: true,
      last_synced_at: '2026-01-05T09:15:00.000Z',
      last_error: null,
      busy_count: 42,
      consecutive_failures: 0,
      created_at: '2026-01-05T09:00:00.000Z',
      updated_at: '2026-01-05T09:00:00.000Z',
    },
  });
export type ConnectionOut = z.infer<typeof connectionOut>;

export const connectionListQuery = pageQuery;
