import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import type { Bindings } from '../src/lib/config';
import { api, type ProblemBody, setupTrainer } from './helpers';

/** One request through the app with some settings changed. */
async function fetchWith(overrides: Record<string, string>, path: string) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`),
    { ...env, ...overrides } as Bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as ProblemBody };
}

describe('configuration, parsed once by a schema', () => {
  it('answers 503 naming every malformed setting, and never a secret value', async () => {
    const res = await fetchWith(
      { NOTIFY_PROVIDER: 'carrier-pigeon', SMS_DAILY_LIMIT_PER_TRAINER: 'lots', APP_ORIGIN: 'not a url' },
      '/api/',
    );
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/NOTIFY_PROVIDER/);
    expect(res.body.detail).toMatch(/SMS_DAILY_LIMIT_PER_TRAINER must be a whole number ≥ 0 \(got "lots"\)/);
    expect(res.body.detail).toMatch(/APP_ORIGIN must be an origin/);
    expect(res.body.detail).not.toContain(String(env.JWT_SECRET));
  });

  it('uses the defaults for settings left out', async () => {
    const res = await fetchWith({ SMS_DAILY_LIMIT_PER_TRAINER: '', NOTIFY_RETRY_BASE_SECONDS: '' }, '/health');
    expect(res.status).toBe(200);
  });
});

describe('the request clock', () => {
  it('reaches the schedule object: X-Test-Now (tests only) decides what "the future" is', async () => {
    const trainer = await setupTrainer();
    const { client } = trainer;
    const body = {
      client: client.id,
      start_time: '2020-01-02T10:00:00Z',
      end_time: '2020-01-02T11:00:00Z',
      allow_outside_availability: true,
    };
    const real = await api<ProblemBody>('POST', '/api/bookings/', { token: trainer.token, body });
    expect(real.status).toBe(400);
    expect(real.body.errors?.start_time).toEqual(['Start time must be in the future.']);
    const pinned = await api('POST', '/api/bookings/', {
      token: trainer.token,
      body,
      headers: { 'X-Test-Now': '2020-01-01T00:00:00Z' },
    });
    expect(pinned.status).toBe(201);
    expect(pinned.body.start_time).toBe('2020-01-02T10:00:00.000Z');
  });
});
