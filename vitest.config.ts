import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { build } from 'esbuild';
import { defineConfig } from 'vitest/config';

// The widget's browser bundles (src/widget/generated.ts), rebuilt so a test never runs stale ones.
execFileSync(process.execPath, ['scripts/build-widget.mjs'], { stdio: 'inherit' });

const migrations = await readD1Migrations('./migrations');

// The calendar parser Worker (wrangler.calendar-parser.toml), which the API Worker's CALENDAR_PARSER
// binding calls: bundled here as wrangler would, and run beside the Worker under test.
const CALENDAR_PARSER = 'dist/calendar-parser/index.js';
/** A top-level value of wrangler.calendar-parser.toml (a string's text, or an array as JSON). */
const parserConfig = (key: string) => {
  const value = new RegExp(`^${key} = (.+)$`, 'm').exec(readFileSync('wrangler.calendar-parser.toml', 'utf8'))?.[1];
  if (!value) throw new Error(`wrangler.calendar-parser.toml has no ${key}`);
  return value.startsWith('"') ? JSON.parse(value) : value;
};
await build({
  entryPoints: ['src/calendar/parser-worker.ts'],
  outfile: CALENDAR_PARSER,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2024',
  external: ['cloudflare:*'],
  logLevel: 'warning',
});

// Tests run inside workerd with real D1 (migrations applied by test/setup.ts), DO and Queues.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      main: './test/worker.ts',
      miniflare: {
        // The staff console's Worker, an entrypoint of test/worker.ts (a binding that names this
        // Worker, "trainerhub", is bound to the Worker under test itself).
        serviceBindings: { CONSOLE: { name: 'trainerhub', entrypoint: 'ConsoleWorker' } },
        bindings: {
          ENVIRONMENT: 'test',
          JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
          // Paddle: the fixtures' two webhook secrets (primary, rotated) and a fake API that
          // test/payments.test.ts intercepts at the fetch boundary.
          PADDLE_WEBHOOK_SECRET:
            'pdl_ntfset_01jnq7w4b2x9d3f6k8m0p5r7tv_T1xq8bZr3KcW0pLm5YvN2sJd4HgE6aQf,pdl_ntfset_01jsx2c9e4h6k8n0q3s5u7w9yb_R7vN3kPq1XzL9mWc2TbH5dJf8GsA4eYu',
          PADDLE_API_KEY: 'pdl_sdbx_apikey_test_0123456789',
          PADDLE_API_BASE: 'https://paddle-api.test',
          PADDLE_PRICE_ID: 'pri_01jkx4m2v8c6q0w3e5r7t9y1u3',
          // A second offered price (a yearly plan, say) that a checkout may name.
          PADDLE_PRICE_IDS: 'pri_01jq0dbb2v7x4z6c8e0g2j4l6n',
          PADDLE_CLIENT_TOKEN: 'test_0123456789abcdef0123456789a',
          TEST_MIGRATIONS: migrations,
        },
        // No test reaches the network: a fetch the test has not faked at the fetch boundary (for
        // example a calendar sync the queue runs after a test created a connection) answers 503 at
        // once, without a DNS lookup.
        outboundService: () =>
          new Response('The tests have no network: fake this call at the fetch boundary.', { status: 503 }),
        workers: [
          {
            name: 'trainerhub-calendar-parser',
            modules: true,
            scriptPath: CALENDAR_PARSER,
            compatibilityDate: parserConfig('compatibility_date'),
            compatibilityFlags: JSON.parse(parserConfig('compatibility_flags')),
          },
        ],
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/node/**'],
    setupFiles: ['./test/setup.ts'],
    // Integration tests drive real workerd, D1 and DOs: generous limits keep a busy machine from
    // failing them on time alone (speed is measured in bench/, never asserted here).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: { provider: 'istanbul', include: ['src/**'], reporter: ['text-summary', 'text'] },
  },
});
