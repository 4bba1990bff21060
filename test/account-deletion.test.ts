// Deleting one's own account: POST /api/users/delete-account/. A trainer's goes with every row of
// the business and nothing of anyone else's; a client user's is only the sign-in.
import { env } from 'cloudflare:workers';
import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as schema from '../src/db/schema';
import { registerStaff } from './admin-helpers';
import {
  api,
  at,
  book,
  confirmedBooking,
  futureDay,
  PASSWORD,
  type ProblemBody,
  packOf,
  setupTrainer,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';
import { totpAt } from './totp';

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

const remove = (token: string, body: Record<string, unknown> = { password: PASSWORD }) =>
  api<ProblemBody>('POST', '/api/users/delete-account/', { token, body });

/** Every table of the schema with a trainer_id, and how many rows each holds for the trainer. */
async function rowsOf(trainerId: number): Promise<Record<string, number>> {
  const tables = (Object.values(schema) as unknown[])
    .filter((t): t is SQLiteTable => is(t, SQLiteTable) && 'trainerId' in getTableColumns(t))
    .map((t) => getTableName(t));
  expect(tables.length).toBeGreaterThan(10);
  const out: Record<string, number> = {};
  for (const table of tables) {
    out[table] =
      (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE trainer_id = ?`)
        .bind(trainerId)
        .first<number>('n')) ?? -1;
  }
  out.client_packages =
    (await env.DB.prepare(
      'SELECT count(*) AS n FROM client_packages WHERE client_id IN (SELECT id FROM clients WHERE trainer_id = ?)',
    )
      .bind(trainerId)
      .first<number>('n')) ?? -1;
  return out;
}

/** A trainer with some of everything: windows, a break, a pack sold and spent on a booking, a class with a place, a series. */
async function busyTrainer(): Promise<Trainer> {
  const t = await setupTrainer();
  const pack = await packOf(t, 5);
  await confirmedBooking(t, { start_time: at(futureDay(3).date, '09:00'), client_package: pack });
  await book(t.token, { client: t.client.id, start_time: at(futureDay(4).date, '09:00') });
  await api('POST', '/api/trainer-breaks/', {
    token: t.token,
    body: { start_date: futureDay(20).date, end_date: futureDay(21).date },
  });
  const service = await api<{ id: number }>('POST', '/api/services/', {
    token: t.token,
    body: { name: 'Group', duration_minutes: 60, capacity: 4 },
  });
  const cls = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
    token: t.token,
    body: { service: service.body.id, start_time: at(futureDay(5).date, '18:00') },
  });
  await book(t.token, { client: t.client.id, class_session: cls.body.occurrences[0]?.class_session });
  const series = await api('POST', '/api/booking-series/', {
    token: t.token,
    body: { client: t.client.id, start_time: at(futureDay(6).date, '07:00'), repeat: { count: 3 } },
  });
  expect(series.status).toBe(201);
  return t;
}

describe('deleting an account', () => {
  it("a trainer's account goes with every row of the business, and nobody else's", async () => {
    const t = await busyTrainer();
    const other = await busyTrainer();
    const id = t.user.trainer.id;
    const before = await rowsOf(id);
    expect(before.bookings).toBeGreaterThanOrEqual(5);
    expect(before.client_packages).toBe(1);
    const othersBefore = await rowsOf(other.user.trainer.id);

    const wrong = await remove(t.token, { password: 'not-the-password' });
    expect(wrong.status).toBe(400);
    expect(Object.keys(wrong.body.errors ?? {})).toEqual(['password']);
    expect(await rowsOf(id)).toEqual(before);

    expect((await remove(t.token)).status).toBe(204);
    const after = await rowsOf(id);
    expect(Object.entries(after).filter(([, n]) => n !== 0)).toEqual([]);
    expect(
      await env.DB.prepare('SELECT count(*) AS n FROM users WHERE id = ?').bind(t.user.id).first<number>('n'),
    ).toBe(0);
    expect((await api('GET', '/api/users/profile/', { token: t.token })).status).toBe(401);
    const login = await api('POST', '/api/users/login/', { body: { email: t.email, password: PASSWORD } });
    expect(login.status).toBe(401);
    expect((await api('GET', `/api/public/trainers/${t.user.trainer.slug}/`)).status).toBe(404);
    expect(await rowsOf(other.user.trainer.id)).toEqual(othersBefore);
    expect((await api('GET', '/api/bookings/', { token: other.token })).status).toBe(200);
  });

  it('while the subscription runs: 409 subscription_active and nothing goes; once canceled, it goes', async () => {
    const t = await setupTrainer();
    await book(t.token, { client: t.client.id, start_time: at(futureDay(3).date, '10:00') });
    await env.DB.prepare(
      "INSERT INTO subscriptions (trainer_id, paddle_subscription_id, status, created_at, updated_at) VALUES (?, ?, 'active', ?, ?)",
    )
      .bind(t.user.trainer.id, `sub_${crypto.randomUUID()}`, new Date().toISOString(), new Date().toISOString())
      .run();
    const before = await rowsOf(t.user.trainer.id);
    const refused = await remove(t.token);
    expect([refused.status, refused.body.code]).toEqual([409, 'subscription_active']);
    expect(await rowsOf(t.user.trainer.id)).toEqual(before);
    await env.DB.prepare("UPDATE subscriptions SET status = 'canceled' WHERE trainer_id = ?")
      .bind(t.user.trainer.id)
      .run();
    expect((await remove(t.token)).status).toBe(204);
    expect(Object.values(await rowsOf(t.user.trainer.id)).every((n) => n === 0)).toBe(true);
  });

  it("a client user's account is only the sign-in: the trainer keeps the client record and its bookings", async () => {
    const t = await setupTrainer();
    const email = uniqueEmail('member');
    const reg = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    await verifyEmailOf(reg.body.user.id, email);
    const client = await api<{ id: number }>('POST', '/api/clients/', {
      token: t.token,
      body: { email, first_name: 'Mo' },
    });
    const made = await book(t.token, { client: client.body.id, start_time: at(futureDay(3).date, '11:00') });
    // Confirmed, so announced to the client (a trainer's draft is the trainer's alone).
    expect((await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect((await api<{ count: number }>('GET', '/api/bookings/', { token: reg.body.token })).body.count).toBe(1);
    // Two deletes at once: one deletes, the other finds nothing left (never a 409 or a 5xx).
    const both = await Promise.all([remove(reg.body.token), remove(reg.body.token)]);
    expect(both.map((r) => r.status).sort()).toEqual(both.some((r) => r.status === 401) ? [204, 401] : [204, 204]);
    expect((await api('GET', '/api/bookings/', { token: reg.body.token })).status).toBe(401);
    const kept = await api<{ email: string }>('GET', `/api/clients/${client.body.id}/`, { token: t.token });
    expect([kept.status, kept.body.email]).toEqual([200, email]);
    expect((await api<{ count: number }>('GET', '/api/bookings/', { token: t.token })).body.count).toBe(1);
  });

  it('with two-factor sign-in on, a code too; staff are refused', async () => {
    const t = await setupTrainer();
    const setup = await api<{ secret: string }>('POST', '/api/users/2fa/setup/', {
      token: t.token,
      body: { password: PASSWORD },
    });
    expect(
      (await api('POST', '/api/users/2fa/enable/', { token: t.token, body: { code: totpAt(setup.body.secret) } }))
        .status,
    ).toBe(200);
    const noCode = await remove(t.token);
    expect([noCode.status, Object.keys(noCode.body.errors ?? {})]).toEqual([400, ['code']]);
    const wrongCode = await remove(t.token, { password: PASSWORD, code: '000000' });
    expect(wrongCode.status).toBe(400);
    expect((await api('GET', '/api/users/profile/', { token: t.token })).status).toBe(200);
    expect((await remove(t.token, { password: PASSWORD, code: totpAt(setup.body.secret, Date.now(), 1) })).status).toBe(
      204,
    );

    const staff = await registerStaff(uniqueEmail('staff'));
    const refused = await remove(staff.token);
    expect([refused.status, refused.body.code]).toEqual([403, 'staff_account']);
  });
});
