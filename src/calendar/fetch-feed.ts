// Fetching a calendar address as a careful client: conditional (ETag / Last-Modified), every
// redirect checked against the address rules again (at most 3), a 10-second limit on the whole
// exchange and a 5 MB limit counted while the body streams. A failure is a FeedError whose message
// is the sentence the connection shows.
import { titleFor } from '../lib/problem';
import { checkCalendarUrl } from './url';

export const FETCH_TIMEOUT_MS = 10_000;
export const MAX_FEED_BYTES = 5 * 1024 * 1024;
export const MAX_REDIRECTS = 3;

export const TIMEOUT_ERROR = 'The calendar did not answer within 10 seconds.';
export const TOO_BIG_ERROR = 'The calendar is larger than 5 MB.';

/** Why a calendar could not be read, as a sentence for the trainer. */
export class FeedError extends Error {
  override name = 'FeedError';
}

export type FeedAnswer =
  | { status: 304 }
  | { status: 200; body: string; etag: string | null; lastModified: string | null };

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function answered(status: number): string {
  const title = titleFor(status);
  return `The calendar answered ${status}${title === 'Error' ? '' : ` ${title}`}.`;
}

/** The body as text, refused once it passes MAX_FEED_BYTES (announced or counted). */
async function readCapped(res: Response, signal: AbortSignal): Promise<string> {
  const announced = Number(res.headers.get('Content-Length') ?? '');
  if (announced > MAX_FEED_BYTES) {
    await res.body?.cancel();
    throw new FeedError(TOO_BIG_ERROR);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  // A body still streaming when the time is up is cut off, never taken as the whole calendar.
  signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_FEED_BYTES) {
      await reader.cancel();
      throw new FeedError(TOO_BIG_ERROR);
    }
    text += decoder.decode(value, { stream: true });
  }
  signal.throwIfAborted();
  return text + decoder.decode();
}

/** One request of the exchange: the answer, or the next address a redirect names. */
async function step(
  fetcher: typeof fetch,
  url: URL,
  known: Validators,
  signal: AbortSignal,
  allowPlain: boolean,
): Promise<FeedAnswer | URL> {
  const headers: Record<string, string> = { Accept: 'text/calendar', 'User-Agent': 'TrainerHub calendar sync' };
  if (known.etag) headers['If-None-Match'] = known.etag;
  if (known.lastModified) headers['If-Modified-Since'] = known.lastModified;
  const res = await fetcher(url.href, { headers, redirect: 'manual', signal });
  if (REDIRECTS.has(res.status)) {
    await res.body?.cancel();
    const location = res.headers.get('Location');
    if (!location) throw new FeedError('The calendar answered a redirect without an address.');
    const next = checkCalendarUrl(new URL(location, url).href, allowPlain);
    if (!next.ok) throw new FeedError(`The calendar redirected to an address that is not allowed: it ${next.reason}`);
    return next.url;
  }
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 304 };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new FeedError(answered(res.status));
  }
  const body = await readCapped(res, signal);
  return { status: 200, body, etag: res.headers.get('ETag'), lastModified: res.headers.get('Last-Modified') };
}

/** The calendar's answer (200 with its body, or 304), or a FeedError. */
export async function fetchFeed(
  fetcher: typeof fetch,
  url: URL,
  known: Validators,
  allowPlain: boolean,
): Promise<FeedAnswer> {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  let current = url;
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const answer = await step(fetcher, current, known, signal, allowPlain);
      if (!(answer instanceof URL)) return answer;
      current = answer;
    }
  } catch (err) {
    if (err instanceof FeedError) throw err;
    if (signal.aborted) throw new FeedError(TIMEOUT_ERROR);
    throw new FeedError('The calendar could not be reached.');
  }
  throw new FeedError(`The calendar redirected more than ${MAX_REDIRECTS} times.`);
}
