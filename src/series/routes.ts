import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scheduleOf } from '../bookings/schedule-object';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { jwtSecretOf } from '../lib/config';
import type { AppEnv } from '../lib/context';
import { idempotencyOf, replayHeader } from '../lib/idempotency';
import { authenticated, idParam, jsonBody, jsonResponse, noBody, pageSchema, problems } from '../lib/openapi';
import { pageOf } from '../lib/pagination';
import { ApiError, problemBody } from '../lib/problem';
import { createRouter } from '../lib/router';
import { newManageLink } from '../lib/tokens';
import { cancelSeries, confirmSeries } from './actions';
import {
  seriesCancelBody,
  seriesConflict,
  seriesCreateBody,
  seriesCreated,
  seriesDetail as seriesDetailSchema,
  seriesListQuery,
  seriesOut,
} from './schemas';
import { createdAnswer, listSeries, planSeries, replayedSeries, seriesDetail } from './service';

const trainerOnly = { tags: ['booking-series'], security: authenticated, middleware: requireTrainer };

const create = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/booking-series',
  summary: 'Book a standing series: the same local time on some weekdays, every n weeks',
  description:
    "Every occurrence keeps the local wall-clock time in the trainer's zone across DST changes; all are checked and written at once (one schedule-object call, one D1 batch). `skip_conflicts` (default) books what it can and lists the rest with a `conflict` (booking_overlap, outside_availability, trainer_break, calendar_busy: busy in one of your connected calendars, package_exhausted, package_expired, nonexistent_local_time: the clocks skip that wall time that day); `all_or_nothing` answers 409 listing the conflicts and stores nothing, as does a series none of whose occurrences can be booked. `allow_outside_availability` waives the windows and your calendars' busy time, never breaks or other bookings. A pack reserves one credit per created occurrence. Occurrences are `pending` until the series is confirmed; no message is sent now. Send `Idempotency-Key` to make retries safe: the same key and body within 24 h (also two requests at once) makes one series and replays the first answer with `Idempotency-Replayed: true`; another body gets 422 `idempotency_key_reused`. A request that stored nothing (a 400 or 409) keeps no key.",
  // Declared, not validated by a schema: `idempotencyOf` checks it (400 naming it), as the booking create does.
  parameters: [{ in: 'header', name: 'idempotency-key', required: false, schema: { type: 'string' } }],
  request: jsonBody(seriesCreateBody),
  responses: {
    201: jsonResponse(seriesCreated, 'Booked: the series, its bookings and every occurrence'),
    409: {
      content: { 'application/problem+json': { schema: seriesConflict } },
      description: 'Nothing stored (code series_conflict): every occurrence with its conflict',
    },
    ...problems(400, 401, 403, 422),
  },
});

const list = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/booking-series',
  summary: "The trainer's series, newest first",
  request: { query: seriesListQuery },
  responses: {
    200: jsonResponse(pageSchema(seriesOut, 'BookingSeriesPage'), 'A page of series'),
    ...problems(400, 401, 403),
  },
});

const detail = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/booking-series/{id}',
  summary: 'One series with its bookings',
  request: { params: idParam },
  responses: { 200: jsonResponse(seriesDetailSchema, 'The series'), ...problems(401, 403, 404) },
});

const confirm = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/booking-series/{id}/confirm',
  summary: 'Confirm every pending occurrence; one confirmation to the client lists them',
  description: 'Reminders then go per occurrence. 409 invalid_transition when no occurrence is pending.',
  request: { params: idParam, ...noBody },
  responses: { 200: jsonResponse(seriesDetailSchema, 'The series'), ...problems(400, 401, 403, 404, 409) },
});

const cancel = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/booking-series/{id}/cancel',
  summary: 'Cancel every pending/confirmed occurrence from a date on (default: every future one)',
  description:
    "Each occurrence is cancelled as the trainer's single cancel would (credits released; a confirmed one inside the late-cancel window is late); one message to the client lists the cancelled dates. A single occurrence is changed or cancelled with the booking endpoints. 409 invalid_transition when nothing is left to cancel.",
  request: {
    params: idParam,
    body: { required: false, content: { 'application/json': { schema: seriesCancelBody } } },
  },
  responses: { 200: jsonResponse(seriesDetailSchema, 'The series'), ...problems(400, 401, 403, 404, 409) },
});

const deps = (c: Context<AppEnv>) => ({ db: c.var.db, queue: c.env.NOTIFY_QUEUE, now: isoNow(c.var.clock) });

export const seriesRouter = createRouter()
  .openapi(create, async (c) => {
    const trainer = currentTrainer(c);
    const body = c.req.valid('json');
    const now = isoNow(c.var.clock);
    const scope = `user:${c.get('auth').user.id}:POST /api/booking-series`;
    const idempotency = await idempotencyOf(c.req.header('Idempotency-Key'), scope, body);
    let planned: ReturnType<typeof planSeries>;
    try {
      planned = planSeries(trainer, body, now);
    } catch (err) {
      // A retry of a series made under this key is answered even when its body no longer plans.
      const replay = idempotency && (await replayedSeries(c.var.db, trainer.id, idempotency, now));
      if (replay) return c.json(replay, 201, replayHeader(true));
      throw err;
    }
    // Every occurrence gets its manage link, as every single booking does.
    const secret = jwtSecretOf(c.var.config);
    const links = await Promise.all(planned.occurrences.map(() => newManageLink(secret)));
    const outcome = await scheduleOf(c.env.TRAINER_SCHEDULE, trainer.id, c.var.db).createSeries({
      trainerId: trainer.id,
      clientId: body.client,
      serviceId: body.service ?? null,
      clientPackageId: body.client_package ?? null,
      notes: body.notes ?? '',
      mode: body.mode ?? 'skip_conflicts',
      allowOutsideAvailability: body.allow_outside_availability ?? false,
      ...planned,
      links: links.map((l) => ({ tokenHash: l.tokenHash, salt: l.salt })),
      idempotency,
      now,
    });
    if (!outcome.ok) {
      if (!('occurrences' in outcome) || !outcome.occurrences)
        throw new ApiError(outcome.status, outcome.detail, { errors: outcome.errors, code: outcome.code });
      const problem = problemBody(409, outcome.detail, { code: outcome.code, requestId: c.get('requestId') });
      return c.json({ ...problem, occurrences: outcome.occurrences }, 409, {
        'Content-Type': 'application/problem+json',
      });
    }
    const answer = await createdAnswer(c.var.db, trainer.id, outcome, idempotency, now);
    return c.json(answer, 201, replayHeader(outcome.replayed));
  })
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await listSeries(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(detail, async (c) =>
    c.json(await seriesDetail(c.var.db, currentTrainer(c).id, c.req.valid('param').id, isoNow(c.var.clock)), 200),
  )
  .openapi(confirm, async (c) =>
    c.json(await confirmSeries(deps(c), currentTrainer(c).id, c.req.valid('param').id), 200),
  )
  .openapi(cancel, async (c) => {
    const body = c.req.valid('json') ?? {};
    return c.json(await cancelSeries(deps(c), currentTrainer(c).id, c.req.valid('param').id, body), 200);
  });
