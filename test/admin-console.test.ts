import { env } from 'cloudflare:workers';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditRows, cookieOf, csrfIn, page, registerAs, registerStaff, signInConsole } from './admin-helpers';
import { api, at, book, futureDay, PASSWORD, setupTrainer, uniqueEmail, until } from './helpers';
import { totpAt } from './totp';

/** The login form, the password, the code: the console session cookie and the page's CSRF token. */
const signIn = (email: string, password = PASSWORD) => signInConsole(email, password);

const staffUser = async () => registerStaff(uniqueEmail('staff'));
const clientOf = async (token: string) =>
  (await api<{ id: number }>('POST', '/api/clients/', { token, body: { email: uniqueEmail('c'), first_name: 'Cleo' } }))
    .body.id;

describe('staff console sign-in', () => {
  it('sets an HttpOnly, Secure, SameSite=Strict cookie on /admin for 12 h, stored hashed, and logs out', async () => {
    const staff = await staffUser();
    const { res, session, cookie, csrf } = await signIn(staff.email);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/');
    const flags = (session?.line ?? '').split(';').map((s) => s.trim());
    expect(flags).toEqual(
      expect.arrayContaining(['Max-Age=43200', 'Path=/admin', 'HttpOnly', 'Secure', 'SameSite=Strict']),
    );
    const rows = await env.DB.prepare('SELECT token_hash, expires_at FROM admin_sessions WHERE user_id = ?')
      .bind(staff.userId)
      .all<{ token_hash: string; expires_at: string }>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]?.token_hash).not.toBe(session?.value);
    expect(Date.parse(rows.results[0]?.expires_at ?? '') - Date.now()).toBeGreaterThan(11.9 * 3600_000);

    const home = await page('GET', '/admin/', { cookie });
    expect(home.status).toBe(200);
    expect(home.text).toContain(staff.email);
    const csp = home.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('script-src');
    expect(home.text).not.toContain('<script');
    expect(home.headers.get('X-Frame-Options')).toBe('DENY');
    for (const path of ['/admin', '/admin/', '/admin/users/']) {
      const res = await page('GET', path, { cookie });
      const nonce = /'nonce-([^']+)'/.exec(res.headers.get('Content-Security-Policy') ?? '')?.[1];
      expect(res.text, path).toContain(`<style nonce="${nonce}">`);
    }

    const out = await page('POST', '/admin/logout', { cookie, form: { csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get('Location')).toBe('/admin/login');
    expect(cookieOf(out, 'th_admin')?.line).toMatch(/Max-Age=0/);
    expect((await page('GET', '/admin/', { cookie })).status).toBe(303);
  });

  it('a cookie value chosen before login never becomes a session, opens the console or signs a login form', async () => {
    const staff = await staffUser();
    const chosen = 'chosen-by-the-client-0123456789abcdefghijklmnop';
    const planted = `th_admin=${chosen}; th_admin_login=${chosen}`;
    // The login form replaces a pre-login cookie it did not issue with one of its own.
    const form = await page('GET', '/admin/login', { cookie: planted });
    expect(form.status).toBe(200);
    const pre = cookieOf(form, 'th_admin_login');
    expect(pre?.value).toBeTruthy();
    expect(pre?.value).not.toBe(chosen);
    // A login carrying the chosen value and the CSRF token it would imply is refused.
    const impliedCsrf = createHash('sha256').update(`csrf:${chosen}`).digest('base64url');
    const forged = await page('POST', '/admin/login', {
      cookie: planted,
      form: { csrf: impliedCsrf, email: staff.email, password: PASSWORD, next: '/admin/' },
    });
    expect(forged.status).toBe(403);
    expect(cookieOf(forged, 'th_admin')).toBeNull();
    // The real login, with the chosen session value still sent: the password alone makes no
    // session; the code step then gives a fresh session id.
    const res = await page('POST', '/admin/login', {
      cookie: `th_admin=${chosen}; ${pre?.pair}`,
      form: { csrf: csrfIn(form.text), email: staff.email, password: PASSWORD, next: '/admin/' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/login/code');
    expect(cookieOf(res, 'th_admin')).toBeNull();
    const pending = cookieOf(res, 'th_admin_2fa')?.pair ?? '';
    const codeForm = await page('GET', '/admin/login/code', { cookie: `th_admin=${chosen}; ${pending}` });
    const done = await page('POST', '/admin/login/code', {
      cookie: `th_admin=${chosen}; ${pending}`,
      form: { csrf: csrfIn(codeForm.text), code: totpAt(staff.totpSecret), next: '/admin/' },
    });
    expect(done.status).toBe(303);
    const session = cookieOf(done, 'th_admin');
    expect(session?.value).toBeTruthy();
    expect(session?.value).not.toBe(chosen);
    expect((await page('GET', '/admin/', { cookie: session?.pair ?? '' })).status).toBe(200);
    // The chosen value (no stored session) gets the login page, never the console.
    const refused = await page('GET', '/admin/', { cookie: `th_admin=${chosen}` });
    expect(refused.status).toBe(303);
    expect(refused.headers.get('Location')).toMatch(/^\/admin\/login/);
    // Signing in again ends the session the browser had: only the newest id opens the console.
    const again = await page('GET', '/admin/login', { cookie: pre?.pair ?? '' });
    const second = await page('POST', '/admin/login', {
      cookie: `${session?.pair}; ${pre?.pair}`,
      form: { csrf: csrfIn(again.text), email: staff.email, password: PASSWORD, next: '/admin/' },
    });
    const pendingAgain = cookieOf(second, 'th_admin_2fa')?.pair ?? '';
    const codeAgain = await page('GET', '/admin/login/code', { cookie: pendingAgain });
    const secondDone = await page('POST', '/admin/login/code', {
      cookie: `${session?.pair}; ${pendingAgain}`,
      // The code of the next 30 seconds: the current one was used above.
      form: { csrf: csrfIn(codeAgain.text), code: totpAt(staff.totpSecret, Date.now(), 1), next: '/admin/' },
    });
    const renewed = cookieOf(secondDone, 'th_admin');
    expect(renewed?.value).not.toBe(session?.value);
    expect((await page('GET', '/admin/', { cookie: renewed?.pair ?? '' })).status).toBe(200);
    expect((await page('GET', '/admin/', { cookie: session?.pair ?? '' })).status).toBe(303);
  });

  it('redirects anonymous pages to the login and answers 403 to a user who is not staff', async () => {
    const anonymous = await page('GET', '/admin/users/?search=x');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toBe('/admin/login?next=%2Fadmin%2Fusers%2F%3Fsearch%3Dx');
    expect((await page('GET', '/admin')).status).toBe(303);

    const trainer = await registerAs(uniqueEmail('trainer'));
    const refused = await signIn(trainer.email);
    expect(refused.res.status).toBe(403);
    expect(refused.session).toBeNull();

    const staff = await staffUser();
    const { cookie } = await signIn(staff.email);
    await env.DB.prepare('UPDATE users SET is_staff = 0 WHERE id = ?').bind(staff.userId).run();
    expect((await page('GET', '/admin/bookings/', { cookie })).status).toBe(403);
  });

  it('keeps the console cookie and API tokens apart', async () => {
    const staff = await staffUser();
    const { cookie } = await signIn(staff.email);
    expect((await page('GET', '/admin/users/', { cookie })).status).toBe(200);
    // The console cookie opens no API route…
    expect((await api('GET', '/api/admin/users/', { headers: { Cookie: cookie } })).status).toBe(401);
    expect((await api('GET', '/api/users/profile/', { headers: { Cookie: cookie } })).status).toBe(401);
    // …and a staff API token opens no console page.
    expect((await api('GET', '/api/admin/users/', { token: staff.token })).status).toBe(200);
    const withToken = await page('GET', '/admin/users/', { headers: { Authorization: `Bearer ${staff.token}` } });
    expect(withToken.status).toBe(303);
    expect(withToken.headers.get('Location')).toMatch(/^\/admin\/login/);
  });

  it('signing out everywhere else, from the API, ends the console session too', async () => {
    const staff = await staffUser();
    const { cookie } = await signIn(staff.email);
    // The console's session is no API session: the API lists only the device asking.
    const listed = await api<{ results: { current: boolean }[] }>('GET', '/api/users/sessions/', {
      token: staff.token,
    });
    expect(listed.body.results.map((s) => s.current)).toEqual([true]);
    expect((await page('GET', '/admin/users/', { cookie })).status).toBe(200);
    const ended = await api<{ ended: number }>('DELETE', '/api/users/sessions/', { token: staff.token });
    expect([ended.status, ended.body.ended]).toEqual([200, 0]);
    const gone = await page('GET', '/admin/users/', { cookie });
    expect([gone.status, gone.headers.get('Location')]).toEqual([303, '/admin/login?next=%2Fadmin%2Fusers%2F']);
    // This device stays signed in.
    expect((await api('GET', '/api/users/profile/', { token: staff.token })).status).toBe(200);
  });

  it('rate limits the login form with the API login lockout', async () => {
    const staff = await staffUser();
    for (let i = 0; i < 10; i++) {
      const wrong = await signIn(staff.email, 'wrong-password-1');
      expect(wrong.res.status, `attempt ${i + 1}`).toBe(401);
      expect(wrong.res.text).toContain('Unable to log in with the provided credentials.');
      // The focus comes back to the password, where the next try is typed.
      expect(wrong.res.text).toMatch(/<input id="password"[^>]* autofocus/);
    }
    const locked = await signIn(staff.email);
    expect(locked.res.status).toBe(429);
    expect(Number(locked.res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(locked.session).toBeNull();
    const apiLogin = await api('POST', '/api/users/login/', { body: { email: staff.email, password: PASSWORD } });
    expect(apiLogin.status).toBe(429);
  });
});

describe('staff console forms', () => {
  it('refuse a missing or wrong CSRF token with 403 and change nothing', async () => {
    const staff = await staffUser();
    const trainer = await registerAs(uniqueEmail('trainer'));
    const clientId = await clientOf(trainer.token);
    const note = await api<{ id: number }>('POST', `/api/clients/${clientId}/add_note/`, {
      token: trainer.token,
      body: { content: 'keep me' },
    });
    const me = await signIn(staff.email);
    const other = await signIn((await staffUser()).email);
    const before = await env.DB.prepare('SELECT * FROM clients WHERE id = ?').bind(clientId).first();

    const attempts: [string, Record<string, string>][] = [
      [`/admin/clients/${clientId}/`, { first_name: 'Changed' }],
      [`/admin/clients/${clientId}/`, { first_name: 'Changed', csrf: 'forged' }],
      [`/admin/clients/${clientId}/`, { first_name: 'Changed', csrf: other.csrf }],
      [`/admin/client-notes/${note.body.id}/delete`, {}],
      [`/admin/client-notes/${note.body.id}/delete`, { csrf: `${me.csrf}x` }],
      ['/admin/logout', {}],
    ];
    for (const [path, form] of attempts) {
      const res = await page('POST', path, { cookie: me.cookie, form });
      expect(res.status, `${path} ${JSON.stringify(form)}`).toBe(403);
    }
    expect(await env.DB.prepare('SELECT * FROM clients WHERE id = ?').bind(clientId).first()).toEqual(before);
    expect(await env.DB.prepare('SELECT id FROM client_notes WHERE id = ?').bind(note.body.id).first()).not.toBeNull();
    expect(await auditRows('clients', clientId)).toEqual([]);
    expect(await auditRows('client-notes', note.body.id)).toEqual([]);
    expect((await page('GET', '/admin/', { cookie: me.cookie })).status).toBe(200);

    // The login form has its own token, tied to its pre-login cookie.
    const noToken = await page('POST', '/admin/login', { form: { email: staff.email, password: PASSWORD } });
    expect(noToken.status).toBe(403);
    expect(cookieOf(noToken, 'th_admin')).toBeNull();

    const ok = await page('POST', `/admin/clients/${clientId}/`, {
      cookie: me.cookie,
      form: { first_name: 'Changed', csrf: me.csrf },
    });
    expect(ok.status).toBe(303);
    expect(await env.DB.prepare('SELECT first_name FROM clients WHERE id = ?').bind(clientId).first()).toEqual({
      first_name: 'Changed',
    });
    expect(await auditRows('clients', clientId)).toHaveLength(1);
  });

  it('shows errors beside each field, and cancels a booking through the booking rules', async () => {
    const staff = await staffUser();
    const trainer = await registerAs(uniqueEmail('trainer'), { business_name: 'Form Gym', timezone: 'Asia/Kolkata' });
    const { cookie, csrf } = await signIn(staff.email);

    const bad = await page('POST', `/admin/trainers/${trainer.trainerId}/`, {
      cookie,
      form: { csrf, timezone: 'Mars/Olympus', buffer_minutes: '999', business_name: 'Form Gym' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-timezone-error"[^>]*>Choose a time zone from the list/);
    expect(bad.text).toContain('id="f-buffer_minutes-error"');
    expect(bad.text).toContain('value="Mars/Olympus"');
    expect(await auditRows('trainers', trainer.trainerId)).toEqual([]);

    const clientId = await clientOf(trainer.token);
    const start = at(futureDay(5).date, '04:30');
    const booking = await book(trainer.token, {
      client: clientId,
      start_time: start,
      allow_outside_availability: true,
    });
    const view = await page('GET', `/admin/bookings/${booking.body.id}/`, { cookie });
    expect(view.status).toBe(200);
    expect(view.text).toContain(`${futureDay(5).date} 04:30 UTC`);
    expect(view.text).toContain('10:00 IST'); // the trainer's zone

    // Issue 22: status changes are their own form (never offered when not allowed), and a cancel
    // is made from its confirmation page.
    const early = await page('POST', `/admin/bookings/${booking.body.id}/status`, {
      cookie,
      form: { csrf, transition: 'mark_completed' },
    });
    expect(early.status).toBe(409);
    expect(early.text).toContain('cannot become completed');

    const review = await page('POST', `/admin/bookings/${booking.body.id}/status`, {
      cookie,
      form: { csrf, transition: 'cancel', cancellation_reason: 'Trainer unwell' },
    });
    expect(review.status).toBe(200);
    const facts = (/name="facts" value="([^"]*)"/.exec(review.text)?.[1] ?? '').replace(/&quot;/g, '"');
    const cancel = await page('POST', `/admin/bookings/${booking.body.id}/status`, {
      cookie,
      form: { csrf, transition: 'cancel', cancellation_reason: 'Trainer unwell', facts, confirm: 'yes' },
    });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('Location')).toBe(`/admin/bookings/${booking.body.id}/?saved=1`);
    const row = await env.DB.prepare('SELECT status, cancellation_reason FROM bookings WHERE id = ?')
      .bind(booking.body.id)
      .first();
    expect(row).toEqual({ status: 'cancelled', cancellation_reason: 'Trainer unwell' });
    expect((await auditRows('bookings', booking.body.id)).map((r) => r.action)).toEqual(['cancel']);

    const list = await page('GET', `/admin/bookings/?trainer=${trainer.trainerId}&ordering=-start_time`, { cookie });
    expect(list.status).toBe(200);
    expect(list.text).toContain(`href="/admin/bookings/${booking.body.id}/"`);
    expect(list.text).toContain('aria-sort="descending"');
    const badList = await page('GET', '/admin/bookings/?ordering=secret', { cookie });
    expect(badList.status).toBe(400);
    expect(badList.text).toContain('Unknown ordering field');
    const audit = await page('GET', `/admin/audit-log/?model=bookings&record=${booking.body.id}`, { cookie });
    expect(audit.text).toContain('cancel');
  });

  it('a move by staff tells the client once (the rescheduled email, queued and sent)', async () => {
    const staff = await staffUser();
    const { cookie, csrf } = await signIn(staff.email);
    const t = await setupTrainer({ settings: { timezone: 'UTC' } });
    const booking = await book(t.token, { client: t.client.id, start_time: at(futureDay(6).date, '09:00') });
    expect(booking.status).toBe(201);
    // Confirmed, so the client has heard of it (a trainer's unconfirmed booking is moved silently).
    expect((await api('POST', `/api/bookings/${booking.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const newStart = at(futureDay(6).date, '12:00');
    // Issue 22: the time is its own form; this posts its confirmation page's form.
    const moved = await page('POST', `/admin/bookings/${booking.body.id}/time`, {
      cookie,
      form: { csrf, start_time: newStart, allow_outside_availability: 'false', confirm: 'yes' },
    });
    expect(moved.status, moved.text.slice(0, 500)).toBe(303);
    const rows = await until(
      async () =>
        (
          await env.DB.prepare(
            `SELECT recipient, status, subject FROM notifications WHERE booking_id = ? AND kind = 'booking_rescheduled'`,
          )
            .bind(booking.body.id)
            .all<{ recipient: string; status: string; subject: string }>()
        ).results,
      (r) => r.length > 0 && r.every((x) => x.status === 'sent'),
    );
    expect(rows).toEqual([
      { recipient: t.client.email, status: 'sent', subject: expect.stringMatching(/^Rescheduled: /) },
    ]);
  });
});
