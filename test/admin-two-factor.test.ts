import { env } from 'cloudflare:workers';
import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import { cookieOf, csrfIn, page, type Reply, registerStaff, signInConsole } from './admin-helpers';
import { api, PASSWORD, registerTrainer, uniqueEmail } from './helpers';
import { secretOfUri, totpAt } from './totp';

/** The password step of the console sign-in: its answer and the half-signed-in cookie. */
async function passwordStep(email: string, headers: Record<string, string> = {}) {
  const form = await page('GET', '/admin/login', { headers });
  const pre = cookieOf(form, 'th_admin_login')?.pair ?? '';
  const res = await page('POST', '/admin/login', {
    cookie: pre,
    headers,
    form: { csrf: csrfIn(form.text), email, password: PASSWORD, next: '/admin/users/' },
  });
  return { res, pending: cookieOf(res, 'th_admin_2fa') };
}

/** Posts one code to the code (or enrolment) page with that page's CSRF token. */
async function sendCode(
  pending: string,
  code: string,
  path = '/admin/login/code',
  headers: Record<string, string> = {},
): Promise<Reply> {
  const form = await page('GET', path, { cookie: pending, headers });
  return page('POST', path, {
    cookie: pending,
    headers,
    form: { csrf: csrfIn(form.text), code, next: '/admin/users/' },
  });
}

const secretIn = (html: string) => /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1] ?? '';
/** A client address no other test uses (documentation range, random). */
const freshIp = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;

const recoveryCodesOf = (html: string) =>
  [...html.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1] ?? '');

