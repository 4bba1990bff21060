import { createRoute, z } from '@hono/zod-openapi';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { jsonBody, jsonResponse, problems } from '../lib/openapi';
import { createRouter } from '../lib/router';
import {
  manageCancelBody,
  manageOut,
  publicAvailabilityQuery,
  publicBookingBody,
  publicBookingOut,
  publicTrainerOut,
  slugParam,
  tokenParam,
} from './schemas';
import * as pub from './service';

export const PUBLIC_MAX_BODY_BYTES = 16 * 1024;
const tags = ['public'];

const profile = createRoute({
  method: 'get',
  path: '/api/public/trainers/{slug}',
  tags,
  summary: "A trainer's public profile and active packages (no account needed)",
  request: { params: slugParam },
  responses: { 200: jsonResponse(publicTrainerOut, 'The trainer'), ...problems(404) },
});

const availability = createRoute({
  method: 'get',
  path: '/api/public/trainers/{slug}/availability',
  tags,
  summary: "Free slots, as the trainer's own range endpoint computes them (default today … +13 days)",
  request: { params: slugParam, query: publicAvailabilityQuery },
  responses: {
    200: jsonResponse(
      z.object({
        timezone: z.string(),
        duration_minutes: z.number().int(),
        days: z.array(
          z.object({ date: z.string(), slots: z.array(z.object({ start_time: z.string(), end_time: z.string() })) }),
        ),
      }),
      'Free slots (Cache-Control: public, max-age=15; add any extra query parameter to bypass caches after booking)',
    ),
    ...problems(400, 404),
  },
});

const book = createRoute({
  method: 'post',
  path: '/api/public/trainers/{slug}/bookings',
  tags,
  summary: 'Request a booking (client found by email or created; every schedule check applies)',
  description:
    'The start must be one of the times `/availability` offers (its slot grid, minimum notice, horizon, breaks and buffers). A conflict answers 409 with `code`: booking_overlap, outside_availability (outside the hours, too short notice or beyond the horizon), trainer_break, or slot_not_offered (inside the hours but not a start the availability lists, e.g. 10:07 when slots start on the hour). Rate limited: 10 per minute per IP and 5 per hour per email (429 with Retry-After). Bodies over 16 KB → 413. `Idempotency-Key` supported.',
  request: {
    params: slugParam,
    headers: z.object({ 'idempotency-key': z.string().optional() }),
    ...jsonBody(publicBookingBody),
  },
  responses: {
    201: jsonResponse(publicBookingOut, 'Requested (or confirmed when the trainer auto-confirms)'),
    ...problems(400, 404, 409, 413, 415, 422, 429),
  },
});

const manage = createRoute({
  method: 'get',
  path: '/api/public/bookings/{token}',
  tags,
  summary: 'The booking behind a manage link',
  request: { params: tokenParam },
  responses: { 200: jsonResponse(manageOut, 'The booking'), ...problems(404) },
});

const cancel = createRoute({
  method: 'post',
  path: '/api/public/bookings/{token}/cancel',
  tags,
  summary: "Cancel through the manage link, under the trainer's rules",
  request: {
    params: tokenParam,
    body: { required: false, content: { 'application/json': { schema: manageCancelBody } } },
  },
  responses: { 200: jsonResponse(manageOut, 'Cancelled'), ...problems(404, 409, 429) },
});

const ics = createRoute({
  method: 'get',
  path: '/api/public/bookings/{token}/ics',
  tags,
  summary: 'The booking as an iCalendar file',
  request: { params: tokenParam },
  responses: {
    200: { description: 'text/calendar', content: { 'text/calendar': { schema: z.string() } } },
    ...problems(404),
  },
});

/** The visitor's address: Cloudflare's header in production, the socket's peer address locally. */
function clientIp(header: string | undefined, raw: Request): string {
  return header ?? raw.headers.get('X-Forwarded-For')?.split(',')[0]?.trim() ?? 'local';
}

export const publicRouter = createRouter()
  .openapi(profile, async (c) => c.json(await pub.publicProfile(c.var.db, c.req.valid('param').slug), 200))
  .openapi(availability, async (c) => {
    const body = await pub.publicAvailability(
      c.var.db,
      c.req.valid('param').slug,
      c.req.valid('query'),
      isoNow(c.var.clock),
    );
    return c.json(body, 200, { 'Cache-Control': 'public, max-age=15' });
  })
  .openapi(book, async (c) => {
    const created = await pub.publicBook(
      {
        db: c.var.db,
        schedules: c.env.TRAINER_SCHEDULE,
        queue: c.env.NOTIFY_QUEUE,
        appOrigin: c.var.config.appOrigin,
        now: isoNow(c.var.clock),
        secret: jwtSecretOf(c.var.config),
        ip: clientIp(c.req.header('CF-Connecting-IP'), c.req.raw),
        idempotencyKey: c.req.header('Idempotency-Key'),
      },
      c.req.valid('param').slug,
      c.req.valid('json'),
    );
    return c.json(created, 201);
  })
  .openapi(manage, async (c) => c.json(await pub.getManaged(c.var.db, c.req.valid('param').token), 200))
  .openapi(cancel, async (c) => {
    const reason = c.req.valid('json')?.reason ?? '';
    const { token } = c.req.valid('param');
    return c.json(await pub.cancelManaged(c.var.db, c.env.NOTIFY_QUEUE, token, reason, isoNow(c.var.clock)), 200);
  })
  .openapi(ics, async (c) => {
    const host = new URL(c.req.url).host;
    const text = await pub.icsFor(c.var.db, c.req.valid('param').token, host, isoNow(c.var.clock));
    return c.body(text, 200, {
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': 'attachment; filename="session.ics"',
    });
  });
