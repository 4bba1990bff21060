import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { calendarConnections } from '../db/schema';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, idParam, jsonResponse, noBody, problems, rateLimited } from '../lib/openapi';
import { conflict, notFound, tooManyRequests } from '../lib/problem';
import { describePolicy, RATE_POLICIES } from '../lib/ratelimit';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { MAX_BLOCKS } from './busy';
import { claimManualSync, parserOf, syncConnection } from './sync';

const syncState = z
  .object({
    id: z.number().int(),
    status: z.enum(['synced', 'unchanged', 'failed', 'skipped']).openapi({
      description:
        'synced: busy time replaced; unchanged: the calendar answered 304 or gave the same busy time again; failed: see last_error',
    }),
    last_synced_at: z.string().nullable(),
    last_error: z
      .string()
      .nullable()
      .openapi({ description: 'Why the last attempt failed, as a sentence; null after a success' }),
    busy_count: z.number().int().openapi({ description: 'Busy blocks stored from this calendar' }),
    truncated: z.boolean().openapi({
      description: `True when the calendar gave more busy blocks than are kept (${MAX_BLOCKS}): only the earliest count`,
    }),
  })
  .openapi('CalendarSyncState');

const sync = createRoute({
  tags: ['calendar'],
  security: authenticated,
  middleware: requireTrainer,
  method: 'post',
  path: '/api/calendar/connections/{id}/sync',
  summary: 'Read a connected calendar now',
  description:
    "Fetches the calendar's address (10 seconds, 5 MB at most) and replaces its busy time, as the 15-minute cron does. A calendar that cannot be read keeps its busy time and answers 200 with `status` failed and `last_error`. At most once a minute per connection (the cron's attempts count too). 409 when the connection is switched off; 503 when calendars cannot be read just now (nothing is recorded against the connection).",
  request: { params: idParam, ...noBody },
  responses: {
    200: jsonResponse(syncState, "The connection's state after the attempt"),
    ...problems(400, 401, 403, 404, 409, 503),
    ...rateLimited(RATE_POLICIES.calendarSync),
  },
});

export const calendarSyncRouter = createRouter().openapi(sync, async (c) => {
  const trainer = currentTrainer(c);
  const { id } = c.req.valid('param');
  const now = isoNow(c.var.clock);
  const claim = await claimManualSync(c.var.db, trainer.id, id, now);
  if (!claim.ok) {
    if ('retryAfter' in claim)
      throw tooManyRequests(claim.retryAfter, `Too many requests (${describePolicy(RATE_POLICIES.calendarSync)}).`);
    if (claim.reason === 'inactive')
      throw conflict('This calendar connection is switched off; switch it on to sync it.');
    throw notFound();
  }
  const deps = { db: c.var.db, now, queue: c.env.NOTIFY_QUEUE, parser: parserOf(c.env) };
  const outcome = await syncConnection(deps, c.var.config.calendar, id);
  const row = await c.var.db
    .select({
      lastSyncedAt: calendarConnections.lastSyncedAt,
      lastError: calendarConnections.lastError,
      busyCount: calendarConnections.busyCount,
    })
    .from(calendarConnections)
    .where(eq(calendarConnections.id, id))
    .get();
  const busyCount = row?.busyCount ?? outcome.busyCount;
  return c.json(
    {
      id,
      status: outcome.status,
      last_synced_at: row?.lastSyncedAt ?? null,
      last_error: row?.lastError ?? null,
      busy_count: busyCount,
      truncated: busyCount >= MAX_BLOCKS,
    },
    200,
  );
});
