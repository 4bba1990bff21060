import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sealText, TOTP_SEAL_PURPOSE } from '../src/lib/tokens';
import { api, openapiDocument, PASSWORD, registerTrainer } from './helpers';
import { codeForStep, secretOfUri, stepAt, totpAt } from './totp';

// Every request of a test is pinned to one instant (X-Test-Now), so no code crosses a step boundary.
const NOW = new Date(Math.floor(Date.now() / 30_000) * 30_000 + 10_000).toISOString();
const at = (iso: string) => ({ 'X-Test-Now': iso });
const shifted = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();

type Problem = { code?: string; errors?: Record<string, string[]>; detail: string };

const login = (email: string, extra: Record<string, unknown> = {}, now = NOW) =>
  api<{ token?: string } & Problem>('POST', '/api/users/login/', {
    headers: at(now),
    body: { email, password: PASSWORD, ...extra },
  });

/** A trainer with two-factor sign-in turned on through the API: its secret and recovery codes. */
async function enrolled() {
  const trainer = await registerTrainer();
  const setup = await api<{ secret: string; otpauth_uri: string }>('POST', '/api/users/2fa/setup/', {
    token: trainer.token,
    headers: at(NOW),
    body: { password: PASSWORD },
  });
  expect(setup.status).toBe(200);
  const secret = setup.body.secret;
  const enable = await api<{ recovery_codes: string[] }>('POST', '/api/users/2fa/enable/', {
    token: trainer.token,
    headers: at(NOW),
    body: { code: totpAt(secret, NOW) },
  });
  expect(enable.status, JSON.stringify(enable.body)).toBe(200);
  return { ...trainer, secret, recoveryCodes: enable.body.recovery_codes };
}

describe('TOTP (RFC 6238)', () => {
  it('accepts the SHA-1 test vectors of RFC 6238 appendix B (truncated to 6 digits) at their times', async () => {
    const trainer = await registerTrainer();
    // The appendix's secret is the ASCII text "12345678901234567890"; stored as the app stores one.
    const vectorSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const sealed = await sealText(env.JWT_SECRET as string, TOTP_SEAL_PURPOSE, vectorSecret);
    await env.DB.prepare('UPDATE users SET totp_secret = ? WHERE email = ?').bind(sealed, trainer.email).run();
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) {
      const when = new Date(seconds * 1000).toISOString();
      const off = `${code.slice(2, 7)}${(Number(code[7]) + 1) % 10}`;
      expect((await login(trainer.email, { otp: off }, when)).status).toBe(401);
      const res = await login(trainer.email, { otp: code.slice(2) }, when);
      expect(res.status, `${when} ${JSON.stringify(res.body)}`).toBe(200);
      expect(codeForStep(vectorSecret, stepAt(when))).toBe(code.slice(2));
    }
  });
});

