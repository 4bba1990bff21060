// The staff console's Worker (wrangler.console.toml): the console's pages (/admin) and the admin API
// (/api/admin), which the API Worker (src/index.ts) hands over whole through its CONSOLE service
// binding. A Worker of its own so that the API Worker, which every trainer, client and widget
// calls, does not load the console's code (a quarter of its bundle before: bench/RESULTS.md
// "Bundle"). It binds the same D1 database, the API Worker's TrainerSchedule objects (a booking
// changed here is checked by the same object as one changed through the API) and the
// notifications queue, and holds the same JWT secret.
import { WorkerEntrypoint } from 'cloudflare:workers';
import { buildApp } from '../http';
import { CONSOLE_AREAS } from './areas';

const app = buildApp(CONSOLE_AREAS, { docs: false });

export class ConsoleWorker extends WorkerEntrypoint<Env> {
  override fetch(request: Request): Promise<Response> {
    return Promise.resolve(app.fetch(request, this.env, this.ctx));
  }
}

export default ConsoleWorker;
