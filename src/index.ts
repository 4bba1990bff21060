import { createApp } from './app';
import { handleScheduled } from './jobs/cron';
import { handleQueue } from './jobs/queue';

export { TrainerSchedule } from './bookings/schedule-object';

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(handleScheduled(controller.cron, env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
