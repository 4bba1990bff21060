// Rate limits of the routes anyone can call often: each answers 429 with Retry-After past its
// limit, per client address (Cloudflare's CF-Connecting-IP) and per account, manage link or
// trainer; and the OpenAPI document lists a 429 exactly where one can happen.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  api,
  futureDay,
  openapiDocument,
  PASSWORD,
  type Reply,
  registerTrainer,
  setupTrainer,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';
import { totpAt } from './totp';

/** A trainer with a pending two-factor setup, one with it on (its secret), and one without. */
async function twoFactorTrainers() {
  const off = await registerTrainer();
  const pending = await registerTrainer();
  await api('POST', '/api/users/2fa/setup/', { token: pending.token, body: { password: PASSWORD } });
  const on = await registerTrainer();
  const setup = await api<{ secret: string }>('POST', '/api/users/2fa/setup/', {
    token: on.token,
    body: { password: PASSWORD },
  });
  await api('POST', '/api/users/2fa/enable/', { token: on.token, body: { code: totpAt(setup.body.secret) } });
  // A code five steps away: never accepted, so each call is a wrong code counted by the lockout.
  return { off, pending, on, wrong: totpAt(setup.body.secret, Date.now(), 5) };
}

/** A client address no other test uses (documentation range, random). */
const freshIp = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
const from = (ip: string) => ({ 'CF-Connecting-IP': ip });
const randomToken = () => crypto.randomUUID().replace(/-/g, '') + crypto.randomUUID().replace(/-/g, '');

/** `n` calls one after the other; their statuses. */
async function times(n: number, call: (i: number) => Promise<Reply>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await call(i)).status);
  return statuses;
}

function expectLimited(res: Reply, atLeast = 1, atMost = Number.POSITIVE_INFINITY) {
  expect(res.status).toBe(429);
  expect(res.headers.get('Content-Type')).toContain('application/problem+json');
  const wait = Number(res.headers.get('Retry-After'));
  expect(wait).toBeGreaterThanOrEqual(atLeast);
  expect(wait).toBeLessThanOrEqual(atMost);
}

const register = (ip: string, body: Record<string, unknown> = {}) =>
  api('POST', '/api/users/register/', {
    headers: from(ip),
    body: { email: uniqueEmail('reg'), password: PASSWORD, password_confirm: PASSWORD, ...body },
  });

async function publicTrainer() {
  const t = await setupTrainer({ open: ['08:00', '18:00'], settings: { min_notice_minutes: 60 } });
  return { ...t, slug: t.user.trainer.slug };
}

let slot = 0;
/** A real booking's manage token, booked through the public API (each on its own slot). */
async function manageToken(slug: string): Promise<string> {
  const hour = String(8 + (slot % 9)).padStart(2, '0');
  const day = 5 + Math.floor(slot++ / 9);
  const res = await api<{ manage_url: string }>('POST', `/api/public/trainers/${slug}/bookings/`, {
    headers: from(freshIp()),
    body: {
      first_name: 'Vera',
      last_name: 'Visitor',
      email: uniqueEmail('visitor'),
      start_time: `${futureDay(day).date}T${hour}:00:00.000Z`,
    },
  });
  expect(res.status).toBe(201);
  return res.body.manage_url.split('/').pop() as string;
}

