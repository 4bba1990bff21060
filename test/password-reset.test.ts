// A forgotten password: POST /api/users/password-reset/ mails a link, the page it opens sends the
// new password to …/confirm/. Through HTTP, the queue consumer and the outbox rows.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/lib/db';
import { resetPassword, resetToken } from '../src/users/password-reset';
import { verificationToken } from '../src/users/verification';
import { api, intercept, PASSWORD, type ProblemBody, registerTrainer, uniqueEmail, until } from './helpers';
import { totpAt } from './totp';

type MailRow = {
  id: number;
  trainer_id: number | null;
  recipient: string;
  status: string;
  message: string;
  html: string;
};
const NEW_PASSWORD = 'a-brand-new-one-77';
const SECRET = () => env.JWT_SECRET as string;

const ask = (email: string, headers: Record<string, string> = {}) =>
  api<{ detail: string } & ProblemBody>('POST', '/api/users/password-reset/', { body: { email }, headers });
const confirm = (token: string, new_password = NEW_PASSWORD) =>
  api<{ detail: string } & ProblemBody>('POST', '/api/users/password-reset/confirm/', {
    body: { token, new_password },
  });
const login = (email: string, password: string, extra: Record<string, unknown> = {}) =>
  api<{ token?: string } & ProblemBody>('POST', '/api/users/login/', { body: { email, password, ...extra } });

const resetMails = async (userId: number) =>
  (
    await env.DB.prepare("SELECT * FROM notifications WHERE user_id = ? AND kind = 'password_reset' ORDER BY id")
      .bind(userId)
      .all<MailRow>()
  ).results;

/** The token of each sent reset mail of the user, once `n` of them are sent. */
async function mailedTokens(userId: number, n: number): Promise<string[]> {
  const rows = await until(
    () => resetMails(userId),
    (r) => r.length === n && r.every((m) => m.status === 'sent'),
  );
  expect(rows.map((r) => r.status)).toEqual(Array(n).fill('sent'));
  return rows.map((r) => {
    const link = /https?:\/\/\S+\/account\/reset-password#token=(\S+)/.exec(r.message);
    expect(r.html).toContain(`href="${link?.[0]}"`);
    return decodeURIComponent(link?.[1] ?? '');
  });
}

const userRow = (id: number) =>
  env.DB.prepare('SELECT password_hash, email_verified_at FROM users WHERE id = ?')
    .bind(id)
    .first<{ password_hash: string; email_verified_at: string | null }>();

