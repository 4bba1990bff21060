import { env } from 'cloudflare:workers';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { api, claimsOf, PASSWORD, registerTrainer, uniqueEmail } from './helpers';

type Problem = { status: number; title: string; detail: string; errors?: Record<string, string[]>; code?: string };
type Profile = {
  id: number;
  email: string;
  first_name: string;
  phone: string;
  is_trainer: boolean;
  is_client: boolean;
  is_staff: boolean;
  trainer: null | Record<string, unknown>;
};

const register = (body: Record<string, unknown>) =>
  api<Problem & { token: string; user: Profile }>('POST', '/api/users/register/', { body });
const validRegistration = () => ({ email: uniqueEmail(), password: PASSWORD, password_confirm: PASSWORD });

describe('POST /api/users/register/', () => {
  it('creates a trainer by default, with a slug and default settings, and signs in', async () => {
    const email = uniqueEmail('Alex.Fit');
    const res = await register({
      ...validRegistration(),
      email: `  ${email.toUpperCase()} `,
      business_name: 'Alex Fit Studio',
      first_name: 'Alex',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({
      email: email.toLowerCase(),
      first_name: 'Alex',
      is_trainer: true,
      is_client: false,
      is_staff: false,
    });
    expect(res.body.user.trainer).toMatchObject({
      business_name: 'Alex Fit Studio',
      timezone: 'UTC',
      session_duration_minutes: 60,
      slot_interval_minutes: 30,
      buffer_minutes: 0,
      min_notice_minutes: 120,
      booking_horizon_days: 60,
      late_cancel_hours: 24,
      auto_confirm: false,
    });
    expect(res.body.user.trainer?.slug).toMatch(/^alex-fit-studio(-\d+)?$/);
    const me = await api<Profile>('GET', '/api/users/profile/', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email.toLowerCase());
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE email = ?')
      .bind(email.toLowerCase())
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^pbkdf2_sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9+/]{43}=$/);
  });

  it('gives a second trainer with the same business name the next free slug', async () => {
    const name = `Same Name ${Math.random().toString(36).slice(2, 8)}`;
    const a = await register({ ...validRegistration(), business_name: name });
    const b = await register({ ...validRegistration(), business_name: name });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.user.trainer?.slug).toBe(`${a.body.user.trainer?.slug}-2`);
  });

  it("slugs: Latin letters with their accents dropped; a name without them takes the email's", async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    const slugOf = async (business_name: string, email: string) => {
      const res = await register({ ...validRegistration(), business_name, email });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.user.trainer?.slug;
    };
    expect(await slugOf(`Østberg Træning ${tag}`, uniqueEmail('o'))).toBe(`ostberg-traening-${tag}`);
    expect(await slugOf('مدرب أحمد', `ahmed.coach.${tag}@example.com`)).toBe(`ahmed-coach-${tag}`);
    expect(await slugOf('李教练', `li.${tag}@example.cn`)).toBe(`li-${tag}`);
    expect(await slugOf('Тренер', `${tag.slice(0, 2)}@example.ru`)).toBe(`trainer-${tag.slice(0, 2)}`);
  });

  it('registers a client user (no trainer row) with is_client; business settings are refused by name', async () => {
    const body = validRegistration();
    const business = await register({ ...body, is_client: true, timezone: 'Europe/London', business_name: 'Nope' });
    expect(business.status).toBe(400);
    expect(Object.keys(business.body.errors ?? {}).sort()).toEqual(['business_name', 'timezone']);
    const res = await register({ ...body, is_client: true });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ is_trainer: false, is_client: true, trainer: null });
  });

  it('stores a valid timezone and normalises the phone to E.164', async () => {
    const res = await register({ ...validRegistration(), timezone: 'Australia/Lord_Howe', phone: '+1 (415) 555-0123' });
    expect(res.status).toBe(201);
    expect(res.body.user.phone).toBe('+14155550123');
    expect(res.body.user.trainer?.timezone).toBe('Australia/Lord_Howe');
  });

  it('stores a zone as the zone database spells it, whatever the case typed; POSIX-style names are zones too', async () => {
    for (const [typed, stored] of [
      ['europe/london', 'Europe/London'],
      ['AMERICA/NEW_YORK', 'America/New_York'],
      ['utc', 'UTC'],
      ['EST5EDT', 'EST5EDT'],
      // The runtime names these Asia/Calcutta and Europe/Kiev; the database renamed them.
      ['asia/kolkata', 'Asia/Kolkata'],
      ['Asia/Calcutta', 'Asia/Kolkata'],
      ['europe/kyiv', 'Europe/Kyiv'],
      ['america/argentina/buenos_aires', 'America/Argentina/Buenos_Aires'],
      // The database's other names (links, zones the runtime merges) keep their own spelling.
      ['US/Eastern', 'US/Eastern'],
      ['us/eastern', 'US/Eastern'],
      ['US/EASTERN', 'US/Eastern'],
      ['etc/utc', 'Etc/UTC'],
      ['JAPAN', 'Japan'],
      ['est', 'EST'],
      ['nz-chat', 'NZ-CHAT'],
      ['GMT+0', 'GMT+0'],
    ]) {
      const res = await register({ ...validRegistration(), timezone: typed });
      expect([typed, res.status, res.body.user?.trainer?.timezone]).toEqual([typed, 201, stored]);
    }
    const res = await register({ ...validRegistration(), timezone: 'Australia/Sydney' });
    const patched = await api<{ trainer: { timezone: string } }>('PATCH', '/api/users/profile/', {
      token: res.body.token,
      body: { timezone: 'asia/tokyo' },
    });
    expect([patched.status, patched.body.trainer?.timezone]).toEqual([200, 'Asia/Tokyo']);
  });

  it('refuses a taken email in another case with errors.email', async () => {
    const first = validRegistration();
    expect((await register(first)).status).toBe(201);
    const again = await register({ ...validRegistration(), email: first.email.toUpperCase() });
    expect(again.status).toBe(400);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.body.errors?.email?.[0]).toMatch(/already exists/);
  });

  it('lets exactly one of two parallel registrations with one email through', async () => {
    const body = validRegistration();
    const results = await Promise.all([register(body), register({ ...body, email: body.email.toUpperCase() })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
    const { n } = (await env.DB.prepare('SELECT count(*) AS n FROM users WHERE email = ?')
      .bind(body.email)
      .first<{ n: number }>()) ?? { n: 0 };
    expect(n).toBe(1);
  });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["the seed's pass123 (too short)", { password: 'pass123', password_confirm: 'pass123' }, 'password', /too short/],
    [
      'an all-digit password',
      { password: '12345678901', password_confirm: '12345678901' },
      'password',
      /entirely numeric/,
    ],
    ['mismatched confirmation', { password_confirm: 'something-else-1' }, 'password_confirm', /do not match/],
    ['an invalid email', { email: 'not-an-email' }, 'email', /email address like name@example.com/],
    ['a missing email', { email: undefined }, 'email', /required/],
    ['a missing password', { password: undefined }, 'password', /required/],
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone', /time zone/],
    ['an offset instead of a zone', { timezone: '+05:00' }, 'timezone', /time zone/],
    ['an offset after UTC', { timezone: 'UTC+1' }, 'timezone', /time zone/],
    ["the database's name for no zone", { timezone: 'Factory' }, 'timezone', /time zone/],
    ['a phone without country code', { phone: '555-0123' }, 'phone', /international/],
    ['a non-boolean is_client', { is_client: 'yes' }, 'is_client', /true or false/],
  ];
  for (const [name, patch, field, message] of cases) {
    it(`400 naming ${field} for ${name}`, async () => {
      const res = await register({ ...validRegistration(), ...patch });
      expect(res.status).toBe(400);
      expect(res.body.errors?.[field]?.join(' ')).toMatch(message);
    });
  }

  it('refuses a password equal to the email', async () => {
    const email = uniqueEmail();
    const res = await register({ email, password: email.toUpperCase(), password_confirm: email.toUpperCase() });
    expect(res.status).toBe(400);
    expect(res.body.errors?.password?.join(' ')).toMatch(/similar to the email/);
  });

  it('lists every bad field in one answer', async () => {
    const res = await register({ email: 'bad', password: '123', password_confirm: '456', timezone: 'Nowhere/Land' });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {}).sort()).toEqual(['email', 'password', 'password_confirm', 'timezone']);
    expect(res.body.errors?.password).toHaveLength(2); // too short and entirely numeric
  });

  it('refuses role and id fields by name (no mass assignment), and creates no account', async () => {
    const body = validRegistration();
    const res = await register({ ...body, is_staff: true, id: 1, is_trainer: false });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {}).sort()).toEqual(['id', 'is_staff', 'is_trainer']);
    const plain = await register(body);
    expect(plain.status).toBe(201);
    expect(plain.body.user.is_staff).toBe(false);
    expect(plain.body.user.is_trainer).toBe(true);
  });
});

