import { repeatEnd } from '../bookings/class-schemas';
import { bookingOut, instantField, notesField, serviceRef } from '../bookings/schemas';
import { digits, problemSchema } from '../lib/openapi';
import { pageQuery } from '../lib/pagination';
import { multiLine } from '../lib/text';
import * as z from '../lib/zod';
import { dateField } from '../scheduling/schemas';

export const SERIES_MODES = ['skip_conflicts', 'all_or_nothing'] as const;

export const OCCURRENCE_CONFLICTS = [
  'booking_overlap',
  'outside_availability',
  'trainer_break',
  'calendar_busy',
  'package_exhausted',
  'package_expired',
  'nonexistent_local_time',
] as const;

const repeatBody = z
  .object({
    weekdays: z.array(z.number().int().min(0).max(6)).min(1).max(7).optional().openapi({
      description: "Weekdays, 0 = Monday; default: the first occurrence's weekday (in the trainer's zone).",
    }),
    interval_weeks: z.number().int().min(1).max(4).optional().openapi({ description: 'Every n weeks (default 1).' }),
    ...repeatEnd,
  })
  .openapi({ description: 'Exactly one of `count` and `until`.' });

export const seriesCreateBody = z
  .strictObject({
    client: z.number().int().positive(),
    service: serviceRef,
    start_time: instantField.openapi({ description: 'The first occurrence.' }),
    repeat: repeatBody,
    client_package: z.number().int().positive().nullable().optional(),
    mode: z.enum(SERIES_MODES).optional().openapi({ description: 'skip_conflicts (default) or all_or_nothing.' }),
    allow_outside_availability: z.boolean().optional().openapi({
      description:
        'Book occurrences outside the weekly windows and over busy time of your own calendars (never over a break or another booking).',
    }),
    notes: notesField.optional(),
  })
  .openapi('BookingSeriesCreate');
export type SeriesCreateInput = z.infer<typeof seriesCreateBody>;

export const seriesCancelBody = z
  .strictObject({
    from: dateField.optional().openapi({
      description:
        "Cancel the occurrences from this date on, a date in the series' `timezone` as its `local_time` is (default: every future one).",
    }),
    reason: multiLine().trim().max(1000).optional(),
  })
  .openapi('BookingSeriesCancel');

export const seriesOut = z
  .object({
    id: z.number().int(),
    trainer: z.number().int(),
    client: z.number().int(),
    service: z.number().int(),
    weekdays: z.array(z.number().int()),
    interval_weeks: z.number().int(),
    count: z.number().int().nullable(),
    until: z.string().nullable(),
    first_start: z.string(),
    local_time: z.string().openapi({ description: 'The wall-clock time of every occurrence, in `timezone`.' }),
    timezone: z.string(),
    client_package: z.number().int().nullable(),
    notes: z.string(),
    cancelled_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('BookingSeries');
export type SeriesOut = z.infer<typeof seriesOut>;

export const seriesDetail = seriesOut
  .extend({ bookings: z.array(bookingOut).openapi({ description: 'Its occurrences, soonest first.' }) })
  .openapi('BookingSeriesDetail');

export const occurrenceOut = z
  .object({
    date: z.string().openapi({ description: 'The local date (trainer’s zone).' }),
    start_time: z.string().nullable().openapi({ description: 'Null when the clocks skip the wall time that day.' }),
    booking: z.number().int().nullable(),
    conflict: z.enum(OCCURRENCE_CONFLICTS).nullable(),
  })
  .openapi('SeriesOccurrence');

export const seriesCreated = seriesDetail
  .extend({ occurrences: z.array(occurrenceOut) })
  .openapi('BookingSeriesCreated');
export type SeriesCreated = z.infer<typeof seriesCreated>;

/** The 409 of a series that could not be stored: every occurrence with its booking or conflict. */
export const seriesConflict = problemSchema
  .extend({ occurrences: z.array(occurrenceOut) })
  .openapi('BookingSeriesConflict');

export const seriesListQuery = pageQuery.extend({
  client: digits(z.number().int().positive()).optional().openapi({ description: 'Only series of this client.' }),
});
export type SeriesListQuery = z.infer<typeof seriesListQuery>;
