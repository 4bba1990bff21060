import { z } from '@hono/zod-openapi';
import { isValidDate, normalizeWallTime } from '../lib/calendar';
import { DATE } from '../lib/field-messages';
import { singleLine } from '../lib/text';

const wallTime = (allowEndOfDay: boolean) =>
  z
    .string()
    .transform((v, ctx) => {
      const t = normalizeWallTime(v, allowEndOfDay);
      if (!t) {
        ctx.addIssue({
          code: 'custom',
          message: allowEndOfDay ? 'Use HH:MM or HH:MM:SS (24:00 allowed as an end).' : 'Use HH:MM or HH:MM:SS.',
        });
        return z.NEVER;
      }
      return t;
    })
    .openapi({ type: 'string', example: '09:00:00' });

export const dateField = z.string().refine(isValidDate, DATE).openapi({ example: '2025-01-15' });

const always = { when: (p: { value: unknown }) => typeof p.value === 'object' && p.value !== null };

const slotFields = {
  day_of_week: z.number().int().min(0).max(6).openapi({ description: '0 = Monday … 6 = Sunday' }),
  start_time: wallTime(false),
  end_time: wallTime(true),
  is_active: z.boolean(),
};

export const slotCreateBody = z
  .object({ ...slotFields, is_active: slotFields.is_active.optional() })
  .superRefine((v, ctx) => {
    if (typeof v.start_time === 'string' && typeof v.end_time === 'string' && v.end_time <= v.start_time)
      ctx.addIssue({ code: 'custom', path: ['end_time'], message: 'End time must be after start time.' });
  }, always)
  .openapi('AvailabilitySlotCreate');
export const slotPatchBody = z.object(slotFields).partial().openapi('AvailabilitySlotUpdate');
export type SlotInput = z.infer<typeof slotPatchBody>;

export const slotOut = z
  .object({
    id: z.number().int(),
    day_of_week: z.number().int(),
    start_time: z.string(),
    end_time: z.string(),
    is_active: z.boolean(),
  })
  .openapi('AvailabilitySlot');

const breakFields = { start_date: dateField, end_date: dateField, reason: singleLine().trim().max(500) };
export const breakCreateBody = z
  .object({ ...breakFields, reason: breakFields.reason.optional() })
  .superRefine((v, ctx) => {
    if (typeof v.start_date === 'string' && typeof v.end_date === 'string' && v.end_date < v.start_date)
      ctx.addIssue({ code: 'custom', path: ['end_date'], message: 'End date must not be before start date.' });
  }, always)
  .openapi('TrainerBreakCreate');
export const breakPatchBody = z.object(breakFields).partial().openapi('TrainerBreakUpdate');
export type BreakInput = z.infer<typeof breakPatchBody>;

export const breakOut = z
  .object({ id: z.number().int(), start_date: z.string(), end_date: z.string(), reason: z.string() })
  .openapi('TrainerBreak');

export const MAX_RANGE_DAYS = 62;

/** `?service=<id>`: free slots for that service's length and buffers; omitted: the default service. */
export const serviceQuery = z.coerce.number().int().positive().optional().openapi({
  description: "The service asked about (its length and buffers); omitted: the trainer's default service.",
});

export const availableQuery = z.object({
  date: dateField.optional(),
  from: dateField.optional(),
  to: dateField.optional(),
  duration: z.coerce
    .number()
    .int()
    .min(5)
    .max(720)
    .optional()
    .openapi({ description: "minutes; default: the service's length" }),
  service: serviceQuery,
});
export type AvailableQuery = z.infer<typeof availableQuery>;

export const slotSchema = z.object({ start_time: z.string(), end_time: z.string() }).openapi('FreeSlot');
export const availableDayOut = z
  .object({
    date: z.string(),
    timezone: z.string(),
    service: z.number().int().openapi({ description: 'The service the slots are for.' }),
    duration_minutes: z.number().int(),
    slots: z.array(slotSchema),
  })
  .openapi('FreeSlotsDay');
export const availableRangeOut = z
  .object({
    timezone: z.string(),
    service: z.number().int().openapi({ description: 'The service the slots are for.' }),
    duration_minutes: z.number().int(),
    days: z.array(z.object({ date: z.string(), slots: z.array(slotSchema) })),
  })
  .openapi('FreeSlotsRange');
