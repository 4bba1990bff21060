import { createApp } from './app';
import { handleScheduled } from './jobs/cron';
import { handleQueue } from './jobs/queue';
import type { NotifyMessage } from './notifications/types';

export { TrainerSchedule } from './bookings/schedule-object';

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleQueue(batch as MessageBatch<NotifyMessage>, env);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(handleScheduled(controller.cron, env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
