// The postMessage protocol between the widget (on the host page) and the booking page in its
// frame. Both ends import this module, so the message shape has one definition.

export const SOURCE = 'trainerhub';

/** What the frame tells the widget: its height, a request to close, and the events re-emitted to the host page. */
export type MessageType = 'height' | 'close' | 'ready' | 'slot-selected' | 'booked' | 'error';

export interface Message {
  source: typeof SOURCE;
  type: MessageType;
  detail: Record<string, unknown>;
}

/** The types the widget re-dispatches on the host page as `trainerhub:<type>` DOM events. */
const EVENT_TYPES: ReadonlySet<string> = new Set(['ready', 'slot-selected', 'booked', 'error']);
export const isEventType = (type: unknown): type is string => typeof type === 'string' && EVENT_TYPES.has(type);

/** Fields an event may carry to the host page: only these, and only strings. */
const EVENT_FIELDS = ['trainer', 'start_time', 'end_time', 'status', 'code'] as const;

export const message = (type: MessageType, detail?: Record<string, unknown>): Message => ({
  source: SOURCE,
  type,
  detail: detail || {},
});

/** A message from the frame, or null when the data is not one of ours. */
export function parseMessage(data: unknown): { type: unknown; detail: Record<string, unknown> } | null {
  if (!data || typeof data !== 'object') return null;
  const m = data as { source?: unknown; type?: unknown; detail?: unknown };
  if (m.source !== SOURCE) return null;
  const detail = m.detail && typeof m.detail === 'object' ? (m.detail as Record<string, unknown>) : {};
  return { type: m.type, detail };
}

/** A frame height in whole pixels, or null when it is not a plausible one. */
export function frameHeight(detail: Record<string, unknown>): number | null {
  const height = Number(detail.height);
  return height > 0 && height < 20000 ? Math.ceil(height) : null;
}

/** The detail of a host-page event: the allowed string fields, with the trainer set by the widget. */
export function eventDetail(detail: Record<string, unknown>, trainer: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of EVENT_FIELDS) {
    const value = detail[k];
    if (typeof value === 'string') out[k] = value;
  }
  out.trainer = trainer;
  return out;
}

/**
 * The origin the frame may post to: the `?parent=` the widget passed, when it is exactly an http(s)
 * origin and the page is framed. If the page that really embeds us is another one, the browser drops them.
 */
export function parentOriginOf(claimed: string | null, framed: boolean): string | null {
  if (!framed || !claimed) return null;
  try {
    const url = new URL(claimed);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === claimed ? claimed : null;
  } catch {
    return null;
  }
}

/** The widget's own origin from its script URL, or null when it is not http(s). */
export function scriptOrigin(src: string, base: string): string | null {
  try {
    const origin = new URL(src, base).origin;
    return /^https?:/.test(origin) ? origin : null;
  } catch {
    return null;
  }
}

/**
 * The booking page a widget frames; `?parent=` names the host page's origin when it has one, and
 * `?name=` / `?email=` carry the script tag's data-name / data-email to prefill the form.
 */
export function frameUrl(
  origin: string,
  slug: string,
  parent: string | null,
  prefill: { name?: string | null; email?: string | null } = {},
): string {
  const params: string[] = [];
  if (parent && parent !== 'null') params.push(`parent=${encodeURIComponent(parent)}`);
  if (prefill.name) params.push(`name=${encodeURIComponent(prefill.name)}`);
  if (prefill.email) params.push(`email=${encodeURIComponent(prefill.email)}`);
  const src = `${origin}/book/${encodeURIComponent(slug)}`;
  return params.length ? `${src}?${params.join('&')}` : src;
}

/** Whether a script element's src is a widget script. */
export const isWidgetSrc = (src: string): boolean => /\/widget\.js([?#]|$)/.test(src);
