import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { PAGE_CSS, PAGE_JS } from '../src/widget/generated';
import { registerTrainer } from './helpers';

const ORIGIN = 'http://example.com';

const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`${ORIGIN}${path}`, { headers, redirect: 'manual' }));

/** Every absolute http(s) URL in a text that is not on the app's own origin. */
const foreignUrls = (text: string) =>
  (text.match(/https?:\/\/[^\s"'<>)]+/g) ?? []).filter((u) => !u.startsWith(ORIGIN));

describe('the booking widget', () => {
  // The vitest pool runs the Worker without Cloudflare's static-asset router, so /widget.js and the
  // pages' script and stylesheet (static assets since issue 21 item 3: scripts/build-widget.mjs)
  // are held where they are served: test/e2e/widget.e2e.test.ts against `wrangler dev` (status,
  // every header, 304, size budgets) and test/node/widget-assets.test.ts (the built files).
  it("leaves /widget.js and the pages' script and stylesheet to the static assets: the Worker has no copy", async () => {
    for (const path of ['/widget.js', PAGE_JS, PAGE_CSS, '/book/assets/app.js', '/book/assets/app.css']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
    }
  });

  it("sends a page an earlier deploy rendered on to today's script and stylesheet, uncached", async () => {
    for (const [old, current] of [
      ['/book/assets/app.0123456789.js', PAGE_JS],
      ['/book/assets/app.abcdef0123.css', PAGE_CSS],
    ] as const) {
      const res = await get(old);
      expect(res.status, old).toBe(307);
      expect(res.headers.get('location'), old).toBe(current);
      expect(res.headers.get('cache-control'), old).toBe('no-store');
      expect(res.headers.get('x-frame-options'), old).toBeNull();
    }
    // Only names the build gives: anything else under /book/assets/ is a 404.
    for (const path of ['/book/assets/app.0123456789.txt', '/book/assets/app.XYZ.js', '/book/assets/other.js']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('renders /book/{slug} as a shell with same-origin assets only, under a self-only CSP that any site may frame', async () => {
    const { user } = await registerTrainer({ business_name: 'Riverside <Strength> & Co', timezone: 'Europe/Berlin' });
    const slug = user.trainer.slug;
    const res = await get(`/book/${slug}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);

    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain('frame-ancestors *');
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    // The shell: escaped business name, boot data in data- attributes, every input labelled.
    expect(html).toContain('Riverside &lt;Strength&gt; &amp; Co');
    expect(html).not.toContain('<Strength>');
    expect(html).toContain(`data-slug="${slug}"`);
    expect(html).toContain('data-timezone="Europe/Berlin"');
    for (const name of ['first_name', 'last_name', 'email', 'phone', 'notes', 'website']) {
      expect(html).toContain(`<label for="f-${name}">`);
      expect(html).toContain(`id="f-${name}" name="${name}"`);
    }
    expect(html).toContain('<label for="tz">');

    // No inline script, style or handler: every <script> has a same-origin src and no body.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(1);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/book\/assets\/app\.[0-9a-f]{10}\.js"/);
      expect(attrs).toContain(`src="${PAGE_JS}"`);
      expect(body).toBe('');
    }
    expect(html).toContain(`<link rel="stylesheet" href="${PAGE_CSS}"/>`);
    expect(PAGE_CSS).toMatch(/^\/book\/assets\/app\.[0-9a-f]{10}\.css$/);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son\w+=/i);

    // No request to any other origin: no absolute URL at all except the app's own (the script and
    // stylesheet, and the page's size with them: test/e2e/widget.e2e.test.ts).
    expect(foreignUrls(html)).toEqual([]);

    expect((await get(`/book/${slug}/`)).status).toBe(200);
  });

  it('answers an unknown slug with a 404 page under the same CSP', async () => {
    const res = await get('/book/no-such-trainer-here');
    const html = await res.text();
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toContain('Booking page not found');
    // One same-origin script, there only to tell an embedding widget `trainerhub:error` (not_found).
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(
      scripts.map(([, attrs, body]) => [/src="\/book\/assets\/app\.[0-9a-f]{10}\.js"/.test(attrs ?? ''), body]),
    ).toEqual([[true, '']]);
    expect(html).toContain('data-page="missing"');
  });

  it('renders /book/manage/{token} with the token as boot data, escaped and never cached', async () => {
    const res = await get('/book/manage/abc123-token');
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect(html).toContain('data-page="manage"');
    expect(html).toContain('data-token="abc123-token"');
    expect(html).toContain('<label for="f-reason">');
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);

    const hostile = await (await get(`/book/manage/${encodeURIComponent('"><script>alert(1)</script>')}`)).text();
    expect(hostile).not.toContain('<script>alert(1)');
  });

  it('leaves every other route with the global frame-ancestors none and same-origin CORP', async () => {
    for (const path of ['/health', '/api/']) {
      const res = await get(path);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    }
  });
});
