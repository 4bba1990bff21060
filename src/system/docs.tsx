// /api/docs, Scalar's interactive reference over /api/openapi.json (a static asset: ./openapi-document.ts).
// Scalar's script (4.8 MB) is a static asset of this origin (wrangler.toml [assets], built by
// scripts/build-assets.mjs), never part of the Worker bundle: this page is a small shell that
// loads it and hands it its configuration.

import type { OpenAPIHono } from '@hono/zod-openapi';
import { raw } from 'hono/html';
import { document, securityHeaders } from '../lib/html';
import type { AppEnv } from '../lib/router';
import { DOCS_ICON, SCALAR_JS } from './generated';

export const OPENAPI_PATH = '/api/openapi.json';

/** The document's title, also the reference page's. */
export const API_TITLE = 'TrainerHub API';

/**
 * Scalar's configuration: the document of this origin, requests sent to this origin only (no
 * proxy), the bearer token for "Test Request", curl first among the code samples, and nothing
 * that reaches another origin (default fonts, telemetry, the AI agent, MCP, the developer
 * toolbar's share and deploy, the link to Scalar's hosted client).
 */
const SCALAR_CONFIG = {
  url: OPENAPI_PATH,
  // Relative: Scalar resolves it against the page's own origin (so the page names no host).
  servers: [{ url: '/', description: 'This server' }],
  authentication: { preferredSecurityScheme: 'Bearer' },
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  // "Open API Client" is a link that hands the document's address to Scalar's hosted client.
  hideClientButton: true,
  documentDownloadType: 'json',
  // One colour scheme, the one the accessibility checks hold to contrast.
  forceDarkModeState: 'light',
  hideDarkModeToggle: true,
};

/**
 * Scalar's default light theme where the accessibility checks (test/e2e/docs.e2e.test.ts) found
 * it short: the method colours (GET, POST, …) and greys as text at 4.5:1 or more on its white and
 * #f6f6f6 backgrounds, the accent (links, focus rings) too. `body.light-mode` outranks the
 * theme's `.light-mode`; the introduction's code block wraps instead of scrolling (a scrolling
 * region must be reachable by keyboard, and Scalar's is not focusable); the document's download
 * button gets the focus ring Scalar gives it none of.
 */
const DOCS_CSS = `body.light-mode{--scalar-color-2:#4d4d4d;--scalar-color-3:#595959;--scalar-color-accent:#0062a3;
--scalar-color-green:#007a4d;--scalar-color-red:#d10005;--scalar-color-yellow:#806200;--scalar-color-blue:#0067ab;
--scalar-color-orange:#b33f00;--scalar-color-purple:#5203d1;--scalar-color-query:#00727a}
.scalar-app .introduction-description .markdown pre code,.scalar-app .introduction-description .markdown pre code *{white-space:pre-wrap;overflow-wrap:anywhere}
.scalar-app .download-button:focus-visible{outline:2px solid var(--scalar-color-accent);outline-offset:2px}`;

export const DocsPage = () => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{API_TITLE} reference</title>
      {/* A static asset: without an icon the browser asks for /favicon.ico, a 404. */}
      <link rel="icon" href={DOCS_ICON} />
      <style>{raw(DOCS_CSS)}</style>
    </head>
    <body>
      <noscript>
        <p>
          This reference needs JavaScript. The OpenAPI document it shows is <a href={OPENAPI_PATH}>{OPENAPI_PATH}</a>.
        </p>
      </noscript>
      {/* Scalar's HTML API: it mounts itself beside this element and reads its configuration. */}
      <script id="api-reference" type="application/json" data-configuration={JSON.stringify(SCALAR_CONFIG)} />
      <script src={SCALAR_JS} />
    </body>
  </html>
);

/**
 * Scripts from this origin only (the page has no inline script: Scalar reads its configuration
 * from the data block above); requests ("Test Request", the document), images and fonts to this
 * origin only.
 *
 * Styles need 'unsafe-inline', and so no nonce (a nonce makes browsers ignore 'unsafe-inline'):
 * Scalar's script puts the CSP nonce (`<meta property="csp-nonce">`) on its main stylesheet only,
 * and then inserts its theme (`@layer scalar-theme`), its toasts' stylesheet (sonner) and two
 * more inline styles without it, which a nonce-only policy blocks (the page then loses its
 * colours). Their content is Scalar's own, not the document's; and with scripts, connections,
 * images and fonts held to this origin, no injected CSS could run code or send anything away.
 */
const docsHeaders = securityHeaders({
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  connectSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
});

/**
 * The security schemes every operation names, and the reference page /api/docs. The document
 * itself is a static asset built at deploy time (./openapi-document.ts), not a route.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `token` of /api/users/register/ or /api/users/login/, as `Authorization: Bearer <token>`.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Token', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The same token in the seed\'s form: "Token <jwt>".',
  });
  app.get('/api/docs', docsHeaders, (c) => c.html(document(<DocsPage />)));
}
