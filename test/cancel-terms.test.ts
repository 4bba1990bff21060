// A client cancels on a page that said what it would cost (`late_cancellation_if_cancelled_now`,
// `credit_used_if_cancelled_now`). Sent back as `late_ok` / `credit_ok`, they make the API refuse a
// cancel that has come to cost more since (the trainer moved or confirmed the booking, the late
// window began), with nothing written, so the client decides again on what is true now.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, type BookingBody, clientUser, createClient, futureDay, type ProblemBody, setupTrainer } from './helpers';

const HOUR = 3600 * 1000;
const slotAt = (daysAhead: number, time: string) => `${futureDay(daysAhead).date}T${time}:00.000Z`;
const hoursBefore = (start: string, hours: number) => ({
  'X-Test-Now': new Date(Date.parse(start) - hours * HOUR).toISOString(),
});

type Managed = {
  status: string;
  start_time: string;
  late_cancellation: boolean;
  late_cancellation_if_cancelled_now: boolean;
  credit_used_if_cancelled_now: boolean;
};

/** A trainer open 08:00–18:00 UTC every day, hourly slots, a 24-hour late window. */
const openTrainer = (settings: Record<string, unknown> = {}) =>
  setupTrainer({
    open: ['08:00', '18:00'],
    settings: { min_notice_minutes: 60, slot_interval_minutes: 60, late_cancel_hours: 24, ...settings },
  });

/** What a cancel left behind: the booking's status, its cancellation messages and its pack's ledger. */
async function traces(bookingId: number) {
  const row = await env.DB.prepare(
    `SELECT b.status,
      (SELECT count(*) FROM notifications n WHERE n.booking_id = b.id AND n.kind = 'booking_cancelled') AS told,
      (SELECT count(*) FROM package_ledger l WHERE l.booking_id = b.id) AS ledger
     FROM bookings b WHERE b.id = ?`,
  )
    .bind(bookingId)
    .first<{ status: string; told: number; ledger: number }>();
  return row;
}

