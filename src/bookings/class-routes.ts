import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { currentTrainer, requireTrainer, requireTrainerClaim } from '../lib/auth';
import { isoNow } from '../lib/clock';
import type { AppEnv } from '../lib/context';
import { authenticated, idParam, jsonBody, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageOf } from '../lib/pagination';
import { createRouter } from '../lib/router';
import {
  classCancelBody,
  classCreateBody,
  classCreatedOut,
  classDetailOut,
  classListQuery,
  classOut,
  classPatchBody,
} from './class-schemas';
import { cancelClass, changeCapacity, findClass, listClasses } from './class-sessions';
import type { ClassCreated } from './classes';
import { unwrapResult } from './outcome';
import { scheduleOf } from './schedule-object';

const tags = ['classes'];
const trainerOnly = { tags, security: authenticated, middleware: requireTrainer };

const create = createRoute({
  ...trainerOnly,
  middleware: requireTrainerClaim,
  method: 'post',
  path: '/api/class-sessions',
  summary: 'Schedule a class (a service with capacity > 1), once or weekly',
  description:
    "A class session takes the trainer's time like a booking (its service's length and buffers), checked against bookings, other classes, breaks windows and the busy time of your connected calendars (`allow_outside_availability` waives windows and busy time). With `repeat` every occurrence is checked: a conflict refuses all (409 `repeat_conflicts`, `errors.repeat` naming each date and code) unless `skip_conflicts`, which creates the others and reports each occurrence with its `class_session` id or `conflict` (an occurrence whose local time the clocks skip: `nonexistent_local_time`). Without `repeat` a conflict is the booking's 409 (`booking_overlap`, `calendar_busy`, `outside_availability`, `trainer_break`).",
  request: jsonBody(classCreateBody),
  responses: {
    201: jsonResponse(classCreatedOut, 'The occurrences and the sessions made'),
    ...problems(400, 401, 403, 409),
  },
});
const list = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/class-sessions',
  summary: "The trainer's class sessions, by start",
  request: { query: classListQuery },
  responses: { 200: jsonResponse(pageSchema(classOut, 'ClassSessionPage'), 'A page'), ...problems(400, 401, 403) },
});
const detail = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/class-sessions/{id}',
  summary: 'One class session with its places and waitlist',
  request: { params: idParam },
  responses: { 200: jsonResponse(classDetailOut, 'Found'), ...problems(401, 403, 404) },
});
const patch = createRoute({
  ...trainerOnly,
  method: 'patch',
  path: '/api/class-sessions/{id}',
  summary: 'Change the capacity (a raise promotes waitlisted people at once)',
  description: 'Below the places taken: 409 `capacity_below_booked`. A cancelled session: 409 `invalid_transition`.',
  request: { params: idParam, ...jsonBody(classPatchBody) },
  responses: { 200: jsonResponse(classDetailOut, 'Updated'), ...problems(400, 401, 403, 404, 409) },
});
const cancel = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/class-sessions/{id}/cancel',
  summary: 'Cancel a class: every place and waitlisted entry cancelled, credits released, everyone told once',
  description:
    'Only before its start: a class under way or over answers 409 `class_started` (mark its places completed or no-shows). A cancelled one: 409 `invalid_transition`.',
  request: {
    params: idParam,
    body: { required: false, content: { 'application/json': { schema: classCancelBody } } },
  },
  responses: { 200: jsonResponse(classDetailOut, 'Cancelled'), ...problems(401, 403, 404, 409) },
});

const deps = (c: Context<AppEnv>) => ({ db: c.var.db, queue: c.env.NOTIFY_QUEUE, now: isoNow(c.var.clock) });

export const classSessionsRouter = createRouter()
  .openapi(create, async (c) => {
    const claim = c.get('claim');
    const body = c.req.valid('json');
    const repeat = body.repeat && {
      weekdays: body.repeat.weekdays,
      intervalWeeks: body.repeat.interval_weeks ?? 1,
      count: body.repeat.count ?? undefined,
      until: body.repeat.until ?? undefined,
    };
    const result = await scheduleOf(c.env.TRAINER_SCHEDULE, claim.trainerId, c.var.db).createClasses({
      trainerId: claim.trainerId,
      serviceId: body.service,
      startTime: body.start_time,
      repeat: repeat ?? null,
      skipConflicts: body.skip_conflicts ?? false,
      allowOutsideAvailability: body.allow_outside_availability ?? false,
      session: claim.sessionChecked ? null : { userId: claim.userId, jti: claim.jti },
      now: isoNow(c.var.clock),
    });
    return c.json({ occurrences: unwrapResult<ClassCreated>(result).occurrences }, 201);
  })
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await listClasses(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(detail, async (c) => c.json(await findClass(c.var.db, currentTrainer(c).id, c.req.valid('param').id), 200))
  .openapi(patch, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await changeCapacity(deps(c), currentTrainer(c).id, id, c.req.valid('json').capacity), 200);
  })
  .openapi(cancel, async (c) => {
    const reason = c.req.valid('json')?.reason ?? '';
    return c.json(await cancelClass(deps(c), currentTrainer(c).id, c.req.valid('param').id, reason), 200);
  });
