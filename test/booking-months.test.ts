import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { api, type BoundStatement, fetchRecorded, setupTrainer } from './helpers';

// "Now" for every request and the cron: mid-March 2026 in New York (DST began 8 March 2026).
const NOW = '2026-03-15T16:00:00.000Z';
const headers = { 'X-Test-Now': NOW };

async function hourly(at: string) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.parse(at), cron: '7 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

/** The two all-time answers as the API gives them. */
async function answers(t: Trainer) {
  const dashboard = await api('GET', '/api/analytics/dashboard/', { token: t.token, headers });
  const stats = await api('GET', '/api/analytics/bookings-stats/', { token: t.token, headers });
  expect(dashboard.status).toBe(200);
  expect(stats.status).toBe(200);
  return { dashboard: dashboard.body, stats: stats.body };
}

const months = async (trainer: number) =>
  (
    await env.DB.prepare('SELECT month FROM booking_month_stats WHERE trainer_id = ? ORDER BY month')
      .bind(trainer)
      .all<{ month: string }>()
  ).results.map((r) => r.month);

/** The answers with no stored month at all: the plain live computation. */
async function liveAnswers(t: Trainer) {
  await env.DB.prepare('DELETE FROM booking_month_stats WHERE trainer_id = ?').bind(t.user.trainer.id).run();
  return answers(t);
}

const STATUSES = ['completed', 'completed', 'confirmed', 'cancelled', 'no_show', 'pending', 'completed', 'waitlisted'];

/**
 * 90 bookings from September 2025 to April 2026 (past, this month and ahead), at hours that
 * cross midnight in New York and both sides of the November and March clock changes.
 */
