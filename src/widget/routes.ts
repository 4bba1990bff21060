// The embeddable widget (/widget.js) and the booking pages it frames (/book/*). Plain Hono
// routes, not OpenAPI: they serve HTML, JS and CSS, not the JSON API.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../lib/context';
import { API_CSP, securityHeaders } from '../lib/html';
// Built from ./client by scripts/build-widget.mjs (wrangler's [build] command, `npm run typecheck`, vitest).
import { PAGE_CSS, PAGE_JS, WIDGET_JS } from './generated';
import { BOOK_PAGE_CSP, type Rendered, renderBookingPage, renderManagePage, renderNotFoundPage } from './pages';
import { findBookingPageTrainer } from './service';

/** FNV-1a: a short content hash, so a page always asks for the script and stylesheet it was written for. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

const ASSET_VERSION = fnv1a(PAGE_JS + PAGE_CSS);
const ASSET_CACHE = 'public, max-age=3600';

/**
 * The /book/* pages are made to be framed by any site (their CSP says `frame-ancestors *`), so
 * their security headers omit X-Frame-Options; every other header, and the default CSP of
 * anything that is not a page (assets, problems), is the same as on every other route.
 */
export const bookHeaders = securityHeaders(API_CSP, { overwrite: false, xFrameOptions: false });

// Third-party pages load these; the global `Cross-Origin-Resource-Policy: same-origin` would block them.
const asset = (c: Context<AppEnv>, body: string, type: string, extra: Record<string, string> = {}) =>
  c.body(body, 200, {
    'Content-Type': type,
    'Cache-Control': ASSET_CACHE,
    'Cross-Origin-Resource-Policy': 'cross-origin',
    ...extra,
  });

const page = (c: Context<AppEnv>, html: Rendered, status: ContentfulStatusCode, cache: string) =>
  c.html(html, status, {
    'Content-Security-Policy': BOOK_PAGE_CSP,
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': cache,
  });

export const widgetRouter = new Hono<AppEnv>({ strict: false })
  .get('/widget.js', (c) =>
    asset(c, WIDGET_JS, 'text/javascript; charset=utf-8', { 'Access-Control-Allow-Origin': '*' }),
  )
  .get('/book/assets/app.js', (c) => asset(c, PAGE_JS, 'text/javascript; charset=utf-8'))
  .get('/book/assets/app.css', (c) => asset(c, PAGE_CSS, 'text/css; charset=utf-8'))
  .get('/book/manage/:token', (c) => {
    c.header('X-Robots-Tag', 'noindex');
    return page(c, renderManagePage(c.req.param('token'), ASSET_VERSION), 200, 'no-store');
  })
  .get('/book/:slug', async (c) => {
    const trainer = await findBookingPageTrainer(c.var.db, c.req.param('slug'));
    if (!trainer) return page(c, renderNotFoundPage(ASSET_VERSION), 404, 'no-cache');
    return page(c, renderBookingPage(trainer, ASSET_VERSION), 200, 'public, max-age=60');
  });
