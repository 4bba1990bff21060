export interface OutboundMessage {
  channel: 'email' | 'sms' | 'push';
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Files sent with an email (the booking's .ics); ignored by SMS. */
  attachments?: { filename: string; content: string; type: string }[];
}

/** A provider's verdict: sent (with its message id), or failed, retryable or not. */
export type SendResult = { ok: true; id: string } | { ok: false; retryable: boolean; reason: string };

export interface Provider {
  send(message: OutboundMessage): Promise<SendResult>;
}

/** 429 and 5xx are worth retrying; any other 4xx will never succeed. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** A network failure is a retryable failure, never an exception that loses the batch. */
export async function guardedFetch(url: string, init: RequestInit): Promise<Response | SendResult> {
  try {
    return await fetch(url, init);
  } catch (err) {
    return { ok: false, retryable: true, reason: `network error: ${String(err)}` };
  }
}
