import { createRoute } from '@hono/zod-openapi';
import type { Context, TypedResponse } from 'hono';
import { clientCancelBody } from '../bookings/schemas';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import { replayHeader } from '../lib/idempotency';
import { jsonBody, jsonResponse, problems, rateLimited } from '../lib/openapi';
import { ADDRESS, ADDRESS_AND_TRAINER, clientAddress, limitsOf, RATE_POLICIES, rateLimit } from '../lib/ratelimit';
import { type AppEnv, createRouter } from '../lib/router';
import { sha256Hex } from '../lib/tokens';
import * as z from '../lib/zod';
import { ICS_FILENAME } from '../notifications/calendar';
import { classesField, slotSchema } from '../scheduling/schemas';
import { AVAILABILITY_CACHE_SECONDS, cachedAvailability } from './availability';
import {
  manageOut,
  manageRescheduleBody,
  publicAvailabilityQuery,
  publicBookingBody,
  publicBookingOut,
  publicTrainerOut,
  slugParam,
  tokenParam,
} from './schemas';
import * as pub from './service';

/** The manage link a request names, hashed: tokens are credentials and never stored in clear. */
const byManageLink = async (c: Context<AppEnv>) => ({ 'manage link': await sha256Hex(c.req.param('token') ?? '') });

const tags = ['public'];

const profile = createRoute({
  method: 'get',
  path: '/api/public/trainers/{slug}',
  tags,
  summary: "A trainer's public profile and active packages (no account needed)",
  request: { params: slugParam },
  responses: { 200: jsonResponse(publicTrainerOut, 'The trainer'), ...problems(404) },
});

const availabilityOut = z.object({
  timezone: z.string(),
  service: z.number().int().openapi({ description: 'The service the slots are for.' }),
  duration_minutes: z.number().int(),
  days: z.array(z.object({ date: z.string(), slots: z.array(slotSchema), classes: classesField })),
});

const availability = createRoute({
  method: 'get',
  path: '/api/public/trainers/{slug}/availability',
  tags,
  summary:
    "Free slots and class sessions with their places left, as the trainer's own range endpoint computes them (default today … +13 days)",
  // Rate limited inside the handler, after the cache: a hit counts nothing (availability.ts).
  request: { params: slugParam, query: publicAvailabilityQuery },
  responses: {
    200: jsonResponse(
      availabilityOut,
      'Free slots (Cache-Control: public, max-age=15; add any extra query parameter to bypass the browser cache after booking). Served from the edge cache while nothing it depends on has changed; `X-Cache` says `hit` or `miss`.',
    ),
    ...problems(400, 404),
    ...rateLimited(RATE_POLICIES.publicAvailability),
  },
});

const book = createRoute({
  method: 'post',
  path: '/api/public/trainers/{slug}/bookings',
  tags,
  summary: 'Request a booking (client found by email or created; every schedule check applies)',
  description:
    'The start must be one of the times `/availability` offers (its slot grid, minimum notice, horizon, breaks and buffers). A conflict answers 409 with `code`: booking_overlap, calendar_busy (the time is no longer available), outside_availability (outside the hours, too short notice or beyond the horizon), trainer_break, slot_not_offered (inside the hours but not a start the availability lists, e.g. 10:07 when slots start on the hour), or schedule_changed (the trainer changed their hours twice while the request was checked; try again). When the email is a client of the trainer holding a pack that covers the service and has a credit left, the booking reserves a credit of the one that expires first; the answer says nothing about it (the confirmation email to the client names the pack). Rate limited (429 with Retry-After). Bodies over 16 KB → 413. `Idempotency-Key` supported: a retry with the same key and body within 24 h replays the first answer (`Idempotency-Replayed: true`), even past the rate limit.',
  request: {
    params: slugParam,
    headers: z.object({ 'idempotency-key': z.string().optional() }),
    ...jsonBody(publicBookingBody),
  },
  responses: {
    201: jsonResponse(publicBookingOut, 'Requested (or confirmed when the trainer auto-confirms)'),
    ...problems(400, 404, 409, 413, 415, 422),
    ...rateLimited(RATE_POLICIES.publicBooking),
  },
});

