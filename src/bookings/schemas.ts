import { BOOKING_STATUSES } from '../db/schema';
import { isValidDate } from '../lib/calendar';
import { always } from '../lib/fields';
import { digits } from '../lib/openapi';
import { cursorPageQuery } from '../lib/pagination';
import { multiLine, singleLine } from '../lib/text';
import { toUtcInstant } from '../lib/time';
import * as z from '../lib/zod';

export const instantField = z
  .string()
  .transform((v, ctx) => {
    const iso = toUtcInstant(v);
    if (!iso) {
      ctx.addIssue({ code: 'custom', message: 'Use an ISO 8601 instant with an offset, e.g. 2025-01-15T10:00:00Z.' });
      return z.NEVER;
    }
    return iso;
  })
  .openapi({ type: 'string', format: 'date-time', example: '2025-01-15T10:00:00Z' });

/** A date (the trainer's local day) or an instant, for list filters. */
const dateOrInstant = z
  .string()
  .refine((v) => isValidDate(v) || toUtcInstant(v) !== null, 'Use YYYY-MM-DD or an ISO 8601 instant.')
  .optional();

/** The service booked (its id); omitted: the trainer's default service. */
export const serviceRef = z.number().int().positive().optional().openapi({
  description: "The service's id (see /api/services/); omitted: the trainer's default service.",
  example: 3,
});

/** A booking's notes: several lines allowed. */
export const notesField = multiLine().max(5000).openapi({
  description: 'Seen by the client too; private notes go in the client’s notes.',
});

type Ctx = { addIssue: (issue: { code: 'custom'; path: string[]; message: string }) => void };
const TIMING = ['start_time', 'end_time', 'allow_outside_availability'] as const;
/** What a place in a class takes from its class, so may not be sent beside `class_session`. */
const OF_THE_CLASS = [...TIMING, 'service'] as const;

/**
 * A booking body is a time (`start_time`) or a place in a class (`class_session`, perhaps with
 * `waitlist`), never a mix: a place takes the class's time and service, so a time or a service
 * sent with it would be ignored and is refused instead. Shared by the trainer's, the public and
 * the client's booking bodies.
 */
export function slotOrPlace(
  v: { class_session?: number; waitlist?: boolean } & { [K in (typeof OF_THE_CLASS)[number]]?: unknown },
  ctx: Ctx,
): void {
  // Runs beside the field checks (`always`): a class_session that failed its own check is no class.
  if (typeof v.class_session !== 'number') {
    if (v.start_time === undefined)
      ctx.addIssue({ code: 'custom', path: ['start_time'], message: 'Enter a start time.' });
    if (v.waitlist !== undefined)
      ctx.addIssue({ code: 'custom', path: ['waitlist'], message: 'Only with class_session.' });
    return;
  }
  for (const field of OF_THE_CLASS)
    if (v[field] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `Leave this out with class_session: the class's ${field === 'service' ? 'service' : 'time'} applies.`,
      });
}

export const bookingCreateBody = z
  .strictObject({
    client: z.number().int().positive(),
    service: serviceRef,
    start_time: instantField.optional().openapi({
      description: 'Required unless `class_session` is given. On a whole minute (no seconds).',
    }),
    class_session: z.number().int().positive().optional().openapi({
      description:
        "A place in this class session: its time and service are the class's (omit start_time, end_time and service: each sent is a 400).",
    }),
    waitlist: z.boolean().optional().openapi({
      description: 'With `class_session`: a full class puts the client on its waitlist (201, `waitlisted`).',
    }),
    end_time: instantField.optional().openapi({
      description: 'On a whole minute; 5 minutes to 12 hours after the start. Default: the service’s length.',
    }),
    notes: notesField.optional(),
    client_package: z.number().int().positive().nullable().optional().openapi({
      description:
        "The client's pack that pays for the session; its package must cover the service (409 package_not_valid_for_service otherwise).",
    }),
    allow_outside_availability: z.boolean().optional().openapi({
      description:
        'Book outside the weekly windows and over busy time of your connected calendars (never over a break or another booking).',
    }),
  })
  .superRefine(slotOrPlace, always)
  .openapi('BookingCreate');
export type BookingCreateInput = z.infer<typeof bookingCreateBody>;

// One object (not a registered schema extended, which the document writes as an allOf of two
// closed objects that no body satisfies).
export const bookingPatchBody = z
  .strictObject({
    notes: notesField,
    start_time: instantField,
    end_time: instantField,
    allow_outside_availability: z.boolean().openapi({
      description:
        'Move outside the weekly windows and over busy time of your connected calendars (never over a break or another booking).',
    }),
  })
  .partial()
  .openapi('BookingUpdate');

export const cancelBody = z.strictObject({ reason: multiLine().trim().max(1000).optional() }).openapi('BookingCancel');

/** A client's cancel (manage link, client account): the reason, and what they agreed it may cost. */
export const clientCancelBody = z
  .strictObject({
    reason: multiLine().trim().max(1000).optional(),
    late_ok: z.boolean().optional().openapi({
      description:
        'false: refuse (409 `late_cancellation`, nothing changed) a cancel that counts as late, e.g. because the trainer moved the booking or the late window began since the page showed `late_cancellation_if_cancelled_now: false`. Default true.',
    }),
    credit_ok: z.boolean().optional().openapi({
      description:
        'false: refuse (409 `credit_would_be_used`, nothing changed) a cancel that would use a pack credit. Default true.',
    }),
  })
  .openapi('ClientCancel');
export type ClientCancelInput = z.infer<typeof clientCancelBody>;

export const bookingOut = z
  .object({
    id: z.number().int(),
    trainer: z.number().int(),
    client: z.number().int(),
    client_name: z.string(),
    trainer_name: z.string(),
    start_time: z.string(),
    end_time: z.string(),
    status: z.enum(BOOKING_STATUSES),
    notes: z.string(),
    cancellation_reason: z.string(),
    duration_minutes: z.number().int(),
    is_upcoming: z.boolean(),
    is_past: z.boolean(),
    client_package: z.number().int().nullable(),
    service: z.number().int(),
    series: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The standing series it is an occurrence of (its id), or null.' }),
    class_session: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'A place in this class session (its id); null for a private booking.' }),
    waitlist_position: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "A waitlisted place's position in its class's waitlist (1 = next); null otherwise." }),
    cancelled_at: z.string().nullable(),
    late_cancellation: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Booking');
export type BookingOut = z.infer<typeof bookingOut>;

export const bookingListQuery = cursorPageQuery.extend({
  status: z.enum(BOOKING_STATUSES).optional(),
  client: digits(z.number().int().positive()).optional(),
  service: digits(z.number().int().positive()).optional().openapi({ description: 'Only bookings of this service.' }),
  series: digits(z.number().int().positive()).optional().openapi({ description: 'Only occurrences of this series.' }),
  from: dateOrInstant.openapi({ description: 'Starting on or after this local date or instant.' }),
  to: dateOrInstant.openapi({ description: 'Starting before the end of this local date, or before this instant.' }),
  search: singleLine().trim().max(200).optional().openapi({
    description: 'Only bookings whose client name (accents and case ignored) or notes contain this text.',
  }),
  ordering: singleLine().optional().openapi({
    description: 'start_time or created_at, - first for descending; default -start_time (upcoming: start_time).',
  }),
});
export type BookingListQuery = z.infer<typeof bookingListQuery>;
