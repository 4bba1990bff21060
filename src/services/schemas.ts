import { LOCATION_TYPES } from '../db/schema';
import { always, currencyField, isHttpsUrl, moneyField } from '../lib/fields';
import { boolQuery } from '../lib/openapi';
import { pageQuery } from '../lib/pagination';
import { multiLine, singleLine, singleLineRefined } from '../lib/text';
import * as z from '../lib/zod';

export const CURRENCY_WITHOUT_PRICE = 'A currency goes with a price: add the price, or leave the currency out.';
export const PRICE_WITHOUT_CURRENCY = 'Give the currency of the price, e.g. "USD".';

const minutes = (min: number, max: number) => z.number().int().min(min).max(max);

const serviceFields = {
  name: singleLine().trim().min(1).max(100).openapi({ example: '60-minute session' }),
  description: multiLine().trim().max(2000).openapi({ example: 'One-to-one training at the studio.' }),
  duration_minutes: minutes(5, 720).openapi({ example: 60 }),
  price: moneyField.nullable().openapi({
    type: ['string', 'null'],
    description: 'A decimal string; null for no price shown (clears the currency too).',
  }),
  currency: currencyField.nullable().openapi({ description: 'ISO 4217; required with a price.' }),
  buffer_before_minutes: minutes(0, 240).openapi({
    description: 'Time kept free before each booking of this service (it need not be inside the working hours).',
    example: 0,
  }),
  buffer_after_minutes: minutes(0, 240).openapi({
    description:
      'Time kept free after each booking. For the default service this is the trainer profile’s `buffer_minutes`.',
    example: 15,
  }),
  location_type: z.enum(LOCATION_TYPES).openapi({ example: 'in_person' }),
  location: singleLine()
    .trim()
    .max(300)
    .openapi({ description: 'Where an in-person session happens; shown to booked clients only.', example: '' }),
  video_url: singleLine()
    .trim()
    .max(500)
    .refine((v) => v === '' || isHttpsUrl(v), 'Enter a video link starting with https://, or leave it empty.')
    .openapi({ description: "An https meeting link for video sessions, shown to booked clients only; '' for none." }),
  color: singleLineRefined()
    .regex(/^(#[0-9a-fA-F]{6})?$/, 'Enter a colour as # and six hex digits, like #1e6fd9, or leave it empty.')
    .transform((v) => v.toLowerCase())
    .openapi({ example: '#1e6fd9', description: "`#rrggbb`, or '' for none." }),
  capacity: z.number().int().min(1).max(100).openapi({
    description:
      'Places per session: 1 (the default) is a private session; more makes it a class, scheduled with /api/class-sessions/ and booked by place.',
    example: 1,
  }),
  is_public: z.boolean(),
  position: z.number().int().min(0).max(100_000),
  is_active: z
    .boolean()
    .openapi({ description: 'false archives the service: it is no longer offered; its bookings keep it.' }),
};

export const serviceCreateBody = z
  .strictObject(serviceFields)
  .partial()
  .required({ name: true, duration_minutes: true })
  .superRefine((v, ctx) => {
    const priced = v.price !== undefined && v.price !== null;
    if (priced && (v.currency === undefined || v.currency === null))
      ctx.addIssue({ code: 'custom', path: ['currency'], message: PRICE_WITHOUT_CURRENCY });
    if (!priced && typeof v.currency === 'string')
      ctx.addIssue({ code: 'custom', path: ['currency'], message: CURRENCY_WITHOUT_PRICE });
  }, always)
  .openapi('ServiceCreate', {
    example: {
      name: 'Home assessment',
      duration_minutes: 90,
      price: 120,
      currency: 'USD',
      buffer_after_minutes: 30,
      location_type: 'client_address',
    },
  });
export type ServiceCreateInput = z.infer<typeof serviceCreateBody>;

export const servicePatchBody = z
  .strictObject({
    ...serviceFields,
    is_default: z.literal(true, 'Only true: make another service the default to change it.').openapi({
      description:
        'true makes this active service the default (what a booking without `service` is for); the trainer profile’s `session_duration_minutes` and `buffer_minutes` follow it.',
    }),
  })
  .partial()
  .openapi('ServiceUpdate', { example: { duration_minutes: 45, price: '55.00', currency: 'USD' } });
export type ServicePatchInput = z.infer<typeof servicePatchBody>;

const SERVICE_EXAMPLE = {
  id: 7,
  name: '60-minute session',
  description: '',
  duration_minutes: 60,
  price: '80.00',
  currency: 'USD',
  buffer_before_minutes: 0,
  buffer_after_minutes: 15,
  location_type: 'in_person' as const,
  location: '12 Gym Street',
  video_url: '',
  color: '#1e6fd9',
  capacity: 1,
  is_public: true,
  position: 0,
  is_active: true,
  is_default: true,
  created_at: '2026-01-05T09:00:00.000Z',
  updated_at: '2026-01-05T09:00:00.000Z',
};

export const serviceOut = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    duration_minutes: z.number().int(),
    price: z.string().nullable(),
    currency: z.string().nullable(),
    buffer_before_minutes: z.number().int(),
    buffer_after_minutes: z.number().int(),
    location_type: z.enum(LOCATION_TYPES),
    location: z.string(),
    video_url: z.string(),
    color: z.string(),
    capacity: z.number().int(),
    is_public: z.boolean(),
    position: z.number().int(),
    is_active: z.boolean(),
    is_default: z
      .boolean()
      .openapi({ description: 'Exactly one per trainer: what a booking without `service` is for.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Service', { example: SERVICE_EXAMPLE });
export type ServiceOut = z.infer<typeof serviceOut>;

/** What a visitor may see of a service. */
export const publicPart = (s: ServiceOut) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  duration_minutes: s.duration_minutes,
  price: s.price,
  currency: s.currency,
  location_type: s.location_type,
  color: s.color,
});

/** What the public profile shows of a service: no address or meeting link (those are for booked clients). */
export const publicServiceOut = z
  .object({
    id: z.number().int().openapi({ description: 'Send it as `service` to the availability and the booking.' }),
    name: z.string(),
    description: z.string(),
    duration_minutes: z.number().int(),
    price: z.string().nullable(),
    currency: z.string().nullable(),
    location_type: z.enum(LOCATION_TYPES),
    color: z.string(),
  })
  .openapi('PublicService', {
    example: publicPart(SERVICE_EXAMPLE),
  });
export type PublicServiceOut = z.infer<typeof publicServiceOut>;

export const serviceListQuery = pageQuery.extend({ is_active: boolQuery, is_public: boolQuery });
export type ServiceListQuery = z.infer<typeof serviceListQuery>;