describe('two-factor sign-in to the staff console', () => {
  it('the password alone gives the code page and a short signed cookie, never a session', async () => {
    const staff = await registerStaff(uniqueEmail('staff'));
    const { res, pending } = await passwordStep(staff.email);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/login/code?next=%2Fadmin%2Fusers%2F');
    expect(cookieOf(res, 'th_admin')).toBeNull();
    const flags = (pending?.line ?? '').split(';').map((s) => s.trim());
    expect(flags).toEqual(
      expect.arrayContaining(['Max-Age=300', 'Path=/admin', 'HttpOnly', 'Secure', 'SameSite=Strict']),
    );
    const sessions = await env.DB.prepare('SELECT count(*) AS n FROM admin_sessions WHERE user_id = ?')
      .bind(staff.userId)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(0);
    // The half-signed-in cookie opens nothing but the code page.
    const home = await page('GET', '/admin/', { cookie: pending?.pair ?? '' });
    expect(home.status).toBe(303);
    expect(home.headers.get('Location')).toMatch(/^\/admin\/login/);
    const codePage = await page('GET', '/admin/login/code', { cookie: pending?.pair ?? '' });
    expect(codePage.status).toBe(200);
    expect(codePage.text).toContain('autocomplete="one-time-code"');
    // A forged, altered or expired cookie goes back to the password.
    const [id, expires, random, enrolment, mac] = decodeURIComponent(pending?.value ?? '').split('~');
    for (const forged of [`${Number(id) + 1}~${expires}~${random}~${enrolment}~${mac}`, 'x~y~z~v~w']) {
      const res2 = await page('GET', '/admin/login/code', { cookie: `th_admin_2fa=${encodeURIComponent(forged)}` });
      expect(res2.status).toBe(303);
      expect(res2.headers.get('Location')).toBe('/admin/login');
    }
    const later = new Date(Date.now() + 301_000).toISOString();
    const expired = await page('GET', '/admin/login/code', {
      cookie: pending?.pair ?? '',
      headers: { 'X-Test-Now': later },
    });
    expect(expired.status).toBe(303);
    // Without the code page's CSRF token the code is refused.
    const noCsrf = await page('POST', '/admin/login/code', {
      cookie: pending?.pair ?? '',
      form: { code: totpAt(staff.totpSecret) },
    });
    expect(noCsrf.status).toBe(403);
    expect(cookieOf(noCsrf, 'th_admin')).toBeNull();

    const done = await sendCode(pending?.pair ?? '', totpAt(staff.totpSecret));
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe('/admin/users/');
    expect(cookieOf(done, 'th_admin_2fa')?.line).toMatch(/Max-Age=0/);
    const session = cookieOf(done, 'th_admin')?.pair ?? '';
    expect((await page('GET', '/admin/users/', { cookie: session })).status).toBe(200);
    // The half-signed-in cookie finishes one sign-in: a copy used again, even with another good
    // code (the next step's), makes no session.
    const replay = await sendCode(pending?.pair ?? '', totpAt(staff.totpSecret, Date.now(), 1));
    expect(replay.status).toBe(401);
    expect(cookieOf(replay, 'th_admin')).toBeNull();
  });

  it('refuses a wrong code and a reused one; takes a recovery code once', async () => {
    const staff = await registerStaff(uniqueEmail('staff'));
    const first = await passwordStep(staff.email);
    const wrong = await sendCode(first.pending?.pair ?? '', totpAt(staff.totpSecret, Date.now(), 4));
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That code is not right');
    expect(wrong.text).toMatch(/<input id="code"[^>]* autofocus/);
    expect(cookieOf(wrong, 'th_admin')).toBeNull();
    const code = totpAt(staff.totpSecret);
    expect((await sendCode(first.pending?.pair ?? '', code)).status).toBe(303);

    const second = await passwordStep(staff.email);
    const reused = await sendCode(second.pending?.pair ?? '', code);
    expect(reused.status).toBe(401);
    expect(cookieOf(reused, 'th_admin')).toBeNull();

    // Recovery codes: made through the API by the staff user, as any account's.
    const fresh = await api<{ recovery_codes: string[] }>('POST', '/api/users/2fa/recovery-codes/', {
      token: staff.token,
      body: { code: totpAt(staff.totpSecret, Date.now(), 1) },
    });
    expect(fresh.status).toBe(200);
    const recovery = fresh.body.recovery_codes[0] ?? '';
    const third = await passwordStep(staff.email);
    const withRecovery = await sendCode(third.pending?.pair ?? '', recovery.toUpperCase());
    expect(withRecovery.status).toBe(303);
    expect(cookieOf(withRecovery, 'th_admin')?.value).toBeTruthy();
    const fourth = await passwordStep(staff.email);
    expect((await sendCode(fourth.pending?.pair ?? '', recovery)).status).toBe(401);
  });

  it('counts wrong codes toward the login lockout; then even the right code is refused', async () => {
    const staff = await registerStaff(uniqueEmail('staff'));
    const { pending } = await passwordStep(staff.email);
    // The password step holds one attempt until the second factor; nine wrong codes fill the ten.
    for (let i = 0; i < 9; i++) {
      const wrong = await sendCode(pending?.pair ?? '', totpAt(staff.totpSecret, Date.now(), 5));
      expect(wrong.status, `code ${i + 1}`).toBe(401);
    }
    const locked = await sendCode(pending?.pair ?? '', totpAt(staff.totpSecret));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(cookieOf(locked, 'th_admin')).toBeNull();
    expect((await signInConsole(staff.email)).res.status).toBe(429);
  });

  it('makes a staff user without an authenticator app enrol one at sign-in, recovery codes shown once', async () => {
    const staff = await registerStaff(uniqueEmail('staff'), { enrol: false });
    // Not enrolled: the admin API is closed too (the password alone made that token).
    const adminApi = () => api<{ code?: string }>('GET', '/api/admin/users/', { token: staff.token });
    const closedApi = await adminApi();
    expect([closedApi.status, closedApi.body.code]).toEqual([403, 'two_factor_required']);
    const { res, pending } = await passwordStep(staff.email);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/login/enrol?next=%2Fadmin%2Fusers%2F');
    expect(cookieOf(res, 'th_admin')).toBeNull();
    // The code page sends such a user to the enrolment; the console stays closed.
    const codePage = await page('GET', '/admin/login/code', { cookie: pending?.pair ?? '' });
    expect(codePage.status).toBe(303);
    expect(codePage.headers.get('Location')).toMatch(/^\/admin\/login\/enrol/);
    expect((await page('GET', '/admin/', { cookie: pending?.pair ?? '' })).status).toBe(303);

    const enrol = await page('GET', '/admin/login/enrol', { cookie: pending?.pair ?? '' });
    expect(enrol.status).toBe(200);
    const uri = /id="totp-uri">([^<]+)</.exec(enrol.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.text)?.[1] ?? '';
    expect(uri.startsWith(`otpauth://totp/TrainerHub:${encodeURIComponent(staff.email)}?`)).toBe(true);
    expect(secretOfUri(uri)).toBe(secret);
    // The QR code an app scans is this address: its dark squares are exactly the modules of the
    // address's QR symbol (quiet zone of 2), labelled for screen readers.
    const svg = /<figure class="qr">(<svg[\s\S]*?<\/svg>)/.exec(enrol.text)?.[1] ?? '';
    expect(svg).toContain('role="img" aria-labelledby="totp-qr-label"');
    expect(enrol.text).toContain('id="totp-qr-label"');
    const drawn = new Set(
      [...svg.matchAll(/M(\d+),(\d+)h10v10h-10z/g)].map((m) => `${Number(m[1]) / 10},${Number(m[2]) / 10}`),
    );
    const modules = encode(uri, { border: 2 }).data.flatMap((row, y) =>
      row.flatMap((dark, x) => (dark ? [`${x},${y}`] : [])),
    );
    expect(drawn.size).toBeGreaterThan(100);
    expect([...drawn].sort()).toEqual(modules.sort());
    // Each sign-in attempt has its own secret, bound to its cookie: a reload shows the same one,
    // another attempt (of anyone who has the password) a different one, and its codes are
    // refused here.
    const reload = await page('GET', '/admin/login/enrol', { cookie: pending?.pair ?? '' });
    expect(secretIn(reload.text)).toBe(secret);
    const again = await passwordStep(staff.email);
    const other = secretIn((await page('GET', '/admin/login/enrol', { cookie: again.pending?.pair ?? '' })).text);
    expect(other).toMatch(/^[A-Z2-7]{32}$/);
    expect(other).not.toBe(secret);
    const crossed = await sendCode(pending?.pair ?? '', totpAt(other), '/admin/login/enrol');
    expect(crossed.status).toBe(401);
    expect(cookieOf(crossed, 'th_admin')).toBeNull();

    const wrong = await sendCode(pending?.pair ?? '', totpAt(secret, Date.now(), 4), '/admin/login/enrol');
    expect(wrong.status).toBe(401);
    expect(cookieOf(wrong, 'th_admin')).toBeNull();
    const done = await sendCode(pending?.pair ?? '', totpAt(secret), '/admin/login/enrol');
    expect(done.status).toBe(200);
    const codes = recoveryCodesOf(done.text);
    expect(codes).toHaveLength(10);
    expect(done.text).toContain('href="/admin/users/"');
    const session = cookieOf(done, 'th_admin')?.pair ?? '';
    expect((await page('GET', '/admin/users/', { cookie: session })).status).toBe(200);
    const row = await env.DB.prepare(
      'SELECT totp_secret, totp_pending_secret, (SELECT count(*) FROM recovery_codes WHERE user_id = users.id) AS n FROM users WHERE id = ?',
    )
      .bind(staff.userId)
      .first<{ totp_secret: string | null; totp_pending_secret: string | null; n: number }>();
    expect(row?.totp_secret).toBeTruthy();
    expect(row?.totp_secret).not.toContain(secret);
    expect(row?.totp_pending_secret).toBeNull();
    expect(row?.n).toBe(10);
    // Enrolling ended the API token the password alone made; a login with a code opens the admin API.
    expect((await adminApi()).status).toBe(401);
    const later = { 'X-Test-Now': new Date(Date.now() + 30_000).toISOString() };
    const login = await api<{ token: string }>('POST', '/api/users/login/', {
      headers: later,
      body: { email: staff.email, password: PASSWORD, otp: totpAt(secret, later['X-Test-Now']) },
    });
    expect(login.status).toBe(200);
    expect((await api('GET', '/api/admin/users/', { token: login.body.token, headers: later })).status).toBe(200);

    // From now on: the code page, where one of those recovery codes works.
    const next = await passwordStep(staff.email);
    expect(next.res.headers.get('Location')).toMatch(/^\/admin\/login\/code/);
    expect((await sendCode(next.pending?.pair ?? '', codes[2] ?? '')).status).toBe(303);
    // The enrolment page is closed once an app is enrolled.
    const closed = await page('GET', '/admin/login/enrol', { cookie: next.pending?.pair ?? '' });
    expect(closed.status).toBe(303);
  });

  it('never shows one sign-in attempt the secret another attempt enrols', async () => {
    const staff = await registerStaff(uniqueEmail('staff'), { enrol: false });
    // Someone with the password only looks at the enrolment page, and never confirms.
    const attacker = await passwordStep(staff.email);
    const seen = secretIn((await page('GET', '/admin/login/enrol', { cookie: attacker.pending?.pair ?? '' })).text);
    expect(seen).toMatch(/^[A-Z2-7]{32}$/);
    // The owner signs in later and enrols what they are shown.
    const owner = await passwordStep(staff.email);
    const shown = secretIn((await page('GET', '/admin/login/enrol', { cookie: owner.pending?.pair ?? '' })).text);
    expect(shown).not.toBe(seen);
    expect((await sendCode(owner.pending?.pair ?? '', totpAt(shown), '/admin/login/enrol')).status).toBe(200);
    // A code of the secret the first attempt saw opens nothing.
    const later = { 'X-Test-Now': new Date(Date.now() + 30_000).toISOString() };
    const next = await passwordStep(staff.email, later);
    const res = await sendCode(next.pending?.pair ?? '', totpAt(seen, later['X-Test-Now']), '/admin/login/code', later);
    expect(res.status).toBe(401);
    expect(cookieOf(res, 'th_admin')).toBeNull();
  });

  it('refuses the API set-up of two-factor sign-in to staff: they enrol in the console', async () => {
    const staff = await registerStaff(uniqueEmail('staff'), { enrol: false });
    const setup = await api<{ code?: string }>('POST', '/api/users/2fa/setup/', {
      token: staff.token,
      body: { password: PASSWORD },
    });
    expect([setup.status, setup.body.code]).toEqual([403, 'staff_enrol_in_console']);
    const enable = await api<{ code?: string }>('POST', '/api/users/2fa/enable/', {
      token: staff.token,
      body: { code: '123456' },
    });
    expect([enable.status, enable.body.code]).toEqual([403, 'staff_enrol_in_console']);
    const row = await env.DB.prepare('SELECT totp_pending_secret, totp_secret FROM users WHERE id = ?')
      .bind(staff.userId)
      .first<{ totp_pending_secret: string | null; totp_secret: string | null }>();
    expect(row).toEqual({ totp_pending_secret: null, totp_secret: null });
  });

  it('a console password step never clears the lockout: wrong API codes keep counting', async () => {
    const t = await registerTrainer();
    const setup = await api<{ secret: string }>('POST', '/api/users/2fa/setup/', {
      token: t.token,
      body: { password: PASSWORD },
    });
    const on = await api('POST', '/api/users/2fa/enable/', {
      token: t.token,
      body: { code: totpAt(setup.body.secret) },
    });
    expect(on.status).toBe(200);
    const wrong = totpAt(setup.body.secret, Date.now(), 5);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) {
        const guess = await api('POST', '/api/users/login/', {
          headers: { 'CF-Connecting-IP': freshIp() },
          body: { email: t.email, password: PASSWORD, otp: wrong },
        });
        statuses.push(guess.status);
      }
      // The right password posted to the console (a trainer: 403) forgets nothing.
      statuses.push((await passwordStep(t.email)).res.status);
    }
    expect(statuses.slice(0, 10)).toEqual([...Array(9).fill(401), 403]);
    expect(statuses.slice(10)).toEqual(Array(20).fill(429));
  });
});
