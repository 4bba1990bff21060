import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  api,
  at,
  createClient,
  futureDay,
  openapiDocument,
  type ProblemBody,
  registerTrainer,
  setupTrainer,
} from './helpers';

type Service = {
  id: number;
  name: string;
  description: string;
  duration_minutes: number;
  price: string | null;
  currency: string | null;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  location_type: string;
  location: string;
  video_url: string;
  color: string;
  is_public: boolean;
  position: number;
  is_active: boolean;
  is_default: boolean;
  created_at: string;
  updated_at: string;
};
type Page = { count: number; next: string | null; results: Service[] };
type Profile = { trainer: { session_duration_minutes: number; buffer_minutes: number } };

const create = (token: string, body: Record<string, unknown>) =>
  api<Service & ProblemBody>('POST', '/api/services/', { token, body });
const patch = (token: string, id: number, body: Record<string, unknown>) =>
  api<Service & ProblemBody>('PATCH', `/api/services/${id}/`, { token, body });
const list = async (token: string, query = '') => (await api<Page>('GET', `/api/services/${query}`, { token })).body;
const profile = async (token: string) => (await api<Profile>('GET', '/api/users/profile/', { token })).body.trainer;
const defaultOf = async (token: string) => (await list(token)).results.filter((s) => s.is_default);
const versionOf = async (trainerId: number) =>
  (
    await env.DB.prepare('SELECT schedule_version AS v FROM trainers WHERE id = ?')
      .bind(trainerId)
      .first<{ v: number }>()
  )?.v;

/** A booking of `serviceId`, written as seeds and imports write them (the API part is not this suite's). */
async function insertBooking(trainerId: number, clientId: number, serviceId: number) {
  await env.DB.prepare(
    `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, service_id, status)
     VALUES (?, ?, '2030-01-07T10:00:00.000Z', '2030-01-07T11:00:00.000Z', ?, 'confirmed')`,
  )
    .bind(trainerId, clientId, serviceId)
    .run();
}

