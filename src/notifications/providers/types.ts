export interface OutboundMessage {
  channel: 'email' | 'sms' | 'push';
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Files sent with an email (the booking's .ics); ignored by SMS. */
  attachments?: { filename: string; content: string; type: string }[];
}

/**
 * A provider's verdict: sent (with its message id), or failed, retryable or not; a provider that
 * said when to try again (Retry-After) gives that wait.
 */
export type SendResult =
  | { ok: true; id: string }
  | { ok: false; retryable: boolean; reason: string; retryAfterSeconds?: number };

export interface Provider {
  send(message: OutboundMessage): Promise<SendResult>;
}

/** 429 and 5xx are worth retrying; any other 4xx will never succeed. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * A network failure, or no answer within `timeoutSeconds`, is a retryable failure, never an
 * exception that loses the batch nor a send that hangs past the sweeper's 5 minutes (which would
 * queue the row again while the first send may still go through).
 */
export async function guardedFetch(
  url: string,
  init: RequestInit,
  timeoutSeconds: number,
): Promise<Response | SendResult> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutSeconds * 1000) });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    return {
      ok: false,
      retryable: true,
      reason: timedOut ? `no answer within ${timeoutSeconds} s` : `network error: ${String(err)}`,
    };
  }
}

/** A Retry-After header (seconds, or an HTTP date) as whole seconds from `nowMs`, when there is one. */
export function retryAfterOf(res: Response, nowMs: number): { retryAfterSeconds?: number } {
  const value = res.headers.get('Retry-After')?.trim();
  if (!value) return {};
  const seconds = /^\d+$/.test(value) ? Number(value) : Math.ceil((Date.parse(value) - nowMs) / 1000);
  return Number.isFinite(seconds) && seconds > 0 ? { retryAfterSeconds: seconds } : {};
}
