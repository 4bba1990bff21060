import { createRoute } from '@hono/zod-openapi';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, idParam, jsonBody, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageOf } from '../lib/pagination';
import { createRouter } from '../lib/router';
import { serviceCreateBody, serviceListQuery, serviceOut, servicePatchBody } from './schemas';
import * as svc from './service';

const trainerOnly = { tags: ['services'], security: authenticated, middleware: requireTrainer };

const list = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/services',
  summary: "The trainer's services, by position then id",
  request: { query: serviceListQuery },
  responses: { 200: jsonResponse(pageSchema(serviceOut, 'ServicePage'), 'A page'), ...problems(400, 401, 403) },
});
const create = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/services',
  summary: 'Create a service',
  description:
    'A price needs its currency. Without `position` the service goes last. A new service is never the default; PATCH `is_default: true` moves it.',
  request: jsonBody(serviceCreateBody),
  responses: { 201: jsonResponse(serviceOut, 'Created'), ...problems(400, 401, 403) },
});
const detail = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/services/{id}',
  summary: 'One service',
  request: { params: idParam },
  responses: { 200: jsonResponse(serviceOut, 'Found'), ...problems(400, 401, 403, 404) },
});
const patch = createRoute({
  ...trainerOnly,
  method: 'patch',
  path: '/api/services/{id}',
  summary: 'Change a service',
  description:
    '`price: null` clears the price and its currency. `is_default: true` makes this active service the default; the trainer profile’s `session_duration_minutes` and `buffer_minutes` then follow it, as they follow a change of the default’s `duration_minutes` or `buffer_after_minutes`. The default cannot be archived: 409 `service_is_default`; an archived service cannot become the default: 409 `service_inactive`. A `capacity` that turns a private service into a class service (or back) while it has bookings (or class sessions) to come: 409 `service_in_use`.',
  request: { params: idParam, ...jsonBody(servicePatchBody) },
  responses: { 200: jsonResponse(serviceOut, 'Updated'), ...problems(400, 401, 403, 404, 409) },
});
const remove = createRoute({
  ...trainerOnly,
  method: 'delete',
  path: '/api/services/{id}',
  summary: 'Delete a service never booked (archive the others)',
  description:
    'A service with bookings or class sessions, or one a package lists, answers 409 `service_in_use` (archive it with `is_active: false`: a package limited to it would otherwise cover every service); the default answers 409 `service_is_default`.',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...problems(400, 401, 403, 404, 409) },
});

export const servicesRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await svc.listServices(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(create, async (c) =>
    c.json(await svc.createService(c.var.db, currentTrainer(c).id, c.req.valid('json'), isoNow(c.var.clock)), 201),
  )
  .openapi(detail, async (c) =>
    c.json(svc.toServiceOut(await svc.findService(c.var.db, currentTrainer(c).id, c.req.valid('param').id)), 200),
  )
  .openapi(patch, async (c) =>
    c.json(
      await svc.updateService(
        c.var.db,
        currentTrainer(c).id,
        c.req.valid('param').id,
        c.req.valid('json'),
        isoNow(c.var.clock),
      ),
      200,
    ),
  )
  .openapi(remove, async (c) => {
    await svc.deleteService(c.var.db, currentTrainer(c).id, c.req.valid('param').id);
    return c.body(null, 204);
  });
