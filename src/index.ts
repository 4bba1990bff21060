import { getPath } from 'hono/utils/url';
import { API_AREAS, CONSOLE_PATH } from './areas';
import { buildApp } from './http';
import { handleScheduled } from './jobs/cron';
import { handleQueue } from './jobs/queue';
import { registerDocs } from './system/docs';

export { TrainerSchedule } from './bookings/schedule-object';

const app = buildApp(API_AREAS, { docs: registerDocs });

export default {
  // The staff console is a Worker of its own (src/admin/worker.ts): its requests go there whole,
  // before this Worker's middleware, and its answers come back unchanged.
  fetch: (request, env, ctx) =>
    CONSOLE_PATH.test(getPath(request)) ? env.CONSOLE.fetch(request) : app.fetch(request, env, ctx),
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(handleScheduled(controller.cron, env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
