// The trainer's free-slot range and the bookings list check the token's session row in the same
// D1 batch as their read: every way a session ends is still a 401 with no data, and a token
// never reads another trainer's rows.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import {
  api,
  at,
  book,
  claimsOf,
  countingD1,
  createClient,
  futureDay,
  PASSWORD,
  setupTrainer,
  signedByServer,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';

const range = `/api/availability-slots/available/?from=${futureDay(1).date}&to=${futureDay(31).date}`;
const READS = [range, `/api/availability-slots/available/?date=${futureDay(6).date}`, '/api/bookings/'];
const LISTS = ['/api/bookings/', '/api/bookings/upcoming/', '/api/bookings/past/?cursor=', '/api/bookings/?cursor='];

/** A trainer with one booking, so a list that leaked would show a row. */
async function trainerWithBooking() {
  const t = await setupTrainer();
  const booked = await book(t.token, { client: t.client.id, start_time: at(futureDay(6).date, '10:00') });
  expect(booked.status).toBe(201);
  return t;
}

/** Every read answers 401, the problem of an ended session, and nothing else. */
async function refusedEverywhere(token: string) {
  for (const path of [...READS, ...LISTS]) {
    const res = await api('GET', path, { token });
    expect(res.status, path).toBe(401);
    expect(res.headers.get('WWW-Authenticate'), path).toContain('Bearer');
    expect(res.body, path).toMatchObject({ status: 401, detail: 'Invalid or expired token.' });
    for (const key of ['results', 'days', 'slots', 'count', 'timezone']) expect(res.body, path).not.toHaveProperty(key);
  }
}

