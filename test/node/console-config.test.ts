import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleConfigProblems } from '../../scripts/console-config.mjs';

// The staff console's Worker (wrangler.console.toml) must have the API Worker's settings and
// bindings (scripts/console-config.mjs, which `npm run deploy` runs before anything else).
const changed = 'wrangler.console-test-copy.toml';
afterAll(() => rmSync(changed, { force: true }));

describe("the staff console Worker's config", () => {
  it("has the API Worker's vars, date, flags, database, objects and queue", () => {
    expect(consoleConfigProblems()).toEqual([]);
  });

  it('is refused, naming each difference, when one of them differs', () => {
    const text = readFileSync('wrangler.console.toml', 'utf8')
      .replace('CORS_ORIGINS = "*"', 'CORS_ORIGINS = "https://app.example.com"')
      .replace(/database_id = "[^"]+"/, 'database_id = "11111111-1111-1111-1111-111111111111"')
      .replace('script_name = "trainerhub"\n', '')
      .replace('[[queues.producers]]\nbinding = "NOTIFY_QUEUE"', '[[queues.producers]]\nbinding = "CALENDAR_QUEUE"');
    writeFileSync(changed, text);
    expect(consoleConfigProblems('wrangler.toml', changed)).toEqual([
      `var CORS_ORIGINS is "*" in wrangler.toml but "https://app.example.com" in ${changed}`,
      `the D1 database (binding, name, database_id) differs between wrangler.toml and ${changed}`,
      `${changed} must bind wrangler.toml's Durable Objects with script_name = "trainerhub"`,
      `${changed} must produce to wrangler.toml's NOTIFY_QUEUE, and to no other queue`,
      `the bindings only wrangler.toml has are ["CALENDAR_PARSER","CONSOLE","NOTIFY_QUEUE"]; src/admin/bindings.ts says ["CALENDAR_PARSER","CALENDAR_QUEUE","CONSOLE"]`,
    ]);
  });
});