describe('two-factor sign-in on the API', () => {
  it('sets up with the password, enables with a first code, then login needs the code', async () => {
    const trainer = await registerTrainer();
    const wrong = await api<Problem>('POST', '/api/users/2fa/setup/', {
      token: trainer.token,
      body: { password: 'not-it-at-all' },
    });
    expect(wrong.status).toBe(400);
    expect(Object.keys(wrong.body.errors ?? {})).toEqual(['password']);
    const early = await api<Problem>('POST', '/api/users/2fa/enable/', {
      token: trainer.token,
      body: { code: '123456' },
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('no_pending_setup');

    const setup = await api<{ secret: string; otpauth_uri: string }>('POST', '/api/users/2fa/setup/', {
      token: trainer.token,
      headers: at(NOW),
      body: { password: PASSWORD },
    });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.body.otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(setup.body.otpauth_uri.startsWith(`otpauth://totp/TrainerHub:${encodeURIComponent(trainer.email)}?`)).toBe(
      true,
    );
    expect(uri.searchParams.get('issuer')).toBe('TrainerHub');
    expect(secretOfUri(setup.body.otpauth_uri)).toBe(setup.body.secret);
    // Pending only: the password alone still signs in.
    expect((await login(trainer.email)).status).toBe(200);

    const bad = await api<Problem>('POST', '/api/users/2fa/enable/', {
      token: trainer.token,
      headers: at(NOW),
      body: { code: totpAt(setup.body.secret, NOW, 3) },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.code).toBeDefined();
    const enable = await api<{ recovery_codes: string[] }>('POST', '/api/users/2fa/enable/', {
      token: trainer.token,
      headers: at(NOW),
      body: { code: totpAt(setup.body.secret, NOW) },
    });
    expect(enable.status).toBe(200);
    expect(enable.body.recovery_codes).toHaveLength(10);
    expect(new Set(enable.body.recovery_codes).size).toBe(10);
    const stored = await env.DB.prepare(
      'SELECT r.code_hash, u.totp_secret FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.email = ?',
    )
      .bind(trainer.email)
      .all<{ code_hash: string; totp_secret: string }>();
    expect(stored.results).toHaveLength(10);
    for (const row of stored.results) {
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(enable.body.recovery_codes).not.toContain(row.code_hash);
      expect(row.totp_secret).not.toContain(setup.body.secret);
    }

    const without = await login(trainer.email, {}, shifted(60));
    expect(without.status).toBe(401);
    expect(without.body.code).toBe('otp_required');
    expect(without.body.token).toBeUndefined();
    const signed = await login(trainer.email, { otp: totpAt(setup.body.secret, shifted(60)) }, shifted(60));
    expect(signed.status).toBe(200);
    const profile = await api('GET', '/api/users/profile/', { token: signed.body.token, headers: at(shifted(60)) });
    expect(profile.status).toBe(200);
  });

  it('refuses a wrong code and a reused one; accepts the previous and next step, not two steps away', async () => {
    const t = await enrolled();
    const wrong = await login(t.email, { otp: totpAt(t.secret, shifted(300), 5) }, shifted(300));
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_otp');
    expect(wrong.body.token).toBeUndefined();

    expect((await login(t.email, { otp: totpAt(t.secret, shifted(600), -2) }, shifted(600))).body.code).toBe(
      'invalid_otp',
    );
    expect((await login(t.email, { otp: totpAt(t.secret, shifted(600), 2) }, shifted(600))).body.code).toBe(
      'invalid_otp',
    );
    expect((await login(t.email, { otp: totpAt(t.secret, shifted(600), -1) }, shifted(600))).status).toBe(200);
    expect((await login(t.email, { otp: totpAt(t.secret, shifted(600)) }, shifted(600))).status).toBe(200);
    const reused = await login(t.email, { otp: totpAt(t.secret, shifted(600)) }, shifted(600));
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('invalid_otp');
    expect((await login(t.email, { otp: totpAt(t.secret, shifted(600), 1) }, shifted(600))).status).toBe(200);
    // The next step was used: the current one (an earlier step) is refused from now on.
    expect((await login(t.email, { otp: totpAt(t.secret, shifted(630)) }, shifted(630))).status).toBe(401);
  });

  it('takes each recovery code once', async () => {
    const t = await enrolled();
    const [first, second] = t.recoveryCodes;
    expect((await login(t.email, { recovery_code: first })).status).toBe(200);
    const again = await login(t.email, { recovery_code: first });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('invalid_otp');
    expect((await login(t.email, { recovery_code: `  ${second?.toUpperCase()} ` })).status).toBe(200);
    expect((await login(t.email, { recovery_code: 'aaaaa-bbbbb' })).status).toBe(401);
  });

  it('accepts one code exactly once when it is sent in parallel', async () => {
    const t = await enrolled();
    const code = totpAt(t.secret, shifted(900));
    const answers = await Promise.all(Array.from({ length: 5 }, () => login(t.email, { otp: code }, shifted(900))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401]);
    const recovery = t.recoveryCodes[0];
    const both = await Promise.all([1, 2, 3].map(() => login(t.email, { recovery_code: recovery }, shifted(900))));
    expect(both.map((a) => a.status).sort()).toEqual([200, 401, 401]);
  });

  it('counts wrong codes toward the lockout; a locked account is refused even with the right code', async () => {
    const t = await enrolled();
    const when = shifted(1200);
    for (let i = 0; i < 10; i++) {
      const res = await login(t.email, { otp: totpAt(t.secret, when, 4) }, when);
      expect(res.status).toBe(401);
    }
    const locked = await login(t.email, { otp: totpAt(t.secret, when) }, when);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(locked.body.token).toBeUndefined();
  });

  it('disables with the password and a code, naming each wrong field; login then needs no code', async () => {
    const t = await enrolled();
    const when = shifted(1500);
    const both = await api<Problem>('POST', '/api/users/2fa/disable/', {
      token: t.token,
      headers: at(when),
      body: { password: 'wrong-password-1', code: totpAt(t.secret, when, 3) },
    });
    expect(both.status).toBe(400);
    expect(Object.keys(both.body.errors ?? {}).sort()).toEqual(['code', 'password']);
    const none = await api<Problem>('POST', '/api/users/2fa/disable/', {
      token: t.token,
      headers: at(when),
      body: { password: PASSWORD },
    });
    expect(none.status).toBe(400);
    expect(Object.keys(none.body.errors ?? {})).toEqual(['code']);
    const malformed = await api<Problem>('POST', '/api/users/2fa/disable/', {
      token: t.token,
      headers: at(when),
      body: { password: '', code: '12ab' },
    });
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body.errors ?? {}).sort()).toEqual(['code', 'password']);

    const off = await api('POST', '/api/users/2fa/disable/', {
      token: t.token,
      headers: at(when),
      body: { password: PASSWORD, recovery_code: t.recoveryCodes[3] },
    });
    expect(off.status).toBe(204);
    expect((await login(t.email, {}, when)).status).toBe(200);
    const left = await env.DB.prepare(
      'SELECT count(*) AS n FROM recovery_codes WHERE user_id = (SELECT id FROM users WHERE email = ?)',
    )
      .bind(t.email)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    const again = await api<Problem>('POST', '/api/users/2fa/disable/', {
      token: t.token,
      headers: at(when),
      body: { password: PASSWORD, code: totpAt(t.secret, when) },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('two_factor_disabled');
  });

  it('replaces the recovery codes with a right code; the old ones stop working', async () => {
    const t = await enrolled();
    const when = shifted(1800);
    const wrong = await api<Problem>('POST', '/api/users/2fa/recovery-codes/', {
      token: t.token,
      headers: at(when),
      body: { code: totpAt(t.secret, when, 3) },
    });
    expect(wrong.status).toBe(400);
    expect(Object.keys(wrong.body.errors ?? {})).toEqual(['code']);
    const fresh = await api<{ recovery_codes: string[] }>('POST', '/api/users/2fa/recovery-codes/', {
      token: t.token,
      headers: at(when),
      body: { code: totpAt(t.secret, when) },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recovery_codes).toHaveLength(10);
    expect((await login(t.email, { recovery_code: t.recoveryCodes[0] }, when)).status).toBe(401);
    expect((await login(t.email, { recovery_code: fresh.body.recovery_codes[0] }, when)).status).toBe(200);
  });

  it('names a malformed otp in a 400 and documents every 2FA route', async () => {
    const t = await enrolled();
    const bad = await login(t.email, { otp: '12 34' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['otp']);
    const spec = openapiDocument<{ paths: Record<string, Record<string, { summary?: string }>> }>();
    for (const path of ['setup', 'enable', 'disable', 'recovery-codes']) {
      expect(spec.paths[`/api/users/2fa/${path}`]?.post?.summary, path).toBeTruthy();
    }
  });

  it('checks the password of the set-up under the login lockout', async () => {
    const trainer = await registerTrainer();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await api('POST', '/api/users/2fa/setup/', {
        token: trainer.token,
        body: { password: `wrong-${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
    // Locked: the right password is refused too, and so is the login.
    const right = await api('POST', '/api/users/2fa/setup/', { token: trainer.token, body: { password: PASSWORD } });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect((await login(trainer.email)).status).toBe(429);
  });

  it('checks the password of a password change and of the turn-off under the lockout, code or not', async () => {
    // A stolen token is no way to guess the account's password without limit.
    const trainer = await registerTrainer();
    const change = (old: string) =>
      api('POST', '/api/users/change-password/', {
        token: trainer.token,
        body: { old_password: old, new_password: 'another-Long-passw0rd' },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await change(`wrong-${i}`)).status);
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
    expect((await change(PASSWORD)).status).toBe(429);
    expect((await login(trainer.email)).status).toBe(429);

    const on = await enrolled();
    const off = (body: Record<string, unknown>) =>
      api<Problem>('POST', '/api/users/2fa/disable/', { token: on.token, headers: at(NOW), body });
    const tries: number[] = [];
    for (let i = 0; i < 11; i++) tries.push((await off({ password: `wrong-${i}` })).status);
    expect(tries).toEqual([...Array(10).fill(400), 429]);
    // Locked: the right password with no code is no longer told apart from a wrong one.
    const right = await off({ password: PASSWORD });
    expect(right.status).toBe(429);
  });

  it('turning it on ends every other token of the account and keeps the one that turned it on', async () => {
    const trainer = await registerTrainer();
    const other = await login(trainer.email);
    expect(other.status).toBe(200);
    const setup = await api<{ secret: string }>('POST', '/api/users/2fa/setup/', {
      token: trainer.token,
      headers: at(NOW),
      body: { password: PASSWORD },
    });
    const enable = await api('POST', '/api/users/2fa/enable/', {
      token: trainer.token,
      headers: at(NOW),
      body: { code: totpAt(setup.body.secret, NOW) },
    });
    expect(enable.status).toBe(200);
    expect((await api('GET', '/api/users/profile/', { token: other.body.token, headers: at(NOW) })).status).toBe(401);
    expect((await api('GET', '/api/users/profile/', { token: trainer.token, headers: at(NOW) })).status).toBe(200);
  });
});
