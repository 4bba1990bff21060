import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  currentTrainer,
  requireAuth,
  requireAuthClaim,
  requireTrainer,
  requireTrainerClaim,
  viewerOf,
} from '../lib/auth';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import type { AppEnv, TrainerClaim } from '../lib/context';
import { idempotencyOf, replayHeader } from '../lib/idempotency';
import { authenticated, idParam, jsonBody, jsonResponse, noBody, pageSchema, problems } from '../lib/openapi';
import { listingOf } from '../lib/pagination';
import { createRouter } from '../lib/router';
import { newManageLink } from '../lib/tokens';
import { enqueue } from '../notifications/outbox';
import { claimedBookings, findBooking, type ListMode, listBookings } from './queries';
import { scheduleOf, unwrapOutcome } from './schedule-object';
import {
  type BookingListQuery,
  bookingCreateBody,
  bookingListQuery,
  bookingOut,
  bookingPatchBody,
  cancelBody,
} from './schemas';
import { type Transition, transition, updateNotes } from './transitions';

const tags = ['bookings'];
const anyone = { tags, security: authenticated, middleware: requireAuth };
const trainerOnly = { tags, security: authenticated, middleware: requireTrainer };
const bookingPage = pageSchema(bookingOut, 'BookingPage');

const listRoute = (path: string, summary: string) =>
  createRoute({
    ...anyone,
    // A trainer token's session row is checked in the list's own D1 batch (`claimedBookings`).
    middleware: requireAuthClaim,
    method: 'get',
    path,
    summary,
    request: { query: bookingListQuery },
    responses: { 200: jsonResponse(bookingPage, 'A page of bookings'), ...problems(400, 401, 403) },
  });

const list = listRoute('/api/bookings', "The trainer's bookings (a client user: their own, read-only)");
const upcoming = listRoute('/api/bookings/upcoming', 'Pending and confirmed bookings from now on, soonest first');
const past = listRoute('/api/bookings/past', 'Bookings that have ended, latest first');

const create = createRoute({
  // The session row is read with the booking's own data, in the schedule object's one read.
  ...trainerOnly,
  middleware: requireTrainerClaim,
  method: 'post',
  path: '/api/bookings',
  summary: 'Book a client (serialized per trainer; never double-books)',
  description:
    'Send `Idempotency-Key` to make retries safe: the same key and body within 24 h replays the first answer; another body gets 422. A conflict answers 409 with `code` booking_overlap, calendar_busy (busy in one of your connected calendars; `allow_outside_availability` books over it), outside_availability, trainer_break, package_expired, package_exhausted, package_not_valid_for_service (the package lists services and not this one) or schedule_changed (windows, breaks, overrides or services changed twice while the booking was checked; try again). With `class_session` the booking is a place in that class: 409 `class_full` when it is full (or 201 `waitlisted` with `waitlist: true`), 409 `already_booked` when the client has one. A service with capacity > 1 is booked only by place (400 naming `service`).',
  // The header is declared, not validated by a schema: `idempotencyOf` checks it (400 naming it),
  // and a header schema makes every request copy all its headers into an object first.
  parameters: [{ in: 'header', name: 'idempotency-key', required: false, schema: { type: 'string' } }],
  request: jsonBody(bookingCreateBody),
  responses: { 201: jsonResponse(bookingOut, 'Booked'), ...problems(400, 401, 403, 409, 422) },
});

const detail = createRoute({
  ...anyone,
  method: 'get',
  path: '/api/bookings/{id}',
  summary: 'One booking',
  request: { params: idParam },
  responses: { 200: jsonResponse(bookingOut, 'The booking'), ...problems(401, 403, 404) },
});

const patch = createRoute({
  ...trainerOnly,
  method: 'patch',
  path: '/api/bookings/{id}',
  summary: 'Change notes, or reschedule with start_time/end_time (same checks as create)',
  description:
    'A move runs the checks of a create (409 `code`: booking_overlap, calendar_busy, outside_availability, trainer_break, schedule_changed), and a booking paid from a pack cannot move past the pack’s expiry (409 package_expired).',
  request: {
    params: idParam,
    ...jsonBody(bookingPatchBody),
  },
  responses: { 200: jsonResponse(bookingOut, 'Updated'), ...problems(400, 401, 403, 404, 409) },
});

const action = (name: Transition, summary: string) => ({
  ...trainerOnly,
  method: 'post' as const,
  path: `/api/bookings/{id}/${name}`,
  summary,
  responses: { 200: jsonResponse(bookingOut, 'The updated booking'), ...problems(400, 401, 403, 404, 409) },
});

const confirm = createRoute({ ...action('confirm', 'pending → confirmed'), request: { params: idParam, ...noBody } });
const complete = createRoute({
  ...action('mark_completed', 'confirmed → completed, once the start has passed; consumes a package credit'),
  description:
    "The session took place. The booking's package credit is spent (ledger reason `booking_completed`); the client gets no message. A conflict answers 409 with `code` invalid_transition (the booking is not confirmed, e.g. already completed) or not_started (its start has not passed yet: a session cannot have been held before it begins).",
  request: { params: idParam, ...noBody },
});
const noShow = createRoute({
  ...action('mark_no_show', 'confirmed → no_show, once the start has passed; may use the package credit'),
  description:
    "The client did not come. With the trainer's `no_show_uses_credit` on (the default) the booking's package credit is spent (ledger reason `no_show`); off, the reservation is released and no credit is used. Unsent reminders are cancelled; the client gets no message. A conflict answers 409 with `code` invalid_transition (the booking is not confirmed, e.g. already marked) or not_started (its start has not passed yet).",
  request: { params: idParam, ...noBody },
});
const cancel = createRoute({
  ...action('cancel', 'pending|confirmed → cancelled (late inside the late-cancel window); frees the slot'),
  // The body is optional: POST with none cancels without a reason.
  request: { params: idParam, body: { required: false, content: { 'application/json': { schema: cancelBody } } } },
});

