import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { api, registerTrainer } from './helpers';

async function hourly(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '7 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('the hourly cron', () => {
  it("rolls up each trainer's local yesterday, idempotently, and clears expired sessions", async () => {
    const t = await registerTrainer({ timezone: 'Asia/Tokyo' });
    await env.DB.prepare("INSERT INTO sessions (jti, user_id, expires_at) VALUES (?, ?, '2000-01-01T00:00:00.000Z')")
      .bind(`expired-${crypto.randomUUID()}`, t.user.id)
      .run();
    // Pinned 30 s after midnight in Tokyo (15:00:30 UTC), where a clock read twice could straddle
    // the day: the run must roll up the Tokyo day that has just ended, 14 June, both times.
    const now = Date.parse('2026-06-14T15:00:30.000Z');
    await hourly(now);
    await hourly(now);
    const rows = await env.DB.prepare('SELECT date FROM dashboard_metrics WHERE trainer_id = ?')
      .bind(t.user.trainer.id)
      .all<{ date: string }>();
    expect(rows.results.map((r) => r.date)).toEqual(['2026-06-14']);
    const expired = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE expires_at < '2001-01-01'").first<{
      n: number;
    }>();
    expect(expired?.n).toBe(0);
    const listed = await api<{ count: number }>('GET', '/api/analytics/', { token: t.token });
    expect(listed.body.count).toBe(1);
  });
});
