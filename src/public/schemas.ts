import { instantField, serviceRef, slotOrPlace } from '../bookings/schemas';
import { BOOKING_STATUSES, LOCATION_TYPES } from '../db/schema';
import { always } from '../lib/fields';
import { multiLine, singleLine } from '../lib/text';
import * as z from '../lib/zod';
import { dateField, serviceQuery } from '../scheduling/schemas';
import { publicServiceOut } from '../services/schemas';
import { emailField, phoneField, timezoneField } from '../users/schemas';

export const slugParam = z.object({
  slug: singleLine()
    .max(60)
    .openapi({ param: { name: 'slug', in: 'path' }, example: 'alex-fit' }),
});
export const tokenParam = z.object({
  token: singleLine()
    .max(100)
    .openapi({ param: { name: 'token', in: 'path' } }),
});

export const publicTrainerOut = z
  .object({
    business_name: z.string(),
    slug: z.string(),
    timezone: z.string(),
    session_duration_minutes: z.number().int(),
    min_notice_minutes: z.number().int(),
    booking_horizon_days: z.number().int(),
    brand_color: z.string(),
    photo_url: z.string(),
    bio: z.string().openapi({ description: 'Plain text; render it as text, line breaks kept.' }),
    packages: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        sessions_count: z.number().int(),
        price: z.string(),
        currency: z.string(),
      }),
    ),
    services: z.array(publicServiceOut).openapi({
      description:
        'The public, active services by position: the booking page offers a choice when there is more than one. Where a session happens (address, video link) is told to booked clients only.',
    }),
  })
  .openapi('PublicTrainer');

export const publicAvailabilityQuery = z.object({
  from: dateField.optional(),
  to: dateField.optional(),
  service: serviceQuery.openapi({
    description:
      "A public service's id (see the profile's services): the private slots are for it; omitted: the trainer's default service. Every public class is listed whatever the service, unless it names a class service (capacity > 1): then the days list only that service's sessions and no private slots.",
  }),
});

export const publicBookingBody = z
  .strictObject({
    start_time: instantField.optional().openapi({ description: 'Required unless `class_session` is given.' }),
    class_session: z.number().int().positive().optional().openapi({
      description:
        "A place in this class session (its time and service are the class's: omit start_time and service, each sent is a 400).",
    }),
    waitlist: z
      .boolean()
      .optional()
      .openapi({ description: 'With `class_session`: join the waitlist when the class is full (201, `waitlisted`).' }),
    service: serviceRef.openapi({
      description: "A public service's id (see the profile's services); omitted: the trainer's default service.",
    }),
    first_name: singleLine().trim().min(1).max(100),
    last_name: singleLine().trim().min(1).max(100),
    email: emailField,
    phone: phoneField.optional(),
    notes: multiLine().trim().max(2000).optional(),
    timezone: timezoneField
      .optional()
      .openapi({ description: "The visitor's IANA zone: their messages show times in it (default: the trainer's)." }),
    website: singleLine().max(200).optional().openapi({ description: 'Leave empty (a trap for robots).' }),
  })
  .superRefine(slotOrPlace, always)
  .openapi('PublicBookingCreate');
export type PublicBookingInput = z.infer<typeof publicBookingBody>;

export const publicBookingOut = z
  .object({
    start_time: z.string(),
    end_time: z.string(),
    status: z.enum(BOOKING_STATUSES),
    business_name: z.string(),
    manage_url: z.string(),
    class_session: z.number().int().optional().openapi({ description: 'Only for a place: its class session.' }),
    waitlist_position: z
      .number()
      .int()
      .nullable()
      .optional()
      .openapi({ description: 'Only for a place: its waitlist position, null when it has a place.' }),
  })
  .openapi('PublicBooking');

export const manageOut = z
  .object({
    start_time: z.string(),
    end_time: z.string(),
    status: z.enum(BOOKING_STATUSES),
    business_name: z.string(),
    timezone: z.string(),
    client_timezone: z.string().nullable().openapi({
      description:
        "The zone the client booked in (the booking page sends the visitor's); their messages and calendar file use it. Null when none was sent: messages then use the trainer's `timezone`.",
    }),
    slug: z.string().openapi({ description: "The trainer's booking page is /book/{slug}." }),
    late_cancellation: z.boolean().openapi({ description: 'Cancelled inside the late-cancel window.' }),
    package: z.object({ name: z.string(), sessions_remaining: z.number().int() }).nullable().openapi({
      description:
        'The session pack a booking the trainer made uses, if any. Always null for a booking made on the booking page: its link goes to whoever typed the email, so it says nothing about packs (the email to the client names the pack).',
    }),
    service: z
      .object({
        id: z.number().int(),
        name: z.string(),
        duration_minutes: z.number().int(),
        location_type: z.enum(LOCATION_TYPES),
      })
      .nullable()
      .openapi({ description: 'What was booked (null only for a booking without a service).' }),
    waitlist_position: z.number().int().nullable().openapi({
      description: "A waitlisted place's position in its class's waitlist (1 = next to get a place); null otherwise.",
    }),
    location: z.string().openapi({
      description:
        "Where and how, as the client's messages say it: the address (in_person; '' when the service names none), 'Online (video): <link>', 'By phone: your trainer will call you on <your phone>' (or '… will call you'), 'At your address'.",
    }),
    video_url: z
      .string()
      .nullable()
      .openapi({ description: "A video service's link (also inside `location`), else null." }),
    can_cancel: z.boolean(),
    can_reschedule: z.boolean().openapi({
      description:
        'The trainer allows client reschedules, the cut-off has not passed, the booking is pending or confirmed and is not a place in a class (a place keeps its class’s time).',
    }),
    late_cancellation_if_cancelled_now: z.boolean(),
    credit_used_if_cancelled_now: z.boolean().openapi({
      description:
        'A cancellation now uses a pack credit: it is late, the booking is confirmed and a pack pays for it (the one in `package`, or for a booking made on the booking page a pack of the client’s that `package` does not name).',
    }),
    late_cancellation_from: z
      .string()
      .openapi({ description: 'From this instant a cancellation counts as late (start − late_cancel_hours).' }),
    reschedule_until: z.string().nullable().openapi({
      description:
        'The last instant a client may reschedule (start − the cut-off); null when the trainer does not allow it.',
    }),
    calendar_feed_url: z.string().nullable().openapi({
      description:
        "The client's own calendar feed (every session of theirs with this trainer) to subscribe to: https. Only for a booking the trainer made; null for a web booking, whose link goes to whoever typed the email.",
    }),
    calendar_feed_webcal_url: z.string().nullable().openapi({
      description: 'The same feed as webcal://, which opens the calendar app; null with `calendar_feed_url`.',
    }),
  })
  .openapi('PublicManagedBooking');

export const manageRescheduleBody = z
  .strictObject({ start_time: instantField.openapi({ description: 'One of the times the availability offers.' }) })
  .openapi('PublicReschedule');
