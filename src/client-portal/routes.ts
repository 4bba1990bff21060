import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { bookingOut, clientCancelBody } from '../bookings/schemas';
import { requireAuth, viewerOf } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import type { AppEnv } from '../lib/context';
import { replayHeader } from '../lib/idempotency';
import { authenticated, idParam, jsonBody, jsonResponse, pageSchema, problems, rateLimited } from '../lib/openapi';
import { listingOf, pageOf, pageQuery } from '../lib/pagination';
import { forbidden } from '../lib/problem';
import { clientAddress, RATE_POLICIES, rateLimit } from '../lib/ratelimit';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { clientBookingBody, clientBookingListQuery, clientPackageOut, clientRescheduleBody } from './schemas';
import * as portal from './service';

const tags = ['client account'];

/** The signed-in client user: verified email (else 403 email_unverified); trainers get 403. */
function clientOf(c: Context<AppEnv>): portal.ClientViewer {
  const auth = c.get('auth');
  if (auth.trainer)
    throw forbidden('Only client accounts can use this endpoint; trainers book through /api/bookings/.');
  const viewer = viewerOf(auth);
  if (viewer.kind !== 'client') throw forbidden('Only client accounts can use this endpoint.');
  return viewer;
}

const requireClient = createMiddleware<AppEnv>(async (c, next) => {
  clientOf(c);
  await next();
});

/** Per signed-in account (checked before the limit counts). */
const perAccount = (c: Context<AppEnv>) => ({ account: String(c.get('auth').user.id) });

const clientOnly = { tags, security: authenticated, middleware: [requireAuth, requireClient] };
const WHO =
  'For a signed-in client user with a verified email (403 `email_unverified` until then; trainers get 403). They act only on the client records carrying that email.';

const deps = (c: Context<AppEnv>) => ({
  db: c.var.db,
  schedules: c.env.TRAINER_SCHEDULE,
  queue: c.env.NOTIFY_QUEUE,
  now: isoNow(c.var.clock),
});

const book = createRoute({
  ...clientOnly,
  method: 'post',
  path: '/api/client/bookings',
  summary: 'Book a trainer for yourself (the booking page’s rules)',
  description: `${WHO} The start must be one of the times the trainer's public availability offers (slot grid, minimum notice, horizon, breaks, buffers); the service, when named, one of their public services. Confirmed at once when the trainer auto-confirms, else a request the trainer confirms (unconfirmed requests lapse like the booking page's). Your client record with that trainer is the one carrying your email, created from your profile when there is none. \`client_package\` must be a pack of yours with that trainer (else 400 naming it). A conflict answers 409 with \`code\`: booking_overlap, calendar_busy (the time is no longer available), outside_availability, trainer_break, slot_not_offered, package_expired, package_exhausted. \`Idempotency-Key\` supported: a retry with the same key and body is answered again (\`Idempotency-Replayed: true\`), even past the rate limit.`,
  request: {
    headers: z.object({ 'idempotency-key': z.string().optional() }),
    ...jsonBody(clientBookingBody),
  },
  responses: {
    201: jsonResponse(bookingOut, 'Requested (or confirmed when the trainer auto-confirms)'),
    ...problems(400, 401, 403, 409, 415, 422),
    ...rateLimited(RATE_POLICIES.clientBooking),
  },
});

const list = createRoute({
  ...clientOnly,
  method: 'get',
  path: '/api/client/bookings',
  summary: 'Your bookings with every trainer',
  description: WHO,
  request: { query: clientBookingListQuery },
  responses: {
    200: jsonResponse(pageSchema(bookingOut, 'ClientBookingPage'), 'A page of bookings'),
    ...problems(400, 401, 403),
  },
});

const cancel = createRoute({
  ...clientOnly,
  method: 'post',
  path: '/api/client/bookings/{id}/cancel',
  summary: "Cancel your booking under the trainer's rules (as its manage link does)",
  description: `${WHO} Only before the start; inside the trainer's late-cancel window the cancellation is late (\`late_cancellation\`), and a confirmed booking paid from a pack then uses its credit. You and the trainer are emailed. Someone else's booking answers 404. 409 \`invalid_transition\` when it is already cancelled, completed or started; \`late_cancellation\` or \`credit_would_be_used\` when \`late_ok\` or \`credit_ok\` is false and the cancel would cost that.`,
  request: {
    params: idParam,
    body: { required: false, content: { 'application/json': { schema: clientCancelBody } } },
  },
  responses: { 200: jsonResponse(bookingOut, 'Cancelled'), ...problems(400, 401, 403, 404, 409, 415) },
});

const reschedule = createRoute({
  ...clientOnly,
  middleware: [requireAuth, requireClient, rateLimit(RATE_POLICIES.clientReschedule, perAccount)] as const,
  method: 'post',
  path: '/api/client/bookings/{id}/reschedule',
  summary: 'Move your booking to another offered time (as its manage link does)',
  description: `${WHO} Runs the trainer's schedule checks; the trainer gets an email. 409 \`code\`: reschedule_not_allowed (the trainer does not allow it, their cut-off has passed, or the booking is not pending/confirmed), booking_overlap, calendar_busy, slot_not_offered, outside_availability, trainer_break, package_expired (your pack paying for it ends before the new date). Someone else's booking answers 404.`,
  request: { params: idParam, ...jsonBody(clientRescheduleBody) },
  responses: {
    200: jsonResponse(bookingOut, 'Rescheduled'),
    ...problems(400, 401, 403, 404, 409, 415),
    ...rateLimited(RATE_POLICIES.clientReschedule),
  },
});

const packages = createRoute({
  ...clientOnly,
  method: 'get',
  path: '/api/client/packages',
  summary: 'Your session packs with every trainer',
  description: `${WHO} Newest purchase first; \`sessions_reserved\` counts the credits your pending and confirmed bookings hold.`,
  request: { query: pageQuery },
  responses: {
    200: jsonResponse(pageSchema(clientPackageOut, 'MyClientPackagePage'), 'A page of packs'),
    ...problems(400, 401, 403),
  },
});

export const clientPortalRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(
      listingOf(c.req.url, q, await portal.listForClient(c.var.db, clientOf(c), q, isoNow(c.var.clock))),
      200,
    );
  })
  .openapi(book, async (c) => {
    const { booking, replayed } = await portal.bookForClient(
      { ...deps(c), secret: jwtSecretOf(c.var.config), ip: clientAddress(c.req.raw.headers) },
      c.get('auth').user,
      c.req.valid('json'),
      c.req.header('Idempotency-Key'),
    );
    return c.json(booking, 201, replayHeader(replayed));
  })
  .openapi(cancel, async (c) => {
    const input = c.req.valid('json') ?? {};
    return c.json(await portal.cancelForClient(deps(c), clientOf(c), c.req.valid('param').id, input), 200);
  })
  .openapi(reschedule, async (c) => {
    const { start_time } = c.req.valid('json');
    return c.json(await portal.rescheduleForClient(deps(c), clientOf(c), c.req.valid('param').id, start_time), 200);
  })
  .openapi(packages, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await portal.packagesForClient(c.var.db, clientOf(c), q, isoNow(c.var.clock));
    return c.json(pageOf(c.req.url, q, count, results), 200);
  });
