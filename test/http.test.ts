import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, openapiDocument, registerTrainer } from './helpers';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Record<string, string[]>;
  request_id?: string;
};

describe('HTTP conventions', () => {
  it('GET /health and GET /api/ answer, with and without a trailing slash', async () => {
    expect((await api('GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await api('GET', '/health/')).status).toBe(200);
    const index = await api<{ areas: Record<string, string> }>('GET', '/api/');
    expect(index.status).toBe(200);
    expect(index.body.areas.users).toMatch(/\/api\/users\/$/);
    expect((await api('GET', '/api')).status).toBe(200);
    const { token } = await registerTrainer();
    expect((await api('GET', '/api/users/profile', { token })).status).toBe(200);
    expect((await api('GET', '/api/users/profile/', { token })).status).toBe(200);
  });

  it('unknown routes are 404 problems; a known path with another method is 405 with Allow', async () => {
    const missing = await api<Problem>('GET', '/api/nothing-here/');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });

    const wrongMethod = await api<Problem>('DELETE', '/api/users/login/');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('Allow')).toBe('POST');
    const profile = await api<Problem>('DELETE', '/api/users/profile');
    expect(profile.status).toBe(405);
    expect(profile.headers.get('Allow')?.split(', ').sort()).toEqual(['GET', 'PATCH', 'PUT']);
  });

  it('400 for malformed JSON, 415 for a non-JSON body, 413 over 64 KB', async () => {
    const malformed = await api<Problem>('POST', '/api/users/login/', {
      raw: '{"email": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toMatch(/JSON/i);

    const form = await api<Problem>('POST', '/api/users/login/', {
      raw: 'email=a@b.c&password=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const noType = await api<Problem>('POST', '/api/users/login/', { raw: '{"email":"a@b.c"}' });
    expect(noType.status).toBe(415);

    const big = await api<Problem>('POST', '/api/users/register/', {
      body: { email: 'x@example.com', password: 'a'.repeat(70_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body.status).toBe(413);

    const notObject = await api<Problem>('POST', '/api/users/login/', { body: [1, 2] });
    expect(notObject.status).toBe(400);
  });

  it('echoes a sane X-Request-Id, makes one otherwise, and puts it in problems', async () => {
    const echoed = await api('GET', '/health', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(echoed.headers.get('X-Request-Id')).toBe('abc-123');
    const made = await api('GET', '/health', { headers: { 'X-Request-Id': 'bad id with spaces <script>' } });
    expect(made.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await api<Problem>('GET', '/api/missing', { headers: { 'X-Request-Id': 'trace-42' } });
    expect(problem.body.request_id).toBe('trace-42');
    expect(problem.headers.get('X-Request-Id')).toBe('trace-42');
  });

  it('sets security headers on every response, and CORS from CORS_ORIGINS', async () => {
    for (const path of ['/health', '/api/', '/api/missing']) {
      const res = await api('GET', path);
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(res.headers.get('Referrer-Policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    }
    const preflight = await exports.default.fetch(
      new Request('http://example.com/api/users/login/', {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://widget.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,authorization',
        },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('https://widget.example');
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization');
  });

  it('serves an OpenAPI 3.1 document listing every route, and an HTML docs page under a strict CSP', async () => {
    const doc = {
      body: openapiDocument<{
        openapi: string;
        paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
        components: { securitySchemes: Record<string, unknown> };
      }>(),
    };
    expect(doc.body.openapi).toBe('3.1.0');
    const expected: [string, string][] = [
      ['/health', 'get'],
      ['/api', 'get'],
      ['/api/users/register', 'post'],
      ['/api/users/login', 'post'],
      ['/api/users/logout', 'post'],
      ['/api/users/profile', 'get'],
      ['/api/users/profile', 'put'],
      ['/api/users/profile', 'patch'],
      ['/api/users/change-password', 'post'],
    ];
    for (const [path, method] of expected) expect(doc.body.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(['Bearer', 'Token']);
    expect(doc.body.paths['/api/users/profile']?.get?.security).toBeDefined();
    expect(doc.body.paths['/api/users/register']?.post?.responses['400']).toBeDefined();

    const docs = await exports.default.fetch(new Request('http://example.com/api/docs'));
    const html = await docs.text();
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    // Scalar's reference (test/docs.test.ts): its script from this origin, the document above.
    const csp = docs.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'; script-src 'self'; connect-src 'self';/);
    expect(html).toMatch(/<script src="\/api\/docs\/scalar-[\d.]+\.js"><\/script>/);
    expect(html).toContain('&quot;url&quot;:&quot;/api/openapi.json&quot;');
  });
});
