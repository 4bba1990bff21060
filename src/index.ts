import { createApp } from './app';

export { TrainerSchedule } from './scheduling/trainer-schedule';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