describe('password reset', () => {
  it('mails a link through the outbox, sets the new password once, ends every session and confirms the address', async () => {
    const t = await registerTrainer();
    const asked = await ask(t.email.toUpperCase());
    expect(asked.status).toBe(202);
    const [token] = await mailedTokens(t.user.id, 1);
    const [mail] = await resetMails(t.user.id);
    expect([mail?.trainer_id, mail?.recipient]).toEqual([null, t.email]);
    // An account mail: in no trainer's list.
    expect((await api<{ count: number }>('GET', '/api/notifications/', { token: t.token })).body.count).toBe(0);
    expect((await userRow(t.user.id))?.email_verified_at).toBeNull();

    // A staff console session of the account ends too.
    const consoleSession = `test-${crypto.randomUUID()}`;
    await env.DB.prepare('INSERT INTO admin_sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)')
      .bind(consoleSession, t.user.id, new Date(Date.now() + 3600_000).toISOString())
      .run();
    const done = await confirm(token ?? '');
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(
      await env.DB.prepare('SELECT count(*) AS n FROM admin_sessions WHERE token_hash = ?')
        .bind(consoleSession)
        .first('n'),
    ).toBe(0);
    expect((await api('GET', '/api/users/profile/', { token: t.token })).status).toBe(401);
    expect((await login(t.email, PASSWORD)).status).toBe(401);
    const fresh = await login(t.email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect((await userRow(t.user.id))?.email_verified_at).not.toBeNull();

    // Once: the new password retired the link.
    const again = await confirm(token ?? '', 'yet-another-one-88');
    expect(again.status).toBe(400);
    expect(Object.keys(again.body.errors ?? {})).toEqual(['token']);
    expect((await login(t.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('answers an address without an account exactly as one with, and writes nothing for it', async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE kind = 'password_reset'").first<{
      n: number;
    }>();
    const nobody = await ask(uniqueEmail('nobody'));
    const t = await registerTrainer();
    const somebody = await ask(t.email);
    expect([nobody.status, somebody.status]).toEqual([202, 202]);
    expect(nobody.body).toEqual(somebody.body);
    await mailedTokens(t.user.id, 1);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE kind = 'password_reset'").first<{
      n: number;
    }>();
    expect((after?.n ?? 0) - (before?.n ?? 0)).toBe(1);

    const bad = await api<ProblemBody>('POST', '/api/users/password-reset/', { body: { email: 'not an address' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['email']);
  });

  it('names each bad field, changes nothing on a refusal, and refuses forged, expired and other links', async () => {
    const t = await registerTrainer();
    const row = await userRow(t.user.id);
    const user = { id: t.user.id, email: t.email, passwordHash: row?.password_hash ?? '' };
    const good = await resetToken(SECRET(), user, Date.now());

    // A forged token never says which email its id has (a password like the address is not named).
    const forged = await confirm(`${t.user.id}.9999999999.x`, t.email);
    expect(forged.body.errors).toEqual({ token: ['This reset link is invalid, used or expired; ask for a new one.'] });
    const both = await confirm('1.2.3', 'short');
    expect(both.status).toBe(400);
    expect(Object.keys(both.body.errors ?? {}).sort()).toEqual(['new_password', 'token']);
    // A blank token fails the body's own check; the new password is still named beside it.
    const blank = await confirm('', 'short');
    expect(blank.status).toBe(400);
    expect(Object.keys(blank.body.errors ?? {}).sort()).toEqual(['new_password', 'token']);
    const weak = await confirm(good, '12345678');
    expect(weak.status).toBe(400);
    expect(weak.body.errors).toEqual({ new_password: ['This password is entirely numeric.'] });
    expect((await userRow(t.user.id))?.password_hash).toBe(row?.password_hash);
    expect((await api('GET', '/api/users/profile/', { token: t.token })).status).toBe(200);

    const [id, exp, sig] = good.split('.');
    const refused = [
      await resetToken(SECRET(), user, Date.now() - 61 * 60_000), // expired
      await resetToken('another-secret-0123456789abcdef0123456789', user, Date.now()),
      await resetToken(SECRET(), { ...user, passwordHash: 'pbkdf2_sha256$1$x$y' }, Date.now()), // another password
      await verificationToken(SECRET(), t.user.id, t.email, Date.now()), // a link of another purpose
      `${Number(id) + 1}.${exp}.${sig}`,
      `${id}.${Number(exp) + 1}.${sig}`,
      `${good}.x`,
    ];
    for (const token of refused) {
      const res = await confirm(token);
      expect(res.status, token).toBe(400);
      expect(res.body.errors?.token, token).toEqual([
        'This reset link is invalid, used or expired; ask for a new one.',
      ]);
    }
    expect((await userRow(t.user.id))?.password_hash).toBe(row?.password_hash);
    // Still good after all of that.
    expect((await confirm(good)).status).toBe(200);
  });

  it('two links: the first used retires the other; two uses of one link at once: exactly one lands', async () => {
    const t = await registerTrainer();
    await ask(t.email, { 'X-Test-Now': new Date(Date.now() - 10 * 60_000).toISOString() });
    await ask(t.email);
    const [first, second] = await mailedTokens(t.user.id, 2);
    expect(first).not.toBe(second);
    const race = await Promise.all(Array.from({ length: 6 }, (_, i) => confirm(second ?? '', `${NEW_PASSWORD}-${i}`)));
    expect(race.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    const winner = race.findIndex((r) => r.status === 200);
    expect((await login(t.email, `${NEW_PASSWORD}-${winner}`)).status).toBe(200);
    expect((await confirm(first ?? '')).status).toBe(400);
  });

  it('a use that lands between another use’s read and its write: the later write changes nothing and ends no session', async () => {
    const t = await registerTrainer();
    const row = await userRow(t.user.id);
    const token = await resetToken(
      SECRET(),
      { id: t.user.id, email: t.email, passwordHash: row?.password_hash ?? '' },
      Date.now(),
    );
    // Both uses read the old hash; the other one writes first, and its owner signs in.
    let signedIn = '';
    const racing = intercept(env.DB, {
      batch: (async (statements: D1PreparedStatement[]) => {
        expect((await confirm(token, 'the-other-use-55')).status).toBe(200);
        signedIn = (await login(t.email, 'the-other-use-55')).body.token ?? '';
        return env.DB.batch(statements);
      }) as D1Database['batch'],
    });
    await expect(
      resetPassword(getDb(racing), SECRET(), { token, new_password: NEW_PASSWORD }, new Date().toISOString()),
    ).rejects.toMatchObject({ status: 400, extra: { errors: { token: [expect.any(String)] } } });
    expect((await login(t.email, 'the-other-use-55')).status).toBe(200);
    expect((await login(t.email, NEW_PASSWORD)).status).toBe(401);
    expect((await api('GET', '/api/users/profile/', { token: signedIn })).status).toBe(200);
  });

  it('lifts the login lockout, keeps two-factor sign-in, and mails nothing for an inactive account', async () => {
    const t = await registerTrainer();
    for (let i = 0; i < 10; i++) await login(t.email, 'wrong-password-0');
    expect((await login(t.email, PASSWORD)).status).toBe(429);
    const row = await userRow(t.user.id);
    const user = { id: t.user.id, email: t.email, passwordHash: row?.password_hash ?? '' };
    expect((await confirm(await resetToken(SECRET(), user, Date.now()))).status).toBe(200);
    expect((await login(t.email, NEW_PASSWORD)).status).toBe(200);

    // Two-factor sign-in on: the new password alone is not a sign-in.
    const signedIn = (await login(t.email, NEW_PASSWORD)).body.token ?? '';
    const pending = await api<{ secret: string }>('POST', '/api/users/2fa/setup/', {
      token: signedIn,
      body: { password: NEW_PASSWORD },
    });
    const enabled = await api('POST', '/api/users/2fa/enable/', {
      token: signedIn,
      body: { code: totpAt(pending.body.secret) },
    });
    expect(enabled.status).toBe(200);
    const hash = (await userRow(t.user.id))?.password_hash ?? '';
    const third = 'third-password-99';
    expect((await confirm(await resetToken(SECRET(), { ...user, passwordHash: hash }, Date.now()), third)).status).toBe(
      200,
    );
    expect((await login(t.email, third)).body.code).toBe('otp_required');

    const gone = await registerTrainer();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(gone.user.id).run();
    expect((await ask(gone.email)).status).toBe(202);
    const goneRow = await userRow(gone.user.id);
    const goneUser = { id: gone.user.id, email: gone.email, passwordHash: goneRow?.password_hash ?? '' };
    expect((await confirm(await resetToken(SECRET(), goneUser, Date.now()))).status).toBe(400);
    // The mail would have been written before the answer's background work ended; give it time.
    await new Promise((r) => setTimeout(r, 300));
    expect(await resetMails(gone.user.id)).toEqual([]);
  });

  it('limits asking per address, for any address alike, with a 429', async () => {
    const t = await registerTrainer();
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < 5; i++) {
      expect((await ask(t.email)).status).toBe(202);
      expect((await ask(nobody)).status).toBe(202);
    }
    const [known, unknown] = [await ask(t.email), await ask(nobody)];
    expect([known.status, unknown.status]).toEqual([429, 429]);
    expect(known.body.detail).toBe(unknown.body.detail);
    await mailedTokens(t.user.id, 5);
  });

  it('serves the page the link opens: never framed, cached or indexed', async () => {
    const res = await api('GET', '/account/reset-password');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(String(res.body)).toContain('data-page="reset"');
  });
});