describe('newly limited routes', () => {
  it('register: 20 per hour per client address, then 429 with Retry-After; another address still registers', async () => {
    const ip = freshIp();
    expect(await times(20, () => register(ip))).toEqual(Array(20).fill(201));
    expectLimited(await register(ip), 3000, 3600);
    expect((await register(freshIp())).status).toBe(201);
  });

  it('register: only Cloudflare’s CF-Connecting-IP names the address, never X-Forwarded-For', async () => {
    const ip = freshIp();
    await times(20, () => register(ip, {}));
    const spoofed = await api('POST', '/api/users/register/', {
      headers: { ...from(ip), 'X-Forwarded-For': freshIp() },
      body: { email: uniqueEmail('reg'), password: PASSWORD, password_confirm: PASSWORD },
    });
    expect(spoofed.status).toBe(429);
  });

  it('resend-verification: 5 per hour per account, then 429; another account still gets its link', async () => {
    const { token } = await registerTrainer();
    const resend = (t: string) => api('POST', '/api/users/resend-verification/', { token: t });
    expect(await times(5, () => resend(token))).toEqual(Array(5).fill(202));
    expectLimited(await resend(token), 3000, 3600);
    expect((await resend((await registerTrainer()).token)).status).toBe(202);
  });

  it('manage GET: 60 per minute per manage link and 60 per address; other addresses and links still pass', async () => {
    const t = await publicTrainer();
    const token = await manageToken(t.slug);
    const show = (tok: string, ip: string) => api('GET', `/api/public/bookings/${tok}/`, { headers: from(ip) });
    // One link from many addresses: its own limit.
    expect(await times(60, () => show(token, freshIp()))).toEqual(Array(60).fill(200));
    expectLimited(await show(token, freshIp()), 1, 60);
    // One address trying many links (guessing): the address's limit.
    const ip = freshIp();
    expect(new Set(await times(60, () => show(randomToken(), ip)))).toEqual(new Set([404]));
    expectLimited(await show(await manageToken(t.slug), ip), 1, 60);
    expect((await show(await manageToken(t.slug), freshIp())).status).toBe(200);
  });

  it('manage cancel: 10 per minute per manage link and 30 per address', async () => {
    const t = await publicTrainer();
    const token = await manageToken(t.slug);
    const cancel = (tok: string, ip: string) =>
      api('POST', `/api/public/bookings/${tok}/cancel/`, { headers: from(ip), body: {} });
    const first = await times(10, () => cancel(token, freshIp()));
    expect(first).toEqual([200, ...Array(9).fill(409)]);
    expectLimited(await cancel(token, freshIp()), 1, 60);
    const ip = freshIp();
    expect(new Set(await times(30, () => cancel(randomToken(), ip)))).toEqual(new Set([404]));
    const other = await manageToken(t.slug);
    expectLimited(await cancel(other, ip), 1, 60);
    expect((await cancel(other, freshIp())).status).toBe(200);
  });

  it('availability: a storm of misses is limited exactly (120 per minute per address and trainer, in parallel); cache hits count nothing', async () => {
    const a = await publicTrainer();
    const b = await publicTrainer();
    const ip = freshIp();
    // One instant for every request: one 15-second cache window, one rate-limit window.
    const now = new Date().toISOString();
    const slots = (slug: string, addr: string, query = '') =>
      api('GET', `/api/public/trainers/${slug}/availability/${query}`, {
        headers: { ...from(addr), 'X-Test-Now': now },
      });
    // 125 different questions at once: every one a miss, every one counted.
    const questions = Array.from(
      { length: 125 },
      (_, i) => `?from=${futureDay(1 + (i % 25)).date}&to=${futureDay(1 + (i % 25) + Math.floor(i / 25)).date}`,
    );
    const burst = await Promise.all(questions.map((q) => slots(a.slug, ip, q)));
    const answered = burst.filter((r) => r.status === 200);
    expect(answered).toHaveLength(120);
    expect(new Set(answered.map((r) => r.headers.get('X-Cache')))).toEqual(new Set(['miss']));
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(5);
    expectLimited(refused[0] as Reply, 1, 60);
    // The address is at its limit for this trainer: a question answered a moment ago is a cache
    // hit and is served (to a crowd behind that one address too), a new question is refused.
    const cached = questions[burst.findIndex((r) => r.status === 200)];
    const hits = await Promise.all(Array.from({ length: 20 }, () => slots(a.slug, ip, cached)));
    expect(hits.map((r) => `${r.status} ${r.headers.get('X-Cache')}`)).toEqual(Array(20).fill('200 hit'));
    expectLimited(await slots(a.slug, ip, `?from=${futureDay(2).date}&to=${futureDay(40).date}`), 1, 60);
    expect((await slots(b.slug, ip)).status).toBe(200);
    expect((await slots(a.slug, freshIp(), `?from=${futureDay(2).date}&to=${futureDay(40).date}`)).status).toBe(200);
  });
});

/** A client user whose email is verified: the signed-in client's own booking routes are limited per account. */
async function verifiedClientUser(): Promise<string> {
  const email = uniqueEmail('member');
  const res = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
    headers: from(freshIp()),
    body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
  });
  await verifyEmailOf(res.body.user.id, email);
  return res.body.token;
}

type Response429 = { description: string; headers?: Record<string, unknown> };
type Spec = { paths: Record<string, Record<string, { responses: Record<string, Response429> }>> };

