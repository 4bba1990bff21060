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
    const now = Date.now();
    await hourly(now);
    await hourly(now);
    const rows = await env.DB.prepare('SELECT date FROM dashboard_metrics WHERE trainer_id = ?')
      .bind(t.user.trainer.id)
      .all<{ date: string }>();
    const yesterday = new Date(new Date().toLocaleString('en-US', { timeZone: 'Asia/Tokyo' }));
    yesterday.setDate(yesterday.getDate() - 1);
    const expected = `${yesterday.getFullYear()}-${String(yesterday.getMonth() + 1).padStart(2, '0')}-${String(yesterday.getDate()).padStart(2, '0')}`;
    expect(rows.results.map((r) => r.date)).toEqual([expected]);
    const expired = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE expires_at < '2001-01-01'").first<{
      n: number;
    }>();
    expect(expired?.n).toBe(0);
    const listed = await api<{ count: number }>('GET', '/api/analytics/', { token: t.token });
    expect(listed.body.count).toBe(1);
  });
});
