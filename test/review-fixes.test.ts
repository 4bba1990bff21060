// Defects found in review of the series and classes work, each pinned by the request sequence
// that showed it.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { CreateSeriesCommand } from '../src/bookings/schedule-object';
import { type SeriesMode, scheduleSeries } from '../src/bookings/series-commands';
import worker from '../src/index';
import { getDb } from '../src/lib/db';
import { createBreak } from '../src/scheduling/service';
import { planSeries } from '../src/series/service';
import {
  api,
  at,
  changingAfterRead,
  createClient,
  futureDay,
  type ProblemBody,
  setupTrainer,
  uniqueEmail,
} from './helpers';

async function classOf(token: string, capacity: number, startTime: string) {
  const service = await api<{ id: number }>('POST', '/api/services/', {
    token,
    body: { name: 'Bootcamp', duration_minutes: 45, capacity },
  });
  const made = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
    token,
    body: { service: service.body.id, start_time: startTime },
  });
  expect(made.status).toBe(201);
  return { service: service.body.id, classSession: made.body.occurrences[0]?.class_session ?? 0 };
}

async function fiveMinuteTick(atMs: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: atMs, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('review fixes', () => {
  it('a visitor promoted from the waitlist a day after joining is not expired as a stale request', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    const { classSession } = await classOf(t.token, 2, at(futureDay(10).date, '09:00'));
    const other = await createClient(t.token);
    const places = [];
    for (const client of [t.client.id, other.id]) {
      const res = await api<{ id: number }>('POST', '/api/bookings/', {
        token: t.token,
        body: { client, class_session: classSession },
      });
      expect(res.status).toBe(201);
      places.push(res.body.id);
    }
    const joined = await api<{ status: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings`, {
      headers: { 'CF-Connecting-IP': '192.0.2.61' },
      body: {
        class_session: classSession,
        waitlist: true,
        first_name: 'Wai',
        last_name: 'Ting',
        email: uniqueEmail('w'),
      },
    });
    expect(joined.body.status).toBe('waitlisted');
    const waiting = await env.DB.prepare("SELECT id FROM bookings WHERE class_session_id = ? AND status = 'waitlisted'")
      .bind(classSession)
      .first<{ id: number }>();
    const id = waiting?.id ?? 0;
    // The visitor joined 30 hours ago (past the 24 h hold of an unconfirmed public request).
    const longAgo = new Date(Date.now() - 30 * 3_600_000).toISOString();
    await env.DB.prepare('UPDATE bookings SET created_at = ?, updated_at = ? WHERE id = ?')
      .bind(longAgo, longAgo, id)
      .run();
    expect((await api('POST', `/api/bookings/${places[0]}/cancel/`, { token: t.token, body: {} })).status).toBe(200);
    const status = async () =>
      (await env.DB.prepare('SELECT status FROM bookings WHERE id = ?').bind(id).first<{ status: string }>())?.status;
    expect(await status()).toBe('pending');
    await fiveMinuteTick(Date.now());
    expect(await status()).toBe('pending');
  });

  it('deleting a class service with class sessions is a 409 service_in_use, not a 500', async () => {
    const t = await setupTrainer();
    const { service } = await classOf(t.token, 5, at(futureDay(11).date, '09:00'));
    const res = await api<ProblemBody>('DELETE', `/api/services/${service}/`, { token: t.token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('service_in_use');
  });

  it('a series cannot book a class service as private sessions', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    const { service } = await classOf(t.token, 5, at(futureDay(12).date, '07:00'));
    const res = await api<ProblemBody>('POST', '/api/booking-series/', {
      token: t.token,
      body: {
        client: t.client.id,
        service,
        start_time: at(futureDay(13).date, '09:00'),
        repeat: { count: 3, interval_weeks: 1 },
      },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toEqual(['service']);
  });

  it('a series refused by a schedule change never undoes another series made at the same instant', async () => {
    const t = await setupTrainer();
    const now = Date.now();
    const command = (start: string, count: number, mode: SeriesMode): CreateSeriesCommand => ({
      trainerId: t.user.trainer.id,
      clientId: t.client.id,
      serviceId: null,
      clientPackageId: null,
      notes: '',
      mode,
      ...planSeries(
        { id: t.user.trainer.id, timezone: 'UTC' },
        { client: t.client.id, start_time: start, repeat: { count } },
        new Date(now).toISOString(),
      ),
      links: [],
    });
    const first = await scheduleSeries(
      getDb(env.DB),
      command(at(futureDay(8).date, '08:00'), 2, 'skip_conflicts'),
      now,
    );
    expect(first.ok).toBe(true);
    // The second, at the same instant, has its schedule changed after every read: refused twice.
    const racing = changingAfterRead(async (n) => {
      const day = futureDay(200 + n).date;
      await createBreak(getDb(env.DB), t.user.trainer.id, { start_date: day, end_date: day });
    });
    const second = scheduleSeries(getDb(racing.db), command(at(futureDay(8).date, '12:00'), 3, 'all_or_nothing'), now);
    await expect(second).rejects.toMatchObject({ status: 409, extra: { code: 'schedule_changed' } });
    const rows = await env.DB.prepare(
      'SELECT s.id, (SELECT count(*) FROM bookings b WHERE b.series_id = s.id) AS n FROM booking_series s WHERE s.trainer_id = ?',
    )
      .bind(t.user.trainer.id)
      .all<{ id: number; n: number }>();
    expect(rows.results).toEqual([{ id: first.ok ? first.seriesId : 0, n: 2 }]);
  });
});