describe('a cancel that has come to cost more than the page said', () => {
  it('manage link: the trainer moved the booking into the late window; late_ok false is 409, nothing written; then it goes through', async () => {
    const t = await openTrainer({ auto_confirm: true });
    const start = slotAt(9, '12:00');
    const made = await api<{ manage_url: string } & ProblemBody>(
      'POST',
      `/api/public/trainers/${t.user.trainer.slug}/bookings/`,
      {
        body: { start_time: start, first_name: 'Ana', last_name: 'Lima', email: t.client.email },
        headers: { 'CF-Connecting-IP': '198.51.100.77', ...hoursBefore(start, 60) },
      },
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const base = `/api/public/bookings/${made.body.manage_url.split('/').pop()}/`;
    const shown = (await api<Managed>('GET', base, { headers: hoursBefore(start, 48) })).body;
    expect([shown.late_cancellation_if_cancelled_now, shown.credit_used_if_cancelled_now]).toEqual([false, false]);

    // While the page is open, the trainer moves the session to 22 hours from now.
    const list = await api<{ results: BookingBody[] }>('GET', '/api/bookings/', { token: t.token });
    const id = list.body.results[0]?.id as number;
    const moved = await api('PATCH', `/api/bookings/${id}/`, {
      token: t.token,
      body: { start_time: new Date(Date.parse(start) - 26 * HOUR).toISOString() },
      headers: hoursBefore(start, 48),
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);

    const agreed = { late_ok: false, credit_ok: false, reason: 'Something came up' };
    const refused = await api<ProblemBody>('POST', `${base}cancel/`, { body: agreed, headers: hoursBefore(start, 48) });
    expect([refused.status, refused.body.code]).toEqual([409, 'late_cancellation']);
    expect(refused.body.detail).toContain('late_ok');
    expect(await traces(id)).toEqual({ status: 'confirmed', told: 0, ledger: 0 });

    const now = (await api<Managed>('GET', base, { headers: hoursBefore(start, 48) })).body;
    expect(now.late_cancellation_if_cancelled_now).toBe(true);
    const done = await api<Managed>('POST', `${base}cancel/`, {
      body: { late_ok: true, credit_ok: now.credit_used_if_cancelled_now },
      headers: hoursBefore(start, 48),
    });
    expect([done.status, done.body.status, done.body.late_cancellation]).toEqual([200, 'cancelled', true]);
  });

  it('the late window began between the page and the click: refused with late_ok false, as before without it', async () => {
    const t = await openTrainer({ auto_confirm: true });
    const starts = [slotAt(9, '12:00'), slotAt(9, '14:00')];
    const links: string[] = [];
    for (const [i, start] of starts.entries()) {
      const made = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
        body: { start_time: start, first_name: 'Bo', last_name: 'Ek', email: `bo${i}-${t.client.email}` },
        headers: { 'CF-Connecting-IP': '198.51.100.78', ...hoursBefore(start, 60) },
      });
      links.push(`/api/public/bookings/${made.body.manage_url.split('/').pop()}/`);
    }
    const [first = '', second = ''] = links;
    // The page showed "not late" at 24 h 05 min; the click lands at 23 h 55 min.
    const shown = (await api<Managed>('GET', first, { headers: hoursBefore(starts[0] as string, 24.08) })).body;
    expect(shown.late_cancellation_if_cancelled_now).toBe(false);
    const refused = await api<ProblemBody>('POST', `${first}cancel/`, {
      body: { late_ok: false },
      headers: hoursBefore(starts[0] as string, 23.92),
    });
    expect([refused.status, refused.body.code]).toEqual([409, 'late_cancellation']);
    // Without the fields (an older app) the cancel goes through, late, as it always did.
    const older = await api<Managed>('POST', `${second}cancel/`, {
      body: {},
      headers: hoursBefore(starts[1] as string, 23.92),
    });
    expect([older.status, older.body.late_cancellation]).toEqual([200, true]);
  });

  it('client account: a request confirmed since the page would now use a credit; credit_ok false is 409 credit_would_be_used', async () => {
    const me = await clientUser();
    const t = await openTrainer({ auto_confirm: false });
    const client = await createClient(t.token, { email: me.email });
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Five', sessions_count: 5, price: '100.00' },
    });
    const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: client.id },
    });
    const start = slotAt(9, '10:00');
    const booked = await api<BookingBody>('POST', '/api/client/bookings/', {
      token: me.token,
      body: { trainer: t.user.trainer.slug, start_time: start, client_package: sold.body.id },
      headers: hoursBefore(start, 60),
    });
    expect([booked.status, booked.body.status]).toEqual([201, 'pending']);
    // Late already, but a request never confirmed uses no credit: that is what the client agreed to.
    const terms = { late_ok: true, credit_ok: false };
    expect((await api('POST', `/api/bookings/${booked.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const cancel = (body: unknown) =>
      api<BookingBody & ProblemBody>('POST', `/api/client/bookings/${booked.body.id}/cancel/`, {
        token: me.token,
        body,
        headers: hoursBefore(start, 2),
      });
    const refused = await cancel(terms);
    expect([refused.status, refused.body.code]).toEqual([409, 'credit_would_be_used']);
    expect(await traces(booked.body.id)).toEqual({ status: 'confirmed', told: 0, ledger: 0 });

    const bad = await cancel({ late_ok: 'no', credit_ok: 1, reason: 7 });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(['credit_ok', 'late_ok', 'reason']);

    const done = await cancel({ late_ok: true, credit_ok: true });
    expect([done.status, done.body.status, done.body.late_cancellation]).toEqual([200, 'cancelled', true]);
    const ledger = await traces(booked.body.id);
    expect(ledger?.ledger).toBe(1);
  });
});
