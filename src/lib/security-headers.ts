// The security headers every answer carries (what hono's secureHeaders sets with our referrer
// policy and the API's CSP), as one fixed list for the two places that send them: the Worker
// (`apiHeaders` in src/app.ts) and the static assets Cloudflare serves without it
// (scripts/build-assets.mjs writes them into `_headers`, importing this file under Node 24, which
// strips its types: so it imports nothing). test/response-headers.test.ts pins the Worker's,
// test/e2e/widget.e2e.test.ts holds the assets' equal to them.
export const API_SECURITY_HEADERS: [string, string][] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
];
