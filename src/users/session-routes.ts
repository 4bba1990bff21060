// /api/users/sessions/…: the signed-in devices of the user (./sessions.ts), each ended on its own
// or every one but this request's at once.
import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageQuery } from '../lib/pagination';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { sessionOut } from './schemas';
import { endOtherSessions, endSession, listSessions } from './sessions';

const tags = ['users'];
const auth = { tags, security: authenticated, middleware: requireAuth };

const list = createRoute({
  ...auth,
  method: 'get',
  path: '/api/users/sessions',
  summary: 'Your signed-in devices',
  description:
    "Every token of yours that still works, newest first: when it was issued, until when, the User-Agent of that sign-in, and `current` for the one of this request. A session ends at `POST /api/users/logout/`, here one by one, or all but this one at `DELETE /api/users/sessions/`; a password change ends all but the new one's. A request may read a replica a moment behind: a session ended a moment ago can still be listed, never used.",
  request: { query: pageQuery },
  responses: { 200: jsonResponse(pageSchema(sessionOut, 'SessionPage'), 'The sessions'), ...problems(400, 401) },
});

const endOne = createRoute({
  ...auth,
  method: 'delete',
  path: '/api/users/sessions/{id}',
  summary: 'Sign one device out',
  description:
    "Its token stops working at once (this request's own too, as a logout). Another user's or an ended one: 404.",
  request: {
    params: z.object({
      id: z
        .string()
        .max(64)
        .openapi({ param: { name: 'id', in: 'path', description: "The session's `id`." } }),
    }),
  },
  responses: { 204: { description: 'Signed out' }, ...problems(400, 401, 404) },
});

const endOthers = createRoute({
  ...auth,
  method: 'delete',
  path: '/api/users/sessions',
  summary: 'Sign every other device out',
  description:
    'Every token of yours but the one of this request stops working at once, and a staff user’s console sessions end too. Answers how many tokens ended.',
  responses: {
    200: jsonResponse(
      z
        .object({ ended: z.number().int().openapi({ description: 'How many sessions ended.' }) })
        .openapi('SessionsEnded'),
      'Ended',
    ),
    ...problems(401),
  },
});

export const sessionsRouter = createRouter()
  .openapi(list, async (c) =>
    c.json(await listSessions(c.var.db, c.get('auth'), c.req.valid('query'), c.req.url, isoNow(c.var.clock)), 200),
  )
  .openapi(endOne, async (c) => {
    await endSession(c.var.db, c.get('auth'), c.req.valid('param').id, isoNow(c.var.clock));
    return c.body(null, 204);
  })
  .openapi(endOthers, async (c) =>
    c.json({ ended: await endOtherSessions(c.var.db, c.get('auth'), isoNow(c.var.clock)) }, 200),
  );
