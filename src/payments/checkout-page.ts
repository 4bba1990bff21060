// The page behind Paddle's default payment link. Paddle appends `?_ptxn=<transaction id>`;
// Paddle.js, once initialized, reads it and opens the checkout overlay by itself. The only inline
// script carries the response's CSP nonce.

const PADDLE_JS = 'https://cdn.paddle.com/paddle/v2/paddle.js';

/** A value inside an inline <script>: JSON, with `<` escaped so no string can close the element. */
const scriptValue = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f6f7f9;color:#1d2330}main{text-align:center;padding:2rem;max-width:32rem}h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.25rem 0;color:#4a5265}`;

function page(title: string, heading: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>${STYLE}</style>
${head}</head>
<body>
<main>
<h1>${heading}</h1>
${body}
</main>
</body>
</html>
`;
}

export function renderCheckoutPage(opts: { token: string; sandbox: boolean; nonce: string }): string {
  const nonce = escapeAttr(opts.nonce);
  const init = `
(function () {
  var status = document.getElementById('status');
  if (!window.Paddle) { status.textContent = 'The payment form could not be loaded. Please refresh the page.'; return; }
  ${opts.sandbox ? "Paddle.Environment.set('sandbox');" : ''}
  Paddle.Initialize({
    token: ${scriptValue(opts.token)},
    eventCallback: function (event) {
      if (event && event.name === 'checkout.completed') status.textContent = 'Thank you! Your subscription is being activated; you can close this page.';
      if (event && event.name === 'checkout.closed') status.textContent = 'Checkout closed. Reload the page to open it again.';
    }
  });
  if (!new URLSearchParams(window.location.search).get('_ptxn')) status.textContent = 'This link has no transaction. Start the checkout from TrainerHub.';
})();`;
  return page(
    'TrainerHub checkout',
    'TrainerHub subscription',
    `<p id="status">Opening the secure Paddle checkout…</p>
<script src="${PADDLE_JS}" nonce="${nonce}"></script>
<script nonce="${nonce}">${init}</script>`,
  );
}

export function renderCheckoutUnavailable(): string {
  return page(
    'Checkout unavailable',
    'Checkout is not available',
    '<p>Payments are not configured on this server yet (PADDLE_CLIENT_TOKEN is not set). Please try again later.</p>',
  );
}
