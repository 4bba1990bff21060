import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBundle } from '../../scripts/workerd-serve.mjs';

// The deployed Worker's size, from the same build `wrangler deploy` uploads (wrangler.toml's
// [build], minify, [alias]): `wrangler deploy --dry-run --outdir`, gzipped the way wrangler's
// "Total Upload" line does (every module, concatenated, zlib's default level).
// Issue 21 asks for 200 KiB; the bundle was 251 KiB after minifying and aliasing zod, 247 after
// jose gave way to lib/tokens.ts, and 264-266 KiB with issue 22 (the console's pickers, overview and
// booking actions, two-factor sign-in, a description on every OpenAPI field: bench/RESULTS.md,
// "Bundle"); 255 KiB once the OpenAPI document became a static asset built at deploy time
// (scripts/build-openapi.mjs) and its generator left the bundle, 230 KiB once calendar files went to
// the calendar parser Worker (ical.js with them), 220 KiB once the widget's browser code (/widget.js,
// the booking pages' script and stylesheet) became static assets (scripts/build-widget.mjs); 221.7 KiB
// with the one-round-trip signed-in reads (lib/db.ts Prepared, lib/auth.ts signedIn); 195.9 KiB once
// the staff console became a Worker of its own (wrangler.console.toml, src/admin/worker.ts); 200.9
// with 2026-12-03's features, 199.7 once drizzle's Postgres checks were aliased away, 180.9 once
// lib/zone.ts read zones from Intl in place of temporal-polyfill.
const BUDGET_KIB = 200;

const KiB = 1024;
const out = mkdtempSync(join(tmpdir(), 'bundle-size-'));

/** `wrangler deploy --dry-run` into out/<name>: the module files and the bundle's inputs. */
function build(name: string, extra: string[] = []) {
  const dir = join(out, name);
  const run = spawnSync(
    process.execPath,
    [
      'node_modules/wrangler/bin/wrangler.js',
      'deploy',
      '--dry-run',
      '--outdir',
      dir,
      '--metafile',
      join(out, `${name}.json`),
      ...extra,
    ],
    { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' } },
  );
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  const meta = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as {
    outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown> }>;
  };
  return {
    files: readdirSync(dir)
      .filter((f) => /\.(m?js|wasm)$/.test(f))
      .map((f) => join(dir, f)),
    inputs: Object.values(meta.outputs).flatMap((o) => (o.entryPoint ? Object.keys(o.inputs) : [])),
  };
}

