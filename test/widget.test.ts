import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { registerTrainer } from './helpers';

const ORIGIN = 'http://example.com';

const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`${ORIGIN}${path}`, { headers }));

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

/** Every absolute http(s) URL in a text that is not on the app's own origin. */
const foreignUrls = (text: string) =>
  (text.match(/https?:\/\/[^\s"'<>)]+/g) ?? []).filter((u) => !u.startsWith(ORIGIN));

describe('the booking widget', () => {
  it('serves /widget.js: JavaScript, cacheable, loadable from any site, under 15 KB gzip', async () => {
    const res = await get('/widget.js');
    const js = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(js).toContain('trainerhub:');
    expect(js).toContain('/book/');
    expect(foreignUrls(js)).toEqual([]);
    const gzipped = await gzipSize(js);
    expect(gzipped).toBeLessThan(15 * 1024);
    console.log(`[size] widget.js: ${bytes(js)} B raw, ${gzipped} B gzip`);
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
      expect(attrs).toMatch(/src="\/book\/assets\/app\.js\?v=\w+"/);
      expect(body).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son\w+=/i);

    const scriptSrc = /src="(\/book\/assets\/app\.js[^"]*)"/.exec(html)?.[1] ?? '';
    const cssHref = /href="(\/book\/assets\/app\.css[^"]*)"/.exec(html)?.[1] ?? '';
    const jsRes = await get(scriptSrc);
    const cssRes = await get(cssHref);
    expect(jsRes.status).toBe(200);
    expect(jsRes.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(cssRes.status).toBe(200);
    expect(cssRes.headers.get('content-type')).toMatch(/^text\/css/);
    const js = await jsRes.text();
    const css = await cssRes.text();
    expect(js).toContain('/api/public/trainers/');
    expect(css).not.toMatch(/@import|url\(|@font-face/);

    // No request to any other origin: no absolute URL at all except the app's own.
    for (const text of [html, js, css]) expect(foreignUrls(text)).toEqual([]);

    expect(await gzipSize(js)).toBeLessThan(10 * 1024);
    console.log(`[size] app.js: ${bytes(js)} B raw, ${await gzipSize(js)} B gzip`);

    const raw = bytes(html) + bytes(js) + bytes(css);
    const gz = (await gzipSize(html)) + (await gzipSize(js)) + (await gzipSize(css));
    console.log(
      `[size] booking page: HTML ${bytes(html)} + JS ${bytes(js)} + CSS ${bytes(css)} = ${raw} B raw, ${gz} B gzip`,
    );

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
    expect(scripts.map(([, attrs, body]) => [/src="\/book\/assets\/app\.js\?v=\w+"/.test(attrs ?? ''), body])).toEqual([
      [true, ''],
    ]);
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
