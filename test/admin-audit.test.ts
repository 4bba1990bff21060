// Staff changes and their audit rows are one D1 batch: neither exists without the other.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import type { Bindings } from '../src/lib/config';
import { auditRows, type Detail, registerAs, registerStaff } from './admin-helpers';
import { api, at, book, futureDay, intercept, type ProblemBody, type Reply, uniqueEmail } from './helpers';

/** The real D1, except that every INSERT into admin_audit_log fails when it runs (no such table). */
const failingAudit = (): D1Database =>
  intercept(env.DB, {
    prepare: (query: string) =>
      env.DB.prepare(query.replace(/INSERT INTO "admin_audit_log"/g, 'INSERT INTO "admin_audit_log_forced_failure"')),
  });

/** One request through the app, with the audit insert made to fail. */
async function withFailingAudit<T>(method: string, path: string, token: string, body?: unknown): Promise<Reply<T>> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...(env as Bindings), DB: failingAudit() },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

const row = (query: string, ...params: unknown[]) =>
  env.DB.prepare(query)
    .bind(...params)
    .first<Record<string, unknown>>();

async function world() {
  const staff = await registerStaff(uniqueEmail('auditor'));
  const trainer = await registerAs(uniqueEmail('audited'), { business_name: 'Audited' });
  const client = await api<{ id: number }>('POST', '/api/clients/', {
    token: trainer.token,
    body: { email: uniqueEmail('c'), first_name: 'Cleo' },
  });
  const booked = await book(trainer.token, {
    client: client.body.id,
    start_time: at(futureDay(5).date, '10:00'),
    allow_outside_availability: true,
  });
  expect(booked.status).toBe(201);
  return { staff, trainer, bookingId: booked.body.id };
}

describe('admin audit rows share the batch of their change', () => {
  it('a booking transition whose audit insert fails leaves the booking and its messages unchanged', async () => {
    const { staff, bookingId } = await world();
    const before = await row('SELECT status, updated_at FROM bookings WHERE id = ?', bookingId);
    expect(before?.status).toBe('pending');
    const messages = async () =>
      (await row('SELECT count(*) AS n FROM notifications WHERE booking_id = ?', bookingId))?.n;
    const messagesBefore = await messages();

    for (const body of [{ status: 'confirmed' }, { status: 'cancelled', cancellation_reason: 'Ill' }]) {
      const failed = await withFailingAudit<ProblemBody>(
        'PATCH',
        `/api/admin/bookings/${bookingId}/`,
        staff.token,
        body,
      );
      expect(failed.status, JSON.stringify(body)).toBe(500);
      expect(await row('SELECT status, updated_at FROM bookings WHERE id = ?', bookingId)).toEqual(before);
      expect(await messages()).toBe(messagesBefore);
      expect(await auditRows('bookings', bookingId)).toEqual([]);
    }

    // With a working audit insert the same change and its one audit row appear together.
    const ok = await api<Detail>('PATCH', `/api/admin/bookings/${bookingId}/`, {
      token: staff.token,
      body: { status: 'confirmed' },
    });
    expect(ok.status).toBe(200);
    const entries = await auditRows('bookings', bookingId);
    expect(entries.map((e) => [e.action, JSON.parse(e.changes)])).toEqual([
      ['confirm', { status: { before: 'pending', after: 'confirmed' } }],
    ]);
    expect(entries[0]?.at).toBe((await row('SELECT updated_at FROM bookings WHERE id = ?', bookingId))?.updated_at);
  });

  it('a notification retry whose audit insert fails leaves the notification failed', async () => {
    const { staff, trainer } = await world();
    const inserted = await row(
      `INSERT INTO notifications (trainer_id, kind, notification_type, recipient, subject, message, status,
        failed_reason, dedupe_key)
       VALUES (?, 'booking_confirmed', 'email', ?, 'Hello', 'hello', 'failed', 'bounced', ?) RETURNING id`,
      trainer.trainerId,
      uniqueEmail('r'),
      `admin-audit:${crypto.randomUUID()}`,
    );
    const id = Number(inserted?.id);
    const before = await row('SELECT status, failed_reason, updated_at FROM notifications WHERE id = ?', id);

    const failed = await withFailingAudit<ProblemBody>('POST', `/api/admin/notifications/${id}/retry/`, staff.token);
    expect(failed.status).toBe(500);
    expect(await row('SELECT status, failed_reason, updated_at FROM notifications WHERE id = ?', id)).toEqual(before);
    expect(await auditRows('notifications', id)).toEqual([]);

    const ok = await api<Detail>('POST', `/api/admin/notifications/${id}/retry/`, { token: staff.token });
    expect(ok.status).toBe(200);
    expect(ok.body.record.status).toBe('pending');
    expect((await auditRows('notifications', id)).map((e) => [e.action, JSON.parse(e.changes)])).toEqual([
      ['retry', { status: { before: 'failed', after: 'pending' } }],
    ]);
  });
});
