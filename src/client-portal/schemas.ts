import { instantField, notesField, serviceRef, slotOrPlace } from '../bookings/schemas';
import { BOOKING_STATUSES } from '../db/schema';
import { always } from '../lib/fields';
import { pageQuery } from '../lib/pagination';
import { singleLine } from '../lib/text';
import * as z from '../lib/zod';
import { timezoneField } from '../users/schemas';

export const clientBookingBody = z
  .strictObject({
    trainer: z
      .union([z.number().int().positive(), singleLine().trim().min(1).max(60)], {
        error: 'Give the trainer’s slug (text, as in their booking page address) or their id (a whole number).',
      })
      .openapi({
        description: 'The trainer: their public slug (as in /book/{slug}) or their id.',
        example: 'alex-fit',
      }),
    service: serviceRef.openapi({
      description: "A public service's id of that trainer; omitted: the trainer's default service.",
    }),
    start_time: instantField.optional().openapi({ description: 'Required unless `class_session` is given.' }),
    class_session: z.number().int().positive().optional().openapi({
      description:
        "A place in this class session (its time and service are the class's: omit start_time and service, each sent is a 400).",
    }),
    waitlist: z
      .boolean()
      .optional()
      .openapi({ description: 'With `class_session`: join the waitlist when the class is full (201, `waitlisted`).' }),
    client_package: z.number().int().positive().nullable().optional().openapi({
      description:
        'A pack of yours with this trainer (see /api/client/packages/) the session is paid from. Omitted: the pack of yours that expires first and covers the service (for a place in a class, the class’s service), if any; null: no pack.',
    }),
    notes: notesField.optional(),
    timezone: timezoneField
      .optional()
      .openapi({ description: 'Your IANA zone: your messages show times in it (default: the trainer’s).' }),
  })
  .superRefine(slotOrPlace, always)
  .openapi('ClientBookingCreate');
export type ClientBookingInput = z.infer<typeof clientBookingBody>;

export const clientRescheduleBody = z
  .strictObject({ start_time: instantField.openapi({ description: 'One of the times the availability offers.' }) })
  .openapi('ClientReschedule');

export const clientBookingListQuery = pageQuery.extend({
  status: z.enum(BOOKING_STATUSES).optional(),
  when: z.enum(['upcoming', 'past']).optional().openapi({
    description:
      'upcoming: pending and confirmed bookings from now on, soonest first; past: bookings that have ended, latest first. Omitted: all, latest first.',
  }),
});

export const clientPackageOut = z
  .object({
    id: z.number().int(),
    trainer: z
      .object({ slug: z.string(), business_name: z.string() })
      .openapi({ description: 'The trainer the pack is with.' }),
    package_name: z.string(),
    sessions_total: z.number().int(),
    sessions_remaining: z.number().int(),
    sessions_reserved: z.number().int().openapi({
      description:
        'Credits held by pending and confirmed bookings paid from this pack, including any your trainer is still arranging (not yet confirmed to you, so not listed among your bookings).',
    }),
    expiry_date: z.string().nullable().openapi({ description: "The last day, in the trainer's zone; null: never." }),
    is_active: z.boolean().openapi({ description: 'Not expired and sessions remaining.' }),
    refunded_at: z
      .string()
      .nullable()
      .openapi({ description: 'When your trainer refunded the pack, which ended it; null if never.' }),
  })
  .openapi('MyClientPackage');
export type MyClientPackageOut = z.infer<typeof clientPackageOut>;