async function seedHistory(t: Trainer) {
  const stmts: D1PreparedStatement[] = [];
  const first = Date.parse('2025-09-01T12:30:00.000Z');
  for (let i = 0; i < 90; i++) {
    const start = new Date(first + i * (2.6 * 86_400_000 + 37 * 60_000)).toISOString();
    const end = new Date(Date.parse(start) + 3_600_000).toISOString();
    const status = STATUSES[i % STATUSES.length] as string;
    stmts.push(
      env.DB.prepare(
        `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, occupied_start, occupied_end, status,
           late_cancellation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(t.user.trainer.id, t.client.id, start, end, start, end, status, i % 16 === 3 ? 1 : 0, start),
    );
  }
  await env.DB.batch(stmts);
}

const bookingIn = async (trainer: number, month: string, status: string) =>
  (await env.DB.prepare(
    `SELECT id FROM bookings WHERE trainer_id = ? AND status = ? AND start_time >= ? AND start_time < ?
     ORDER BY start_time LIMIT 1`,
  )
    .bind(trainer, status, `${month}-05`, `${month}-28`)
    .first<{ id: number }>()) as { id: number };

describe('all-time booking figures from the monthly rows plus the live rest', () => {
  it('equal the live computation after the hourly rollup, after changes to rolled-up months, and with a month missing', async () => {
    const t = await setupTrainer({ settings: { timezone: 'America/New_York' } });
    const trainer = t.user.trainer.id;
    await seedHistory(t);
    const live = await answers(t);
    expect(await months(trainer)).toEqual([]);

    // The hourly cron writes every ended local month (Sept–Feb); March and April stay live.
    await hourly('2026-03-15T12:07:00.000Z');
    expect(await months(trainer)).toEqual(['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
    expect(await answers(t)).toEqual(live);

    // The rows are what the answer is made of: a stored figure shows through.
    await env.DB.prepare(
      "UPDATE booking_month_stats SET completed = completed + 1000 WHERE trainer_id = ? AND month = '2025-10'",
    )
      .bind(trainer)
      .run();
    const tampered = await answers(t);
    expect(tampered.dashboard.completed_bookings).toBe((live.dashboard.completed_bookings as number) + 1000);
    expect((tampered.stats.by_status as Record<string, number>).completed).toBe(
      ((live.stats.by_status as Record<string, number>).completed ?? 0) + 1000,
    );
    await env.DB.prepare(
      "UPDATE booking_month_stats SET completed = completed - 1000 WHERE trainer_id = ? AND month = '2025-10'",
    )
      .bind(trainer)
      .run();

    // Changes inside rolled-up months, through the API and straight in D1: each deletes the
    // row of its month (before and after a move), so the answer never uses a stale row.
    const dec = await bookingIn(trainer, '2025-12', 'confirmed');
    expect((await api('POST', `/api/bookings/${dec.id}/mark_completed/`, { token: t.token, headers })).status).toBe(
      200,
    );
    const jan = await bookingIn(trainer, '2026-01', 'pending');
    expect((await api('POST', `/api/bookings/${jan.id}/cancel/`, { token: t.token, headers })).status).toBe(200);
    const nov = await bookingIn(trainer, '2025-11', 'completed');
    await env.DB.prepare("UPDATE bookings SET start_time = '2026-02-10T15:00:00.000Z' WHERE id = ?").bind(nov.id).run();
    expect(await months(trainer)).toEqual(['2025-09', '2025-10']);
    const changed = await answers(t);
    expect(changed).not.toEqual(live);
    expect(changed).toEqual(await liveAnswers(t));

    // Written again by the next run; a month whose row is missing (late, or deleted) is read live.
    await hourly('2026-03-15T13:07:00.000Z');
    expect(await months(trainer)).toHaveLength(6);
    expect(await answers(t)).toEqual(changed);
    await env.DB.prepare("DELETE FROM booking_month_stats WHERE trainer_id = ? AND month = '2025-11'")
      .bind(trainer)
      .run();
    expect(await answers(t)).toEqual(changed);
    await env.DB.prepare(
      "INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status) VALUES (?, ?, '2025-10-03T23:30:00.000Z', '2025-10-04T00:30:00.000Z', 'completed')",
    )
      .bind(trainer, t.client.id)
      .run();
    await env.DB.prepare("DELETE FROM bookings WHERE trainer_id = ? AND start_time < '2025-09-10'").bind(trainer).run();
    expect(await months(trainer)).toEqual(['2025-12', '2026-01', '2026-02']);
    const after = await answers(t);
    expect(after).toEqual(await liveAnswers(t));

    // Another zone moves every local month and hour: every row goes.
    await hourly('2026-03-15T14:07:00.000Z');
    expect(await months(trainer)).toHaveLength(6);
    const zone = await api('PATCH', '/api/users/profile/', {
      token: t.token,
      headers,
      body: { timezone: 'Asia/Kolkata' },
    });
    expect(zone.status).toBe(200);
    expect(await months(trainer)).toEqual([]);
    const kolkata = await answers(t);
    await hourly('2026-03-15T15:07:00.000Z');
    expect(await months(trainer)).toHaveLength(6);
    expect(await answers(t)).toEqual(kolkata);
  });

  it('a long history is filled in over several runs, newest months first, and stays exact meanwhile', async () => {
    const t = await setupTrainer({ settings: { timezone: 'Europe/Berlin' } });
    const trainer = t.user.trainer.id;
    await seedHistory(t);
    const live = await answers(t);
    const { rollupBookingMonths } = await import('../src/analytics/booking-months');
    const { getDb } = await import('../src/lib/db');
    // Two rows a run (the cron writes up to 200).
    expect(await rollupBookingMonths(getDb(env.DB), Date.parse(NOW), 2)).toBeGreaterThanOrEqual(1);
    expect(await months(trainer)).toContain('2026-02');
    expect(await answers(t)).toEqual(live);
    for (let i = 0; i < 10; i++) await rollupBookingMonths(getDb(env.DB), Date.parse(NOW), 2);
    expect(await months(trainer)).toEqual(['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
    expect(await answers(t)).toEqual(live);
  });

  it('a month invalidated after the first booking moved later is written again (rows before it do not count)', async () => {
    const t = await setupTrainer({ settings: { timezone: 'America/New_York' } });
    const trainer = t.user.trainer.id;
    const add = (start: string) =>
      env.DB.prepare(
        `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, occupied_start, occupied_end, status)
         VALUES (?, ?, ?, ?, ?, ?, 'completed') RETURNING id`,
      )
        .bind(trainer, t.client.id, start, start, start, start)
        .first<{ id: number }>();
    const october = await add('2025-10-10T15:00:00.000Z');
    await add('2025-12-10T15:00:00.000Z');
    await add('2026-01-10T15:00:00.000Z');
    await hourly(NOW);
    expect(await months(trainer)).toEqual(['2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
    // The first booking moves into December: October's and December's rows go (the triggers);
    // November's stays, before the first booking now. December has to be written again.
    await env.DB.prepare('UPDATE bookings SET start_time = ? WHERE id = ?')
      .bind('2025-12-20T15:00:00.000Z', october?.id)
      .run();
    expect(await months(trainer)).toEqual(['2025-11', '2026-01', '2026-02']);
    await hourly(NOW);
    expect(await months(trainer)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(await answers(t)).toEqual(await liveAnswers(t));
  });

  it('the live rest reads index ranges of (trainer_id, start_time), never every booking (EXPLAIN QUERY PLAN)', async () => {
    const t = await setupTrainer({ settings: { timezone: 'America/New_York' } });
    await seedHistory(t);
    await hourly('2026-03-15T12:07:00.000Z');
    const statements: BoundStatement[] = [];
    for (const path of ['/api/analytics/dashboard/', '/api/analytics/bookings-stats/']) {
      const recorded = await fetchRecorded(path, t.token, headers);
      expect(recorded.res.status).toBe(200);
      statements.push(...recorded.statements);
    }
    const live = statements.filter((s) => s.sql.includes('CROSS JOIN bookings b'));
    expect(live.length).toBeGreaterThanOrEqual(4);
    for (const s of live) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${s.sql}`)
        .bind(...s.args)
        .all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      const onBookings = details.filter((d) => d.startsWith('SEARCH b ') || d.startsWith('SCAN b '));
      expect(onBookings.length, details.join('\n')).toBeGreaterThan(0);
      for (const d of onBookings)
        expect(d, details.join('\n')).toMatch(/^SEARCH b USING (COVERING )?INDEX bookings_trainer_/);
      for (const d of onBookings) expect(d).toContain('start_time>');
    }
  });
});
