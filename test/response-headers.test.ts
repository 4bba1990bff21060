import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { registerTrainer } from './helpers';

// Every header of the answers the platform middleware shapes (security headers, CORS, request id,
// bookmark), pinned whole, so a cheaper middleware chain (issue 21 item 4) keeps every header
// exactly. Values that change per request are replaced by their shape.
const VARYING: Record<string, RegExp> = {
  'x-request-id': /^[0-9a-f-]{36}$/,
  'x-d1-bookmark': /^[0-9a-f-]+$/,
  'content-length': /^\d+$/,
  etag: /.+/,
};

async function headersOf(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body }));
  await res.arrayBuffer();
  const out: Record<string, string> = { status: String(res.status) };
  for (const [name, value] of res.headers) {
    const shape = VARYING[name];
    if (shape) {
      expect(value, name).toMatch(shape);
      out[name] = '<varies>';
    } else {
      out[name] = value;
    }
  }
  return out;
}

const API_SECURITY = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-request-id': '<varies>',
  'x-xss-protection': '0',
};
const CORS = {
  'access-control-expose-headers': 'X-Request-Id,Retry-After,Idempotency-Replayed,X-D1-Bookmark,X-Cache',
  vary: 'Origin',
};

describe('response headers of the platform middleware', () => {
  it('/health: the security headers and the request id, nothing else but the body type', async () => {
    expect(await headersOf('GET', '/health')).toEqual({
      status: '200',
      'content-type': 'application/json',
      ...API_SECURITY,
    });
  });

  it('a signed-in JSON read from another origin: security headers, CORS, the bookmark', async () => {
    const { token } = await registerTrainer();
    const origin = { Origin: 'https://app.example', Authorization: `Bearer ${token}` };
    expect(await headersOf('GET', '/api/clients/', origin)).toEqual({
      status: '200',
      'content-type': 'application/json',
      'access-control-allow-origin': 'https://app.example',
      'x-d1-bookmark': '<varies>',
      ...CORS,
      ...API_SECURITY,
    });
  });

  it('problems: a 404, a 401 and the 400 of a malformed bookmark carry the same headers', async () => {
    const origin = { Origin: 'https://app.example' };
    expect(await headersOf('GET', '/api/no-such-thing/', origin)).toEqual({
      status: '404',
      'content-type': 'application/problem+json',
      'access-control-allow-origin': 'https://app.example',
      ...CORS,
      ...API_SECURITY,
    });
    expect(await headersOf('GET', '/api/clients/', origin)).toEqual({
      status: '401',
      'content-type': 'application/problem+json',
      'www-authenticate': 'Bearer realm="api"',
      'access-control-allow-origin': 'https://app.example',
      ...CORS,
      ...API_SECURITY,
    });
    expect(await headersOf('GET', '/api/clients/', { ...origin, 'x-d1-bookmark': 'not a bookmark' })).toEqual({
      status: '400',
      'content-type': 'application/problem+json',
      'access-control-allow-origin': 'https://app.example',
      ...CORS,
      ...API_SECURITY,
    });
  });

  it('a preflight, and the public API from any origin', async () => {
    expect(
      await headersOf('OPTIONS', '/api/clients/', {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,authorization',
      }),
    ).toEqual({
      status: '204',
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
      'access-control-allow-headers': 'Authorization,Content-Type,Idempotency-Key,X-Request-Id,X-D1-Bookmark',
      'access-control-max-age': '600',
      ...CORS,
      vary: 'Origin, Access-Control-Request-Headers',
      ...API_SECURITY,
    });
    const { user } = await registerTrainer();
    const profile = await headersOf('GET', `/api/public/trainers/${user.trainer.slug}/`, {
      Origin: 'https://site.example',
    });
    expect(profile).toMatchObject({ status: '200', 'access-control-allow-origin': '*', ...CORS, ...API_SECURITY });
  });

  // The widget script (/widget.js) is a static asset, which this pool cannot serve: its headers
  // (the security headers with a cross-origin CORP, X-Frame-Options and the API's CSP among them)
  // are pinned by test/e2e/widget.e2e.test.ts against `wrangler dev`.
  it('pages keep their own headers: the booking page (framed by other sites)', async () => {
    const { user } = await registerTrainer();
    const page = await headersOf('GET', `/book/${user.trainer.slug}`);
    expect(page.status).toBe('200');
    expect(page['x-frame-options']).toBeUndefined();
    expect(page['content-security-policy']).toContain('frame-ancestors *');
    expect(page['cross-origin-resource-policy']).toBe('cross-origin');
  });
});