describe('the range and the list check the session in their own batch', () => {
  it('answer while the session lives, then 401 with no data after logout', async () => {
    const t = await trainerWithBooking();
    for (const path of [...READS, ...LISTS])
      expect((await api('GET', path, { token: t.token })).status, path).toBe(200);
    expect((await api('POST', '/api/users/logout/', { token: t.token })).status).toBe(204);
    await refusedEverywhere(t.token);
  });

  it('401 with no data once the session row has expired (the token itself has not)', async () => {
    const t = await trainerWithBooking();
    const { jti } = claimsOf(t.token);
    await env.DB.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE jti = ?").bind(jti).run();
    await refusedEverywhere(t.token);
  });

  it('401 with no data once the user is deactivated', async () => {
    const t = await trainerWithBooking();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(t.user.id).run();
    await refusedEverywhere(t.token);
  });

  it("a claim naming another trainer, or another user's session: 401, never the other trainer's rows", async () => {
    const a = await trainerWithBooking();
    const b = await trainerWithBooking();
    const { sub, jti } = claimsOf(a.token);
    // A's live session with B's trainer id (only a leaked secret could sign it): the check ties the session to the trainer.
    await refusedEverywhere(await signedByServer({ tid: b.user.trainer.id }, sub, jti));
    // A's session under B's user id: the check ties the session to the user.
    await refusedEverywhere(await signedByServer({ tid: a.user.trainer.id }, String(b.user.id), jti));
  });

  it("each trainer's token lists only that trainer's bookings", async () => {
    const a = await trainerWithBooking();
    const b = await trainerWithBooking();
    for (const [t, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const path of LISTS.filter((p) => !p.includes('past'))) {
        const res = await api<{ count?: number; results: { trainer: number; client: number }[] }>('GET', path, {
          token: t.token,
        });
        expect(res.status, path).toBe(200);
        expect(res.body.results.length, path).toBe(1);
        expect(
          res.body.results.every((r) => r.trainer === t.user.trainer.id && r.client === t.client.id),
          path,
        ).toBe(true);
        expect(
          res.body.results.some((r) => r.trainer === other.user.trainer.id),
          path,
        ).toBe(false);
      }
    }
  });

  it('a token without the trainer claim gets the full check first: the same answers, 401 after logout', async () => {
    const t = await trainerWithBooking();
    const { sub, jti } = claimsOf(t.token);
    const plain = await signedByServer({}, sub, jti);
    for (const path of [...READS, ...LISTS]) {
      const [claimed, full] = await Promise.all([
        api('GET', path, { token: t.token }),
        api('GET', path, { token: plain }),
      ]);
      expect(full.status, path).toBe(200);
      expect(full.body, path).toEqual(claimed.body);
    }
    expect((await api('POST', '/api/users/logout/', { token: plain })).status).toBe(204);
    await refusedEverywhere(plain);
  });

  it('a client user (no trainer claim) gets the full check: their own bookings once verified, 403 before; the range is 403', async () => {
    const t = await trainerWithBooking();
    const email = uniqueEmail('member');
    const member = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    expect(claimsOf(member.body.token).tid).toBeUndefined();
    expect((await api('GET', '/api/bookings/', { token: member.body.token })).status).toBe(403);
    expect((await api('GET', range, { token: member.body.token })).status).toBe(403);
    await verifyEmailOf(member.body.user.id, email);
    const mine = await createClient(t.token, { email });
    const made = await book(t.token, { client: mine.id, start_time: at(futureDay(7).date, '10:00') });
    expect(made.status).toBe(201);
    // Confirmed, so announced to the client (a trainer's draft is the trainer's alone).
    expect((await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const list = await api<{ count: number; results: { client: number }[] }>('GET', '/api/bookings/', {
      token: member.body.token,
    });
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(1);
    expect(list.body.results.map((r) => r.client)).toEqual([mine.id]);
    expect((await api('POST', '/api/users/logout/', { token: member.body.token })).status).toBe(204);
    expect((await api('GET', '/api/bookings/', { token: member.body.token })).status).toBe(401);
  });
});

type Range = { days: { date: string; slots: { start_time: string }[] }[] };

describe('the range read needs no zone before the session check', () => {
  // The read runs beside the check, before the trainer's zone is known, so its bounds cover any
  // zone; what it reads must still be exactly the trainer's local days, at both ends of the offsets.
  it.each([
    ['Pacific/Kiritimati', 14],
    ['Pacific/Pago_Pago', -11],
  ])('%s: bookings just outside the range still block the slots their buffers reach', async (timezone, offset) => {
    const t = await setupTrainer({ settings: { timezone, buffer_minutes: 60, slot_interval_minutes: 60 } });
    const from = futureDay(3).date;
    const to = futureDay(5).date;
    const local = (date: string, hour: number) =>
      new Date(Date.parse(`${date}T00:00:00.000Z`) + (hour - offset) * 3_600_000);
    const iso = (d: Date) => d.toISOString();
    // 23:00–24:00 local on the day before, and 00:00–01:00 local on the day after (buffer 60 after each).
    const before = local(futureDay(2).date, 23);
    const after = local(futureDay(6).date, 0);
    for (const start of [before, after]) {
      const res = await book(t.token, {
        client: t.client.id,
        start_time: iso(start),
        allow_outside_availability: true,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const res = await api<Range>('GET', `/api/availability-slots/available/?from=${from}&to=${to}`, { token: t.token });
    expect(res.status).toBe(200);
    expect(res.body.days.map((d) => d.date)).toEqual([from, futureDay(4).date, to]);
    const starts = res.body.days.flatMap((d) => d.slots.map((s) => s.start_time));
    // The first local day's midnight slot sits in the buffer after the booking before it; the
    // last one of the range (23:00 local) would reach with its own buffer into the booking after.
    expect(starts).not.toContain(iso(local(from, 0)));
    expect(starts).toContain(iso(local(from, 1)));
    expect(starts).toContain(iso(local(to, 22)));
    expect(starts).not.toContain(iso(local(to, 23)));
    expect(starts.length).toBe(3 * 24 - 2);
  });
});

describe('a logged-out token that keeps asking', () => {
  /** One signed-in read through the app at `now`: its status, body and D1 round trips. */
  const readAt = async (path: string, token: string, now: string) => {
    const counted = countingD1(env.DB);
    const res = await createApp().fetch(
      new Request(`http://example.com${path}`, { headers: { Authorization: `Bearer ${token}`, 'X-Test-Now': now } }),
      { ...env, DB: counted.db },
      createExecutionContext(),
    );
    return { status: res.status, body: await res.text(), trips: counted.count() };
  };

  it('costs no query for a minute once refused (the same 401), then is checked again', async () => {
    const t = await setupTrainer();
    expect((await api('POST', '/api/users/logout/', { token: t.token })).status).toBe(204);
    const now = new Date(Date.now() + 60_000).toISOString();
    const later = (s: number) => new Date(Date.parse(now) + s * 1000).toISOString();
    const first = await readAt(range, t.token, now);
    expect(first.status).toBe(401);
    expect(first.trips).toBeGreaterThan(0);
    for (const path of READS) {
      const again = await readAt(path, t.token, later(30));
      expect(again.status, path).toBe(401);
      expect(again.trips, path).toBe(0);
      expect(JSON.parse(again.body).detail).toBe(JSON.parse(first.body).detail);
    }
    const checked = await readAt(range, t.token, later(61));
    expect(checked.status).toBe(401);
    expect(checked.trips).toBeGreaterThan(0);
    // another trainer's live token in the same isolate is untouched
    const other = await setupTrainer();
    expect((await readAt('/api/bookings/', other.token, later(5))).status).toBe(200);
  });
});
