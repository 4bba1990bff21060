import { guardedFetch, type Provider, retryAfterOf, retryableStatus } from './types';

/** "Name <addr@x>" or "addr@x" → SendGrid's {email, name}. */
function parseFrom(from: string): { email: string; name?: string } {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  return m?.[2] ? { email: m[2], ...(m[1] ? { name: m[1] } : {}) } : { email: from.trim() };
}

/** Text as base64 of its UTF-8 bytes (btoa alone takes Latin-1 only). */
const base64Utf8 = (text: string): string => {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
};

/** SendGrid v3 `POST /v3/mail/send`; success is 202 with `X-Message-Id`. */
export const sendgridProvider = (opts: {
  apiKey: string;
  baseUrl: string;
  from: string;
  timeoutSeconds: number;
}): Provider => ({
  async send(message) {
    const res = await guardedFetch(
      `${opts.baseUrl.replace(/\/$/, '')}/v3/mail/send`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${opts.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          personalizations: [{ to: [{ email: message.to }] }],
          from: parseFrom(opts.from),
          subject: message.subject,
          content: [
            { type: 'text/plain', value: message.text },
            ...(message.html ? [{ type: 'text/html', value: message.html }] : []),
          ],
          ...(message.attachments?.length
            ? {
                attachments: message.attachments.map((a) => ({
                  content: base64Utf8(a.content),
                  filename: a.filename,
                  type: a.type,
                  disposition: 'attachment',
                })),
              }
            : {}),
        }),
      },
      opts.timeoutSeconds,
    );
    if (!(res instanceof Response)) return res;
    if (res.status === 202 || res.ok) {
      return { ok: true, id: res.headers.get('X-Message-Id') ?? `sendgrid-${crypto.randomUUID()}` };
    }
    const body = (await res.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
    const reason =
      body?.errors
        ?.map((e) => e.message)
        .filter(Boolean)
        .join('; ') || `HTTP ${res.status}`;
    const retryable = retryableStatus(res.status);
    return { ok: false, retryable, reason: `SendGrid ${res.status}: ${reason}`, ...retryAfterOf(res, Date.now()) };
  },
});
