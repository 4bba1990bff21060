import { describe, expect, it } from 'vitest';
import { unstable_readConfig as readConfig } from 'wrangler';

// The staff console's Worker (wrangler.console.toml) runs beside the API Worker (wrangler.toml) on
// the same data: these hold its settings and bindings to the API Worker's, so a var or binding
// changed in one file and not the other fails here rather than in production.
const api = readConfig({ config: 'wrangler.toml' });
const consoleWorker = readConfig({ config: 'wrangler.console.toml' });
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe('the staff console Worker', () => {
  it('is the Worker the API hands /admin to, with no address of its own', () => {
    expect(api.services).toContainEqual(expect.objectContaining({ binding: 'CONSOLE', service: consoleWorker.name }));
    expect(consoleWorker.workers_dev).toBe(false);
    expect(consoleWorker.preview_urls).toBe(false);
    expect(consoleWorker.routes ?? []).toEqual([]);
  });

  it("has the API Worker's vars, value for value", () => {
    expect(plain(consoleWorker.vars)).toEqual(plain(api.vars));
  });

  it("runs on the API Worker's date, flags and build settings", () => {
    for (const key of ['compatibility_date', 'compatibility_flags', 'minify', 'keep_names'] as const) {
      expect([key, consoleWorker[key]]).toEqual([key, api[key]]);
    }
  });

  it("binds the API Worker's database, TrainerSchedule objects and notifications queue", () => {
    expect(plain(consoleWorker.d1_databases)).toEqual(plain(api.d1_databases));
    const [schedule] = api.durable_objects.bindings;
    expect(plain(consoleWorker.durable_objects.bindings)).toEqual([{ ...plain(schedule), script_name: api.name }]);
    const notify = api.queues.producers?.find((p: { binding: string }) => p.binding === 'NOTIFY_QUEUE');
    expect(notify).toBeDefined();
    expect(plain(consoleWorker.queues.producers)).toEqual([plain(notify)]);
  });
});
