import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import worker from '../src/index';
import type { Bindings } from '../src/lib/config';
import { api, type BookingBody, book, futureDay, setupTrainer, uniqueEmail, until } from './helpers';

const HOUR = 3_600_000;

/** One run of the 5-minute cron at a pinned time, through the Worker's scheduled handler. */
async function fiveMinuteTick(at: number, bindings: Bindings = env) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/5 * * * *' }), bindings, ctx);
  await waitOnExecutionContext(ctx);
}

let ip = 0;
const pinned = (at: number) => ({ 'X-Test-Now': new Date(at).toISOString() });

async function openTrainer() {
  const t = await setupTrainer({ open: ['08:00', '18:00'], settings: { min_notice_minutes: 60 } });
  return { ...t, slug: t.user.trainer.slug };
}

/** A visitor's request through the public API, made at `now`; the booking's id from the database. */
async function publicRequest(slug: string, startTime: string, now: number) {
  const email = uniqueEmail('visitor');
  const res = await api<{ status: string }>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body: { first_name: 'Vera', last_name: 'Visitor', email, phone: '+15005550006', start_time: startTime },
    headers: { 'CF-Connecting-IP': `203.0.113.${(ip++ % 250) + 1}`, ...pinned(now) },
  });
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('pending');
  const row = await env.DB.prepare(
    'SELECT b.id FROM bookings b JOIN clients c ON c.id = b.client_id WHERE c.email = ? AND b.start_time = ?',
  )
    .bind(email, startTime)
    .first<{ id: number }>();
  return row?.id ?? 0;
}

const bookingOf = async (token: string, id: number) =>
  (await api<BookingBody>('GET', `/api/bookings/${id}/`, { token })).body;

async function offered(slug: string, startTime: string, now: number) {
  const date = startTime.slice(0, 10);
  const res = await api<{ days: { slots: { start_time: string }[] }[] }>(
    'GET',
    `/api/public/trainers/${slug}/availability/?from=${date}&to=${date}`,
    { headers: pinned(now) },
  );
  expect(res.status).toBe(200);
  return res.body.days.flatMap((d) => d.slots).some((s) => s.start_time === startTime);
}

/** The cancellation messages planned for a booking (the client's, by channel). */
async function cancellationMessages(id: number) {
  const rows = await env.DB.prepare(
    "SELECT notification_type AS channel FROM notifications WHERE booking_id = ? AND kind = 'booking_cancelled'",
  )
    .bind(id)
    .all<{ channel: string }>();
  return rows.results.map((r) => r.channel);
}

describe('unconfirmed public requests expire (PENDING_HOLD_HOURS, default 24)', () => {
  it('cancels a request older than the hold with reason expired, frees its slot, and tells the client once even when two ticks overlap', async () => {
    const t = await openTrainer();
    const made = Date.parse(`${futureDay(2).date}T09:00:00.000Z`);
    const slot = `${futureDay(4).date}T10:00:00.000Z`;
    const id = await publicRequest(t.slug, slot, made);
    const young = await publicRequest(t.slug, `${futureDay(4).date}T12:00:00.000Z`, made + 2 * HOUR);

    const later = made + 24 * HOUR + 60_000;
    expect(await offered(t.slug, slot, later)).toBe(false);
    // Two runs of the same trigger at once (the cron may fire twice or overlap a slow run).
    await Promise.all([fiveMinuteTick(later), fiveMinuteTick(later)]);

    const expired = await bookingOf(t.token, id);
    expect(expired.status).toBe('cancelled');
    expect(expired.cancellation_reason).toBe('expired');
    expect(expired.late_cancellation).toBe(false);
    expect(await offered(t.slug, slot, later)).toBe(true);
    // One message: an email (a public form never makes us text the number typed in).
    expect(await cancellationMessages(id)).toEqual(['email']);
    // What the client reads once the queue has delivered it.
    const sent = await until(
      () =>
        env.DB.prepare(
          "SELECT status, subject, message FROM notifications WHERE booking_id = ? AND kind = 'booking_cancelled'",
        )
          .bind(id)
          .first<{ status: string; subject: string; message: string }>(),
      (row) => row?.status === 'sent',
    );
    expect(sent?.subject).toMatch(/^Not confirmed: your request for /);
    expect(sent?.message).toMatch(
      /did not confirm your request for .* in time, so it has lapsed and the time is free again/,
    );
    // A request made two hours later is still inside its hold.
    expect((await bookingOf(t.token, young)).status).toBe('pending');
    expect(await cancellationMessages(young)).toEqual([]);

    await fiveMinuteTick(later + 5 * 60_000);
    expect(await cancellationMessages(id)).toEqual(['email']);
  });

  it('expires a request at its start when the start comes before the end of the hold', async () => {
    const t = await openTrainer();
    const made = Date.parse(`${futureDay(2).date}T09:00:00.000Z`);
    const slot = `${futureDay(2).date}T12:00:00.000Z`;
    const id = await publicRequest(t.slug, slot, made);

    await fiveMinuteTick(Date.parse(slot) - 5 * 60_000);
    expect((await bookingOf(t.token, id)).status).toBe('pending');
    await fiveMinuteTick(Date.parse(slot));
    const expired = await bookingOf(t.token, id);
    expect(expired.status).toBe('cancelled');
    expect(expired.cancellation_reason).toBe('expired');
    expect(await cancellationMessages(id)).toEqual(['email']);
  });

  it("never expires a trainer's own pending booking, nor a request the trainer confirmed", async () => {
    const t = await openTrainer();
    const made = Date.parse(`${futureDay(2).date}T09:00:00.000Z`);
    const own = await book(
      t.token,
      { client: t.client.id, start_time: `${futureDay(3).date}T10:00:00.000Z` },
      pinned(made),
    );
    expect(own.status).toBe(201);
    expect(own.body.status).toBe('pending');
    const confirmed = await publicRequest(t.slug, `${futureDay(3).date}T14:00:00.000Z`, made);
    const ok = await api('POST', `/api/bookings/${confirmed}/confirm/`, { token: t.token, headers: pinned(made) });
    expect(ok.status).toBe(200);

    await fiveMinuteTick(made + 48 * HOUR);
    expect((await bookingOf(t.token, own.body.id)).status).toBe('pending');
    expect((await bookingOf(t.token, confirmed)).status).toBe('confirmed');
  });

  it('takes the hold from PENDING_HOLD_HOURS, and answers 503 naming it when it is not a whole number of hours ≥ 1', async () => {
    const t = await openTrainer();
    const made = Date.parse(`${futureDay(2).date}T09:00:00.000Z`);
    const id = await publicRequest(t.slug, `${futureDay(5).date}T10:00:00.000Z`, made);
    const twoHours = { ...env, PENDING_HOLD_HOURS: '2' } as Bindings;

    await fiveMinuteTick(made + 2 * HOUR - 60_000, twoHours);
    expect((await bookingOf(t.token, id)).status).toBe('pending');
    await fiveMinuteTick(made + 2 * HOUR, twoHours);
    expect((await bookingOf(t.token, id)).cancellation_reason).toBe('expired');

    for (const bad of ['0', 'soon']) {
      const ctx = createExecutionContext();
      const res = await createApp().fetch(
        new Request('http://example.com/api/'),
        { ...env, PENDING_HOLD_HOURS: bad } as Bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/PENDING_HOLD_HOURS must be a whole number/);
    }
  });
});
