// A former client (is_active false: kept instead of deleted) who is booked again by the trainer, whose
// request is confirmed, or who is sold a pack, is a client again (migration 0033); a refused booking
// or an unconfirmed web request changes nothing.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, at, book, createClient, futureDay, setupTrainer } from './helpers';

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

async function formerClient(t: Trainer) {
  const c = await createClient(t.token);
  const off = await api('PATCH', `/api/clients/${c.id}/`, { token: t.token, body: { is_active: false } });
  expect(off.status).toBe(200);
  return c;
}

const isActive = async (t: Trainer, id: number) =>
  (await api<{ is_active: boolean }>('GET', `/api/clients/${id}/`, { token: t.token })).body.is_active;

describe('a former client who comes back', () => {
  it('is active again after a booking, a series, a class place or a pack; never after a refused booking', async () => {
    const t = await setupTrainer();
    const day = futureDay(4).date;

    const refused = await formerClient(t);
    const taken = await book(t.token, { client: t.client.id, start_time: at(day, '08:00') });
    expect(taken.status).toBe(201);
    expect((await book(t.token, { client: refused.id, start_time: at(day, '08:00') })).status).toBe(409);
    expect(await isActive(t, refused.id)).toBe(false);

    const single = await formerClient(t);
    expect((await book(t.token, { client: single.id, start_time: at(day, '10:00') })).status).toBe(201);
    expect(await isActive(t, single.id)).toBe(true);

    const series = await formerClient(t);
    const made = await api('POST', '/api/booking-series/', {
      token: t.token,
      body: { client: series.id, start_time: at(day, '12:00'), repeat: { count: 3 } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(await isActive(t, series.id)).toBe(true);

    const place = await formerClient(t);
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Circuit', duration_minutes: 45, capacity: 6 },
    });
    const cls = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: service.body.id, start_time: at(day, '15:00') },
    });
    expect(cls.status, JSON.stringify(cls.body)).toBe(201);
    const placed = await book(t.token, { client: place.id, class_session: cls.body.occurrences[0]?.class_session });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(await isActive(t, place.id)).toBe(true);

    const buyer = await formerClient(t);
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Ten', sessions_count: 10, price: '400.00' },
    });
    const sold = await api('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: buyer.id },
    });
    expect(sold.status).toBe(201);
    expect(await isActive(t, buyer.id)).toBe(true);

    // A booking-page request with a former client's email (anyone may type it): nothing until the
    // trainer confirms it.
    const typed = await formerClient(t);
    const request = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: { first_name: 'Any', last_name: 'One', email: typed.email, start_time: at(day, '18:00') },
    });
    expect(request.status, JSON.stringify(request.body)).toBe(201);
    expect(await isActive(t, typed.id)).toBe(false);
    const pending = await env.DB.prepare('SELECT id FROM bookings WHERE client_id = ?')
      .bind(typed.id)
      .first<{ id: number }>();
    expect((await api('POST', `/api/bookings/${pending?.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect(await isActive(t, typed.id)).toBe(true);

    const active = await api<{ results: { id: number }[] }>('GET', '/api/clients/?is_active=false', {
      token: t.token,
    });
    expect(active.body.results.map((c) => c.id)).toEqual([refused.id]);
  });
});
