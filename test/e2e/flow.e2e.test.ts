// The seed's flow, end to end over HTTP against `wrangler dev` (real D1, DO, queue and cron).
// Dates are computed from today, so the test never expires.
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { call, mailedLink, until } from './client';

const TZ = 'Europe/London';
const PASSWORD = 'a-long-password-1';

type Page<T> = { count: number; results: T[] };
type Slot = { start_time: string; end_time: string };

/** The first weekday at least `days` ahead, in the trainer's zone. */
function weekdayAhead(days: number): Temporal.PlainDate {
  let d = Temporal.Now.plainDateISO(TZ).add({ days });
  while (d.dayOfWeek > 5) d = d.add({ days: 1 });
  return d;
}
const instant = (d: Temporal.PlainDate, time: string) =>
  d
    .toZonedDateTime({ timeZone: TZ, plainTime: Temporal.PlainTime.from(time) })
    .toInstant()
    .toString({ smallestUnit: 'millisecond' });

describe("the seed's 15-step flow", () => {
  it('runs from registration to cancellation, with isolation and a read-only client', async () => {
    const tag = Date.now().toString(36);
    const trainerEmail = `coach-${tag}@example.com`;
    const clientEmail = `member-${tag}@example.com`;

    // 1–2. The trainer registers and logs in.
    const reg = await call<{ token: string }>('POST', '/api/users/register/', {
      body: {
        email: trainerEmail,
        password: PASSWORD,
        password_confirm: PASSWORD,
        business_name: `Flow Fitness ${tag}`,
        timezone: TZ,
      },
    });
    expect(reg.status).toBe(201);
    const login = await call<{ token: string }>('POST', '/api/users/login/', {
      body: { email: trainerEmail, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const token = login.body.token;

    // 3. Weekly availability, Monday to Friday 09:00–17:00 local.
    for (let day = 0; day < 5; day++) {
      const res = await call('POST', '/api/availability-slots/', {
        token,
        body: { day_of_week: day, start_time: '09:00', end_time: '17:00' },
      });
      expect(res.status).toBe(201);
    }

    // 4. A week of vacation starting in 14 days.
    const vacationStart = Temporal.Now.plainDateISO(TZ).add({ days: 14 });
    const vacationEnd = vacationStart.add({ days: 6 });
    expect(
      (
        await call('POST', '/api/trainer-breaks/', {
          token,
          body: { start_date: vacationStart.toString(), end_date: vacationEnd.toString(), reason: 'Vacation' },
        })
      ).status,
    ).toBe(201);

    // 5. A 5-pack.
    const pack = await call<{ id: number; price: string }>('POST', '/api/packages/', {
      token,
      body: { name: '5 sessions', sessions_count: 5, price: '250.00', currency: 'GBP', validity_days: 90 },
    });
    expect(pack.status).toBe(201);

    // 6. A client registers; 7. the trainer adds that client.
    const member = await call<{ token: string }>('POST', '/api/users/register/', {
      body: {
        email: clientEmail,
        password: PASSWORD,
        password_confirm: PASSWORD,
        is_client: true,
        first_name: 'Casey',
      },
    });
    expect(member.status).toBe(201);
    // The client confirms their address with the link "mailed" by the log provider (wrangler's log).
    const link = await until(
      async () => mailedLink(clientEmail, '/account/verify-email#token='),
      (l) => l !== null,
    );
    expect(link).not.toBeNull();
    // The page the link opens sends the fragment's token to the API; so does this.
    const mailedToken = new URLSearchParams(new URL(link ?? '').hash.slice(1)).get('token') ?? '';
    const confirmed = await call<{ email_verified: boolean }>(
      'GET',
      `/api/users/verify-email/?token=${encodeURIComponent(mailedToken)}`,
    );
    expect(confirmed.body.email_verified).toBe(true);
    const client = await call<{ id: number }>('POST', '/api/clients/', {
      token,
      body: { email: clientEmail, first_name: 'Casey', last_name: 'Member' },
    });
    expect(client.status).toBe(201);

    // 8. Assign the pack: 5 credits.
    const sold = await call<{ id: number; sessions_remaining: number; sessions_total: number }>(
      'POST',
      `/api/packages/${pack.body.id}/assign_to_client/`,
      {
        token,
        body: { client_id: client.body.id },
      },
    );
    expect(sold.status).toBe(201);
    expect(sold.body.sessions_remaining).toBe(5);

    // 9. Book a session inside availability, on the pack.
    const day = weekdayAhead(3);
    const start = instant(day, '10:00');
    const booking = await call<{ id: number; status: string; start_time: string }>('POST', '/api/bookings/', {
      token,
      headers: { 'Idempotency-Key': `flow-${tag}` },
      body: { client: client.body.id, start_time: start, client_package: sold.body.id, notes: 'First session' },
    });
    expect(booking.status).toBe(201);
    expect(booking.body).toMatchObject({ status: 'pending', start_time: start });

    // 10. Availability: the booked slot is gone and the vacation days are empty.
    const free = await call<{ slots: Slot[] }>('GET', `/api/availability-slots/available/?date=${day}`, { token });
    const starts = free.body.slots.map((s) => s.start_time);
    expect(starts).not.toContain(start);
    expect(starts).not.toContain(instant(day, '10:30'));
    expect(starts).toContain(instant(day, '11:00'));
    const range = await call<{ days: { date: string; slots: Slot[] }[] }>(
      'GET',
      `/api/availability-slots/available/?from=${vacationStart}&to=${vacationEnd}`,
      { token },
    );
    expect(range.body.days).toHaveLength(7);
    expect(range.body.days.every((d) => d.slots.length === 0)).toBe(true);

    // 11. Confirm; 12. the confirmation notification appears and becomes sent.
    expect(
      (await call<{ status: string }>('POST', `/api/bookings/${booking.body.id}/confirm/`, { token })).body.status,
    ).toBe('confirmed');
    const notes = await until(
      () =>
        call<Page<{ kind: string; status: string }>>(
          'GET',
          `/api/notifications/?booking=${booking.body.id}&kind=booking_confirmed`,
          { token },
        ),
      (r) => r.body.count > 0 && r.body.results.every((n) => n.status === 'sent'),
    );
    expect(notes.body.count).toBeGreaterThan(0);
    expect(notes.body.results.every((n) => n.status === 'sent')).toBe(true);

    // 13. use_session brings the pack to 4.
    const used = await call<{ sessions_remaining: number }>(
      'POST',
      `/api/client-packages/${sold.body.id}/use_session/`,
      { token },
    );
    expect(used.status).toBe(200);
    expect(used.body.sessions_remaining).toBe(4);

    // 14. The dashboard: 1 upcoming booking, 1 client, the pack's revenue.
    type Dashboard = {
      upcoming_bookings: number;
      total_clients: number;
      total_revenue: string;
      monthly_revenue: string;
      currency: string;
    };
    const dash = await call<Dashboard>('GET', '/api/analytics/dashboard/', { token });
    expect(dash.status).toBe(200);
    expect(dash.body).toMatchObject({
      upcoming_bookings: 1,
      total_clients: 1,
      total_revenue: '250.00',
      monthly_revenue: '250.00',
      currency: 'GBP',
    });

    // 15. Cancel: the slot is free again and the dashboard agrees.
    const cancelled = await call<{ status: string }>('POST', `/api/bookings/${booking.body.id}/cancel/`, {
      token,
      body: { reason: 'Schedule change' },
    });
    expect(cancelled.body.status).toBe('cancelled');
    const again = await call<{ slots: Slot[] }>('GET', `/api/availability-slots/available/?date=${day}`, { token });
    expect(again.body.slots.map((s) => s.start_time)).toContain(start);
    expect((await call<Dashboard>('GET', '/api/analytics/dashboard/', { token })).body.upcoming_bookings).toBe(0);

    // A second trainer sees none of it.
    const other = await call<{ token: string }>('POST', '/api/users/register/', {
      body: { email: `other-${tag}@example.com`, password: PASSWORD, password_confirm: PASSWORD },
    });
    const otherToken = other.body.token;
    expect((await call<Page<unknown>>('GET', '/api/bookings/', { token: otherToken })).body.count).toBe(0);
    expect((await call<Page<unknown>>('GET', '/api/clients/', { token: otherToken })).body.count).toBe(0);
    expect((await call('GET', `/api/bookings/${booking.body.id}/`, { token: otherToken })).status).toBe(404);
    expect((await call('GET', `/api/client-packages/${sold.body.id}/`, { token: otherToken })).status).toBe(404);
    expect(
      (
        await call<{ upcoming_bookings: number; total_clients: number }>('GET', '/api/analytics/dashboard/', {
          token: otherToken,
        })
      ).body,
    ).toMatchObject({ upcoming_bookings: 0, total_clients: 0 });

    // The client user sees their booking and package, read-only.
    const mine = await call<Page<{ id: number; status: string }>>('GET', '/api/bookings/', {
      token: member.body.token,
    });
    expect(mine.body.results.map((b) => [b.id, b.status])).toEqual([[booking.body.id, 'cancelled']]);
    const packs = await call<Page<{ id: number; sessions_remaining: number }>>('GET', '/api/client-packages/', {
      token: member.body.token,
    });
    expect(packs.body.results.map((p) => [p.id, p.sessions_remaining])).toEqual([[sold.body.id, 4]]);
    expect(
      (await call('POST', `/api/client-packages/${sold.body.id}/use_session/`, { token: member.body.token })).status,
    ).toBe(403);
    expect((await call('POST', `/api/bookings/${booking.body.id}/confirm/`, { token: member.body.token })).status).toBe(
      403,
    );
  });
});