const manage = createRoute({
  method: 'get',
  path: '/api/public/bookings/{token}',
  tags,
  summary: 'The booking behind a manage link',
  middleware: rateLimit(RATE_POLICIES.manage, byManageLink),
  request: { params: tokenParam },
  responses: { 200: jsonResponse(manageOut, 'The booking'), ...problems(404), ...rateLimited(RATE_POLICIES.manage) },
});

const cancel = createRoute({
  method: 'post',
  path: '/api/public/bookings/{token}/cancel',
  tags,
  summary: "Cancel through the manage link, under the trainer's rules",
  description:
    'Only before the start; inside the trainer’s late-cancel window the cancellation is late, and a confirmed booking paid from a pack then uses its credit. The client and the trainer are emailed (the trainer with the reason given). 409 `invalid_transition` when it is already cancelled, completed or started; `late_cancellation` or `credit_would_be_used` when `late_ok` or `credit_ok` is false and the cancel would cost that (send what the page showed, so a booking moved or a window begun since is decided again).',
  middleware: rateLimit(RATE_POLICIES.manageCancel, byManageLink),
  request: {
    params: tokenParam,
    body: { required: false, content: { 'application/json': { schema: clientCancelBody } } },
  },
  responses: {
    200: jsonResponse(manageOut, 'Cancelled'),
    ...problems(404, 409),
    ...rateLimited(RATE_POLICIES.manageCancel),
  },
});

const reschedule = createRoute({
  method: 'post',
  path: '/api/public/bookings/{token}/reschedule',
  tags,
  summary: 'Move the booking to another offered time through the manage link',
  description:
    "Runs the trainer's schedule checks. 409 `code`: reschedule_not_allowed (the trainer does not allow it, the cut-off `reschedule_until` has passed, or the booking is not pending/confirmed), booking_overlap (the time is taken), calendar_busy (the time is no longer available), slot_not_offered (not a start the availability lists), outside_availability (too short notice, beyond the horizon, outside the hours), trainer_break, package_expired (the pack paying for it ends before the new date), schedule_changed (the trainer's hours changed twice during the check; try again). The status stays as it was; moving to the time the booking already has changes nothing. The trainer gets an email.",
  middleware: rateLimit(RATE_POLICIES.manageReschedule, byManageLink),
  request: { params: tokenParam, ...jsonBody(manageRescheduleBody) },
  responses: {
    200: jsonResponse(manageOut, 'Rescheduled'),
    ...problems(400, 404, 409, 415),
    ...rateLimited(RATE_POLICIES.manageReschedule),
  },
});

const managedTimes = createRoute({
  method: 'get',
  path: '/api/public/bookings/{token}/availability',
  tags,
  summary: 'The times the booking of this manage link may move to',
  description:
    'This booking’s free times (its booked length and buffers, its own time free): what `reschedule` accepts, but a date past its pack’s expiry (409). No classes. A booking the client may not move (`can_reschedule` false) gets the move’s own 409 instead: `class_place` for a place in a class, `reschedule_not_allowed` for a status, the trainer’s rule or the cut-off.',
  middleware: rateLimit(RATE_POLICIES.manageAvailability, byManageLink),
  request: { params: tokenParam, query: publicAvailabilityQuery },
  responses: {
    200: jsonResponse(availabilityOut, 'Free times for this booking'),
    ...problems(400, 404, 409),
    ...rateLimited(RATE_POLICIES.manageAvailability),
  },
});

const ics = createRoute({
  method: 'get',
  path: '/api/public/bookings/{token}/ics',
  tags,
  summary: 'The booking as an iCalendar file',
  description:
    'A cancelled booking’s file cancels the event in the calendar it was added to. A waitlisted place holds no time yet: 409 `waitlisted`.',
  middleware: rateLimit(RATE_POLICIES.manageIcs, byManageLink),
  request: { params: tokenParam },
  responses: {
    200: { description: 'text/calendar', content: { 'text/calendar': { schema: z.string() } } },
    ...problems(404, 409),
    ...rateLimited(RATE_POLICIES.manageIcs),
  },
});

