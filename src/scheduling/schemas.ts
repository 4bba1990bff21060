import { daysBetween, isValidDate, normalizeWallTime } from '../lib/calendar';
import { DATE } from '../lib/field-messages';
import { always } from '../lib/fields';
import { digits } from '../lib/openapi';
import { pageQuery } from '../lib/pagination';
import { type FieldErrors, invalid, invalidField } from '../lib/problem';
import { singleLine } from '../lib/text';
import * as z from '../lib/zod';

const WALL = "Wall-clock time in the trainer's zone, on a whole minute (HH:MM or HH:MM:00).";

const wallTime = (allowEndOfDay: boolean) =>
  z
    .string()
    .transform((v, ctx) => {
      const t = normalizeWallTime(v, allowEndOfDay);
      if (!t) {
        ctx.addIssue({
          code: 'custom',
          message: allowEndOfDay
            ? 'Use HH:MM or HH:MM:00, a whole minute (24:00 allowed as an end).'
            : 'Use HH:MM or HH:MM:00, a whole minute.',
        });
        return z.NEVER;
      }
      return t;
    })
    .openapi({ type: 'string', example: '09:00:00', description: WALL });

/** A wall-clock time as answers give it. */
const wallOut = z.string().openapi({ description: WALL });

export const dateField = z.string().refine(isValidDate, DATE).openapi({ example: '2025-01-15' });

const slotFields = {
  day_of_week: z.number().int().min(0).max(6).openapi({ description: '0 = Monday … 6 = Sunday' }),
  start_time: wallTime(false),
  end_time: wallTime(true),
  is_active: z.boolean(),
};

export const slotCreateBody = z
  .strictObject({ ...slotFields, is_active: slotFields.is_active.optional() })
  .superRefine((v, ctx) => {
    if (typeof v.start_time === 'string' && typeof v.end_time === 'string' && v.end_time <= v.start_time)
      ctx.addIssue({ code: 'custom', path: ['end_time'], message: 'End time must be after start time.' });
  }, always)
  .openapi('AvailabilitySlotCreate');
export const slotPatchBody = z.strictObject(slotFields).partial().openapi('AvailabilitySlotUpdate');
export type SlotInput = z.infer<typeof slotPatchBody>;

export const slotOut = z
  .object({
    id: z.number().int(),
    day_of_week: z.number().int(),
    start_time: wallOut,
    end_time: wallOut,
    is_active: z.boolean(),
  })
  .openapi('AvailabilitySlot');

/** A break as it will be stored, whatever was sent. */
export interface BreakShape {
  startDate: string;
  endDate: string;
  startTime: string | null;
  endTime: string | null;
}

/** A break's cross-field rules: dates in order, times both or neither, the end time after the start. */
export function breakErrors(b: BreakShape): FieldErrors {
  const errors: FieldErrors = {};
  if (b.endDate < b.startDate) errors.end_date = ['End date must not be before start date.'];
  if (b.startTime && !b.endTime) errors.end_time = ['Give an end time with the start time, or neither.'];
  else if (b.endTime && !b.startTime) errors.start_time = ['Give a start time with the end time, or neither.'];
  else if (b.startTime && b.endTime && b.endTime <= b.startTime)
    errors.end_time = ['End time must be after start time.'];
  return errors;
}

const breakFields = {
  start_date: dateField,
  end_date: dateField,
  start_time: wallTime(false)
    .nullable()
    .openapi({
      type: ['string', 'null'],
      example: '14:00',
      description: 'Wall-clock start of the part of each day blocked; null (or absent) with end_time = whole days',
    }),
  end_time: wallTime(true)
    .nullable()
    .openapi({
      type: ['string', 'null'],
      example: '16:00',
      description: 'Wall-clock end of that part ("24:00" allowed)',
    }),
  reason: singleLine().trim().max(500),
};
export const breakCreateBody = z
  .strictObject({
    ...breakFields,
    start_time: breakFields.start_time.optional(),
    end_time: breakFields.end_time.optional(),
    reason: breakFields.reason.optional(),
  })
  .superRefine((v, ctx) => {
    if (typeof v.start_date !== 'string' || typeof v.end_date !== 'string') return;
    const errors = breakErrors({
      startDate: v.start_date,
      endDate: v.end_date,
      startTime: typeof v.start_time === 'string' ? v.start_time : null,
      endTime: typeof v.end_time === 'string' ? v.end_time : null,
    });
    for (const [field, [message]] of Object.entries(errors)) ctx.addIssue({ code: 'custom', path: [field], message });
  }, always)
  .openapi('TrainerBreakCreate', {
    example: {
      start_date: '2026-03-03',
      end_date: '2026-03-03',
      start_time: '14:00',
      end_time: '16:00',
      reason: 'Dentist',
    },
  });
export const breakPatchBody = z.strictObject(breakFields).partial().openapi('TrainerBreakUpdate');
export type BreakInput = z.infer<typeof breakPatchBody>;

export const breakOut = z
  .object({
    id: z.number().int(),
    start_date: z.string(),
    end_date: z.string(),
    start_time: z.string().nullable().openapi({ description: 'null: the whole of each day' }),
    end_time: wallOut.nullable(),
    reason: z.string(),
  })
  .openapi('TrainerBreak');

// ---- date overrides -------------------------------------------------------------------

export const MAX_OVERRIDE_WINDOWS = 12;

const overrideWindow = z.object({ start_time: wallTime(false), end_time: wallTime(true) });

