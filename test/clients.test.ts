import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { registerStaff } from './admin-helpers';
import {
  api,
  at,
  book,
  createClient,
  futureDay,
  PASSWORD,
  type ProblemBody,
  registerTrainer,
  setupTrainer,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';

type Client = {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  phone: string;
  fitness_level: string;
  goals: string[];
  preferences: Record<string, unknown>;
  notes: string;
  is_active: boolean;
  notes_count: number;
};
type Page<T> = { count: number; next: string | null; previous: string | null; results: T[] };

describe('clients CRUD', () => {
  it('creates with normalised email and phone, reads, updates and lists', async () => {
    const t = await registerTrainer();
    const email = uniqueEmail('Jo');
    const res = await api<Client>('POST', '/api/clients/', {
      token: t.token,
      body: {
        email: ` ${email.toUpperCase()} `,
        first_name: 'Jo',
        last_name: 'Runner',
        phone: '+1 415-555-0123',
        fitness_level: 'advanced',
        goals: ['5k under 25 min', 'mobility'],
        preferences: { mornings: true, equipment: ['kettlebell'] },
        notes: 'Left knee',
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      email: email.toLowerCase(),
      phone: '+14155550123',
      fitness_level: 'advanced',
      goals: ['5k under 25 min', 'mobility'],
      preferences: { mornings: true, equipment: ['kettlebell'] },
      notes: 'Left knee',
      is_active: true,
      notes_count: 0,
    });
    const patched = await api<Client>('PATCH', `/api/clients/${res.body.id}/`, {
      token: t.token,
      body: { is_active: false, goals: [] },
    });
    expect(patched.body).toMatchObject({ is_active: false, goals: [], first_name: 'Jo' });
    // Another trainer's id is no field of a client: refused by name, never applied.
    const moved = await api<ProblemBody>('PATCH', `/api/clients/${res.body.id}/`, {
      token: t.token,
      body: { trainer: 999, first_name: 'Moved' },
    });
    expect(moved.status).toBe(400);
    expect(Object.keys(moved.body.errors ?? {})).toEqual(['trainer']);
    const put = await api<ProblemBody>('PUT', `/api/clients/${res.body.id}/`, {
      token: t.token,
      body: { first_name: 'No email' },
    });
    expect(put.status).toBe(400);
    expect(put.body.errors?.email).toEqual(['This field is required.']);
    const list = await api<Page<Client>>('GET', '/api/clients/', { token: t.token });
    expect(list.body.count).toBe(1);
  });

  it('400 naming each bad field', async () => {
    const t = await registerTrainer();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ email: 'not-an-email' }, 'email', 'Enter an email address like name@example.com.'],
      [{ phone: '12345' }, 'phone', 'Enter a phone number in international format, e.g. +14155550123.'],
      [{ fitness_level: 'elite' }, 'fitness_level', 'Choose one of: beginner, intermediate, advanced, athlete.'],
      [{ goals: Array.from({ length: 51 }, (_, i) => `goal ${i}`) }, 'goals', 'Choose at most 50 items.'],
      [{ goals: ['x'.repeat(201)] }, 'goals.0', 'Use at most 200 characters.'],
      [{ goals: 'run' }, 'goals', 'Send a list of values.'],
      [{ preferences: { blob: 'x'.repeat(8200) } }, 'preferences', 'Preferences are limited to 8 KB of JSON.'],
      [{ preferences: ['a'] }, 'preferences', 'Send a group of named values (a JSON object).'],
      [{ is_active: 'yes' }, 'is_active', 'Choose true or false.'],
    ];
    for (const [patch, field, message] of cases) {
      const res = await api<ProblemBody>('POST', '/api/clients/', {
        token: t.token,
        body: { email: uniqueEmail(), ...patch },
      });
      expect(res.status, JSON.stringify(patch).slice(0, 80)).toBe(400);
      expect(res.body.errors?.[field], JSON.stringify(res.body.errors)).toEqual([message]);
    }
  });

  it('email is unique per trainer (case-insensitive), but two trainers may share a client email', async () => {
    const a = await registerTrainer();
    const b = await registerTrainer();
    const email = uniqueEmail('shared');
    expect((await api('POST', '/api/clients/', { token: a.token, body: { email } })).status).toBe(201);
    const dup = await api<ProblemBody>('POST', '/api/clients/', {
      token: a.token,
      body: { email: email.toUpperCase() },
    });
    expect(dup.status).toBe(400);
    expect(dup.body.errors?.email?.[0]).toMatch(/already has a client/);
    expect((await api('POST', '/api/clients/', { token: b.token, body: { email } })).status).toBe(201);
    const other = await createClient(a.token);
    const clash = await api<ProblemBody>('PATCH', `/api/clients/${other.id}/`, { token: a.token, body: { email } });
    expect(clash.status).toBe(400);
    expect(clash.body.errors?.email).toEqual(['This trainer already has a client with this email.']);
  });

  it('notes: add, list newest first, counted; detail carries notes, booking counts and active packages', async () => {
    const t = await setupTrainer();
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { first_name: 'Alex', last_name: 'Coach' } });
    const c = t.client;
    const first = await api<{ id: number; content: string; created_by_name: string }>(
      'POST',
      `/api/clients/${c.id}/add_note/`,
      { token: t.token, body: { content: 'Assessment done' } },
    );
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ content: 'Assessment done', created_by_name: 'Alex Coach' });
    const second = await api<{ id: number }>('POST', `/api/clients/${c.id}/add_note/`, {
      token: t.token,
      body: { content: 'Squat 80kg' },
    });
    const badNotes: [Record<string, unknown>, string][] = [
      [{ content: '' }, 'A note cannot be empty.'],
      [{ content: '   ' }, 'A note cannot be empty.'],
      [{ content: 'x'.repeat(10_001) }, 'Use at most 10000 characters.'],
      [{}, 'This field is required.'],
    ];
    for (const [bad, message] of badNotes) {
      const res = await api<ProblemBody>('POST', `/api/clients/${c.id}/add_note/`, { token: t.token, body: bad });
      expect(res.status).toBe(400);
      expect(res.body.errors?.content).toEqual([message]);
    }
    const notes = await api<Page<{ id: number }>>('GET', `/api/clients/${c.id}/notes/?page_size=1`, { token: t.token });
    expect(notes.body.count).toBe(2);
    expect(notes.body.results.map((n) => n.id)).toEqual([second.body.id]);

    await book(t.token, { client: c.id, start_time: at(futureDay(3).date, '10:00') });
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: '10 pack', sessions_count: 10, price: '500.00' },
    });
    await api('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, { token: t.token, body: { client_id: c.id } });
    const detail = await api<
      Client & {
        client_notes: { id: number }[];
        bookings_count: number;
        upcoming_bookings_count: number;
        packages: { package_name: string }[];
      }
    >('GET', `/api/clients/${c.id}/`, { token: t.token });
    expect(detail.body.client_notes.map((n) => n.id)).toEqual([second.body.id, first.body.id]);
    expect(detail.body).toMatchObject({ notes_count: 2, bookings_count: 1, upcoming_bookings_count: 1 });
    expect(detail.body.packages.map((p) => p.package_name)).toEqual(['10 pack']);
    const bookings = await api<Page<{ client: number }>>('GET', `/api/clients/${c.id}/bookings/`, { token: t.token });
    expect(bookings.body.count).toBe(1);
    const list = await api<Page<Client>>('GET', '/api/clients/', { token: t.token });
    expect(list.body.results[0]?.notes_count).toBe(2);
  });

  it('DELETE: 409 with bookings or packages; otherwise 204 and the notes go with it', async () => {
    const t = await setupTrainer();
    await book(t.token, { client: t.client.id, start_time: at(futureDay(2).date, '10:00') });
    const busy = await api<ProblemBody>('DELETE', `/api/clients/${t.client.id}/`, { token: t.token });
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toMatch(/is_active/);

    const packaged = await createClient(t.token);
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Pack', sessions_count: 1, price: 50 },
    });
    await api('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: packaged.id },
    });
    expect((await api('DELETE', `/api/clients/${packaged.id}/`, { token: t.token })).status).toBe(409);

    const free = await createClient(t.token);
    await api('POST', `/api/clients/${free.id}/add_note/`, { token: t.token, body: { content: 'hello' } });
    expect((await api('DELETE', `/api/clients/${free.id}/`, { token: t.token })).status).toBe(204);
    expect((await api('GET', `/api/clients/${free.id}/`, { token: t.token })).status).toBe(404);
    expect((await api('GET', `/api/clients/${free.id}/notes/`, { token: t.token })).status).toBe(404);
  });
});