describe('POST /api/users/login/', () => {
  it('returns a token and the user; unknown email and wrong password get the same 401', async () => {
    const { email } = await registerTrainer();
    const ok = await api<{ token: string; user: Profile }>('POST', '/api/users/login/', {
      body: { email: email.toUpperCase(), password: PASSWORD },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(email);
    expect((await api('GET', '/api/users/profile/', { token: ok.body.token })).status).toBe(200);

    const wrong = await api<Problem>('POST', '/api/users/login/', { body: { email, password: 'not-the-password' } });
    const unknown = await api<Problem>('POST', '/api/users/login/', {
      body: { email: uniqueEmail(), password: 'not-the-password' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it('400 names each missing field', async () => {
    const res = await api<Problem>('POST', '/api/users/login/', { body: {} });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {}).sort()).toEqual(['email', 'password']);
  });

  it('429 with Retry-After after 10 failed logins for one email, even with the right password', async () => {
    const { email } = await registerTrainer();
    for (let i = 0; i < 10; i++) {
      const res = await api('POST', '/api/users/login/', { body: { email, password: `wrong-${i}-password` } });
      expect(res.status).toBe(401);
    }
    const locked = await api<Problem>('POST', '/api/users/login/', { body: { email, password: PASSWORD } });
    expect(locked.status).toBe(429);
    const retry = Number(locked.headers.get('Retry-After'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(900);
    // Another email is not affected.
    const other = await registerTrainer();
    expect((await api('POST', '/api/users/login/', { body: { email: other.email, password: PASSWORD } })).status).toBe(
      200,
    );
  });
});

describe('tokens', () => {
  const secret = () => new TextEncoder().encode(env.JWT_SECRET);
  const b64url = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const profileWith = (authorization?: string) =>
    api<Problem>('GET', '/api/users/profile/', { headers: authorization ? { Authorization: authorization } : {} });

  it('accepts both "Token" and "Bearer"', async () => {
    const { token } = await registerTrainer();
    expect((await profileWith(`Token ${token}`)).status).toBe(200);
    expect((await profileWith(`Bearer ${token}`)).status).toBe(200);
  });

  it('401 for a missing header, garbage, a wrong signature, alg none, expired, tampered', async () => {
    const { token, user } = await registerTrainer();
    const { jti } = claimsOf(token);
    const wrongKey = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(user.id))
      .setJti(jti)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-0123456789abcdef0123'));
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: String(user.id), jti, exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(user.id))
      .setJti(jti)
      .setIssuedAt(1_600_000_000)
      .setExpirationTime(1_600_000_100)
      .sign(secret());
    const [h, , s] = token.split('.');
    const tampered = `${h}.${b64url({ ...claimsOf(token), sub: String(user.id + 1) })}.${s}`;
    const hs512 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(String(user.id))
      .setJti(jti)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(`${env.JWT_SECRET}${env.JWT_SECRET}`));

    // Signed with the right key but not acceptable: a critical extension we do not know, no
    // expiry, an expiry that is not a number, not valid before an hour from now, a non-numeric subject.
    const key = await crypto.subtle.importKey('raw', secret(), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signedWith = async (protectedHeader: Record<string, unknown>, claims: Record<string, unknown>) => {
      const input = `${b64url({ alg: 'HS256', ...protectedHeader })}.${b64url(claims)}`;
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input)));
      return `${input}.${btoa(String.fromCharCode(...mac))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '')}`;
    };
    const hour = Math.floor(Date.now() / 1000) + 3600;
    const rightKeyWrongClaims = await Promise.all([
      signedWith({ crit: ['x-unknown'], 'x-unknown': 1 }, { sub: String(user.id), jti, exp: hour }),
      signedWith({}, { sub: String(user.id), jti }),
      signedWith({}, { sub: String(user.id), jti, exp: String(hour) }),
      signedWith({}, { sub: String(user.id), jti, exp: hour, nbf: hour }),
      signedWith({}, { sub: 'me', jti, exp: hour }),
    ]);
    // The same construction with good claims is accepted: the refusals above are the claims' doing.
    expect((await profileWith(`Bearer ${await signedWith({}, { sub: String(user.id), jti, exp: hour })}`)).status).toBe(
      200,
    );

    for (const header of [
      ...rightKeyWrongClaims.map((t) => `Bearer ${t}`),
      `Bearer ${token}.extra`,
      `Bearer ${token.split('.').slice(0, 2).join('.')}.`,
      undefined,
      'Bearer',
      'Bearer garbage',
      'Basic dXNlcjpwYXNz',
      `Bearer ${wrongKey}`,
      `Bearer ${none}`,
      `Bearer ${expired}`,
      `Bearer ${tampered}`,
      `Bearer ${hs512}`,
    ]) {
      const res = await profileWith(header);
      expect(res.status, String(header)).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
    }
    expect((await profileWith(`Bearer ${token}`)).status).toBe(200);
  });

  it('a validly signed token whose session row is gone is refused', async () => {
    const { token, user } = await registerTrainer();
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(user.id))
      .setJti(crypto.randomUUID())
      .setExpirationTime('1h')
      .sign(secret());
    expect((await profileWith(`Bearer ${forged}`)).status).toBe(401);
    expect((await profileWith(`Bearer ${token}`)).status).toBe(200);
  });

  it('logout revokes that token only', async () => {
    const { email, token } = await registerTrainer();
    const second = await api<{ token: string }>('POST', '/api/users/login/', { body: { email, password: PASSWORD } });
    const out = await api('POST', '/api/users/logout/', { token });
    expect(out.status).toBe(204);
    expect((await api('GET', '/api/users/profile/', { token })).status).toBe(401);
    expect((await api('POST', '/api/users/logout/', { token })).status).toBe(401);
    expect((await api('GET', '/api/users/profile/', { token: second.body.token })).status).toBe(200);
  });
});

describe('profile', () => {
  it('PATCH updates flat and nested trainer settings; email, roles and ids are refused by name', async () => {
    const { token, user, email } = await registerTrainer();
    const hijack = await api<Problem>('PATCH', '/api/users/profile/', {
      token,
      body: { first_name: 'Sam', email: 'hijack@example.com', is_staff: true, id: 999, trainer: { id: 5 } },
    });
    expect(hijack.status).toBe(400);
    expect(Object.keys(hijack.body.errors ?? {}).sort()).toEqual(['email', 'id', 'is_staff', 'trainer.id']);
    const flat = await api<Profile>('PATCH', '/api/users/profile/', {
      token,
      body: { first_name: 'Sam', timezone: 'America/New_York', buffer_minutes: 15 },
    });
    expect(flat.status).toBe(200);
    expect(flat.body).toMatchObject({ id: user.id, email, first_name: 'Sam', is_staff: false });
    expect(flat.body.trainer).toMatchObject({ timezone: 'America/New_York', buffer_minutes: 15, id: user.trainer.id });

    const nested = await api<Profile>('PATCH', '/api/users/profile/', {
      token,
      body: { trainer: { session_duration_minutes: 45, late_cancel_hours: 12, auto_confirm: true } },
    });
    expect(nested.status).toBe(200);
    expect(nested.body.trainer).toMatchObject({
      session_duration_minutes: 45,
      late_cancel_hours: 12,
      auto_confirm: true,
      timezone: 'America/New_York',
      id: user.trainer.id,
    });

    // A null is a value, nested as flat: it clears the setting, and wins over the flat field.
    const cutoff = async (body: Record<string, unknown>) =>
      (
        await api<{ trainer: { reschedule_cutoff_hours: number | null } }>('PATCH', '/api/users/profile/', {
          token,
          body,
        })
      ).body.trainer.reschedule_cutoff_hours;
    expect(await cutoff({ reschedule_cutoff_hours: 5 })).toBe(5);
    expect(await cutoff({ trainer: { reschedule_cutoff_hours: null } })).toBeNull();
    expect(await cutoff({ trainer: { reschedule_cutoff_hours: 6 } })).toBe(6);
    expect(await cutoff({ reschedule_cutoff_hours: 7, trainer: { reschedule_cutoff_hours: null } })).toBeNull();

    const put = await api<Profile>('PUT', '/api/users/profile/', {
      token,
      body: { last_name: 'Lee', phone: '0044 20 7946 0958' },
    });
    expect(put.status).toBe(200);
    expect(put.body.phone).toBe('+442079460958');
    const again = await api<Profile>('GET', '/api/users/profile/', { token });
    expect(again.body).toMatchObject({ first_name: 'Sam', phone: '+442079460958' });
  });

  const bounds: [string, number, number][] = [
    ['session_duration_minutes', 5, 720],
    ['slot_interval_minutes', 5, 240],
    ['buffer_minutes', 0, 240],
    ['min_notice_minutes', 0, 43_200],
    ['booking_horizon_days', 1, 365],
    ['late_cancel_hours', 0, 168],
  ];
  for (const [field, min, max] of bounds) {
    it(`bounds ${field} to ${min}–${max}, flat and nested`, async () => {
      const { token } = await registerTrainer();
      const bads: [number, string][] = [
        [min - 1, `Enter a whole number from ${min} to ${max}.`],
        [max + 1, `Enter a whole number from ${min} to ${max}.`],
        [10.5, `Enter a whole number from ${min} to ${max}.`],
      ];
      for (const [bad, message] of bads) {
        const flat = await api<Problem>('PATCH', '/api/users/profile/', { token, body: { [field]: bad } });
        expect(flat.status, `${field}=${bad}`).toBe(400);
        expect(flat.body.errors?.[field]).toEqual([message]);
        const nested = await api<Problem>('PATCH', '/api/users/profile/', {
          token,
          body: { trainer: { [field]: bad } },
        });
        expect(nested.status).toBe(400);
        expect(nested.body.errors?.[`trainer.${field}`]).toEqual([message]);
      }
      for (const good of [min, max]) {
        const ok = await api<Profile>('PATCH', '/api/users/profile/', { token, body: { [field]: good } });
        expect(ok.status).toBe(200);
        expect(ok.body.trainer?.[field]).toBe(good);
      }
    });
  }

  it('400 for a bad timezone or phone, and nothing is half-written', async () => {
    const { token } = await registerTrainer();
    const res = await api<Problem>('PATCH', '/api/users/profile/', {
      token,
      body: { first_name: 'Changed', timezone: 'Bad/Zone', phone: 'abc' },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {}).sort()).toEqual(['phone', 'timezone']);
    expect((await api<Profile>('GET', '/api/users/profile/', { token })).body.first_name).toBe('');
  });

  it('a taken slug is a 400 naming slug', async () => {
    const a = await registerTrainer();
    const b = await registerTrainer();
    const res = await api<Problem>('PATCH', '/api/users/profile/', {
      token: b.token,
      body: { slug: a.user.trainer.slug },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.slug).toEqual(['This slug is already taken.']);
    // Sent nested, it is named nested, as the other trainer settings are.
    const nested = await api<Problem>('PATCH', '/api/users/profile/', {
      token: b.token,
      body: { trainer: { slug: a.user.trainer.slug } },
    });
    expect(nested.status).toBe(400);
    expect(nested.body.errors).toEqual({ 'trainer.slug': ['This slug is already taken.'] });
  });

  it('a client user has no trainer settings: naming one is refused by name, and nothing changes', async () => {
    const reg = await register({ ...validRegistration(), is_client: true });
    const refused = await api<Problem>('PATCH', '/api/users/profile/', {
      token: reg.body.token,
      body: { first_name: 'Cli', timezone: 'Europe/Paris', trainer: { slug: 'mine' } },
    });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body.errors ?? {}).sort()).toEqual(['timezone', 'trainer.slug']);
    const res = await api<Profile>('PATCH', '/api/users/profile/', {
      token: reg.body.token,
      body: { first_name: 'Cli' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ first_name: 'Cli', trainer: null, is_client: true });
  });
});

describe('POST /api/users/change-password/', () => {
  it('400 errors.old_password for a wrong old password; errors.new_password for a weak one', async () => {
    const { token } = await registerTrainer();
    const wrongOld = await api<Problem>('POST', '/api/users/change-password/', {
      token,
      body: { old_password: 'nope-nope-nope', new_password: 'another-good-one-7' },
    });
    expect(wrongOld.status).toBe(400);
    expect(wrongOld.body.errors?.old_password).toEqual(['Your old password was entered incorrectly.']);
    const weak = await api<Problem>('POST', '/api/users/change-password/', {
      token,
      body: { old_password: PASSWORD, new_password: '1234' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors?.new_password?.length).toBe(2);
    // A blank old password and a short new one: both named in one answer.
    const both = await api<Problem>('POST', '/api/users/change-password/', {
      token,
      body: { old_password: '', new_password: 'x' },
    });
    expect(both.status).toBe(400);
    expect(Object.keys(both.body.errors ?? {}).sort()).toEqual(['new_password', 'old_password']);
    expect(both.body.errors?.new_password).toEqual([
      'This password is too short. It must contain at least 8 characters.',
    ]);
    expect((await api('GET', '/api/users/profile/', { token })).status).toBe(200);
  });

  it('returns a fresh token and revokes every other token of the user', async () => {
    const { token, email } = await registerTrainer();
    const other = await api<{ token: string }>('POST', '/api/users/login/', { body: { email, password: PASSWORD } });
    const res = await api<{ token: string }>('POST', '/api/users/change-password/', {
      token,
      body: { old_password: PASSWORD, new_password: 'brand-new-secret-9' },
    });
    expect(res.status).toBe(200);
    expect((await api('GET', '/api/users/profile/', { token })).status).toBe(401);
    expect((await api('GET', '/api/users/profile/', { token: other.body.token })).status).toBe(401);
    expect((await api('GET', '/api/users/profile/', { token: res.body.token })).status).toBe(200);
    expect((await api('POST', '/api/users/login/', { body: { email, password: PASSWORD } })).status).toBe(401);
    expect((await api('POST', '/api/users/login/', { body: { email, password: 'brand-new-secret-9' } })).status).toBe(
      200,
    );
  });
});

describe('login lockout under parallel guesses', () => {
  it('40 parallel wrong passwords: at most 10 are checked, the rest get 429', async () => {
    const { email } = await registerTrainer();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api('POST', '/api/users/login/', { body: { email, password: `guess-${i}-wrong` } }),
      ),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(30);
  });

  it('one client address guessing 110 emails in parallel: 100 are checked, then 429, even with a right password; another address is not affected', async () => {
    const { email } = await registerTrainer();
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const from = (addr: string, body: Record<string, string>) =>
      api<Problem>('POST', '/api/users/login/', { body, headers: { 'CF-Connecting-IP': addr } });
    const results = await Promise.all(
      Array.from({ length: 110 }, () => from(ip, { email: uniqueEmail('guess'), password: 'guess-password-1' })),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(100);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(10);
    expect(Number(refused[0]?.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect((await from(ip, { email, password: PASSWORD })).status).toBe(429);
    expect((await from('198.51.100.7', { email, password: PASSWORD })).status).toBe(200);
    // The address limit spent none of the email's own ten attempts.
    expect((await api('POST', '/api/users/login/', { body: { email, password: PASSWORD } })).status).toBe(200);
  });
});

describe('email verification', () => {
  it('a stranger registering a client email sees nothing until the mailed link is opened', async () => {
    const { verificationToken } = await import('../src/users/verification');
    const secret = env.JWT_SECRET ?? '';
    const email = uniqueEmail('victim');
    const reg = await register({ email, password: PASSWORD, password_confirm: PASSWORD, is_client: true });
    const token = reg.body.token;
    const id = reg.body.user.id;
    expect((reg.body.user as Profile & { email_verified: boolean }).email_verified).toBe(false);
    for (const path of ['/api/clients/', '/api/bookings/', '/api/client-packages/']) {
      const res = await api<Problem>('GET', path, { token });
      expect(res.status, path).toBe(403);
      expect(res.body.code).toBe('email_unverified');
    }
    const good = await verificationToken(secret, id, email, Date.now());
    const [uid, exp, sig] = good.split('.');
    const bad = [
      `${uid}.${exp}.${sig?.slice(0, -2)}xx`, // tampered signature
      `${Number(uid) + 1}.${exp}.${sig}`, // another user
      await verificationToken(secret, id, 'someone-else@example.com', Date.now()), // another address
      await verificationToken(secret, id, email, Date.now() - 49 * 3600_000), // expired
      await verificationToken('another-secret-0123456789abcdef0123456789', id, email, Date.now()),
      'garbage',
    ];
    for (const t of bad) {
      const res = await api<Problem>('GET', `/api/users/verify-email/?token=${encodeURIComponent(t)}`);
      expect(res.status, t).toBe(400);
    }
    expect(
      (await api<Profile & { email_verified: boolean }>('GET', '/api/users/profile/', { token })).body.email_verified,
    ).toBe(false);
    const ok = await api<{ email_verified: boolean }>(
      'GET',
      `/api/users/verify-email/?token=${encodeURIComponent(good)}`,
    );
    expect(ok.status).toBe(200);
    expect(
      (await api<Profile & { email_verified: boolean }>('GET', '/api/users/profile/', { token })).body.email_verified,
    ).toBe(true);
    expect((await api('GET', '/api/bookings/', { token })).status).toBe(200);
    const resend = await api<{ detail: string }>('POST', '/api/users/resend-verification/', { token });
    expect(resend.status).toBe(202);
    expect(resend.body.detail).toMatch(/already confirmed/);
  });

  it('the link goes through the outbox: a row per request, sent by the consumer, in no trainer list; verifying cancels unsent ones', async () => {
    type MailRow = {
      id: number;
      trainer_id: number | null;
      recipient: string;
      status: string;
      message: string;
      html: string;
    };
    const { token, email, user } = await registerTrainer();
    const mails = async () =>
      (
        await env.DB.prepare(
          "SELECT * FROM notifications WHERE user_id = ? AND kind = 'email_verification' ORDER BY id",
        )
          .bind(user.id)
          .all<MailRow>()
      ).results;
    const until = async (ok: (rows: MailRow[]) => boolean) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const rows = await mails();
        if (ok(rows) || Date.now() > deadline) return rows;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const first = await until((r) => r.length === 1 && r[0]?.status === 'sent');
    expect(first.map((r) => [r.trainer_id, r.recipient, r.status])).toEqual([[null, email, 'sent']]);
    expect((await api<{ count: number }>('GET', '/api/notifications/', { token })).body.count).toBe(0);

    expect((await api('POST', '/api/users/resend-verification/', { token })).status).toBe(202);
    const both = await until((r) => r.length === 2 && r.every((x) => x.status === 'sent'));
    // The link opens the confirmation page, the token in its fragment (never sent to a server).
    const link = /https?:\/\/\S+\/account\/verify-email#token=\S+/.exec(both[1]?.message ?? '')?.[0] ?? '';
    expect(both[1]?.html).toContain(`href="${link}"`);
    const page = await api('GET', new URL(link).pathname);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=UTF-8']);
    const mailedToken = new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';
    const waiting = await env.DB.prepare(
      `INSERT INTO notifications (user_id, kind, notification_type, recipient, message, dedupe_key)
       VALUES (?, 'email_verification', 'email', ?, 'x', ?) RETURNING id`,
    )
      .bind(user.id, email, `test:${crypto.randomUUID()}`)
      .first<{ id: number }>();
    const opened = await api<{ email_verified: boolean }>(
      'GET',
      `/api/users/verify-email/?token=${encodeURIComponent(mailedToken)}`,
    );
    expect(opened.status).toBe(200);
    expect(opened.body.email_verified).toBe(true);
    const after = await mails();
    expect(after.find((r) => r.id === waiting?.id)?.status).toBe('cancelled');
    expect((await api('POST', '/api/users/resend-verification/', { token })).status).toBe(202);
    expect(await mails()).toHaveLength(3);
  });
});
