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
import { API_ONLY_BINDINGS } from './bindings';

const app = buildApp(CONSOLE_AREAS);

/** The env without API_ONLY_BINDINGS, made once per env (the parsed config is kept per env object). */
const consoleEnvs = new WeakMap<Env, Env>();
function consoleEnv(full: Env): Env {
  let env = consoleEnvs.get(full);
  if (!env) {
    const copy: Partial<Env> = { ...full };
    for (const name of API_ONLY_BINDINGS) delete copy[name];
    // The app is typed with the API Worker's Env; the console's lacks exactly API_ONLY_BINDINGS.
    env = copy as Env;
    consoleEnvs.set(full, env);
  }
  return env;
}

export class ConsoleWorker extends WorkerEntrypoint<Env> {
  override async fetch(request: Request): Promise<Response> {
    const res = await app.fetch(request, consoleEnv(this.env), this.ctx);
    // A body the answer did not need (a 401 before a PATCH's JSON was read) is read to its end
    // (and dropped) before answering: the API Worker streams it here from its own request, which
    // can no longer be read once its answer has been sent (workerd logs an uncaught exception).
    if (request.body && !request.bodyUsed) await request.body.pipeTo(new WritableStream());
    return res;
  }
}

export default ConsoleWorker;
