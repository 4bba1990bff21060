import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, idParam, jsonBody, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageOf } from '../lib/pagination';
import { invalid, zodFieldErrors } from '../lib/problem';
import { type AppEnv, createRouter } from '../lib/router';
import { connectionCreateBody, connectionListQuery, connectionOut, connectionPatchBody } from './connection-schemas';
import * as svc from './connections';

const trainerOnly = { tags: ['calendar'], security: authenticated, middleware: requireTrainer };

const URL_RULES =
  '`ics_url` must be `https://` (`webcal://` is read as `https://`; plain `http://` only in development), without a user name, password or port, pointing at a public host (not localhost, a private, link-local or metadata address), not TrainerHub’s own feed, at most 2,048 characters. It is stored encrypted and never shown again: answers carry `ics_url_hint` (host and last 6 characters).';

const list = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/calendar/connections',
  summary: "The trainer's calendar connections (calendars whose busy time blocks bookings)",
  request: { query: connectionListQuery },
  responses: {
    200: jsonResponse(pageSchema(connectionOut, 'CalendarConnectionPage'), 'A page'),
    ...problems(400, 401, 403),
  },
});
const create = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/calendar/connections',
  summary: 'Connect a calendar by its secret iCalendar address',
  description: `${URL_RULES} The same address twice answers 409 \`connection_exists\`; more than ${svc.MAX_CONNECTIONS} calendars 409 \`too_many_connections\`. An active calendar is synced within seconds.`,
  request: jsonBody(connectionCreateBody),
  responses: { 201: jsonResponse(connectionOut, 'Created'), ...problems(400, 401, 403, 409, 503) },
});
const detail = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/calendar/connections/{id}',
  summary: 'One calendar connection',
  request: { params: idParam },
  responses: { 200: jsonResponse(connectionOut, 'Found'), ...problems(400, 401, 403, 404) },
});
const patch = createRoute({
  ...trainerOnly,
  method: 'patch',
  path: '/api/calendar/connections/{id}',
  summary: 'Rename, re-point, turn off or on a calendar connection',
  description: `${URL_RULES} A new address drops the old calendar's busy time and is synced within seconds; \`is_active: false\` drops the calendar's busy time at once, \`true\` syncs it again.`,
  request: { params: idParam, ...jsonBody(connectionPatchBody) },
  responses: { 200: jsonResponse(connectionOut, 'Updated'), ...problems(400, 401, 403, 404, 409, 503) },
});
const remove = createRoute({
  ...trainerOnly,
  method: 'delete',
  path: '/api/calendar/connections/{id}',
  summary: 'Disconnect a calendar (its busy time goes with it)',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...problems(400, 401, 403, 404) },
});

type Validated = { target: string; success: boolean; error?: ZodError };

/** The 400 of a refused body: zod's field errors, and `ics_url`'s if the address breaks a rule too. */
async function refuse(error: ZodError, target: string, c: Context<AppEnv>): Promise<never> {
  const errors = zodFieldErrors(error);
  if (target === 'json' && !errors.ics_url) {
    const body: unknown = await c.req.json().catch(() => null);
    const raw = body && typeof body === 'object' ? (body as { ics_url?: unknown }).ics_url : undefined;
    const check = typeof raw === 'string' ? svc.checkConnectionUrl(raw, c.var.config.calendar) : null;
    if (check && !check.ok) errors.ics_url = [check.reason];
  }
  throw invalid(errors);
}

/**
 * The default validation hook, plus the address rules that need the configuration: a body
 * refused for another field also names a bad `ics_url`, so one answer lists every bad field.
 */
const withUrlRules = (result: Validated, c: Context<AppEnv>): Promise<never> | undefined =>
  result.success || !result.error ? undefined : refuse(result.error, result.target, c);

const deps = (c: Context<AppEnv>): svc.ConnectionDeps => ({
  db: c.var.db,
  now: isoNow(c.var.clock),
  queue: c.env.CALENDAR_QUEUE,
});

export const calendarConnectionsRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await svc.listConnections(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(
    create,
    async (c) =>
      c.json(
        await svc.createConnection(deps(c), c.var.config.calendar, currentTrainer(c).id, c.req.valid('json')),
        201,
      ),
    withUrlRules,
  )
  .openapi(detail, async (c) =>
    c.json(svc.toConnectionOut(await svc.findConnection(c.var.db, currentTrainer(c).id, c.req.valid('param').id)), 200),
  )
  .openapi(
    patch,
    async (c) =>
      c.json(
        await svc.updateConnection(
          deps(c),
          c.var.config.calendar,
          currentTrainer(c).id,
          c.req.valid('param').id,
          c.req.valid('json'),
        ),
        200,
      ),
    withUrlRules,
  )
  .openapi(remove, async (c) => {
    await svc.deleteConnection(c.var.db, currentTrainer(c).id, c.req.valid('param').id);
    return c.body(null, 204);
  });
