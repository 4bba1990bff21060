import { createRoute } from '@hono/zod-openapi';
import type { ZodType } from 'zod';
import { currentTrainer, requireTrainer, requireTrainerClaim } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, idParam, jsonBody, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageOf, pageQuery } from '../lib/pagination';
import { createRouter } from '../lib/router';
import * as overrides from './overrides';
import {
  availableDayOut,
  availableQuery,
  availableRangeOut,
  breakCreateBody,
  breakOut,
  breakPatchBody,
  overrideCreateBody,
  overrideListQuery,
  overrideOut,
  overridePatchBody,
  slotCreateBody,
  slotOut,
  slotPatchBody,
} from './schemas';
import * as scheduling from './service';

const trainerOnly = { security: authenticated, middleware: requireTrainer };
const slots = { ...trainerOnly, tags: ['availability'] };
const breaks = { ...trainerOnly, tags: ['breaks'] };
const exceptions = { ...trainerOnly, tags: ['availability overrides'] };

const available = createRoute({
  ...slots,
  // The session row is checked in the read's own D1 batch (`signedIn`).
  middleware: requireTrainerClaim,
  method: 'get',
  path: '/api/availability-slots/available',
  summary: 'Free slots for one date (?date=) or a range of up to 62 days (?from=&to=), as UTC instants',
  request: { query: availableQuery },
  responses: {
    200: {
      description:
        'Free slots: {date, timezone, duration_minutes, slots} for ?date=, {timezone, duration_minutes, days} for a range',
      content: { 'application/json': { schema: availableDayOut.or(availableRangeOut) } },
    },
    ...problems(400, 401, 403),
  },
});

const crud = <B extends ZodType, P extends ZodType, O extends ZodType>(
  base: typeof slots,
  path: string,
  noun: string,
  createBody: B,
  patchBody: P,
  out: O,
  pageName: string,
  /** 409 for writes that can collide (a second override of a date). */
  conflicts: 409[] = [],
) => ({
  list: createRoute({
    ...base,
    method: 'get',
    path,
    summary: `The trainer's ${noun}s`,
    request: { query: pageQuery },
    responses: { 200: jsonResponse(pageSchema(out, pageName), 'A page'), ...problems(400, 401, 403) },
  }),
  create: createRoute({
    ...base,
    method: 'post',
    path,
    summary: `Add a ${noun}`,
    request: jsonBody(createBody),
    responses: { 201: jsonResponse(out, 'Created'), ...problems(400, 401, 403, ...conflicts) },
  }),
  get: createRoute({
    ...base,
    method: 'get',
    path: `${path}/{id}`,
    summary: `One ${noun}`,
    request: { params: idParam },
    responses: { 200: jsonResponse(out, 'Found'), ...problems(401, 403, 404) },
  }),
  put: createRoute({
    ...base,
    method: 'put',
    path: `${path}/{id}`,
    summary: `Replace a ${noun}`,
    request: { params: idParam, ...jsonBody(createBody) },
    responses: { 200: jsonResponse(out, 'Updated'), ...problems(400, 401, 403, 404, ...conflicts) },
  }),
  patch: createRoute({
    ...base,
    method: 'patch',
    path: `${path}/{id}`,
    summary: `Change a ${noun}`,
    request: { params: idParam, ...jsonBody(patchBody) },
    responses: { 200: jsonResponse(out, 'Updated'), ...problems(400, 401, 403, 404, ...conflicts) },
  }),
  remove: createRoute({
    ...base,
    method: 'delete',
    path: `${path}/{id}`,
    summary: `Delete a ${noun}`,
    request: { params: idParam },
    responses: { 204: { description: 'Deleted' }, ...problems(401, 403, 404) },
  }),
});

const s = crud(
  slots,
  '/api/availability-slots',
  'weekly availability window',
  slotCreateBody,
  slotPatchBody,
  slotOut,
  'AvailabilitySlotPage',
);
const b = crud(breaks, '/api/trainer-breaks', 'break', breakCreateBody, breakPatchBody, breakOut, 'TrainerBreakPage');
const o = crud(
  exceptions,
  '/api/availability-overrides',
  'date override (open hours of one date replacing the weekly windows; no windows = closed)',
  overrideCreateBody,
  overridePatchBody,
  overrideOut,
  'AvailabilityOverridePage',
  [409],
);
const overrideList = createRoute({
  ...o.list,
  summary: "The trainer's date overrides, by date (?from=&to= narrow the dates)",
  request: { query: overrideListQuery },
});

export const schedulingRouter = createRouter()
  // Before /{id}, so "available" is not read as an id.
  .openapi(available, async (c) =>
    c.json(
      await scheduling.trainerAvailability(c.var.db, c.get('claim'), c.req.valid('query'), isoNow(c.var.clock)),
      200,
    ),
  )
  .openapi(s.list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await scheduling.listSlots(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(s.create, async (c) =>
    c.json(await scheduling.createSlot(c.var.db, currentTrainer(c).id, c.req.valid('json')), 201),
  )
  .openapi(s.get, async (c) =>
    c.json(await scheduling.getSlot(c.var.db, currentTrainer(c).id, c.req.valid('param').id), 200),
  )
  .openapi(s.put, async (c) =>
    c.json(
      await scheduling.updateSlot(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(s.patch, async (c) =>
    c.json(
      await scheduling.updateSlot(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(s.remove, async (c) => {
    await scheduling.deleteSlot(c.var.db, currentTrainer(c).id, c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(b.list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await scheduling.listBreaks(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(b.create, async (c) =>
    c.json(await scheduling.createBreak(c.var.db, currentTrainer(c).id, c.req.valid('json')), 201),
  )
  .openapi(b.get, async (c) =>
    c.json(await scheduling.getBreak(c.var.db, currentTrainer(c).id, c.req.valid('param').id), 200),
  )
  .openapi(b.put, async (c) =>
    c.json(
      await scheduling.updateBreak(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(b.patch, async (c) =>
    c.json(
      await scheduling.updateBreak(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(b.remove, async (c) => {
    await scheduling.deleteBreak(c.var.db, currentTrainer(c).id, c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(overrideList, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await overrides.listOverrides(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(o.create, async (c) =>
    c.json(await overrides.createOverride(c.var.db, currentTrainer(c).id, c.req.valid('json')), 201),
  )
  .openapi(o.get, async (c) =>
    c.json(await overrides.getOverride(c.var.db, currentTrainer(c).id, c.req.valid('param').id), 200),
  )
  .openapi(o.put, async (c) =>
    c.json(
      await overrides.updateOverride(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(o.patch, async (c) =>
    c.json(
      await overrides.updateOverride(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(o.remove, async (c) => {
    await overrides.deleteOverride(c.var.db, currentTrainer(c).id, c.req.valid('param').id);
    return c.body(null, 204);
  });
