// The admin API: /api/admin/{model}/ for every model in ./models.ts, staff only. The routes are
// generated from the definitions, so each model's filters and allow-list are in the OpenAPI document.
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { requireAuth } from '../lib/auth';
import { isoNow } from '../lib/clock';
import type { AppEnv } from '../lib/context';
import { authenticated, idParam, jsonBody, jsonResponse, noBody, pageSchema, problems } from '../lib/openapi';
import { pageOf } from '../lib/pagination';
import { ApiError, forbidden } from '../lib/problem';
import { createRouter } from '../lib/router';
import { patchBooking } from './booking-actions';
import { adminDeps } from './deps';
import { MODEL_ORDER } from './models';
import { detailSchema, listQuerySchema, patchSchema, rowSchema } from './schemas';
import * as admin from './service';

/**
 * After requireAuth: only staff (users.is_staff) with two-factor sign-in enrolled; anyone else
 * signed in gets 403. A staff user made before two-factor existed enrols at their next console
 * sign-in; until then their password alone (an API login) must not open the admin API.
 */
const staffOnly = createMiddleware<AppEnv>(async (c, next) => {
  const { user } = c.get('auth');
  if (!user.isStaff) throw forbidden('Only staff can use the admin API.');
  if (!user.totpSecret) {
    throw new ApiError(403, 'Enrol two-factor sign-in (sign in to the console at /admin once) to use the admin API.', {
      code: 'two_factor_required',
    });
  }
  await next();
});

const staffOf = (c: Context<AppEnv>): admin.Staff => {
  const { user } = c.get('auth');
  return { id: user.id, email: user.email };
};

const common = { tags: ['admin'], security: authenticated };
const found = jsonResponse(detailSchema, 'The record with its related records');

/** A route on one record: `/api/admin/{model}/{id}` plus `suffix`. */
const onRecord = <
  M extends 'get' | 'patch' | 'delete' | 'post',
  B extends Omit<NonNullable<RouteConfig['request']>, 'params'>,
  R extends RouteConfig['responses'],
>(
  model: string,
  method: M,
  summary: string,
  extra: { suffix?: string; body: B; responses: R; description?: string },
) =>
  createRoute({
    ...common,
    method,
    path: `/api/admin/${model}/{id}${extra.suffix ?? ''}`,
    summary,
    ...(extra.description && { description: extra.description }),
    request: { params: idParam, ...extra.body },
    responses: extra.responses,
  });

const BOOKING_PATCH =
  'Status or time, one per request, by the trainer API rules: a transition its status does not allow is 409 `invalid_transition` and changes nothing; `cancelled` needs `cancellation_reason`; a move is checked by the trainer schedule.';

export const adminApiRouter = createRouter();
// Every admin path, known or not, answers 401/403 before anything else.
adminApiRouter.use('/api/admin/*', requireAuth, staffOnly);

for (const def of MODEL_ORDER) {
  const list = createRoute({
    ...common,
    method: 'get',
    path: `/api/admin/${def.name}`,
    summary: `${def.label}, across all trainers`,
    request: { query: listQuerySchema(def) },
    responses: {
      200: jsonResponse(pageSchema(rowSchema(def), `Admin${def.label.replace(/\W/g, '')}Page`), 'A page'),
      ...problems(400, 401, 403),
    },
  });
  adminApiRouter.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await admin.listRecords(c.var.db, def, q, isoNow(c.var.clock));
    return c.json(
      pageOf(
        c.req.url,
        q,
        count,
        results.map((r) => r.values),
      ),
      200,
    );
  });
  const detail = onRecord(def.name, 'get', `One ${def.singular} with its related records`, {
    body: {},
    responses: { 200: found, ...problems(401, 403, 404) },
  });
  adminApiRouter.openapi(detail, async (c) =>
    c.json(await admin.getRecord(c.var.db, def, c.req.valid('param').id, isoNow(c.var.clock)), 200),
  );
  if (def.patch) {
    const fields = Object.keys(def.patch).join(', ');
    const patch = onRecord(def.name, 'patch', `Change a ${def.singular}: only ${fields}; other fields are ignored`, {
      body: jsonBody(patchSchema(def)),
      responses: { 200: found, ...problems(400, 401, 403, 404, 409) },
      description: def.name === 'bookings' ? BOOKING_PATCH : undefined,
    });
    // A booking's status and time go through the booking rules (a refused transition: 409 invalid_transition).
    const apply =
      def.name === 'bookings'
        ? patchBooking
        : (...a: Parameters<typeof patchBooking>) => admin.patchRecord(a[0], a[1], def, a[2], a[3]);
    adminApiRouter.openapi(patch, async (c) =>
      c.json(await apply(adminDeps(c), staffOf(c), c.req.valid('param').id, c.req.valid('json')), 200),
    );
  }
  if (def.deletable) {
    const remove = onRecord(def.name, 'delete', `Delete a ${def.singular} (its content stays in the audit log)`, {
      body: {},
      responses: { 204: { description: 'Deleted' }, ...problems(401, 403, 404) },
    });
    adminApiRouter.openapi(remove, async (c) => {
      await admin.deleteRecord(adminDeps(c), staffOf(c), def, c.req.valid('param').id);
      return c.body(null, 204);
    });
  }
  if (def.retryable) {
    const retry = onRecord(def.name, 'post', `Send a failed ${def.singular} again`, {
      suffix: '/retry',
      body: noBody,
      responses: { 200: found, ...problems(401, 403, 404, 409) },
    });
    adminApiRouter.openapi(retry, async (c) =>
      c.json(await admin.retryRecord(adminDeps(c), staffOf(c), def, c.req.valid('param').id), 200),
    );
  }
}
