import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations('./migrations');

// Tests run inside workerd with real D1 (migrations applied by test/setup.ts), DO and Queues.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ENVIRONMENT: 'test',
          JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
          TEST_MIGRATIONS: migrations,
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    setupFiles: ['./test/setup.ts'],
    coverage: { provider: 'istanbul', include: ['src/**'], reporter: ['text-summary', 'text'] },
  },
});
