import { createRoute } from '@hono/zod-openapi';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../db/schema';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, digits, idParam, jsonResponse, noBody, pageSchema, problems } from '../lib/openapi';
import { cursorPageQuery, listingOf } from '../lib/pagination';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import * as notifications from './service';

const base = { tags: ['notifications'], security: authenticated, middleware: requireTrainer };

const notificationOut = z
  .object({
    id: z.number().int(),
    booking: z.number().int().nullable(),
    kind: z.enum(NOTIFICATION_KINDS),
    notification_type: z.enum(NOTIFICATION_CHANNELS),
    recipient: z.string(),
    subject: z.string(),
    message: z.string().openapi({ description: 'Filled in when the message is sent.' }),
    status: z.enum(NOTIFICATION_STATUSES),
    attempts: z.number().int(),
    provider_message_id: z.string().nullable(),
    sent_at: z.string().nullable(),
    failed_reason: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Notification');

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/notifications',
  summary: "The trainer's notifications, newest first",
  request: {
    query: cursorPageQuery.extend({
      status: z.enum(NOTIFICATION_STATUSES).optional(),
      notification_type: z.enum(NOTIFICATION_CHANNELS).optional(),
      kind: z.enum(NOTIFICATION_KINDS).optional(),
      booking: digits(z.number().int().positive()).optional(),
    }),
  },
  responses: {
    200: jsonResponse(pageSchema(notificationOut, 'NotificationPage'), 'A page'),
    ...problems(400, 401, 403),
  },
});

const retry = createRoute({
  ...base,
  method: 'post',
  path: '/api/notifications/{id}/retry',
  summary: 'Queue a failed notification again',
  request: { params: idParam, ...noBody },
  responses: { 200: jsonResponse(notificationOut, 'Queued again'), ...problems(400, 401, 403, 404, 409) },
});

export const notificationsRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(
      listingOf(c.req.url, q, await notifications.listNotifications(c.var.db, currentTrainer(c).id, q)),
      200,
    );
  })
  .openapi(retry, async (c) =>
    c.json(
      await notifications.retryNotification(
        c.var.db,
        c.env.NOTIFY_QUEUE,
        currentTrainer(c).id,
        c.req.valid('param').id,
        isoNow(c.var.clock),
      ),
      200,
    ),
  );