describe('search, filters and ordering on 30 clients', () => {
  it('return exactly the expected ids', async () => {
    const t = await registerTrainer();
    const levels = ['beginner', 'intermediate', 'advanced', 'athlete'] as const;
    const firsts = ['Ann', 'Ben', 'Cara', 'Dan', 'Eve', 'Finn'];
    const seeded: {
      id: number;
      first: string;
      last: string;
      level: string;
      active: boolean;
      email: string;
      phone: string;
    }[] = [];
    for (let i = 0; i < 30; i++) {
      const first = firsts[i % 6] as string;
      const last = `Smith${String.fromCharCode(65 + ((i * 7) % 26))}${i}`;
      const level = levels[i % 4] as string;
      const active = i % 5 !== 0;
      const email = `${first.toLowerCase()}.${i}.${uniqueEmail('seed')}`;
      const phone = `+4420794600${String(i).padStart(2, '0')}`;
      const res = await api<Client>('POST', '/api/clients/', {
        token: t.token,
        body: { email, first_name: first, last_name: last, fitness_level: level, is_active: active, phone },
      });
      seeded.push({ id: res.body.id, first, last, level, active, email, phone });
    }
    const ids = async (query: string) => {
      const res = await api<Page<Client>>('GET', `/api/clients/${query}`, { token: t.token });
      expect(res.status, query).toBe(200);
      return res.body.results.map((c) => c.id);
    };
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    expect(sorted(await ids('?fitness_level=athlete&page_size=100'))).toEqual(
      seeded.filter((s) => s.level === 'athlete').map((s) => s.id),
    );
    expect(sorted(await ids('?is_active=false&page_size=100'))).toEqual(
      seeded.filter((s) => !s.active).map((s) => s.id),
    );
    expect(sorted(await ids('?is_active=true&fitness_level=beginner&page_size=100'))).toEqual(
      seeded.filter((s) => s.active && s.level === 'beginner').map((s) => s.id),
    );
    expect(sorted(await ids('?search=cara&page_size=100'))).toEqual(
      seeded.filter((s) => s.first === 'Cara').map((s) => s.id),
    );
    expect(await ids('?search=smithh7')).toEqual(
      seeded.filter((s) => s.last.toLowerCase().includes('smithh7')).map((s) => s.id),
    );
    expect(await ids(`?search=${encodeURIComponent('+442079460017')}`)).toEqual([seeded[17]?.id]);
    expect(await ids(`?search=${encodeURIComponent(seeded[3]?.email ?? '')}`)).toEqual([seeded[3]?.id]);
    expect(await ids('?search=%25')).toEqual([]);
    const byLast = [...seeded].sort((a, b) => (a.last < b.last ? -1 : 1)).map((s) => s.id);
    expect(await ids('?ordering=last_name&page_size=100')).toEqual(byLast);
    expect(await ids('?ordering=-last_name&page_size=100')).toEqual([...byLast].reverse());
    expect(await ids('?ordering=-created_at&page_size=5')).toEqual(
      seeded
        .slice(-5)
        .reverse()
        .map((s) => s.id),
    );
    const firstName = [...seeded]
      .sort((a, b) => (a.first === b.first ? a.id - b.id : a.first < b.first ? -1 : 1))
      .map((s) => s.id);
    expect(await ids('?ordering=first_name&page_size=100')).toEqual(firstName);
    const page2 = await api<Page<Client>>('GET', '/api/clients/?ordering=last_name&page=2&page_size=10', {
      token: t.token,
    });
    expect(page2.body.results.map((c) => c.id)).toEqual(byLast.slice(10, 20));
    expect(page2.body.count).toBe(30);
    expect(page2.body.previous).toContain('page=1');
    expect(page2.body.next).toContain('page=3');
    for (const bad of ['?ordering=email', '?fitness_level=pro', '?page=0', '?page_size=101', '?is_active=maybe']) {
      expect((await api('GET', `/api/clients/${bad}`, { token: t.token })).status, bad).toBe(400);
    }
  });
});

