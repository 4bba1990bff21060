import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getPlatformProxy } from 'wrangler';

// `npm run dev` hands the Workers scripts/development.env and then the developer's .dev.vars, less
// its JWT_SECRET (scripts/dev.mjs). What wrangler then gives each Worker is checked here with
// wrangler's own loader. The API Worker: every key. While wrangler.toml had a `[secrets]` table
// listing none as required, wrangler dropped all of them (the providers' keys, NOTIFY_PROVIDER)
// without a word. The console's Worker keeps such a table: it gets its [vars] (ENVIRONMENT), and
// no secret, so locally it keeps the development key, as the API Worker must.
const dir = mkdtempSync(join(tmpdir(), 'dev-vars-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function envOf(config: string) {
  const file = join(dir, `${config}.vars`);
  writeFileSync(file, 'SENDGRID_API_KEY=SG.test\nNOTIFY_PROVIDER=live\n');
  const proxy = await getPlatformProxy<Record<string, unknown>>({
    configPath: config,
    envFiles: ['scripts/development.env', file],
    persist: false,
  });
  const env = { ...proxy.env };
  await proxy.dispose();
  return env;
}

describe("a developer's .dev.vars", () => {
  it('reaches the API Worker, every key', async () => {
    const env = await envOf('wrangler.toml');
    expect(env.SENDGRID_API_KEY).toBe('SG.test');
    expect(env.NOTIFY_PROVIDER).toBe('live');
    expect(env.ENVIRONMENT).toBe('development');
  }, 60_000);

  it("gives the console's Worker its vars only", async () => {
    const env = await envOf('wrangler.console.toml');
    expect(env.ENVIRONMENT).toBe('development');
    expect(env.SENDGRID_API_KEY).toBeUndefined();
  }, 60_000);
});
