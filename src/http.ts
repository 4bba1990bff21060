import type { Context, Hono, Schema } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { MAX_JSON_BYTES, PADDLE_WEBHOOK_PATH, PUBLIC_MAX_BODY_BYTES } from './lib/body-limits';
import { API_CSP, securityHeaders } from './lib/html';
import { ApiError, problemResponse } from './lib/problem';
import { type AppEnv, createRouter, platform, requestIds } from './lib/router';
import { API_SECURITY_HEADERS } from './lib/security-headers';
import { d1Session } from './lib/sessions';
import { checkoutHeaders } from './payments/checkout-page';

/** One JSON log line per request, with its request id; the id also goes on error responses. */
const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const id = c.get('requestId');
  // Responses built outside `c` (problem responses) miss the header request-id prepared: set it last.
  c.res.headers.set('X-Request-Id', id);
  if (c.get('config')?.logRequests) {
    console.log(
      JSON.stringify({
        level: 'info',
        request_id: id,
        method: c.req.method,
        // Manage-link tokens are credentials: never written to logs.
        path: new URL(c.req.url).pathname
          .replace(/\/(bookings|manage)\/[A-Za-z0-9_-]{20,}/, '/$1/<token>')
          // so are calendar feed addresses
          .replace(/\/feed\/[^/]+\.ics/, '/feed/<token>.ics'),
        status: c.res.status,
        ms: Date.now() - started,
      }),
    );
  }
});

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Writes to /api/* carry JSON or nothing: anything else is a 415 before it reaches a handler. */
const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method)) {
    const length = c.req.header('Content-Length');
    const hasBody = (length !== undefined && length !== '0') || c.req.header('Transfer-Encoding') !== undefined;
    if (hasBody && !JSON_TYPE.test(c.req.header('Content-Type') ?? '')) {
      throw new ApiError(415, 'Request bodies must be JSON (Content-Type: application/json).');
    }
    // Many HTTP clients label every request JSON: one that says its body is empty has none (not
    // malformed JSON). Only `Content-Length: 0` says so: a Request built in-process may carry a
    // body and no length at all.
    if (length === '0' && c.req.header('Content-Type') !== undefined) {
      const headers = new Headers(c.req.raw.headers);
      headers.delete('Content-Type');
      c.req.raw = new Request(c.req.raw, { headers });
    }
  }
  await next();
});

type App = ReturnType<typeof createRouter>;
/**
 * An area's router, as `app.route` takes it: OpenAPI routers and the console's plain hono one, with
 * their own schemas and context variables (hono's Env is invariant, so no narrower type takes them all).
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Area = Hono<any, Schema, string>;

/** Path regexes of every concrete route, for telling 405 from 404. */
function routeMatchers(app: App): { method: string; re: RegExp }[] {
  return app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({
      method: r.method,
      re: new RegExp(
        `^${r.path
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/:\w+/g, '[^/]+')
          .replace(/\*/g, '.*')}/?$`,
      ),
    }));
}

/**
 * Every response's security headers: what `securityHeaders(API_CSP)` (lib/html.tsx: hono's
 * secureHeaders with our referrer policy) sets, as a fixed list (lib/security-headers.ts, shared
 * with the static assets; test/response-headers.test.ts pins it). A page router adds its own instance (its CSP, with a nonce), and a handler may set
 * one of these itself (the widget's `Cross-Origin-Resource-Policy`): a header already there is
 * kept. The /book/* pages are framed by other sites, so they get an instance without
 * X-Frame-Options (`bookHeaders`); their pages set `frame-ancestors *`. Written out rather than
 * hono's middleware because this runs on every answer: hono's reads `c.res.headers` twice per
 * header, and removes an X-Powered-By nothing here sets.
 */
const apiHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const headers = c.res.headers;
  for (const [name, value] of API_SECURITY_HEADERS) if (!headers.has(name)) headers.set(name, value);
});

const jsonBodyLimit = bodyLimit({
  maxSize: MAX_JSON_BYTES,
  onError: () => {
    throw new ApiError(413, `Request bodies are limited to ${MAX_JSON_BYTES / 1024} KB.`);
  },
});

// Public writes are smaller still, and refused before anything else is read.
const publicBodyLimit = bodyLimit({
  maxSize: PUBLIC_MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, `Public request bodies are limited to ${PUBLIC_MAX_BODY_BYTES / 1024} KB.`);
  },
});

/** Who may read an /api/* answer from another origin: anyone for the public API, else CORS_ORIGINS. */
const corsOrigin = (origin: string, c: Context<AppEnv>): string | null => {
  // The public booking API answers any origin (it never uses credentials).
  if (c.req.path.startsWith('/api/public/')) return '*';
  const allowed = c.get('config').corsOrigins;
  if (allowed.includes('*')) return origin || '*';
  return allowed.includes(origin) ? origin : null;
};

