// The page behind Paddle's default payment link. Paddle appends `?_ptxn=<transaction id>`;
// Paddle.js, once initialized, reads it and opens the checkout overlay by itself. The only inline
// script carries the response's CSP nonce.
import type { Context, MiddlewareHandler } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { document, NONCE, nonceOf, securityHeaders } from '../lib/html';
import type { AppEnv } from '../lib/router';

const PADDLE_JS = 'https://cdn.paddle.com/paddle/v2/paddle.js';

/** A value inside an inline <script>: JSON, with `<` escaped so no string can close the element. */
const scriptValue = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f6f7f9;color:#1d2330}main{text-align:center;padding:2rem;max-width:32rem}h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.25rem 0;color:#4a5265}`;

const Page = (props: { title: string; heading: string; children: Child }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{props.title}</title>
      <style>{raw(STYLE)}</style>
    </head>
    <body>
      <main>
        <h1>{props.heading}</h1>
        {props.children}
      </main>
    </body>
  </html>
);

const initScript = (token: string, sandbox: boolean) => `
(function () {
  var status = document.getElementById('status');
  if (!window.Paddle) { status.textContent = 'The payment form could not be loaded. Please refresh the page.'; return; }
  ${sandbox ? "Paddle.Environment.set('sandbox');" : ''}
  Paddle.Initialize({
    token: ${scriptValue(token)},
    eventCallback: function (event) {
      if (event && event.name === 'checkout.completed') status.textContent = 'Thank you! Your subscription is being activated; you can close this page.';
      if (event && event.name === 'checkout.closed') status.textContent = 'Checkout closed. Reload the page to open it again.';
    }
  });
  if (!new URLSearchParams(window.location.search).get('_ptxn')) status.textContent = 'This link has no transaction. Start the checkout from TrainerHub.';
})();`;

export const renderCheckoutPage = (opts: { token: string; sandbox: boolean; nonce: string }) =>
  document(
    <Page title="TrainerHub checkout" heading="TrainerHub subscription">
      <p id="status">Opening the secure Paddle checkout…</p>
      <script src={PADDLE_JS} nonce={opts.nonce} />
      <script nonce={opts.nonce}>{raw(initScript(opts.token, opts.sandbox))}</script>
    </Page>,
  );

export const renderCheckoutUnavailable = () =>
  document(
    <Page title="Checkout unavailable" heading="Checkout is not available">
      <p>Payments are not configured on this server yet (PADDLE_CLIENT_TOKEN is not set). Please try again later.</p>
    </Page>,
  );

const PADDLE = 'https://*.paddle.com';
const NONE = ["'none'"];

/** Paddle.js and the one inline script under this response's nonce; the rest only from Paddle. */
const paddleHeaders = securityHeaders({
  defaultSrc: NONE,
  scriptSrc: [NONCE, 'https://cdn.paddle.com'],
  frameSrc: [PADDLE],
  connectSrc: [PADDLE],
  imgSrc: [PADDLE, 'data:'],
  // Paddle.js styles its overlay with inline styles; no script can come from them.
  styleSrc: ["'unsafe-inline'", PADDLE],
  fontSrc: [PADDLE],
  baseUri: NONE,
  formAction: NONE,
  frameAncestors: NONE,
});

/** The "not configured" page: no script at all, only its inline stylesheet. */
const unavailableHeaders = securityHeaders({
  defaultSrc: NONE,
  styleSrc: ["'unsafe-inline'"],
  baseUri: NONE,
  formAction: NONE,
  frameAncestors: NONE,
});

/** /checkout's security headers: which page it serves depends on whether Paddle is configured. */
export const checkoutHeaders: MiddlewareHandler<AppEnv> = (c, next) =>
  (c.var.config.paddle.clientToken ? paddleHeaders : unavailableHeaders)(c, next);

/** The checkout page, or the 503 page while PADDLE_CLIENT_TOKEN is unset. */
export function checkoutResponse(c: Context<AppEnv>) {
  const { clientToken, environment } = c.var.config.paddle;
  if (!clientToken) return c.html(renderCheckoutUnavailable(), 503);
  c.header('Cache-Control', 'no-store');
  return c.html(renderCheckoutPage({ token: clientToken, sandbox: environment === 'sandbox', nonce: nonceOf(c) }), 200);
}