describe('services', () => {
  it('a new trainer has exactly one service, the default, from their session length', async () => {
    const t = await registerTrainer();
    const page = await list(t.token);
    expect(page.count).toBe(1);
    expect(page.results[0]).toMatchObject({
      name: '60-minute session',
      duration_minutes: 60,
      buffer_before_minutes: 0,
      buffer_after_minutes: 0,
      price: null,
      currency: null,
      location_type: 'in_person',
      is_public: true,
      is_active: true,
      is_default: true,
      position: 0,
    });
  });

  it('CRUD: create 201, retrieve, partial PATCH, filters, order by position then id, DELETE 204; each write bumps the schedule version', async () => {
    const t = await registerTrainer();
    const trainerId = t.user.trainer.id;
    const v0 = await versionOf(trainerId);
    const made = await create(t.token, {
      name: '  Home assessment ',
      description: 'At your place.\r\nBring shoes.',
      duration_minutes: 90,
      price: 120,
      currency: 'usd',
      buffer_before_minutes: 10,
      buffer_after_minutes: 30,
      location_type: 'client_address',
      color: '#1E6FD9',
      is_public: false,
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: 'Home assessment',
      description: 'At your place.\nBring shoes.',
      duration_minutes: 90,
      price: '120.00',
      currency: 'USD',
      buffer_before_minutes: 10,
      buffer_after_minutes: 30,
      location_type: 'client_address',
      location: '',
      video_url: '',
      color: '#1e6fd9',
      is_public: false,
      position: 1,
      is_active: true,
      is_default: false,
    });
    expect(await versionOf(trainerId)).toBe((v0 ?? 0) + 1);
    const id = made.body.id;
    expect((await api<Service>('GET', `/api/services/${id}/`, { token: t.token })).body).toEqual(made.body);

    const changed = await patch(t.token, id, {
      location_type: 'video',
      video_url: 'https://meet.example.com/abc',
      position: 0,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({
      ...made.body,
      location_type: 'video',
      video_url: 'https://meet.example.com/abc',
      position: 0,
      updated_at: expect.any(String),
    });
    expect(await versionOf(trainerId)).toBe((v0 ?? 0) + 2);
    const cleared = await patch(t.token, id, { price: null });
    expect(cleared.body).toMatchObject({ price: null, currency: null });
    // …as the document says a client may send it.
    const schemas = openapiDocument<{
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>().components.schemas;
    for (const form of ['ServiceCreate', 'ServiceUpdate'])
      expect(schemas[form]?.properties.price, form).toMatchObject({ type: ['string', 'null'] });

    // Position 0 both: the older id first.
    const check = await create(t.token, { name: 'Check-in', duration_minutes: 30, position: 0, is_active: false });
    expect((await list(t.token)).results.map((s) => s.name)).toEqual([
      '60-minute session',
      'Home assessment',
      'Check-in',
    ]);
    expect((await list(t.token, '?is_active=false')).results.map((s) => s.id)).toEqual([check.body.id]);
    expect((await list(t.token, '?is_public=false')).results.map((s) => s.id)).toEqual([id]);
    expect((await list(t.token, '?is_active=true&is_public=true')).results.map((s) => s.is_default)).toEqual([true]);
    const firstPage = await list(t.token, '?page_size=2');
    expect(firstPage.count).toBe(3);
    expect(firstPage.results).toHaveLength(2);
    expect(firstPage.next).toContain('page=2');

    const before = await versionOf(trainerId);
    expect((await api('DELETE', `/api/services/${id}/`, { token: t.token })).status).toBe(204);
    expect(await versionOf(trainerId)).toBe((before ?? 0) + 1);
    expect((await api('GET', `/api/services/${id}/`, { token: t.token })).status).toBe(404);
  });

  it('every bad field is named at once, and nothing is written', async () => {
    const t = await registerTrainer();
    const bad = await create(t.token, {
      name: '',
      description: 'x'.repeat(2001),
      duration_minutes: 4,
      price: '10.999',
      currency: 'XYZ',
      buffer_before_minutes: -1,
      buffer_after_minutes: 241,
      location_type: 'zoom',
      location: 'a\nb',
      video_url: 'http://meet.example.com/abc',
      color: 'red',
      is_public: 'yes',
      position: -1,
      is_active: 'no',
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(
      [
        'name',
        'description',
        'duration_minutes',
        'price',
        'currency',
        'buffer_before_minutes',
        'buffer_after_minutes',
        'location_type',
        'location',
        'video_url',
        'color',
        'is_public',
        'position',
        'is_active',
      ].sort(),
    );
    expect(bad.body.errors?.video_url).toEqual(['Enter a video link starting with https://, or leave it empty.']);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ duration_minutes: 721 }, 'duration_minutes'],
      [{ duration_minutes: 30.5 }, 'duration_minutes'],
      [{ buffer_after_minutes: 1.5 }, 'buffer_after_minutes'],
      [{ price: '0', currency: 'USD' }, 'price'],
      [{ price: '-5', currency: 'USD' }, 'price'],
      [{ price: '50' }, 'currency'],
      [{ currency: 'EUR' }, 'currency'],
      [{ color: '#12345' }, 'color'],
      [{ video_url: 'https://user:pw@meet.example.com/' }, 'video_url'],
    ];
    for (const [body, field] of cases) {
      const res = await create(t.token, { name: 'S', duration_minutes: 30, ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.errors ?? {}), JSON.stringify(body)).toEqual([field]);
    }
    const missing = await api<ProblemBody>('POST', '/api/services/', { token: t.token, body: {} });
    expect(Object.keys(missing.body.errors ?? {}).sort()).toEqual(['duration_minutes', 'name']);
    expect((await list(t.token)).count).toBe(1);

    const [only] = (await list(t.token)).results;
    if (!only) throw new Error('no default service');
    // PATCH judges price and currency together with what is stored.
    const noCurrency = await patch(t.token, only.id, { price: '80' });
    expect(noCurrency.status).toBe(400);
    expect(noCurrency.body.errors).toEqual({ currency: ['Give the currency of the price, e.g. "USD".'] });
    const noPrice = await patch(t.token, only.id, { currency: 'EUR' });
    expect(Object.keys(noPrice.body.errors ?? {})).toEqual(['currency']);
    expect((await patch(t.token, only.id, { price: '80', currency: 'eur' })).body).toMatchObject({
      price: '80.00',
      currency: 'EUR',
    });
    expect((await patch(t.token, only.id, { price: '85.5' })).body).toMatchObject({ price: '85.50', currency: 'EUR' });
    expect((await patch(t.token, only.id, { is_default: false })).body.errors).toHaveProperty('is_default');
    expect((await patch(t.token, only.id, { name: ' ', duration_minutes: 0 })).body.errors).toMatchObject({
      name: expect.any(Array),
      duration_minutes: expect.any(Array),
    });
    expect((await api<Service>('GET', `/api/services/${only.id}/`, { token: t.token })).body).toMatchObject({
      name: only.name,
      duration_minutes: only.duration_minutes,
    });
  });

  it('the default cannot be archived or deleted (409 service_is_default); a booked service, or one a pack is limited to, cannot be deleted (409 service_in_use)', async () => {
    const t = await registerTrainer();
    const client = await createClient(t.token);
    const [def] = await defaultOf(t.token);
    if (!def) throw new Error('no default service');
    const archive = await patch(t.token, def.id, { is_active: false });
    expect(archive.status).toBe(409);
    expect(archive.body.code).toBe('service_is_default');
    const del = await api<ProblemBody>('DELETE', `/api/services/${def.id}/`, { token: t.token });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('service_is_default');

    const booked = (await create(t.token, { name: 'Booked', duration_minutes: 60 })).body;
    await insertBooking(t.user.trainer.id, client.id, booked.id);
    const inUse = await api<ProblemBody>('DELETE', `/api/services/${booked.id}/`, { token: t.token });
    expect(inUse.status).toBe(409);
    expect(inUse.body.code).toBe('service_in_use');
    expect((await patch(t.token, booked.id, { is_active: false })).body.is_active).toBe(false);
    const archivedDefault = await patch(t.token, booked.id, { is_default: true });
    expect(archivedDefault.status).toBe(409);
    expect(archivedDefault.body.code).toBe('service_inactive');
    // Made the default and archived in one body: refused as well, and nothing of it applied.
    const fresh = (await create(t.token, { name: 'Intro 30', duration_minutes: 30 })).body;
    const both = await patch(t.token, fresh.id, { is_default: true, is_active: false });
    expect([both.status, both.body.code]).toEqual([409, 'service_inactive']);
    const [still] = await defaultOf(t.token);
    expect(still?.id).toBe(def.id);
    expect(
      (await api<{ is_active: boolean }>('GET', `/api/services/${fresh.id}/`, { token: t.token })).body.is_active,
    ).toBe(true);

    const listed = (await create(t.token, { name: 'In a pack', duration_minutes: 45 })).body;
    const pkg = await api<{ id: number; services: number[] }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Pack', sessions_count: 5, price: '100', services: [listed.id] },
    });
    expect(pkg.body.services).toEqual([listed.id]);
    // Deleting it would leave the pack limited to nothing, which reads as "every service".
    const tied = await api<ProblemBody>('DELETE', `/api/services/${listed.id}/`, { token: t.token });
    expect(tied.status).toBe(409);
    expect(tied.body.code).toBe('service_in_use');
    await api('PATCH', `/api/packages/${pkg.body.id}/`, { token: t.token, body: { services: [] } });
    expect((await api('DELETE', `/api/services/${listed.id}/`, { token: t.token })).status).toBe(204);
  });

  it("moving the default takes the trainer's session length and buffer with it; the default's changes mirror to the profile and back", async () => {
    const t = await registerTrainer();
    const [first] = await defaultOf(t.token);
    if (!first) throw new Error('no default service');
    const other = (await create(t.token, { name: 'Check-in', duration_minutes: 30, buffer_after_minutes: 10 })).body;

    const moved = await patch(t.token, other.id, { is_default: true });
    expect(moved.status).toBe(200);
    expect(moved.body.is_default).toBe(true);
    expect((await defaultOf(t.token)).map((s) => s.id)).toEqual([other.id]);
    expect(await profile(t.token)).toMatchObject({ session_duration_minutes: 30, buffer_minutes: 10 });

    // The default's duration and buffer after → the profile.
    await patch(t.token, other.id, { duration_minutes: 45, buffer_after_minutes: 5, buffer_before_minutes: 20 });
    expect(await profile(t.token)).toMatchObject({ session_duration_minutes: 45, buffer_minutes: 5 });
    // Another service's do not.
    await patch(t.token, first.id, { duration_minutes: 75, buffer_after_minutes: 15 });
    expect(await profile(t.token)).toMatchObject({ session_duration_minutes: 45, buffer_minutes: 5 });

    // The profile → the default service, in one write that also raises the schedule version.
    const v = await versionOf(t.user.trainer.id);
    const res = await api('PATCH', '/api/users/profile/', {
      token: t.token,
      body: { session_duration_minutes: 50, trainer: { buffer_minutes: 25 } },
    });
    expect(res.status).toBe(200);
    expect((await api<Service>('GET', `/api/services/${other.id}/`, { token: t.token })).body).toMatchObject({
      duration_minutes: 50,
      buffer_after_minutes: 25,
      buffer_before_minutes: 20,
    });
    expect((await api<Service>('GET', `/api/services/${first.id}/`, { token: t.token })).body).toMatchObject({
      duration_minutes: 75,
      buffer_after_minutes: 15,
    });
    expect(await versionOf(t.user.trainer.id)).toBe((v ?? 0) + 1);
    // A refused profile change leaves the service alone.
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { session_duration_minutes: 30, slug: 'x' } });
    expect((await api<Service>('GET', `/api/services/${other.id}/`, { token: t.token })).body.duration_minutes).toBe(
      50,
    );

    // Back to the first: the profile follows it.
    await patch(t.token, first.id, { is_default: true });
    expect(await profile(t.token)).toMatchObject({ session_duration_minutes: 75, buffer_minutes: 15 });
  });

  it('parallel default moves and archives leave exactly one default, and it is active', async () => {
    const t = await registerTrainer();
    const a = (await create(t.token, { name: 'A', duration_minutes: 30 })).body;
    const b = (await create(t.token, { name: 'B', duration_minutes: 45 })).body;
    const answers = await Promise.all([
      patch(t.token, a.id, { is_default: true }),
      patch(t.token, b.id, { is_default: true }),
      patch(t.token, a.id, { is_active: false }),
      patch(t.token, b.id, { is_active: false }),
    ]);
    for (const r of answers) expect([200, 409]).toContain(r.status);
    const defaults = await defaultOf(t.token);
    expect(defaults).toHaveLength(1);
    expect(defaults[0]?.is_active).toBe(true);
    const trainer = await profile(t.token);
    expect(trainer.session_duration_minutes).toBe(defaults[0]?.duration_minutes);
  });

  it("another trainer's service is 404 on every route and absent from lists", async () => {
    const owner = await registerTrainer();
    const other = await registerTrainer();
    const s = (await create(owner.token, { name: 'Mine', duration_minutes: 30 })).body;
    expect((await api('GET', `/api/services/${s.id}/`, { token: other.token })).status).toBe(404);
    expect((await patch(other.token, s.id, { name: 'Theirs' })).status).toBe(404);
    expect((await patch(other.token, s.id, { is_default: true })).status).toBe(404);
    expect((await api('DELETE', `/api/services/${s.id}/`, { token: other.token })).status).toBe(404);
    expect((await list(other.token)).results.map((x) => x.id)).not.toContain(s.id);
    expect((await api<Service>('GET', `/api/services/${s.id}/`, { token: owner.token })).body.name).toBe('Mine');
    expect((await api('GET', '/api/services/')).status).toBe(401);
  });

  it('the public profile lists public, active services by position, without address or link', async () => {
    const t = await registerTrainer();
    const [def] = await defaultOf(t.token);
    if (!def) throw new Error('no default service');
    await create(t.token, { name: 'Private', duration_minutes: 30, is_public: false });
    await create(t.token, { name: 'Archived', duration_minutes: 30, is_active: false });
    const video = (
      await create(t.token, {
        name: 'Video call',
        duration_minutes: 30,
        price: '25',
        currency: 'EUR',
        location_type: 'video',
        video_url: 'https://meet.example.com/secret',
        location: '1 Secret Road',
        color: '#00aa00',
        position: 0,
      })
    ).body;
    const res = await api<{ services: Record<string, unknown>[] }>(
      'GET',
      `/api/public/trainers/${t.user.trainer.slug}/`,
    );
    expect(res.status).toBe(200);
    expect(res.body.services).toEqual([
      {
        id: def.id,
        name: '60-minute session',
        description: '',
        duration_minutes: 60,
        price: null,
        currency: null,
        location_type: 'in_person',
        color: '',
      },
      {
        id: video.id,
        name: 'Video call',
        description: '',
        duration_minutes: 30,
        price: '25.00',
        currency: 'EUR',
        location_type: 'video',
        color: '#00aa00',
      },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(JSON.stringify(res.body)).not.toContain('Secret');
  });

  it('the booking page offers a choice of the public services only when there is more than one', async () => {
    const t = await registerTrainer();
    const slug = t.user.trainer.slug;
    const page = async () => (await api<string>('GET', `/book/${slug}`)).body;
    const solo = await page();
    expect(solo).not.toContain('id="services"');
    expect(solo).toContain('Book a 60-minute session');
    const checkIn = (
      await create(t.token, {
        name: 'Check-in <quick>',
        duration_minutes: 30,
        price: '40',
        currency: 'EUR',
        location_type: 'video',
        video_url: 'https://meet.example.com/secret',
      })
    ).body;
    await create(t.token, { name: 'Private one', duration_minutes: 30, is_public: false });
    const html = await page();
    expect(html).toContain('<legend>Choose a service</legend>');
    expect(html.match(/type="radio"/g)).toHaveLength(2);
    expect(html).toContain(`value="${checkIn.id}"`);
    expect(html).toContain('Check-in &lt;quick&gt;');
    expect(html).toContain('30 min · €40.00 · Video call');
    expect(html).not.toContain('Private one');
    expect(html).not.toContain('secret');
  });

  it('every services route is in the OpenAPI document', async () => {
    const doc = { body: openapiDocument<{ paths: Record<string, Record<string, unknown>> }>() };
    expect(Object.keys(doc.body.paths['/api/services'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.body.paths['/api/services/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('capacity across the class line: refused (409 service_in_use) while bookings or sessions are to come', async () => {
    const t = await setupTrainer();
    const when = at(futureDay(5).date, '10:00');
    const solo = (await create(t.token, { name: 'Solo', duration_minutes: 60 })).body.id;
    const booked = await api<{ id: number }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, service: solo, start_time: when },
    });
    expect(booked.status).toBe(201);
    const toClass = await patch(t.token, solo, { capacity: 6 });
    expect([toClass.status, (toClass.body as ProblemBody).code]).toEqual([409, 'service_in_use']);
    expect((await patch(t.token, solo, { capacity: 1, name: 'Solo 1:1' })).status).toBe(200); // not across
    await api('POST', `/api/bookings/${booked.body.id}/cancel/`, { token: t.token });
    expect((await patch(t.token, solo, { capacity: 6 })).status).toBe(200);

    const session = await api('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: solo, start_time: when },
    });
    expect(session.status).toBe(201);
    const toPrivate = await patch(t.token, solo, { capacity: 1 });
    expect([toPrivate.status, (toPrivate.body as ProblemBody).code]).toEqual([409, 'service_in_use']);
    expect((await patch(t.token, solo, { capacity: 8 })).status).toBe(200);
  });

  it('a private default: a visitor who names no service is told to name one, not that it does not exist', async () => {
    const t = await registerTrainer();
    const slug = t.user.trainer.slug;
    const [def] = await defaultOf(t.token);
    expect((await patch(t.token, def?.id ?? 0, { is_public: false })).status).toBe(200);
    const told = [
      'The trainer’s default service is not offered on the booking page: choose one of its services with `service`.',
    ];
    const slots = await api<ProblemBody>('GET', `/api/public/trainers/${slug}/availability/`);
    expect([slots.status, slots.body.errors]).toEqual([400, { service: told }]);
    const booked = await api<ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
      body: { start_time: '2031-01-07T10:00:00Z', first_name: 'Vi', last_name: 'Sitor', email: 'vi@example.com' },
      headers: { 'CF-Connecting-IP': '203.0.113.77' },
    });
    expect([booked.status, booked.body.errors?.service]).toEqual([400, told]);
    const named = await api<ProblemBody>('GET', `/api/public/trainers/${slug}/availability/?service=${def?.id}`);
    expect(named.body.errors?.service).toEqual(['No such service is offered; choose one of the trainer’s services.']);
  });
});