describe('OpenAPI lists a 429 exactly where one can happen', () => {
  it('the operations documenting 429 are the operations that answer 429 when driven past their limit', async () => {
    const t = await publicTrainer();
    const { token, user } = await registerTrainer();
    // A calendar connection whose sealed address no longer opens: its sync fails at once, fetching nothing.
    const calendar = await env.DB.prepare(
      `INSERT INTO calendar_connections (trainer_id, name, url_ciphertext, url_hint, url_hash)
       VALUES (?, 'Cal', 'AAAA.BBBB', 'calendar.example.test …x.ics', ?) RETURNING id`,
    )
      .bind(user.trainer.id, crypto.randomUUID())
      .first<{ id: number }>();
    const tokenOf = await manageToken(t.slug);
    const manage = randomToken();
    const member = await verifiedClientUser();
    const feed = new URL((await api<{ url: string }>('GET', '/api/calendar/feed/', { token })).body.url).pathname;
    const twoFactor = await twoFactorTrainers();
    // How to call each limited operation from one address; each is driven until it answers 429.
    let asked = 0;
    const drivers: Record<string, (ip: string) => Promise<Reply>> = {
      'POST /api/users/register': (ip) => register(ip),
      'POST /api/users/login': (ip) =>
        api('POST', '/api/users/login/', { headers: from(ip), body: { email: `${ip}@example.com`, password: 'nope' } }),
      'POST /api/users/resend-verification': () => api('POST', '/api/users/resend-verification/', { token }),
      'POST /api/users/password-reset': (ip) =>
        api('POST', '/api/users/password-reset/', {
          headers: from(ip),
          body: { email: `reset-${ip.replace(/:/g, '-')}@example.com` },
        }),
      // Wrong passwords and codes count toward the login lockout of the account.
      'POST /api/users/change-password': () =>
        api('POST', '/api/users/change-password/', {
          token,
          body: { old_password: 'not-the-password', new_password: 'another-Long-passw0rd' },
        }),
      'POST /api/users/password-reset/confirm': (ip) =>
        api('POST', '/api/users/password-reset/confirm/', {
          headers: from(ip),
          body: { token: '1.2.x', new_password: 'a-long-password-1' },
        }),
      'POST /api/users/delete-account': () =>
        api('POST', '/api/users/delete-account/', { token, body: { password: 'not-the-password' } }),
      'POST /api/users/2fa/setup': () =>
        api('POST', '/api/users/2fa/setup/', { token: twoFactor.off.token, body: { password: 'not-the-password' } }),
      'POST /api/users/2fa/enable': () =>
        api('POST', '/api/users/2fa/enable/', { token: twoFactor.pending.token, body: { code: '000000' } }),
      'POST /api/users/2fa/disable': () =>
        api('POST', '/api/users/2fa/disable/', {
          token: twoFactor.on.token,
          body: { password: PASSWORD, code: twoFactor.wrong },
        }),
      'POST /api/users/2fa/recovery-codes': () =>
        api('POST', '/api/users/2fa/recovery-codes/', { token: twoFactor.on.token, body: { code: twoFactor.wrong } }),
      // A new question each time: answers from the cache are never limited.
      'GET /api/public/trainers/{slug}/availability': (ip) =>
        api(
          'GET',
          `/api/public/trainers/${t.slug}/availability/?from=${futureDay(1).date}&to=${futureDay(2 + asked++).date}`,
          {
            headers: from(ip),
          },
        ),
      'POST /api/public/trainers/{slug}/bookings': (ip) =>
        api('POST', `/api/public/trainers/${t.slug}/bookings/`, {
          headers: from(ip),
          body: {
            first_name: 'R',
            last_name: 'Obot',
            email: uniqueEmail('bot'),
            start_time: `${futureDay(6).date}T10:00:00.000Z`,
            website: 'http://spam.example',
          },
        }),
      'GET /api/public/bookings/{token}': (ip) => api('GET', `/api/public/bookings/${manage}/`, { headers: from(ip) }),
      'GET /api/public/bookings/{token}/availability': (ip) =>
        api('GET', `/api/public/bookings/${manage}/availability/`, { headers: from(ip) }),
      'GET /api/public/bookings/{token}/ics': (ip) =>
        api('GET', `/api/public/bookings/${tokenOf}/ics/`, { headers: from(ip) }),
      'POST /api/public/bookings/{token}/cancel': (ip) =>
        api('POST', `/api/public/bookings/${manage}/cancel/`, { headers: from(ip), body: {} }),
      'POST /api/public/bookings/{token}/reschedule': (ip) =>
        api('POST', `/api/public/bookings/${manage}/reschedule/`, {
          headers: from(ip),
          body: { start_time: `${futureDay(6).date}T10:00:00.000Z` },
        }),
      'GET /api/calendar/feed/{token}.ics': () => api('GET', feed),
      // Counted once the body is valid: a trainer that does not exist books nothing.
      'POST /api/client/bookings': () =>
        api('POST', '/api/client/bookings/', {
          token: member,
          body: { trainer: 'no-such-trainer', start_time: `${futureDay(6).date}T10:00:00.000Z` },
        }),
      'POST /api/calendar/connections/{id}/sync': () =>
        api('POST', `/api/calendar/connections/${calendar?.id}/sync/`, { token }),
      'POST /api/client/bookings/{id}/reschedule': () =>
        api('POST', '/api/client/bookings/999999999/reschedule/', {
          token: member,
          body: { start_time: `${futureDay(6).date}T10:00:00.000Z` },
        }),
    };

    const spec = openapiDocument<Spec>();
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => '429' in (op.responses ?? {}))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(drivers).sort());
    for (const operation of documented) {
      const [method, path] = operation.split(' ') as [string, string];
      const response = spec.paths[path]?.[method.toLowerCase()]?.responses['429'];
      expect(response?.description, operation).toMatch(/^Too Many Requests: at most \d+ per /);
      expect(response?.headers?.['Retry-After'], operation).toBeTruthy();
    }

    const answered429: string[] = [];
    for (const [operation, drive] of Object.entries(drivers)) {
      const ip = freshIp();
      for (let i = 0; i < 130; i++) {
        const res = await drive(ip);
        if (res.status === 429) {
          expect(Number(res.headers.get('Retry-After')), operation).toBeGreaterThan(0);
          answered429.push(operation);
          break;
        }
      }
    }
    expect(answered429.sort()).toEqual(documented.sort());
  });
});
