// The booking pages' wording and the small pure rules behind it: no DOM, unit-tested.
import { EMAIL, FIELD_SENTENCES } from '../../lib/field-messages';

/** A problem's field errors (a string or a list) as one sentence. */
export const messages = (value: unknown): string => (Array.isArray(value) ? value : [value]).map(String).join(' ');

/** The text for a 429, with the wait from Retry-After when the server gave one. */
export function retryText(retryAfter: string | null): string {
  const seconds = Number(retryAfter);
  if (!retryAfter || !Number.isFinite(seconds) || seconds <= 0) return 'Too many attempts. Please try again later.';
  if (seconds < 60) return `Too many attempts. Please try again in ${Math.ceil(seconds)} seconds.`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `Too many attempts. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  const hours = Math.ceil(minutes / 60);
  return `Too many attempts. Please try again in ${hours} hour${hours === 1 ? '' : 's'}.`;
}

/** A day button's count of free times. */
export const timesCount = (n: number): string => (n ? n + (n === 1 ? ' time' : ' times') : 'No times');

/** The token of a manage link (absolute or relative), or null when the URL is not one. */
export function manageToken(url: unknown, base: string): string | null {
  try {
    const m = /\/book\/manage\/([^/?#]+)\/?$/.exec(new URL(String(url), base).pathname);
    return m?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Where "Manage or cancel this booking" points: the API's absolute link, else one built on this origin. */
export const manageHref = (url: unknown, origin: string, token: string): string =>
  /^https?:/.test(String(url)) ? String(url) : `${origin}/book/manage/${token}`;

/** A day button's lines of what it offers: its free times, and its classes when it has any. */
export function dayCountLines(times: number, classes: number): string[] {
  if (!classes) return [timesCount(times)];
  const c = `${classes} ${classes === 1 ? 'class' : 'classes'}`;
  return times ? [timesCount(times), c] : [c];
}

/** What the visitor can do with a class session: book a place, join its waitlist, or nothing. */
export type ClassAction = 'book' | 'waitlist' | null;

export const classAction = (c: { spots_left: number; waitlist_open: boolean }): ClassAction =>
  c.spots_left > 0 ? 'book' : c.waitlist_open ? 'waitlist' : null;

/** A class button's words: "Bootcamp · 3 places left", "Bootcamp · Join the waitlist", "Bootcamp · full". */
export function classLabel(c: { name: string; spots_left: number; waitlist_open: boolean }): string {
  const action = classAction(c);
  const state =
    action === 'book'
      ? `${c.spots_left} ${c.spots_left === 1 ? 'place' : 'places'} left`
      : action === 'waitlist'
        ? 'Join the waitlist'
        : 'full';
  return `${c.name} · ${state}`;
}

/** The confirmation after booking: its heading and its sentence (a waitlist place names its position). */
export function bookedText(
  status: unknown,
  businessName: unknown,
  waitlistPosition?: unknown,
): { heading: string; sentence: string } {
  if (status === 'waitlisted') {
    const n = Number(waitlistPosition);
    return {
      heading: Number.isInteger(n) && n > 0 ? `You're on the waitlist (position ${n})` : "You're on the waitlist",
      sentence: 'You will get an email if a place opens up.',
    };
  }
  const pending = status === 'pending';
  const who = businessName || 'your trainer';
  return {
    heading: pending ? 'Booking requested' : 'You are booked',
    sentence: pending
      ? `Your request has been sent to ${who}, who will confirm it soon.`
      : `Your session with ${who} is confirmed.`,
  };
}

const STATUS: Record<string, string> = {
  pending: 'Waiting for the trainer to confirm',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  completed: 'Completed',
  no_show: 'Missed (no-show)',
  waitlisted: 'On the waitlist',
};
export const statusText = (status: unknown): string => STATUS[String(status)] || String(status);

/** A random Idempotency-Key. */
export const uuid = (): string =>
  typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Idempotency-Keys for one page's requests: a body sent again unchanged (a retry after a lost
 * answer) keeps its key, so the server replays its answer; any change to the body, a new key.
 */
export function idempotencyKeys(newKey: () => string = uuid): (body: unknown) => string {
  let sent = '';
  let key = '';
  return (body) => {
    const text = JSON.stringify(body);
    if (!key || text !== sent) {
      sent = text;
      key = newKey();
    }
    return key;
  };
}

/** The manage page's words for cancelling: a waitlisted place is left, not cancelled (it holds no seat). */
export const cancelWords = (status: unknown) =>
  status === 'waitlisted'
    ? {
        open: 'Leave the waitlist…',
        heading: 'Leave the waitlist?',
        submit: 'Yes, leave the waitlist',
        keep: 'Stay on the waitlist',
        done: 'You have left the waitlist.',
      }
    : {
        open: 'Cancel booking…',
        heading: 'Cancel this booking?',
        submit: 'Yes, cancel booking',
        keep: 'Keep my booking',
        done: 'Your booking is cancelled.',
      };

/** What the manage page says before a cancel: late or not, and the credit it uses from which pack. */
export function cancelNote(b: {
  status: string;
  late_cancellation_if_cancelled_now?: boolean;
  credit_used_if_cancelled_now?: boolean;
  package?: { name: string; sessions_remaining: number } | null;
  lateFrom: string;
}): string {
  if (b.status === 'waitlisted') return 'You have no place in this class yet, so leaving the waitlist costs nothing.';
  if (!b.late_cancellation_if_cancelled_now) {
    return `This is not a late cancellation: cancelling now costs nothing. From ${b.lateFrom} it would count as late.`;
  }
  if (b.credit_used_if_cancelled_now && b.package) {
    const left = b.package.sessions_remaining - 1;
    return `This is a late cancellation: it uses 1 session of your “${b.package.name}” pack (${left} ${left === 1 ? 'session' : 'sessions'} left afterwards).`;
  }
  if (b.status === 'pending')
    return 'This is a late cancellation, but the booking is not confirmed yet, so it costs nothing.';
  return 'This is a late cancellation (it is recorded as late; no pack credit is used).';
}

const REQUIRED_FIELDS = ['first_name', 'last_name', 'email'];
// A deliberately loose shape: the API has the last word, in the same sentence.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The booking form's own check before it sends: each empty required field, and an email that
 * cannot be one, mapped to the sentence the API would answer. Empty when the form may be sent.
 */
export function checkBookingFields(values: Record<string, string | undefined>): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const name of REQUIRED_FIELDS) {
    if (!(values[name] ?? '').trim()) problems[name] = FIELD_SENTENCES[name] ?? 'This field is required.';
  }
  const email = (values.email ?? '').trim();
  if (email && !EMAIL_SHAPE.test(email)) problems.email = EMAIL;
  return problems;
}

/**
 * The manage page's "Where": the text before the video link and the link (shown clickable), or
 * the whole text and no link when the booking has none (or the text does not end with it).
 */
export function wherePieces(location: unknown, videoUrl: unknown): { text: string; link: string } {
  const text = typeof location === 'string' ? location : '';
  const link = typeof videoUrl === 'string' && /^https:\/\//.test(videoUrl) ? videoUrl : '';
  return link && text.endsWith(link) ? { text: text.slice(0, -link.length), link } : { text, link: '' };
}
