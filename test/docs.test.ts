import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
// /api/openapi.json as deployed: written by scripts/build-widget.mjs (the vitest config runs it).
import built from '../dist/assets/api/openapi.json';
import { SCALAR_JS } from '../src/system/generated';
import { openapiDocument } from './helpers';

interface Script {
  src: string | null;
  type: string | null;
  text: string;
  configuration: string | null;
}

/** An attribute's value as HTMLRewriter gives it (entities as written) → its text. */
const attributeText = (raw: string) =>
  raw.replace(
    /&(quot|#39|lt|gt|amp);/g,
    (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e] ?? '',
  );

/** The page's script elements (src, type, inline text, Scalar's configuration), read with HTMLRewriter. */
async function scriptsOf(res: Response): Promise<Script[]> {
  const scripts: Script[] = [];
  await new HTMLRewriter()
    .on('script', {
      element(el) {
        scripts.push({
          src: el.getAttribute('src'),
          type: el.getAttribute('type'),
          text: '',
          configuration: el.getAttribute('data-configuration'),
        });
      },
      text(chunk) {
        const last = scripts.at(-1);
        if (last) last.text += chunk.text;
      },
    })
    .transform(res)
    .text();
  return scripts;
}

/** The Content-Security-Policy as directive → sources. */
const cspOf = (res: Response) =>
  Object.fromEntries(
    (res.headers.get('Content-Security-Policy') ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name = '', ...sources]) => [name, sources]),
  );

describe('the API reference at /api/docs', () => {
  it("is Scalar's reference over /api/openapi.json, loading scripts from this origin only, under a CSP of 'self'", async () => {
    const res = await exports.default.fetch(new Request('https://docs.example/api/docs'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = cspOf(res);
    const scripts = await scriptsOf(res);

    // One script, Scalar's, from this origin at its versioned path; no inline script at all:
    // the configuration is a JSON data block, which browsers do not run.
    expect(scripts.filter((s) => s.src).map((s) => s.src)).toEqual([SCALAR_JS]);
    expect(SCALAR_JS).toMatch(/^\/api\/docs\/scalar-\d+\.\d+\.\d+\.js$/);
    const inline = scripts.filter((s) => !s.src);
    expect(inline.map((s) => [s.type, s.text.trim()])).toEqual([['application/json', '']]);
    const config = JSON.parse(attributeText(inline[0]?.configuration ?? '{}'));
    expect(config).toMatchObject({
      url: '/api/openapi.json',
      servers: [{ url: '/' }],
      authentication: { preferredSecurityScheme: 'Bearer' },
      defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
      withDefaultFonts: false,
      telemetry: false,
    });
    expect(config).not.toHaveProperty('proxyUrl');

    // Scripts, requests, images and fonts from this origin only; nothing else allowed.
    expect(csp).toMatchObject({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'connect-src': ["'self'"],
      'img-src': ["'self'"],
      'font-src': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
    });
    // Styles: Scalar inserts stylesheets at runtime without the nonce (see src/system/docs.tsx).
    expect(csp['style-src']).toEqual(["'self'", "'unsafe-inline'"]);

    // The document it renders declares the bearer token and the introduction.
    const doc = openapiDocument<{
      info: { description: string };
      tags: { name: string; description: string }[];
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
    }>();
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const heading of ['Authentication', 'Errors', 'Pagination', 'Idempotency-Key', 'Rate limits', 'Webhooks']) {
      expect(doc.info.description).toContain(`## ${heading}`);
    }
    expect(doc.tags.every((t) => t.description.length > 0)).toBe(true);
  });

  // The vitest pool runs the Worker without Cloudflare's static-asset router (its `SELF` is the
  // Worker alone), so that the asset answers, cached for a year, is held by
  // test/e2e/docs.e2e.test.ts against `wrangler dev`.
  it("leaves Scalar's script to the static assets: the Worker has no route for it", async () => {
    const res = await exports.default.fetch(new Request(`https://docs.example${SCALAR_JS}`));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('/api/openapi.json, the document built at deploy time', () => {
  it('is the document this app makes inside workerd, byte for byte', () => {
    expect(JSON.stringify(built)).toBe(JSON.stringify(openapiDocument()));
    expect(Object.keys(built.paths)).toContain('/api/bookings/{id}/mark_no_show');
  });

  it('is not a Worker route: the static asset answers it (the test pool has none, so a 404 here)', async () => {
    const res = await exports.default.fetch(new Request('https://docs.example/api/openapi.json'));
    expect(res.status).toBe(404);
  });
});
