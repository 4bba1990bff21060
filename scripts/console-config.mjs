// The staff console's Worker (wrangler.console.toml) runs beside the API Worker (wrangler.toml) on
// the same data, so its settings and bindings must be the API Worker's: every var value for value,
// the same date, flags and build settings, the same database, the API Worker's TrainerSchedule
// class and notifications queue, and no other binding the API Worker has but
// src/admin/bindings.ts's API_ONLY_BINDINGS. `npm run deploy` (scripts/deploy.mjs) refuses to start
// when they differ; test/node/console-config.test.ts runs the same check.
import { unstable_readConfig as readConfig } from 'wrangler';
import { API_ONLY_BINDINGS } from '../src/admin/bindings.ts';

const json = (value) => JSON.stringify(value ?? null);

/** Every binding's name in a config: D1, Durable Objects, queue producers, services, vars. */
const bindingNames = (config) =>
  new Set([
    ...config.d1_databases.map((d) => d.binding),
    ...config.durable_objects.bindings.map((d) => d.name),
    ...(config.queues.producers ?? []).map((q) => q.binding),
    ...config.services.map((s) => s.binding),
    ...Object.keys(config.vars),
  ]);

/** What differs between the two configs, one sentence each; empty when they agree. */
export function consoleConfigProblems(apiPath = 'wrangler.toml', consolePath = 'wrangler.console.toml') {
  const api = readConfig({ config: apiPath });
  const admin = readConfig({ config: consolePath });
  const problems = [];
  if (!api.services.some((s) => s.binding === 'CONSOLE' && s.service === admin.name)) {
    problems.push(`${apiPath} has no CONSOLE service binding to "${admin.name}"`);
  }
  for (const name of new Set([...Object.keys(api.vars), ...Object.keys(admin.vars)])) {
    if (json(api.vars[name]) !== json(admin.vars[name])) {
      problems.push(
        `var ${name} is ${json(api.vars[name])} in ${apiPath} but ${json(admin.vars[name])} in ${consolePath}`,
      );
    }
  }
  for (const key of ['compatibility_date', 'compatibility_flags', 'minify', 'keep_names']) {
    if (json(api[key]) !== json(admin[key])) problems.push(`${key} differs between ${apiPath} and ${consolePath}`);
  }
  if (json(api.d1_databases) !== json(admin.d1_databases)) {
    problems.push(`the D1 database (binding, name, database_id) differs between ${apiPath} and ${consolePath}`);
  }
  const schedule = api.durable_objects.bindings.map((b) => ({ ...b, script_name: api.name }));
  if (json(schedule) !== json(admin.durable_objects.bindings)) {
    problems.push(`${consolePath} must bind ${apiPath}'s Durable Objects with script_name = "${api.name}"`);
  }
  const notify = (api.queues.producers ?? []).filter((q) => q.binding === 'NOTIFY_QUEUE');
  if (json(notify) !== json(admin.queues.producers ?? [])) {
    problems.push(`${consolePath} must produce to ${apiPath}'s NOTIFY_QUEUE, and to no other queue`);
  }
  const adminNames = bindingNames(admin);
  const apiOnly = [...bindingNames(api)].filter((name) => !adminNames.has(name)).sort();
  if (json(apiOnly) !== json([...API_ONLY_BINDINGS].sort())) {
    problems.push(
      `the bindings only ${apiPath} has are ${json(apiOnly)}; src/admin/bindings.ts says ${json(API_ONLY_BINDINGS)}`,
    );
  }
  return problems;
}
