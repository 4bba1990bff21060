import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context';
import { SessionClient, sessionDb } from './db';
import { invalidField } from './problem';

/** The header a D1 session bookmark travels in, both ways. */
export const BOOKMARK_HEADER = 'x-d1-bookmark';

/** Longest bookmark taken back: D1's are 62 characters today; room to grow, not to waste. */
export const MAX_BOOKMARK_LENGTH = 128;

/** D1's bookmarks are groups of hex digits joined by `-` (`00000085-0000024c-00004c6d-8e61…`). */
export const BOOKMARK_PATTERN = '^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*$';
const BOOKMARK_SHAPE = new RegExp(BOOKMARK_PATTERN);

export const BOOKMARK_DESCRIPTION =
  'A D1 session bookmark. Every answer that read or wrote the database carries the newest one; send the last one ' +
  'received back on the next request and its reads see at least everything up to it (your own writes included). ' +
  `At most ${MAX_BOOKMARK_LENGTH} characters of hex digits and "-"; anything else is a 400 naming the header, an empty value counts as none.`;

/** Methods that only read: their session may start on any replica. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * GET routes that read the primary even without a bookmark. The staff console: its forms answer
 * with a 303 to a page the browser then fetches without the header, and that page must show the
 * change. Calendar feeds: a rotated address (a leaked one revoked) must be a 404 at once, and a
 * calendar app never sends a bookmark; apps poll a feed every few minutes at most.
 */
const PRIMARY_READS: RegExp[] = [/^\/admin(?:\/|$)/, /^\/api\/calendar\/feed\/[^/]+\.ics$/];

/** The bookmark a request sent back, null when none; a malformed one is a 400 naming the header. */
export function bookmarkOf(value: string | undefined): string | null {
  const bookmark = value?.trim();
  if (!bookmark) return null;
  if (bookmark.length > MAX_BOOKMARK_LENGTH || !BOOKMARK_SHAPE.test(bookmark)) {
    throw invalidField(
      BOOKMARK_HEADER,
      `Send back the ${BOOKMARK_HEADER} value of an earlier answer unchanged (at most ${MAX_BOOKMARK_LENGTH} characters of hex digits and "-"), or none.`,
    );
  }
  return bookmark;
}

/**
 * Where a request's session starts. Writes: the primary (newer than any bookmark a client can
 * hold). Reads: from the bookmark sent back, else any replica, except the routes that must read
 * the primary.
 */
export function sessionStart(method: string, path: string, bookmark: string | null): D1SessionConstraint | string {
  if (!READS.has(method) || PRIMARY_READS.some((re) => re.test(path))) return 'first-primary';
  return bookmark ?? 'first-unconstrained';
}

/**
 * Every request's D1 work runs in one session (`c.var.db`); the answer carries its newest
 * bookmark (and never one older than the request's) in `x-d1-bookmark`. Registered after CORS, so
 * a 400 for a malformed bookmark carries the CORS headers a browser needs to read it.
 */
export const d1Session = createMiddleware<AppEnv>(async (c, next) => {
  const sent = bookmarkOf(c.req.header(BOOKMARK_HEADER));
  const client = new SessionClient(c.env.DB, sessionStart(c.req.method, c.req.path, sent), sent);
  c.set('db', sessionDb(client));
  await next();
  const bookmark = client.bookmark;
  if (bookmark) c.res.headers.set(BOOKMARK_HEADER, bookmark);
});