/** An override's windows: each end after its start, none overlapping another (400 naming `windows.N`). */
const overrideWindows = z
  .array(overrideWindow)
  .max(MAX_OVERRIDE_WINDOWS, `Give at most ${MAX_OVERRIDE_WINDOWS} windows.`)
  .superRefine((windows, ctx) => {
    windows.forEach((w, i) => {
      if (w.end_time <= w.start_time) {
        ctx.addIssue({ code: 'custom', path: [i, 'end_time'], message: 'End time must be after start time.' });
        return;
      }
      const clash = windows.findIndex(
        (o, j) => j < i && o.end_time > o.start_time && o.start_time < w.end_time && w.start_time < o.end_time,
      );
      if (clash >= 0) {
        ctx.addIssue({ code: 'custom', path: [i], message: `This window overlaps window ${clash}.` });
      }
    });
  })
  .transform((windows) => [...windows].sort((a, b) => (a.start_time < b.start_time ? -1 : 1)))
  .openapi({
    description:
      "Open hours of that date in the trainer's zone, replacing the weekly windows; [] closes the day. Stored sorted by start.",
  });

const overrideFields = { date: dateField, windows: overrideWindows, reason: singleLine().trim().max(500) };
export const overrideCreateBody = z
  .strictObject({ ...overrideFields, reason: overrideFields.reason.optional() })
  .openapi('AvailabilityOverrideCreate', {
    example: { date: '2026-03-08', windows: [{ start_time: '10:00', end_time: '14:00' }], reason: 'Sunday bootcamp' },
  });
export const overridePatchBody = z.strictObject(overrideFields).partial().openapi('AvailabilityOverrideUpdate');
export type OverrideInput = z.infer<typeof overridePatchBody>;

export const overrideOut = z
  .object({
    id: z.number().int(),
    date: z.string(),
    windows: z.array(z.object({ start_time: wallOut, end_time: wallOut })),
    reason: z.string(),
  })
  .openapi('AvailabilityOverride', {
    example: {
      id: 7,
      date: '2026-03-08',
      windows: [{ start_time: '10:00:00', end_time: '14:00:00' }],
      reason: 'Sunday bootcamp',
    },
  });

export const overrideListQuery = pageQuery.extend({
  from: dateField.optional().openapi({ description: 'Only dates on or after this one' }),
  to: dateField.optional().openapi({ description: 'Only dates on or before this one' }),
});
export type OverrideListQuery = z.infer<typeof overrideListQuery>;

export const MAX_RANGE_DAYS = 62;

/** `?service=<id>`: free slots for that service's length and buffers; omitted: the default service. */
export const serviceQuery = digits(z.number().int().positive()).optional().openapi({
  description: "The service asked about (its length and buffers); omitted: the trainer's default service.",
});

export const availableQuery = z.object({
  date: dateField.optional(),
  from: dateField.optional(),
  to: dateField.optional(),
  duration: digits(z.number().int().min(5).max(720))
    .optional()
    .openapi({ description: "minutes; default: the service's length" }),
  service: serviceQuery,
});
export type AvailableQuery = z.infer<typeof availableQuery>;

export const slotSchema = z.object({ start_time: z.string(), end_time: z.string() }).openapi('FreeSlot');

/** A class session as the availability lists it (one D1 statement with the slots). */
export const classOfferSchema = z
  .object({
    class_session: z.number().int(),
    service: z.number().int(),
    name: z.string().openapi({ description: "The service's name.", example: 'Bootcamp' }),
    start_time: z.string(),
    end_time: z.string(),
    capacity: z.number().int(),
    spots_left: z.number().int().openapi({
      description: 'capacity less the pending and confirmed places (waitlisted ones hold none); never below 0.',
    }),
    waitlist_open: z.boolean().openapi({
      description:
        "True when the session is full (spots_left = 0) and its start is more than the trainer's waitlist_cutoff_hours away: a booking may join the waitlist.",
    }),
  })
  .openapi('ClassOffer');

export const classesField = z.array(classOfferSchema).openapi({
  description:
    "Scheduled class sessions starting on this local date (the trainer's zone, as slots), no sooner than the minimum notice and within the booking horizon, ordered by start. The public availability lists those of public, active services; the trainer's lists all. When `service` names a class service, only its sessions.",
});
export const availableDayOut = z
  .object({
    date: z.string(),
    timezone: z.string(),
    service: z.number().int().openapi({ description: 'The service the slots are for.' }),
    duration_minutes: z.number().int(),
    slots: z.array(slotSchema),
    classes: classesField,
  })
  .openapi('FreeSlotsDay');
export const availableRangeOut = z
  .object({
    timezone: z.string(),
    service: z.number().int().openapi({ description: 'The service the slots are for.' }),
    duration_minutes: z.number().int(),
    days: z.array(z.object({ date: z.string(), slots: z.array(slotSchema), classes: classesField })),
  })
  .openapi('FreeSlotsRange');

/** Validates the date arguments of the free-slot endpoints; returns the inclusive span. */
export function resolveSpan(q: { date?: string; from?: string; to?: string }, maxDays: number) {
  if (q.date) {
    // Either form, never both: a range beside a date would be silently ignored.
    if (q.from || q.to) {
      const both = 'Give date, or from and to, not both.';
      throw invalid({ ...(q.from && { from: [both] }), ...(q.to && { to: [both] }) });
    }
    return { from: q.date, to: q.date, single: true };
  }
  if (!q.from || !q.to) {
    throw invalid({
      ...(!q.from && { from: ['Give date, or from and to.'] }),
      ...(!q.to && { to: ['Give date, or from and to.'] }),
    });
  }
  const days = daysBetween(q.from, q.to) + 1;
  if (days < 1) throw invalidField('to', 'to must not be before from.');
  if (days > maxDays) throw invalidField('to', `A range covers at most ${maxDays} days.`);
  return { from: q.from, to: q.to, single: false };
}
