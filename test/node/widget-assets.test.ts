import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { unstable_readConfig as readConfig } from 'wrangler';

// The widget's browser code as static assets (issue 21 item 3): scripts/build-widget.mjs writes
// /widget.js and the booking pages' script and stylesheet into dist/assets/ (wrangler.toml
// [assets]) with their headers in `_headers`, and src/widget/generated.ts holds only the pages'
// two paths. These are the built files; test/e2e/widget.e2e.test.ts holds what `wrangler dev`
// serves from them.
const ASSETS = 'dist/assets';

function build() {
  const run = spawnSync(process.execPath, ['scripts/build-widget.mjs'], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
}

const read = (path: string) => readFileSync(join(ASSETS, path), 'utf8');
const gzipKiB = (text: string) => gzipSync(text).byteLength / 1024;
const bytes = (text: string) => Buffer.byteLength(text);
/** Every absolute http(s) URL in a text: the widget and the pages request nothing from another origin. */
const urls = (text: string) => text.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];

/** The generated module: the pages' script and stylesheet paths. */
function generated() {
  const text = readFileSync('src/widget/generated.ts', 'utf8');
  return {
    text,
    js: /export const PAGE_JS = '([^']+)';/.exec(text)?.[1] ?? '',
    css: /export const PAGE_CSS = '([^']+)';/.exec(text)?.[1] ?? '',
  };
}

