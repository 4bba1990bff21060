import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { scheduleBooking } from '../src/bookings/commands';
import { getDb } from '../src/lib/db';
import {
  at,
  book,
  claimsOf,
  countingD1,
  futureDay,
  roundTripsOf as queriesFor,
  setupTrainer,
  trainerBookingCommand,
} from './helpers';

describe('D1 round trips per request (authentication included)', () => {
  it('free slots: a day in 1, a 31-day range in 1; a page of bookings in 1 (the session check in the same batch)', async () => {
    const t = await setupTrainer({ open: ['08:00', '18:00'] });
    await api3bookings(t.token, t.client.id);
    expect(await queriesFor(`/api/availability-slots/available/?date=${futureDay(3).date}`, t.token)).toBe(1);
    expect(
      await queriesFor(
        `/api/availability-slots/available/?from=${futureDay(1).date}&to=${futureDay(31).date}`,
        t.token,
      ),
    ).toBe(1);
    expect(await queriesFor('/api/bookings/', t.token)).toBe(1);
    expect(await queriesFor('/api/bookings/upcoming/', t.token)).toBe(1);
    expect(await queriesFor('/api/bookings/past/?cursor=', t.token)).toBe(1);
    expect(await queriesFor(`/api/bookings/?from=${encodeURIComponent(new Date().toISOString())}`, t.token)).toBe(1);
    // A date bound is a day in the trainer's zone, which the checked session row gives first.
    expect(await queriesFor(`/api/bookings/?from=${futureDay(1).date}`, t.token)).toBe(2);
  });
});

describe('D1 round trips of a create', () => {
  it('the Worker reads nothing (the token names the trainer); the schedule object reads once and writes once', async () => {
    const t = await setupTrainer();
    const counted = countingD1(env.DB);
    const start = at(futureDay(4).date, '09:00');
    const res = await createApp().fetch(
      new Request('http://example.com/api/bookings/', {
        method: 'POST',
        headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ client: t.client.id, start_time: start }),
      }),
      { ...env, DB: counted.db },
      createExecutionContext(),
    );
    expect(res.status).toBe(201);
    expect(counted.count()).toBe(0);

    // Inside the schedule object, the same work on a counting binding: session, idempotency,
    // trainer, client, package and schedule in one statement; the guarded insert in one batch.
    const inside = countingD1(env.DB);
    const { jti } = claimsOf(t.token);
    const outcome = await scheduleBooking(
      getDb(inside.db),
      trainerBookingCommand(t.user.trainer.id, t.client.id, at(futureDay(4).date, '11:00'), {
        session: { userId: t.user.id, jti },
      }),
      Date.now(),
    );
    expect(outcome.ok).toBe(true);
    expect(inside.count()).toBe(2);
  });
});

async function api3bookings(token: string, client: number) {
  for (const d of [3, 4, 5])
    expect((await book(token, { client, start_time: at(futureDay(d).date, '10:00') })).status).toBe(201);
}
