// What both booking pages share: element lookup, the alert and field errors, the JSON API, and the
// messages to the embedding page.
import { type Message, type MessageType, message, parentOriginOf } from '../protocol';

/** An element of the page's shell; the shell always has it (pages.tsx renders them together). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

export const show = (el: HTMLElement, on: boolean): void => {
  el.hidden = !on;
};

export function showAlert(text: string): void {
  const alertBox = $('alert');
  alertBox.textContent = text;
  show(alertBox, !!text);
}

/** Moves focus to what says the outcome (a heading, a message: focusable by script only), in view. */
export function focusOn(target: HTMLElement): void {
  target.setAttribute('tabindex', '-1');
  target.focus();
  target.scrollIntoView({ block: 'nearest' });
}

/** Sets or clears a field's error; false when the page has no such field. */
export function setFieldError(name: string, text: string): boolean {
  const input = document.getElementById(`f-${name}`);
  const error = document.getElementById(`e-${name}`);
  if (!input || !error) return false;
  error.textContent = text;
  show(error, !!text);
  if (text) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', `e-${name}`);
  } else {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
  return true;
}

// The widget passes ?parent=<its page's origin>. Messages go to exactly that origin.
const parentOrigin = parentOriginOf(new URLSearchParams(location.search).get('parent'), window.parent !== window);
export const embedded = parentOrigin !== null;

export function post(type: MessageType, detail?: Record<string, unknown>): void {
  if (parentOrigin) window.parent.postMessage(message(type, detail) satisfies Message, parentOrigin);
}

export interface ApiResult {
  status: number;
  /** The parsed JSON body, or null. Pages read it as the API documents it, after checking the status. */
  data: unknown;
  headers: Headers;
}

/** An RFC 9457 problem as the pages read it: its detail and its field errors, when present. */
export interface Problem {
  detail?: string;
  code?: string;
  errors?: Record<string, unknown>;
}
export const problemOf = (data: unknown): Problem => (data || {}) as Problem;

// The newest D1 bookmark an answer carried: sent back on every call, so the page reads its own writes
// (a booking just made is gone from the free times) even when a replica serves the read.
let bookmark: string | null = null;

/** A same-origin JSON call; status 0 when the network failed, data null when the body was not JSON. */
export async function api(
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<ApiResult> {
  const init: RequestInit & { headers: Record<string, string> } = {
    method,
    headers: Object.assign({ Accept: 'application/json' }, headers),
    credentials: 'omit',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (bookmark) init.headers['X-D1-Bookmark'] = bookmark;
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    return { status: 0, data: null, headers: new Headers() };
  }
  const answered = res.headers.get('X-D1-Bookmark');
  if (answered && (!bookmark || answered.localeCompare(bookmark) > 0)) bookmark = answered;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  return { status: res.status, data, headers: res.headers };
}
