// The booking pages the widget frames (/book/*). Plain Hono routes, not OpenAPI: they serve HTML,
// not the JSON API. The widget's script (/widget.js) and the pages' script and stylesheet are
// static assets (scripts/build-widget.mjs): Cloudflare serves them without running the Worker.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../lib/context';
import { ApiError } from '../lib/problem';
// The paths of the pages' script and stylesheet, from scripts/build-widget.mjs.
import { RESET_PAGE_PATH } from '../users/password-reset';
import { VERIFY_PAGE_PATH } from '../users/verification';
import { ACCOUNT_PAGE_CSP, renderResetPage, renderVerifyPage } from './account-page';
import { PAGE_CSS, PAGE_JS } from './generated';
import {
  BOOK_ICON_PATH,
  BOOK_PAGE_CSP,
  type Rendered,
  renderBookingPage,
  renderManagePage,
  renderNotFoundPage,
} from './pages';
import { findBookingPageTrainer } from './service';

const page = (c: Context<AppEnv>, html: Rendered, status: ContentfulStatusCode, cache: string) =>
  c.html(html, status, {
    'Content-Security-Policy': BOOK_PAGE_CSP,
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': cache,
  });

/** A page of one's account: never framed, never cached, never indexed. */
const accountPage = (c: Context<AppEnv>, html: Rendered) =>
  c.html(html, 200, {
    'Content-Security-Policy': ACCOUNT_PAGE_CSP,
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    'X-Robots-Tag': 'noindex',
  });

/** The pages' icon: an empty square (a trainer's page carries no logo of ours). */
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"/>\n';

/** A content-named script or stylesheet of the pages, as scripts/build-assets.mjs names them. */
const HASHED = /^app\.[0-9a-f]{10}\.(?:js|css)$/;

export const widgetRouter = new Hono<AppEnv>({ strict: false })
  // A page an earlier deploy rendered (browsers and caches keep it 60 s) names that deploy's script
  // or stylesheet, which the assets no longer hold: it is sent on to today's. Today's files never
  // reach the Worker (the assets answer them), so a request for one here is a 404 like any other.
  .get('/book/assets/:file', (c) => {
    const file = c.req.param('file');
    const current = file.endsWith('.js') ? PAGE_JS : PAGE_CSS;
    // The 404 of an unknown path (the app's notFound would call this route's path a 405).
    if (!HASHED.test(file) || current.endsWith(`/${file}`)) throw new ApiError(404, `No route for ${c.req.path}.`);
    c.header('Cache-Control', 'no-store');
    return c.redirect(current, 307);
  })
  .get('/book/manage/:token', (c) => {
    c.header('X-Robots-Tag', 'noindex');
    return page(c, renderManagePage(c.req.param('token')), 200, 'no-store');
  })
  .get(BOOK_ICON_PATH, (c) =>
    c.body(ICON, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' }),
  )
  .get(RESET_PAGE_PATH, (c) => accountPage(c, renderResetPage()))
  .get(VERIFY_PAGE_PATH, (c) => accountPage(c, renderVerifyPage()))
  .get('/book/:slug', async (c) => {
    const trainer = await findBookingPageTrainer(c.var.db, c.req.param('slug'));
    if (!trainer) return page(c, renderNotFoundPage(), 404, 'no-cache');
    // A slug the trainer left: to the page's address now (302: they may take the old one back).
    if (trainer.slug !== c.req.param('slug')) {
      const url = new URL(c.req.url);
      return c.redirect(`/book/${encodeURIComponent(trainer.slug)}${url.search}`, 302);
    }
    return page(c, renderBookingPage(trainer), 200, 'public, max-age=60');
  });
