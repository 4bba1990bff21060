import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getPlatformProxy } from 'wrangler';

// `npm run dev` hands every Worker scripts/development.env and then the developer's .dev.vars
// (scripts/dev.mjs). What wrangler then gives a Worker is checked here with wrangler's own loader:
// while wrangler.toml had a `[secrets]` table listing none as required, wrangler dropped every
// secret of those files (JWT_SECRET, the providers' keys, NOTIFY_PROVIDER) without a word.
const dir = mkdtempSync(join(tmpdir(), 'dev-vars-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a developer's .dev.vars", () => {
  for (const config of ['wrangler.toml', 'wrangler.console.toml']) {
    it(`reaches the Worker of ${config}`, async () => {
      const file = join(dir, `${config}.vars`);
      writeFileSync(file, 'JWT_SECRET=from-dev-vars\nSENDGRID_API_KEY=SG.test\nNOTIFY_PROVIDER=live\n');
      const proxy = await getPlatformProxy<Record<string, unknown>>({
        configPath: config,
        envFiles: ['scripts/development.env', file],
        persist: false,
      });
      try {
        expect(proxy.env.JWT_SECRET).toBe('from-dev-vars');
        expect(proxy.env.SENDGRID_API_KEY).toBe('SG.test');
        expect(proxy.env.NOTIFY_PROVIDER).toBe('live');
        expect(proxy.env.ENVIRONMENT).toBe('development');
      } finally {
        await proxy.dispose();
      }
    }, 60_000);
  }
});