export const publicRouter = createRouter()
  .openapi(profile, async (c) => c.json(await pub.publicProfile(c.var.db, c.req.valid('param').slug), 200))
  .openapi(availability, async (c) => {
    const { slug } = c.req.valid('param');
    const address = clientAddress(c.req.raw.headers);
    const limits = limitsOf(RATE_POLICIES.publicAvailability, {
      [ADDRESS]: address,
      [ADDRESS_AND_TRAINER]: address && `${address}|${slug.toLowerCase()}`,
    });
    const origin = new URL(c.req.url).origin;
    const deps = { db: c.var.db, cache: caches.default, origin, now: isoNow(c.var.clock), limits };
    const answer = await cachedAvailability(deps, slug, c.req.valid('query'));
    // hono answers HEAD with this handler's status and headers and drops the body: a hit's stream
    // from the cache would be left unread, so it is released here.
    let { body } = answer;
    if (c.req.method === 'HEAD' && typeof body !== 'string') {
      void body.cancel();
      body = '';
    }
    // The body is stored JSON text of `availabilityOut`: answered as it is, never parsed and re-serialised.
    return c.body(body, 200, {
      'Content-Type': 'application/json',
      'Cache-Control': `public, max-age=${AVAILABILITY_CACHE_SECONDS}`,
      'X-Cache': answer.cache,
    }) as unknown as TypedResponse<z.infer<typeof availabilityOut>, 200, 'json'>;
  })
  .openapi(book, async (c) => {
    const { answer, replayed } = await pub.publicBook(
      {
        db: c.var.db,
        schedules: c.env.TRAINER_SCHEDULE,
        queue: c.env.NOTIFY_QUEUE,
        appOrigin: c.var.config.appOrigin,
        now: isoNow(c.var.clock),
        secret: jwtSecretOf(c.var.config),
        ip: clientAddress(c.req.raw.headers),
        idempotencyKey: c.req.header('Idempotency-Key'),
      },
      c.req.valid('param').slug,
      c.req.valid('json'),
    );
    return c.json(answer, 201, replayHeader(replayed));
  })
  .openapi(manage, async (c) =>
    c.json(await pub.getManaged(c.var.db, c.req.valid('param').token, isoNow(c.var.clock), c.var.config.calendar), 200),
  )
  .openapi(managedTimes, async (c) => {
    const { token } = c.req.valid('param');
    return c.json(await pub.managedAvailability(c.var.db, token, c.req.valid('query'), isoNow(c.var.clock)), 200);
  })
  .openapi(reschedule, async (c) => {
    const deps = {
      db: c.var.db,
      schedules: c.env.TRAINER_SCHEDULE,
      queue: c.env.NOTIFY_QUEUE,
      now: isoNow(c.var.clock),
    };
    const { token } = c.req.valid('param');
    const { start_time } = c.req.valid('json');
    return c.json(await pub.rescheduleManaged(deps, c.var.config.calendar, token, start_time), 200);
  })
  .openapi(cancel, async (c) => {
    const input = c.req.valid('json') ?? {};
    const { token } = c.req.valid('param');
    const deps = { db: c.var.db, queue: c.env.NOTIFY_QUEUE, now: isoNow(c.var.clock) };
    return c.json(await pub.cancelManaged(deps, c.var.config.calendar, token, input), 200);
  })
  .openapi(ics, async (c) => {
    const { appOrigin, notify } = c.var.config;
    const text = await pub.icsFor(
      c.var.db,
      c.req.valid('param').token,
      { appOrigin, emailFrom: notify.emailFrom },
      isoNow(c.var.clock),
    );
    return c.body(text, 200, {
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': `attachment; filename="${ICS_FILENAME}"`,
    });
  });
