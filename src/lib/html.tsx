// The one home of HTML output and response security headers. Pages are hono/jsx, so every value
// is escaped by the renderer; nothing here or in a page escapes HTML by hand.
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { NONCE, secureHeaders } from 'hono/secure-headers';

export { NONCE };

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;
type Csp = NonNullable<SecureHeadersOptions['contentSecurityPolicy']>;

const REFERRER_POLICY = 'strict-origin-when-cross-origin';

/** What a JSON response may do: nothing, and never be framed. */
export const API_CSP: Csp = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] };

/**
 * Hono's secure headers with our referrer policy and `csp`. `overwrite: false` keeps a header a
 * handler or an inner instance already set, so a page router's own instance wins over the default.
 */
export const securityHeaders = (csp: Csp, options: Omit<SecureHeadersOptions, 'contentSecurityPolicy'> = {}) =>
  secureHeaders({ referrerPolicy: REFERRER_POLICY, ...options, contentSecurityPolicy: csp });

/** The nonce of this response's CSP (`NONCE` in a directive of the router's securityHeaders). */
export const nonceOf = (c: Context): string => c.get('secureHeadersNonce') ?? '';

/** A full HTML document from a page's root element. */
export const document = (node: Child) => html`<!doctype html>${node}`;