export const bookingsRouter = createRouter()
  .openapi(upcoming, async (c) => c.json(await listing(c, c.req.valid('query'), 'upcoming'), 200))
  .openapi(past, async (c) => c.json(await listing(c, c.req.valid('query'), 'past'), 200))
  .openapi(list, async (c) => c.json(await listing(c, c.req.valid('query'), 'all'), 200))
  .openapi(create, async (c) => {
    const claim = c.get('claim');
    const body = c.req.valid('json');
    const idempotency = await idempotencyOf(
      c.req.header('Idempotency-Key'),
      `user:${claim.userId}:POST /api/bookings`,
      body,
    );
    // Every booking gets a manage link, so the client's messages can carry it (random: no answer shows it).
    const link = await newManageLink(jwtSecretOf(c.var.config));
    const outcome = await scheduleOf(c.env.TRAINER_SCHEDULE, claim.trainerId, c.var.db).createBooking({
      trainerId: claim.trainerId,
      client: { id: body.client },
      startTime: body.start_time ?? '',
      endTime: body.end_time ?? null,
      classSessionId: body.class_session ?? null,
      waitlist: body.waitlist ?? false,
      notes: body.notes ?? '',
      serviceId: body.service ?? null,
      clientPackageId: body.client_package ?? null,
      pickPackage: false,
      allowOutsideAvailability: body.allow_outside_availability ?? false,
      enforceBookingWindow: false,
      status: 'pending',
      idempotency,
      session: claim.sessionChecked ? null : { userId: claim.userId, jti: claim.jti },
      manageLink: { tokenHash: link.tokenHash, salt: link.salt },
      source: 'trainer',
      clientTimezone: '',
      notify: 'none',
      now: isoNow(c.var.clock),
    });
    const { booking, replayed } = unwrapOutcome(outcome);
    return c.json(booking, 201, replayHeader(replayed));
  })
  .openapi(detail, async (c) =>
    c.json(await findBooking(c.var.db, viewerOf(c.get('auth')), c.req.valid('param').id, isoNow(c.var.clock)), 200),
  )
  .openapi(patch, async (c) => {
    const trainer = currentTrainer(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const db = c.var.db;
    const now = isoNow(c.var.clock);
    // The time first: a refused reschedule must leave the notes untouched too.
    if (body.start_time !== undefined || body.end_time !== undefined) {
      const outcome = await scheduleOf(c.env.TRAINER_SCHEDULE, trainer.id, c.var.db).rescheduleBooking({
        trainerId: trainer.id,
        bookingId: id,
        startTime: body.start_time ?? null,
        endTime: body.end_time ?? null,
        allowOutsideAvailability: body.allow_outside_availability ?? false,
        now,
      });
      await enqueue(c.env.NOTIFY_QUEUE, unwrapOutcome(outcome).notificationIds);
    }
    if (body.notes !== undefined) await updateNotes(db, trainer.id, id, body.notes, now);
    return c.json(await findBooking(db, viewerOf(c.get('auth')), id, now), 200);
  })
  .openapi(confirm, async (c) => c.json(await act(c, 'confirm'), 200))
  .openapi(cancel, async (c) => {
    const reason = c.req.valid('json')?.reason ?? '';
    const { id } = c.req.valid('param');
    return c.json(await transition(transitionDeps(c), currentTrainer(c).id, id, 'cancel', reason), 200);
  })
  .openapi(complete, async (c) => c.json(await act(c, 'mark_completed'), 200))
  .openapi(noShow, async (c) => c.json(await act(c, 'mark_no_show'), 200));

type BookingContext = Context<AppEnv, string, { out: { param: { id: number } } }>;

/** The database, the notification queue and the request's now, for a state change. */
const transitionDeps = (c: Context<AppEnv>) => ({ db: c.var.db, queue: c.env.NOTIFY_QUEUE, now: isoNow(c.var.clock) });

/** A state change without a body, by the signed-in trainer. */
function act(c: BookingContext, action: Transition) {
  return transition(transitionDeps(c), currentTrainer(c).id, c.req.valid('param').id, action);
}

async function listing(c: Context<AppEnv>, q: BookingListQuery, mode: ListMode) {
  const claim: TrainerClaim | undefined = c.get('claim');
  const now = isoNow(c.var.clock);
  if (claim) return listingOf(c.req.url, q, await claimedBookings(c.var.db, claim, q, mode, now));
  const auth = c.get('auth');
  const zone = auth.trainer?.timezone ?? 'UTC';
  return listingOf(c.req.url, q, await listBookings(c.var.db, viewerOf(auth), zone, q, mode, now));
}
