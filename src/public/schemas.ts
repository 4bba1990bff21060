import { z } from '@hono/zod-openapi';
import { instantField } from '../bookings/schemas';
import { multiLine, singleLine } from '../lib/text';
import { dateField } from '../scheduling/schemas';
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
    packages: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        sessions_count: z.number().int(),
        price: z.string(),
        currency: z.string(),
      }),
    ),
  })
  .openapi('PublicTrainer');

export const publicAvailabilityQuery = z.object({ from: dateField.optional(), to: dateField.optional() });

export const publicBookingBody = z
  .object({
    start_time: instantField,
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
  .openapi('PublicBookingCreate');
export type PublicBookingInput = z.infer<typeof publicBookingBody>;

export const publicBookingOut = z
  .object({
    start_time: z.string(),
    end_time: z.string(),
    status: z.enum(['pending', 'confirmed', 'completed', 'cancelled']),
    business_name: z.string(),
    manage_url: z.string(),
  })
  .openapi('PublicBooking');

export const manageOut = z
  .object({
    start_time: z.string(),
    end_time: z.string(),
    status: z.enum(['pending', 'confirmed', 'completed', 'cancelled']),
    business_name: z.string(),
    timezone: z.string(),
  })
  .openapi('PublicManagedBooking');

export const manageCancelBody = z.object({ reason: multiLine().trim().max(1000).optional() }).openapi('PublicCancel');