/** `_headers` as path → header → value (every rule an exact path, one indented header a line). */
function headerRules(): Record<string, Record<string, string>> {
  const rules: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of read('_headers').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    if (line.startsWith('/')) {
      expect(rules[line], `${line} has one rule`).toBeUndefined();
      current = rules[line] = {};
    } else {
      const at = line.indexOf(':');
      expect(line.startsWith('  ') && at > 0 && current, line).toBeTruthy();
      if (current) current[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return rules;
}

// What the Worker sent with these files before they moved (src/app.ts's security headers; the
// booking pages' files without X-Frame-Options, as everything under /book/).
const SECURITY = {
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};
const HOUR = 'public, max-age=3600';
const YEAR = 'public, max-age=31536000, immutable';

beforeAll(build, 60_000);

describe("the widget's static assets", () => {
  it("names the pages' script and stylesheet by their content; the generated module holds only those paths", () => {
    const { text, js, css } = generated();
    expect(js).toMatch(/^\/book\/assets\/app\.[0-9a-f]{10}\.js$/);
    expect(css).toMatch(/^\/book\/assets\/app\.[0-9a-f]{10}\.css$/);
    for (const path of [js, css]) {
      const hash = createHash('sha256').update(read(path)).digest('hex').slice(0, 10);
      expect(path).toContain(`.${hash}.`);
    }
    // The unversioned names pages used before keep the same files.
    expect(read('/book/assets/app.js')).toBe(read(js));
    expect(read('/book/assets/app.css')).toBe(read(css));
    // Paths only: no script or stylesheet text goes into the Worker bundle.
    expect(text.match(/^export /gm)).toHaveLength(2);
    expect(bytes(text)).toBeLessThan(400);
  });

  it('gives each file the headers the Worker gave it, in rules that never overlap', () => {
    const { js, css } = generated();
    const rules = headerRules();
    expect(rules['/widget.js']).toEqual({
      'Cache-Control': HOUR,
      'Access-Control-Allow-Origin': '*',
      ...SECURITY,
      'X-Frame-Options': 'SAMEORIGIN',
    });
    for (const path of [js, css]) expect(rules[path], path).toEqual({ 'Cache-Control': YEAR, ...SECURITY });
    for (const path of ['/book/assets/app.js', '/book/assets/app.css']) {
      expect(rules[path], path).toEqual({ 'Cache-Control': HOUR, ...SECURITY });
    }
    // Cloudflare applies every matching rule and joins a header's values: each rule is one file.
    for (const path of Object.keys(rules)) {
      expect(path).not.toContain('*');
      expect(existsSync(join(ASSETS, path)), path).toBe(true);
    }
  });

  it('builds a widget of at most 15 KiB and a page script of at most 11 KiB gzipped, asking no other origin', () => {
    const { js, css } = generated();
    const widget = read('/widget.js');
    expect(widget).toContain('trainerhub:');
    expect(widget).toContain('/book/');
    expect(gzipKiB(widget)).toBeLessThan(15);
    const page = read(js);
    expect(page).toContain('/api/public/trainers/');
    // 10 KiB until 2026-12-04; the day paging, the cancel terms and the email-confirmation page took it past.
    expect(gzipKiB(page)).toBeLessThan(11);
    const style = read(css);
    expect(style).not.toMatch(/@import|url\(|@font-face/);
    // The stylesheet takes its colours from the custom properties the script sets (the trainer's brand).
    for (const prop of ['--brand', '--on-brand', '--brand-text', '--brand-ui']) expect(style).toContain(`var(${prop})`);
    for (const text of [widget, page, style]) expect(urls(text)).toEqual([]);
    console.log(
      `[size] widget.js ${bytes(widget)} B (${gzipKiB(widget).toFixed(1)} KiB gzip), app.js ${bytes(page)} B (${gzipKiB(page).toFixed(1)} KiB gzip), app.css ${bytes(style)} B`,
    );
  });

  it("removes a former build's files, so a deploy uploads only today's", () => {
    const stale = join(ASSETS, 'book/assets/app.0123456789.js');
    writeFileSync(stale, 'an earlier build');
    build();
    expect(existsSync(stale)).toBe(false);
    const { js, css } = generated();
    expect(readdirSync(join(ASSETS, 'book/assets')).sort()).toEqual(
      ['app.css', 'app.js', js.split('/').pop(), css.split('/').pop()].sort(),
    );
  });

  it('sends every file (and redirect) to the assets and the API straight to the Worker (run_worker_first)', () => {
    const rules = readConfig({ config: 'wrangler.toml' }).assets?.run_worker_first;
    if (!Array.isArray(rules)) throw new Error('wrangler.toml [assets] has no run_worker_first list');
    // As Cloudflare's asset router reads them: `*` is any run of characters, `!` rules win.
    const glob = (rule: string) =>
      new RegExp(
        `^${rule
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
    const toAssets = rules.filter((r) => r.startsWith('!')).map((r) => glob(r.slice(1)));
    const toWorker = rules.filter((r) => !r.startsWith('!')).map((r) => glob(r));
    const workerFirst = (path: string) => !toAssets.some((re) => re.test(path)) && toWorker.some((re) => re.test(path));
    const files = (dir: string): string[] =>
      readdirSync(join(ASSETS, dir), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`],
      );
    const served = files('').filter((path) => !['/_headers', '/_redirects'].includes(path));
    const redirected = read('_redirects')
      .split('\n')
      .filter((line) => line.startsWith('/'))
      .map((line) => line.split(/\s+/)[0] ?? '');
    expect(served).toContain('/api/openapi.json');
    expect(redirected).toContain('/api/openapi.json/');
    for (const path of [...served, ...redirected]) expect(workerFirst(path), path).toBe(false);
    // Every documented route (a value in each parameter), with or without a trailing slash, is
    // never answered by the assets instead of the Worker; the API's and /health's go straight to it.
    const documented = Object.keys((JSON.parse(read('api/openapi.json')) as { paths: object }).paths)
      .map((path) => path.replace(/\{[^}]+\}/g, '1'))
      .flatMap((path) => [path, `${path}/`]);
    expect(documented.length).toBeGreaterThan(200);
    for (const path of [...documented, '/api/docs']) {
      expect(
        toAssets.some((re) => re.test(path)),
        path,
      ).toBe(false);
      if (/^\/(api|health)(\/|$)/.test(path)) expect(workerFirst(path), path).toBe(true);
    }
  });
});
