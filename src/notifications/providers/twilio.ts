import { guardedFetch, type Provider, retryAfterOf, retryableStatus } from './types';

/** Twilio `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded; success is 201 with `sid`. */
export const twilioProvider = (opts: {
  accountSid: string;
  authToken: string;
  baseUrl: string;
  from: string;
  timeoutSeconds: number;
}): Provider => ({
  async send(message) {
    const url = `${opts.baseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`;
    const res = await guardedFetch(
      url,
      {
        method: 'POST',
        headers: {
          Authorization: `Basic ${btoa(`${opts.accountSid}:${opts.authToken}`)}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ To: message.to, From: opts.from, Body: message.text }).toString(),
      },
      opts.timeoutSeconds,
    );
    if (!(res instanceof Response)) return res;
    const body = (await res.json().catch(() => null)) as { sid?: string; code?: number; message?: string } | null;
    // Accepted: sent, even if its body was cut short (a retry would text the client twice).
    if (res.ok) return { ok: true, id: body?.sid ?? `twilio-${crypto.randomUUID()}` };
    // 20429 is Twilio's "too many requests" code, whatever the HTTP status.
    const retryable = retryableStatus(res.status) || body?.code === 20429;
    const reason = `Twilio ${res.status}: ${body?.message ?? `HTTP ${res.status}`}`;
    return { ok: false, retryable, reason, ...retryAfterOf(res, Date.now()) };
  },
});
