// What a client receives: the outbox rows of a booking, and a sent email delivered once more
// through the live SendGrid provider (faked at the fetch boundary) to read its parts and .ics.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import worker from '../src/index';
import { until } from './until';

export type Row = {
  id: number;
  kind: string;
  notification_type: string;
  recipient: string;
  status: string;
  subject: string;
  message: string;
  html: string;
};
export type SendGridBody = {
  subject: string;
  content: { type: string; value: string }[];
  attachments?: { content: string; filename: string; type: string; disposition: string }[];
};

export const liveEnv = {
  ...env,
  NOTIFY_PROVIDER: 'live',
  SENDGRID_API_KEY: 'SG.test-key',
  SENDGRID_API_BASE: 'https://sendgrid.test',
  TWILIO_ACCOUNT_SID: 'AC123',
  TWILIO_AUTH_TOKEN: 'secret-token',
  TWILIO_API_BASE: 'https://twilio.test',
  EMAIL_FROM: 'Alex Fit <bookings@alexfit.example>',
  SMS_FROM: '+15005550006',
};

export const rowsOf = async (bookingId: number) =>
  (await env.DB.prepare('SELECT * FROM notifications WHERE booking_id = ? ORDER BY id').bind(bookingId).all<Row>())
    .results;

/** The booking's rows once `n` of them are sent (the real queue and the log provider). */
export const sentRows = (bookingId: number, n: number) =>
  until(
    () => rowsOf(bookingId),
    (r) => r.filter((x) => x.status === 'sent').length >= n,
  );

/** The booking's email of `kind`, once sent. */
export async function sentOf(bookingId: number, kind: string): Promise<Row> {
  const sent = (r: Row) => r.kind === kind && r.notification_type === 'email' && r.status === 'sent';
  const rows = await until(
    () => rowsOf(bookingId),
    (rs) => rs.some(sent),
  );
  return rows.find(sent) as Row;
}

/**
 * A sent email row delivered once more through the live SendGrid provider, faked at the fetch
 * boundary: what SendGrid receives (subject, parts and attachments) as the client would get it.
 */
export async function viaSendGrid(row: Row, withEnv: Record<string, unknown> = liveEnv): Promise<SendGridBody> {
  // Booking messages are rendered at send time from the booking (the stored text is what was sent).
  await env.DB.prepare(`UPDATE notifications SET status = 'pending', message = '' WHERE id = ?`).bind(row.id).run();
  const bodies: string[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (_input, init) => {
    bodies.push(String(init?.body));
    return new Response(null, { status: 202, headers: { 'X-Message-Id': `sg-${crypto.randomUUID()}` } });
  });
  const batch = createMessageBatch('trainerhub-notifications', [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: { ids: [row.id] } },
  ]);
  await worker.queue(batch as MessageBatch<{ ids: number[] }>, withEnv as unknown as Env);
  await getQueueResult(batch, createExecutionContext());
  vi.restoreAllMocks();
  expect(bodies).toHaveLength(1);
  return JSON.parse(bodies[0] as string) as SendGridBody;
}

/** The .ics attachment's text, after checking RFC 5545's line rules: CRLF ends, ≤ 75 octets, folds start with a space. */
export function icsOf(mail: SendGridBody): string {
  const [file] = mail.attachments ?? [];
  expect(file).toMatchObject({ filename: 'booking.ics', disposition: 'attachment' });
  const bytes = Uint8Array.from(atob(file?.content ?? ''), (c) => c.charCodeAt(0));
  const text = new TextDecoder().decode(bytes);
  expect(text.endsWith('\r\n')).toBe(true);
  const lines = text.slice(0, -2).split('\r\n');
  for (const line of lines) {
    expect(line).not.toMatch(/[\r\n]/);
    expect(new TextEncoder().encode(line).length, line).toBeLessThanOrEqual(75);
  }
  expect(file?.type).toBe(`text/calendar; method=${/METHOD:(\w+)/.exec(text)?.[1]}`);
  // Unfolded, for reading values.
  return text.replace(/\r\n /g, '');
}

/** The id of the trainer's booking that starts at `start`. */
export const bookingIdAt = async (trainerId: number, start: string) =>
  (
    await env.DB.prepare('SELECT id FROM bookings WHERE trainer_id = ? AND start_time = ?')
      .bind(trainerId, start)
      .first<{ id: number }>()
  )?.id as number;

/** The 5-minute cron tick at `at` (epoch ms): expiry, reminders, the sweeper. */
export async function tick(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}
