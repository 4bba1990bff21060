// Request body limits, applied by the shared middleware (src/http.ts) before any handler runs.

/** Writes to /api/* carry at most this much JSON. */
export const MAX_JSON_BYTES = 64 * 1024;

/** Public writes (/api/public/*) are smaller still, and refused before anything else is read. */
export const PUBLIC_MAX_BODY_BYTES = 16 * 1024;

/** The Paddle webhook's path: exempt from MAX_JSON_BYTES, it applies its own 1 MB limit (WEBHOOK_MAX_BYTES). */
export const PADDLE_WEBHOOK_PATH = '/api/webhooks/paddle';
export const WEBHOOK_MAX_BYTES = 1024 * 1024;