const EXPOSE_HEADERS = ['X-Request-Id', 'Retry-After', 'Idempotency-Replayed', 'X-D1-Bookmark', 'X-Cache'];

/** Preflights (OPTIONS): answered here, before anything else runs. */
const preflight = cors({
  origin: corsOrigin,
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'X-D1-Bookmark'],
  exposeHeaders: EXPOSE_HEADERS,
  maxAge: 600,
});
const exposed = EXPOSE_HEADERS.join(',');

/**
 * CORS on /api/*: the same headers as hono's `cors` (which answers the preflights), set on the
 * final answer (errors included) after the handler. hono's sets them on `c.res` before it, which
 * makes the context build a placeholder response and then copy it, header by header, into every
 * real one: a third of /health's cost under the profiler (issue 21 item 4).
 */
const apiCors = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === 'OPTIONS') return preflight(c, next);
  await next();
  const headers = c.res.headers;
  const origin = corsOrigin(c.req.header('origin') || '', c);
  if (origin) headers.set('Access-Control-Allow-Origin', origin);
  headers.set('Access-Control-Expose-Headers', exposed);
  headers.append('Vary', 'Origin');
});

/**
 * The /book/* pages are made to be framed by any site (their CSP says `frame-ancestors *`), so
 * their security headers omit X-Frame-Options; every other header, and the default CSP of
 * anything that is not a page (redirects, problems), is the same as on every other route.
 */
export const bookHeaders = securityHeaders(API_CSP, { overwrite: false, xFrameOptions: false });

const FRAMED_PAGES = /^\/book(?:\/|$)/;

/**
 * Request id, log line, platform and security headers on everything; CORS and body rules on
 * /api/*; the D1 session (after CORS, so its 400 for a bad bookmark is readable cross-origin).
 * Middleware that runs on the same paths and never throws past its own `next` is called nested,
 * as one layer: each layer of hono's compose is an async frame and a promise on every request.
 * (platform throws a misconfiguration's 503 before anything inside it runs, as before.)
 */
function useMiddleware(app: App) {
  app.use('*', (c, next) =>
    requestIds(c, async () => {
      await requestLog(c, next);
    }),
  );
  // The security headers: not on /book/* (nor /book itself, as hono's `/book/*` matches it),
  // whose pages other sites frame.
  app.use('*', (c, next) =>
    platform(c, async () => {
      await (FRAMED_PAGES.test(c.req.path) ? next() : apiHeaders(c, next));
    }),
  );
  app.use('/book/*', bookHeaders);
  app.use('/checkout', checkoutHeaders);
  app.use('/api/*', apiCors);
  app.use('*', d1Session);
  app.use('/api/public/*', publicBodyLimit);
  // Exactly the Paddle webhook skips the JSON size limit: that route applies its own 1 MB limit.
  app.use('/api/*', (c, next) =>
    c.req.path.replace(/\/+$/, '') === PADDLE_WEBHOOK_PATH
      ? requireJson(c, next)
      : jsonBodyLimit(c, async () => {
          await requireJson(c, next);
        }),
  );
}

/** Unknown paths: 405 with Allow when another method would match, else 404; errors as problems. */
function handleErrors(app: App) {
  let matchers: ReturnType<typeof routeMatchers> | undefined;
  app.notFound((c) => {
    matchers ??= routeMatchers(app);
    const path = new URL(c.req.url).pathname;
    const allowed = [...new Set(matchers.filter((m) => m.re.test(path)).map((m) => m.method))];
    const requestId = c.get('requestId');
    if (allowed.length) {
      return problemResponse(405, `Method ${c.req.method} is not allowed here.`, {
        requestId,
        headers: { Allow: allowed.join(', ') },
      });
    }
    return problemResponse(404, `No route for ${path}.`, { requestId });
  });

  app.onError((err, c) => {
    const requestId = c.get('requestId');
    if (err instanceof ApiError) {
      return problemResponse(err.status, err.detail, { ...err.extra, requestId });
    }
    if (err instanceof HTTPException && err.status < 500) {
      // Hono's own 4xx, e.g. the validator's "Malformed JSON in request body".
      return problemResponse(err.status, err.message || 'Bad request.', { requestId });
    }
    console.error(
      JSON.stringify({ level: 'error', request_id: requestId, err: String(err), stack: (err as Error).stack }),
    );
    return problemResponse(500, 'An unexpected error occurred.', { requestId });
  });
}

/**
 * An app of the given areas (routers, mounted in order) behind the shared middleware and error
 * answers. `docs`: what registers the /api/docs page and the OpenAPI security schemes
 * (`registerDocs`, passed by the API Worker and ./app.ts; the console Worker has no docs page and
 * does not load it).
 */
export function buildApp(areas: Area[], { docs }: { docs?: (app: App) => void } = {}) {
  const app = createRouter();
  useMiddleware(app);
  for (const area of areas) app.route('/', area);
  docs?.(app);
  handleErrors(app);
  return app;
}
