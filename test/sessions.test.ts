// A user's signed-in devices: listed, ended one by one, or all but this one.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, createClient, futureDay, PASSWORD, registerTrainer } from './helpers';

type Session = { id: string; created_at: string; expires_at: string; user_agent: string; current: boolean };
type SessionPage = { count: number; results: Session[] };

const PHONE = 'TrainerApp/3.2 (iPhone; iOS 19.1)';
const LAPTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/140.0';

const login = async (email: string, userAgent: string) => {
  const res = await api<{ token: string }>('POST', '/api/users/login/', {
    body: { email, password: PASSWORD },
    headers: { 'User-Agent': userAgent },
  });
  expect(res.status).toBe(200);
  return res.body.token;
};
const sessionsOf = (token: string) => api<SessionPage>('GET', '/api/users/sessions/', { token });
const works = async (token: string) => (await api('GET', '/api/users/profile/', { token })).status === 200;
// The hottest write checks the session inside the schedule object, not in the middleware.
const books = async (token: string, client: number) =>
  (
    await api('POST', '/api/bookings/', {
      token,
      body: { client, start_time: `${futureDay(9).date}T10:00:00.000Z`, allow_outside_availability: true },
    })
  ).status;

describe('signed-in devices', () => {
  it('lists each sign-in with its device, marks this one, and shows no other user any of them', async () => {
    const { email, token } = await registerTrainer();
    const phone = await login(email, PHONE);
    const laptop = await login(email, `${LAPTOP}\u0007\n`);
    const other = await registerTrainer();

    const seen = await sessionsOf(laptop);
    expect(seen.status).toBe(200);
    expect(seen.body.count).toBe(3);
    expect(seen.body.results.map((s) => [s.user_agent, s.current])).toEqual([
      [LAPTOP, true],
      [PHONE, false],
      ['', false],
    ]);
    const ids = seen.body.results.map((s) => s.id);
    expect(new Set(ids).size).toBe(3);
    expect(Date.parse(seen.body.results[0]?.expires_at ?? '')).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const theirs = await sessionsOf(other.token);
    expect(theirs.body.count).toBe(1);
    expect(theirs.body.results[0]?.id).not.toBeOneOf(ids);
    // Another user's session cannot be ended by its id: 404, and it still works.
    const stranger = await api('DELETE', `/api/users/sessions/${ids[1]}/`, { token: other.token });
    expect(stranger.status).toBe(404);
    expect(await works(phone)).toBe(true);
    expect(await works(token)).toBe(true);
  });

  it('ending one device stops its token at once, on reads and on bookings, and leaves the others', async () => {
    const { email, token } = await registerTrainer();
    const client = await createClient(token);
    const phone = await login(email, PHONE);
    const phoneId = (await sessionsOf(phone)).body.results.find((s) => s.current)?.id;
    const ended = await api('DELETE', `/api/users/sessions/${phoneId}/`, { token });
    expect(ended.status).toBe(204);
    expect(await works(phone)).toBe(false);
    expect(await books(phone, client.id)).toBe(401);
    expect(await books(token, client.id)).toBe(201);
    expect(await works(token)).toBe(true);
    expect((await api('DELETE', `/api/users/sessions/${phoneId}/`, { token })).status).toBe(404);
    expect((await sessionsOf(token)).body.count).toBe(1);
    const long = await api('DELETE', `/api/users/sessions/${'x'.repeat(65)}/`, { token });
    expect(long.status).toBe(400);
  });

  it('signing out everywhere else ends every other token and keeps this one', async () => {
    const { email, token } = await registerTrainer();
    const others = [await login(email, PHONE), await login(email, LAPTOP), await login(email, 'curl/8.9')];
    // A session that ran out by itself (its row not yet cleared by the hourly cron) is not counted.
    await env.DB.prepare(
      `INSERT INTO sessions (jti, user_id, expires_at) SELECT 'expired-${Date.now()}', id, '2020-01-01T00:00:00.000Z' FROM users WHERE email = ?`,
    )
      .bind(email)
      .run();
    const res = await api<{ ended: number }>('DELETE', '/api/users/sessions/', { token });
    expect(res.status).toBe(200);
    expect(res.body.ended).toBe(3);
    for (const t of others) expect(await works(t)).toBe(false);
    expect(await works(token)).toBe(true);
    const left = await sessionsOf(token);
    expect(left.body.results.map((s) => s.current)).toEqual([true]);
    const again = await api<{ ended: number }>('DELETE', '/api/users/sessions/', { token });
    expect(again.body.ended).toBe(0);
  });

  it('a password change leaves one session, on the device that changed it; a long device name is cut', async () => {
    const { email, token } = await registerTrainer();
    await login(email, PHONE);
    const changed = await api<{ token: string }>('POST', '/api/users/change-password/', {
      token,
      body: { old_password: PASSWORD, new_password: 'another-horse-43' },
      headers: { 'User-Agent': `${LAPTOP} ${'x'.repeat(400)}` },
    });
    expect(changed.status).toBe(200);
    const list = await sessionsOf(changed.body.token);
    expect(list.body.count).toBe(1);
    expect(list.body.results[0]?.current).toBe(true);
    expect(list.body.results[0]?.user_agent).toHaveLength(256);
    expect(list.body.results[0]?.user_agent.startsWith(LAPTOP)).toBe(true);
    const row = await env.DB.prepare(
      'SELECT count(*) AS n FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)',
    )
      .bind(email)
      .first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});
