import { BOOKING_STATUSES, CLASS_SESSION_STATUSES } from '../db/schema';
import { isValidDate, MAX_OCCURRENCES } from '../lib/calendar';
import { DATE } from '../lib/field-messages';
import { pageQuery } from '../lib/pagination';
import { multiLine } from '../lib/text';
import * as z from '../lib/zod';
import { instantField } from './schemas';

/**
 * A weekly repeat: weekdays (0 = Monday, the first start's included), every 1–4 weeks, `count`
 * times or `until` a local date (a year ahead at most, 52 occurrences at most); the trainer's
 * object checks it against the first start in the trainer's zone (`planRepeat`).
 */
/** A repeat's end: `count` occurrences or `until` a date; null (as an answer shows the other) is absent. */
export const repeatEnd = {
  count: z.number().int().min(1).max(MAX_OCCURRENCES).nullable().optional(),
  until: z.string().refine(isValidDate, DATE).nullable().optional().openapi({
    description:
      'The last local date (inclusive), at most a year after the first and 52 occurrences; null or absent with `count`.',
  }),
};

export const repeatBody = z
  .object({
    weekdays: z.array(z.number().int().min(0).max(6)).min(1).max(7),
    interval_weeks: z.number().int().min(1).max(4).optional(),
    ...repeatEnd,
  })
  .superRefine((v, ctx) => {
    if ((v.count == null) === (v.until == null)) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'Give either count or until.' });
    }
  })
  .openapi('WeeklyRepeat', { description: 'Repeat weekly; omitted: one session.' });

export const classCreateBody = z
  .strictObject({
    service: z.number().int().positive().openapi({ description: 'A service with capacity 2 or more.' }),
    start_time: instantField,
    repeat: repeatBody.optional(),
    skip_conflicts: z.boolean().optional().openapi({
      description: 'With `repeat`: create the occurrences that fit and report the others (default: refuse all).',
    }),
    allow_outside_availability: z.boolean().optional().openapi({
      description:
        'Book outside the weekly windows and over busy time of your connected calendars (never over a break or another booking).',
    }),
  })
  .openapi('ClassSessionCreate');
export type ClassCreateInput = z.infer<typeof classCreateBody>;

export const classOut = z
  .object({
    id: z.number().int(),
    service: z.number().int(),
    start_time: z.string(),
    end_time: z.string(),
    capacity: z.number().int(),
    status: z.enum(CLASS_SESSION_STATUSES),
    places_taken: z.number().int().openapi({ description: 'Pending and confirmed places.' }),
    waitlisted: z.number().int(),
    cancellation_reason: z.string(),
    cancelled_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('ClassSession');
export type ClassOut = z.infer<typeof classOut>;

const attendee = z.object({
  booking: z.number().int(),
  client: z.number().int(),
  client_name: z.string(),
  status: z.enum(BOOKING_STATUSES),
  waitlist_position: z.number().int().nullable(),
});

export const classDetailOut = classOut
  .extend({
    places: z.array(attendee).openapi({ description: 'Pending and confirmed places, by booking time.' }),
    waitlist: z.array(attendee).openapi({ description: 'Waitlisted entries, next first.' }),
  })
  .openapi('ClassSessionDetail');
export type ClassDetailOut = z.infer<typeof classDetailOut>;

export const classCreatedOut = z
  .object({
    occurrences: z.array(
      z.object({
        date: z.string().openapi({ description: "The local date ('' without a repeat)." }),
        start_time: z.string().nullable(),
        class_session: z.number().int().nullable(),
        conflict: z.string().nullable().openapi({
          description:
            'Why this occurrence was not created: booking_overlap, calendar_busy, outside_availability, trainer_break, nonexistent_local_time.',
        }),
      }),
    ),
  })
  .openapi('ClassSessionsCreated');

export const classPatchBody = z
  .strictObject({ capacity: z.number().int().min(1).max(100) })
  .openapi('ClassSessionUpdate');

export const classCancelBody = z
  .strictObject({ reason: multiLine().trim().max(1000).optional() })
  .openapi('ClassSessionCancel');

export const classListQuery = pageQuery.extend({
  status: z.enum(CLASS_SESSION_STATUSES).optional(),
  from: instantField.optional().openapi({ description: 'Starting at or after this instant.' }),
  to: instantField.optional().openapi({ description: 'Starting before this instant.' }),
});
export type ClassListQuery = z.infer<typeof classListQuery>;