let deployed: ReturnType<typeof build>;
beforeAll(() => {
  deployed = build('deployed');
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the deployed bundle', () => {
  it(`is at most ${BUDGET_KIB} KiB gzipped`, () => {
    expect(deployed.files.map((f) => f.replace(/^.*\//, ''))).toContain('index.js');
    const gzipKiB = gzipSync(Buffer.concat(deployed.files.map((f) => readFileSync(f)))).byteLength / KiB;
    expect(Math.round(gzipKiB * 100) / 100).toBeLessThanOrEqual(BUDGET_KIB);
  });

  it('carries no calendar parser: ical.js is in the calendar parser Worker, at most 60 KiB gzipped', () => {
    expect(deployed.inputs.filter((p) => p.includes('ical.js'))).toEqual([]);
    const parser = build('parser', ['-c', 'wrangler.calendar-parser.toml']);
    expect(parser.inputs.some((p) => p.includes('node_modules/ical.js/'))).toBe(true);
    const gzipKiB = gzipSync(Buffer.concat(parser.files.map((f) => readFileSync(f)))).byteLength / KiB;
    expect(gzipKiB).toBeLessThanOrEqual(60);
  });

  it('carries no staff console: src/admin is the console Worker, at most 230 KiB gzipped', () => {
    expect(deployed.inputs.filter((p) => p.startsWith('src/admin/'))).toEqual([]);
    const consoleWorker = build('console', ['-c', 'wrangler.console.toml']);
    expect(consoleWorker.inputs).toContain('src/admin/worker.ts');
    const gzipKiB = gzipSync(Buffer.concat(consoleWorker.files.map((f) => readFileSync(f)))).byteLength / KiB;
    expect(gzipKiB).toBeLessThanOrEqual(230);
  });

  it("carries zod's English messages only, not its whole namespace (every locale)", () => {
    const locales = deployed.inputs.filter((p) => p.includes('zod/v4/locales/')).map((p) => p.replace(/^.*\//, ''));
    expect(locales).toEqual(['en.js']);
  });

  it('carries no OpenAPI generator: the document is a static asset built at deploy time', () => {
    expect(deployed.inputs).toContain('src/lib/zod-to-openapi-bundle.ts');
    const built = JSON.parse(readFileSync('dist/assets/api/openapi.json', 'utf8')) as {
      openapi: string;
      paths: object;
    };
    expect(built.openapi).toBe('3.1.0');
    expect(Object.keys(built.paths)).toContain('/api/bookings');
  });

  it("carries none of drizzle's Postgres code: its two checks on SQL resolve to src/lib/drizzle-pg-bundle.ts", () => {
    expect(deployed.inputs).toContain('src/lib/drizzle-pg-bundle.ts');
    expect(deployed.inputs.filter((p) => p.includes('drizzle-orm/pg-core/'))).toEqual([]);
  });

  it("carries no JSON Schema processors of zod's: the document's schemas are built at deploy time", () => {
    expect(deployed.inputs).toContain('src/lib/zod-json-schema-bundle.ts');
    expect(
      deployed.inputs.filter((p) => /zod\/v4\/core\/(json-schema-processors|to-json-schema)\.js$/.test(p)),
    ).toEqual([]);
  });

  // wrangler.toml's [alias] hands @hono/zod-openapi a `z` of its own (src/lib/zod-bundle.ts), a
  // registry without generators (src/lib/zod-to-openapi-bundle.ts) and zod's schemas no JSON Schema
  // processors (src/lib/zod-json-schema-bundle.ts): the same bundle built with the packages' own
  // modules answers byte for byte alike (the docs page, field errors in English, the missing
  // document's 404: in a deployment it is a static asset), both served by workerd.
  it('answers like the same build with zod and its OpenAPI registry unaliased: the docs page, 400s', async () => {
    const plain = build('plain', [
      '--alias',
      'zod:./node_modules/zod/index.js',
      '--alias',
      '@asteasolutions/zod-to-openapi:./node_modules/@asteasolutions/zod-to-openapi/dist/index.mjs',
      '--alias',
      '../core/json-schema-processors.js:./node_modules/zod/v4/core/json-schema-processors.js',
      '--alias',
      '../core/to-json-schema.js:./node_modules/zod/v4/core/to-json-schema.js',
    ]);
    expect(plain.inputs.some((p) => p.includes('zod/v4/locales/de.js'))).toBe(true); // really unaliased
    expect(plain.inputs).not.toContain('src/lib/zod-to-openapi-bundle.ts');
    expect(plain.inputs).toContain('node_modules/zod/v4/core/json-schema-processors.js');
    expect(plain.inputs).not.toContain('src/lib/zod-json-schema-bundle.ts');
    const vars = { ENVIRONMENT: 'production', APP_ORIGIN: 'http://localhost:8787', LOG_REQUESTS: 'false' };
    const requests: [string, string, unknown?][] = [
      ['GET', '/api/openapi.json'],
      ['GET', '/api/docs'],
      ['POST', '/api/users/register/', { email: 'nope', password: 5, first_name: '', timezone: 'Mars/Base' }],
      ['GET', '/api/public/trainers/x/availability/?from=bad&to=2026-13-45'],
      ['POST', '/api/public/trainers/x/bookings/', { start_time: 'soon', email: 'x', first_name: 7 }],
    ];
    const answers = async (file: string) => {
      const served = await serveBundle(readFileSync(file, 'utf8'), { vars });
      try {
        const all: string[] = [];
        for (const [method, path, body] of requests) {
          const res = await fetch(served.url + path, {
            method,
            headers: { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          // request ids and CSP nonces differ on every answer
          const text = (await res.text()).replace(/[0-9a-f]{8}-[0-9a-f-]{27}|nonce(-|=")[^'"]+/g, '…');
          all.push(`${method} ${path} ${res.status} ${text}`);
        }
        return all;
      } finally {
        await served.stop();
      }
    };
    const [mine, theirs] = [await answers(deployed.files[0] ?? ''), await answers(plain.files[0] ?? '')];
    expect(mine[0]).toMatch(/^GET \/api\/openapi.json 404 /);
    expect(mine[2]).toContain('"email":["Enter an email address like name@example.com."]');
    expect(mine).toEqual(theirs);
  }, 120_000);
});
