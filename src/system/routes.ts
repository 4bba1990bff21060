import { createRoute } from '@hono/zod-openapi';
import { jsonResponse, problems } from '../lib/openapi';
import { ApiError } from '../lib/problem';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Liveness: answers without touching the database',
  responses: { 200: jsonResponse(z.object({ status: z.literal('ok') }), 'Alive') },
});

const ready = createRoute({
  method: 'get',
  path: '/health/ready',
  tags: ['system'],
  summary: 'Readiness: 200 when the configuration is complete and safe for this environment',
  description:
    'Otherwise 503 naming each missing, malformed or unsafe setting under `errors` (never a value): ' +
    'a JWT_SECRET missing or short, NOTIFY_PROVIDER live without SendGrid or Twilio credentials, the log ' +
    'provider or a plain-http APP_ORIGIN in production, half a Paddle setup. Touches no database.',
  responses: {
    200: jsonResponse(z.object({ status: z.literal('ready') }), 'Ready'),
    ...problems(503),
  },
});

const index = createRoute({
  method: 'get',
  path: '/api',
  tags: ['system'],
  summary: 'The API areas and where the documentation lives',
  responses: {
    200: jsonResponse(
      z.object({
        name: z.string(),
        areas: z.record(z.string(), z.string()).openapi({ description: 'Each area and its URL.' }),
        docs: z.string(),
        openapi: z.string(),
      }),
      'Index',
    ),
  },
});

export const systemRouter = createRouter()
  .openapi(health, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(ready, (c) => {
    const errors = c.var.config.unsafe;
    const names = Object.keys(errors);
    if (names.length) throw new ApiError(503, `Not ready: check ${names.join(', ')}.`, { errors });
    return c.json({ status: 'ready' as const }, 200);
  })
  .openapi(index, (c) => {
    const base = new URL(c.req.url).origin;
    return c.json(
      {
        name: 'TrainerHub API',
        areas: {
          users: `${base}/api/users/`,
          clients: `${base}/api/clients/`,
          availability_slots: `${base}/api/availability-slots/`,
          trainer_breaks: `${base}/api/trainer-breaks/`,
          availability_overrides: `${base}/api/availability-overrides/`,
          bookings: `${base}/api/bookings/`,
          services: `${base}/api/services/`,
          packages: `${base}/api/packages/`,
          client_packages: `${base}/api/client-packages/`,
          analytics: `${base}/api/analytics/`,
          notifications: `${base}/api/notifications/`,
          subscriptions: `${base}/api/subscriptions/`,
          payments: `${base}/api/payments/`,
          public: `${base}/api/public/trainers/{slug}/`,
          admin: `${base}/api/admin/`,
        },
        docs: `${base}/api/docs`,
        openapi: `${base}/api/openapi.json`,
      },
      200,
    );
  });
