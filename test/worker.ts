// The Worker the workerd tests drive (vitest.config.ts `main`): the API Worker exactly as deployed
// (src/index.ts: its fetch, queue and scheduled handlers and its TrainerSchedule class), with the
// staff console's Worker (src/admin/worker.ts) beside it as an entrypoint. vitest.config.ts binds
// CONSOLE to that entrypoint, so a console request goes through the API Worker's hand-over and a
// real service binding, as in production, and both Workers see the one test database.
export { ConsoleWorker } from '../src/admin/worker';
export { default, TrainerSchedule } from '../src/index';