describe('names sort as people read them', () => {
  it('accents and case do not move a name after "Z", however the client was written', async () => {
    const t = await setupTrainer();
    const day = futureDay(3).date;
    const names: [string, string][] = [
      ['zoë', 'Zimmer'],
      ['Émile', 'de Vries'],
      ['Ana', 'Álvarez'],
      ['bob', 'alvarez'],
      ['Øystein', 'Østberg'],
      ['Carl', 'Baker'],
    ];
    const ids: number[] = [];
    for (const [first_name, last_name] of names) {
      const res = await api<Client>('POST', '/api/clients/', {
        token: t.token,
        body: { email: uniqueEmail('sort'), first_name, last_name },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // One more from the booking page (a new client written in the booking's batch), one renamed.
    const web = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: { first_name: 'ülla', last_name: 'über', email: uniqueEmail('web'), start_time: at(day, '09:00') },
    });
    expect(web.status, JSON.stringify(web.body)).toBe(201);
    const renamed = await api('PATCH', `/api/clients/${t.client.id}/`, {
      token: t.token,
      body: { first_name: 'Ída', last_name: 'ó Briain' },
    });
    expect(renamed.status).toBe(200);
    const order = async (query: string) => {
      const res = await api<Page<Client>>('GET', `/api/clients/${query}`, { token: t.token });
      expect(res.status, query).toBe(200);
      return res.body.results.map((c) => `${c.first_name} ${c.last_name}`);
    };
    const byLast = [
      'Ana Álvarez',
      'bob alvarez',
      'Carl Baker',
      'Émile de Vries',
      'Ída ó Briain',
      'Øystein Østberg',
      'ülla über',
      'zoë Zimmer',
    ];
    expect(await order('?ordering=last_name')).toEqual(byLast);
    // Ties (the two Alvarez) go by id in the ordering's direction, so the reverse is exact.
    expect(await order('?ordering=-last_name')).toEqual([...byLast].reverse());
    // The first names happen to sort the same way.
    expect(await order('?ordering=first_name')).toEqual(byLast);
    // The cursor walk is the same list, page by page.
    const walked: string[] = [];
    let next: string | null = '/api/clients/?ordering=last_name&cursor=&page_size=3';
    while (next) {
      const page: { body: Page<Client> & { next: string | null } } = await api('GET', next, { token: t.token });
      walked.push(...page.body.results.map((c) => `${c.first_name} ${c.last_name}`));
      next = page.body.next ? new URL(page.body.next).pathname + new URL(page.body.next).search : null;
    }
    expect(walked).toEqual(byLast);

    // Search folds accents and case the same way, across the whole name; bookings search too.
    const found = async (list: string, search: string) => {
      const res = await api<Page<{ id: number }>>('GET', `/api/${list}/?search=${encodeURIComponent(search)}`, {
        token: t.token,
      });
      expect(res.status, search).toBe(200);
      return res.body.count;
    };
    for (const search of ['Émile', 'émile', 'EMILE', 'emile de v', 'DE VRIES'])
      expect(await found('clients', search)).toBe(1);
    for (const search of ['ÜLLA', 'ulla uber', 'über']) expect(await found('bookings', search)).toBe(1);
    expect(await found('clients', 'alvarez')).toBe(2);
    // A row whose keys predate the fold (migration 0032's lower(), ASCII only) is found as typed.
    await env.DB.prepare(
      `INSERT INTO clients (trainer_id, email, first_name, last_name, first_name_key, last_name_key)
       VALUES (?1, ?2, 'José', 'Müller', lower('José'), lower('Müller'))`,
    )
      .bind(t.user.trainer.id, uniqueEmail('old'))
      .run();
    expect(await found('clients', 'José Müller')).toBe(1);
    expect(await found('clients', 'no such name')).toBe(0); // spaces: in no email

    // A rename in the staff console writes the sort key too.
    const staff = await registerStaff(uniqueEmail('staff'));
    const zoe = ids[0] as number;
    const renamed2 = await api('PATCH', `/api/admin/clients/${zoe}/`, {
      token: staff.token,
      body: { last_name: 'Ängström' },
    });
    expect(renamed2.status, JSON.stringify(renamed2.body)).toBe(200);
    expect((await order('?ordering=last_name')).slice(0, 3)).toEqual(['Ana Álvarez', 'bob alvarez', 'zoë Ängström']);
    expect(await found('clients', 'angstrom')).toBe(1);
  });
});

describe('isolation and client users', () => {
  it('another trainer gets 404 on every client route', async () => {
    const a = await setupTrainer();
    const b = await registerTrainer();
    const id = a.client.id;
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/clients/${id}/`],
      ['PATCH', `/api/clients/${id}/`, { first_name: 'x' }],
      ['PUT', `/api/clients/${id}/`, { email: uniqueEmail() }],
      ['DELETE', `/api/clients/${id}/`],
      ['POST', `/api/clients/${id}/add_note/`, { content: 'x' }],
      ['GET', `/api/clients/${id}/notes/`],
      ['GET', `/api/clients/${id}/bookings/`],
    ];
    for (const [method, path, body] of calls) {
      expect((await api(method, path, { token: b.token, body })).status, `${method} ${path}`).toBe(404);
    }
    expect((await api<Page<Client>>('GET', '/api/clients/', { token: b.token })).body.count).toBe(0);
  });

  it("a client user reads their own records without the trainer's notes or preferences, and cannot write", async () => {
    const email = uniqueEmail('member');
    const a = await registerTrainer({ business_name: 'Studio A' });
    const c = await createClient(a.token, {
      email,
      notes: 'private: anxious about heights',
      preferences: { internal_rating: 'C - late payer' },
    });
    await api('POST', `/api/clients/${c.id}/add_note/`, { token: a.token, body: { content: 'private note' } });
    const reg = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    const token = reg.body.token;
    // Until the address is confirmed, a client user reads nothing: anyone can type any email.
    const early = await api<{ code: string }>('GET', '/api/clients/', { token });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('email_unverified');
    expect(
      (await api<{ client_of: unknown[]; email_verified: boolean }>('GET', '/api/users/profile/', { token })).body,
    ).toMatchObject({
      client_of: [],
      email_verified: false,
    });
    await verifyEmailOf(reg.body.user.id, email);
    const list = await api<Page<Client>>('GET', '/api/clients/', { token });
    expect(list.body.results.map((r) => r.id)).toEqual([c.id]);
    expect(list.body.results[0]).toMatchObject({ notes: '', notes_count: 0, preferences: {} });
    const detail = await api<Client & { client_notes: unknown[] }>('GET', `/api/clients/${c.id}/`, { token });
    expect(detail.body.client_notes).toEqual([]);
    expect(detail.body).toMatchObject({ notes: '', preferences: {} });
    const own = await api<Client>('GET', `/api/clients/${c.id}/`, { token: a.token });
    expect(own.body.preferences).toEqual({ internal_rating: 'C - late payer' });
    const notes = await api<ProblemBody>('GET', `/api/clients/${c.id}/notes/`, { token });
    expect([notes.status, notes.body.detail]).toEqual([403, "Only the trainer reads a client's notes."]);
    expect((await api('POST', '/api/clients/', { token, body: { email: uniqueEmail() } })).status).toBe(403);
    expect((await api('PATCH', `/api/clients/${c.id}/`, { token, body: { first_name: 'Me' } })).status).toBe(403);
    const profile = await api<{ client_of: { business_name: string }[] }>('GET', '/api/users/profile/', { token });
    expect(profile.body.client_of.map((x) => x.business_name)).toEqual(['Studio A']);
  });
});
