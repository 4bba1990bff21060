// Every form of the API, driven from its own OpenAPI document: empty, blank, malformed and
// out-of-range input must be answered in sentences for people, never in the validator's words.
import { describe, expect, it } from 'vitest';
import { registerStaff } from './admin-helpers';
import {
  api,
  futureDay,
  openapiDocument,
  PASSWORD,
  packCredits,
  packOf,
  registerTrainer,
  setupTrainer,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';

// What a validator says and a person should never read.
// Word boundaries: `booking_request_received` is a value a person may choose, not validator talk.
const INTERNALS = /\bexpected\b|>=|<=|Too small|Too big|Invalid input|Invalid option|\breceived\b/i;

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};
type Operation = {
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const resolve = (doc: Doc, s: Schema): Schema =>
  s.$ref ? resolve(doc, doc.components.schemas[s.$ref.split('/').pop() ?? ''] ?? {}) : s;

/** The object's properties, through $ref, allOf and anyOf. */
function propertiesOf(doc: Doc, schema: Schema): Record<string, Schema> {
  const s = resolve(doc, schema);
  const parts = [...(s.allOf ?? []), ...(s.anyOf ?? []), ...(s.oneOf ?? [])].map((p) => propertiesOf(doc, p));
  return Object.assign({}, ...parts, s.properties ?? {});
}

const typeOf = (doc: Doc, schema: Schema): string => {
  const s = resolve(doc, schema);
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  return t ?? (s.anyOf ?? s.oneOf ?? []).map((x) => typeOf(doc, x)).find((x) => x !== 'null') ?? 'string';
};

/** A value of the wrong type, a blank one and an out-of-range one for each kind of property. */
const WRONG: Record<string, unknown> = {
  string: 12345,
  number: 'abc',
  integer: 'abc',
  boolean: 'maybe',
  array: 'x',
  object: 'x',
};
const BLANK: Record<string, unknown> = {
  string: '',
  number: -1e12,
  integer: -1e12,
  boolean: 'no',
  array: [''],
  object: [],
};
const HUGE: Record<string, unknown> = {
  string: 'x'.repeat(20_000),
  number: 1e12,
  integer: 1.5,
  array: [12345],
  object: { a: {} },
};

function bodies(doc: Doc, schema: Schema): unknown[] {
  const props = Object.entries(propertiesOf(doc, schema));
  const fill = (values: Record<string, unknown>) =>
    Object.fromEntries(props.map(([name, p]) => [name, values[typeOf(doc, p)] ?? 12345]));
  return [{}, fill(WRONG), fill(BLANK), fill(HUGE), []];
}

/** Every string in a problem body's errors and detail. */
const messagesOf = (body: unknown): string[] => {
  const b = (body ?? {}) as { detail?: unknown; errors?: Record<string, unknown> };
  return [b.detail, ...Object.values(b.errors ?? {}).flat()].filter((m): m is string => typeof m === 'string');
};

async function fixtures() {
  const t = await setupTrainer({ open: ['08:00', '18:00'], settings: { business_name: 'Form Gym' } });
  const staff = await registerStaff(uniqueEmail('staff'));
  const start = `${futureDay(3).date}T10:00:00.000Z`;
  const booking = await api<{ id: number }>('POST', '/api/bookings/', {
    token: t.token,
    body: { client: t.client.id, start_time: start },
  });
  const pack = await api<{ id: number }>('POST', '/api/packages/', {
    token: t.token,
    body: { name: 'Ten', sessions_count: 10, price: '100.00', validity_days: 90 },
  });
  const assigned = await api<{ id: number }>('POST', `/api/packages/${pack.body.id}/assign_to_client/`, {
    token: t.token,
    body: { client_id: t.client.id },
  });
  const brk = await api<{ id: number }>('POST', '/api/trainer-breaks/', {
    token: t.token,
    body: { start_date: futureDay(20).date, end_date: futureDay(21).date, reason: 'Away' },
  });
  const slots = await api<{ results: { id: number }[] }>('GET', '/api/availability-slots/', { token: t.token });
  const pub = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
    body: {
      start_time: `${futureDay(4).date}T11:00:00.000Z`,
      first_name: 'Vi',
      last_name: 'Sitor',
      email: uniqueEmail('v'),
    },
    headers: { 'CF-Connecting-IP': '203.0.113.77' },
  });
  const ids: [string, number | undefined][] = [
    ['/api/clients/', t.client.id],
    ['/api/admin/clients/', t.client.id],
    ['/api/availability-slots/', slots.body.results[0]?.id],
    ['/api/trainer-breaks/', brk.body.id],
    ['/api/bookings/', booking.body.id],
    ['/api/admin/bookings/', booking.body.id],
    ['/api/packages/', pack.body.id],
    ['/api/client-packages/', assigned.body.id],
    ['/api/admin/users/', t.user.id],
    ['/api/admin/trainers/', t.user.trainer.id],
  ];
  const idFor = (path: string) => ids.find(([prefix]) => path.startsWith(prefix))?.[1] ?? 1;
  const path = (template: string) =>
    template
      .replace('{id}', String(idFor(template)))
      .replace('{slug}', t.user.trainer.slug)
      .replace('{token}', pub.body.manage_url.split('/').filter(Boolean).pop() ?? 'x');
  // The signed-in client's own routes answer a trainer 403 before validating: ask as a client user.
  const email = uniqueEmail('member');
  const member = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
    body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    headers: { 'CF-Connecting-IP': '203.0.113.78' },
  });
  await verifyEmailOf(member.body.user.id, email);
  const tokenFor = (template: string) =>
    template.startsWith('/api/admin/')
      ? staff.token
      : template.startsWith('/api/client/')
        ? member.body.token
        : t.token;
  return { path, tokenFor };
}

let ip = 0;

describe('errors written for people', () => {
  it('no form or query list of the OpenAPI document answers in validator internals', async () => {
    const doc = openapiDocument<Doc>();
    const { path, tokenFor } = await fixtures();
    const leaks: string[] = [];
    let fieldErrors = 0;
    const call = async (method: string, template: string, url: string, body?: unknown, raw?: string) => {
      const res = await api(method.toUpperCase(), url, {
        body,
        raw,
        token: tokenFor(template),
        headers: { 'CF-Connecting-IP': `192.0.2.${(ip++ % 250) + 1}`, 'Content-Type': 'application/json' },
      });
      if (res.status === 400 && messagesOf(res.body).length > 1) fieldErrors += 1;
      for (const m of messagesOf(res.body)) if (INTERNALS.test(m)) leaks.push(`${method} ${url} ${m}`);
    };
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path(template).replace(/\/?$/, '/');
        const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        for (const bad of ['abc', '-1', '', '1.5', '2025-02-30']) {
          if (query.length) await call(method, template, `${url}?${query.map((q) => `${q}=${bad}`).join('&')}`);
        }
        if (!['post', 'put', 'patch'].includes(method)) continue;
        const schema = op.requestBody?.content['application/json']?.schema;
        for (const body of schema ? bodies(doc, schema) : [{}]) await call(method, template, url, body);
        await call(method, template, url, undefined, '{"first_name": ');
      }
    }
    expect(leaks).toEqual([]);
    // The sweep reached the validators: many answers were 400s naming fields.
    expect(fieldErrors).toBeGreaterThan(40);
  });

  it('a number in a query or path is digits only: 1e3, 5e0, 0x10 and " 7" are refused, naming the parameter', async () => {
    const t = await setupTrainer();
    for (const bad of ['1e3', '5e0', '0x10', '%207', '1.0', '-1']) {
      for (const path of [
        `/api/bookings/?page=${bad}`,
        `/api/bookings/?service=${bad}`,
        `/api/availability-slots/available/?service=${bad}`,
      ]) {
        const res = await api<{ errors?: Record<string, string[]> }>('GET', path, { token: t.token });
        expect(res.status, path).toBe(400);
        const name = /[?&](\w+)=/.exec(path)?.[1] ?? '';
        expect(Object.keys(res.body.errors ?? {}), path).toEqual([name]);
        expect(messagesOf(res.body).join(' '), path).not.toMatch(INTERNALS);
      }
      expect((await api('GET', `/api/bookings/${bad}/`, { token: t.token })).status, bad).toBe(400);
    }
    expect((await api('GET', '/api/bookings/?page=1&page_size=007', { token: t.token })).status).toBe(200);
  });

  it('a booking form names a missing time in the same 400 as every other bad field', async () => {
    const t = await setupTrainer();
    const fieldsOf = async (path: string, body: unknown, token?: string) => {
      const res = await api<{ errors?: Record<string, string[]> }>('POST', path, {
        body,
        token,
        headers: { 'CF-Connecting-IP': `198.51.100.${(ip++ % 250) + 1}` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      return Object.keys(res.body.errors ?? {}).sort();
    };
    expect(await fieldsOf('/api/bookings/', {}, t.token)).toEqual(['client', 'start_time']);
    expect(await fieldsOf('/api/bookings/', { client: 'x', waitlist: true }, t.token)).toEqual([
      'client',
      'start_time',
      'waitlist',
    ]);
    // A class_session that is no id is that field's error alone, not also a time to leave out.
    expect(
      await fieldsOf('/api/bookings/', { client: 1, class_session: null, start_time: '2027-03-01T10:00:00Z' }, t.token),
    ).toEqual(['class_session']);
    expect(await fieldsOf('/api/bookings/', { client: 0, class_session: 1, end_time: 'soon' }, t.token)).toEqual([
      'client',
      'end_time',
    ]);
    const publicPath = `/api/public/trainers/${t.user.trainer.slug}/bookings/`;
    expect(await fieldsOf(publicPath, {})).toEqual(['email', 'first_name', 'last_name', 'start_time']);
    expect(await fieldsOf(publicPath, { email: 'nope', class_session: 'x', start_time: 'x' })).toEqual(
      ['class_session', 'first_name', 'last_name', 'email', 'start_time'].sort(),
    );
    // A body that is no object at all is one error, not a crash of the whole-body check.
    expect(await fieldsOf(publicPath, [])).not.toContain('start_time');
  });
});

describe('a field the operation does not take', () => {
  it('every form of the API names an unknown field as a bad field instead of dropping it', async () => {
    const doc = openapiDocument<Doc>();
    const { path, tokenFor } = await fixtures();
    const dropped: string[] = [];
    let forms = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      // The staff console's allow-list is documented to ignore other fields; Paddle signs its own body.
      if (template.startsWith('/api/admin/') || template.includes('webhook')) continue;
      for (const [method, op] of Object.entries(ops)) {
        if (!op.requestBody?.content['application/json']) continue;
        const url = path(template).replace(/\/?$/, '/');
        const res = await api<{ errors?: Record<string, string[]> }>(method.toUpperCase(), url, {
          body: { nickname: 'Al' },
          token: tokenFor(template),
          headers: { 'CF-Connecting-IP': `198.51.100.${(ip++ % 250) + 1}` },
        });
        forms += 1;
        if (res.status !== 400 || !res.body.errors?.nickname) dropped.push(`${method} ${template} ${res.status}`);
      }
    }
    expect(dropped).toEqual([]);
    expect(forms).toBeGreaterThan(30);
  });

  it("a field named after an object's own members (toString, constructor, __proto__) is named like any other", async () => {
    const t = await registerTrainer();
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      for (const [path, token] of [
        ['/api/users/login/', undefined],
        ['/api/packages/', t.token],
      ] as const) {
        const res = await api<{ errors?: Record<string, string[]> }>('POST', path, {
          token,
          raw: `{"email":"a@example.com","password":"x","${key}":{"x":1}}`,
          headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': `198.51.100.${(ip++ % 250) + 1}` },
        });
        expect(res.status, `${path} ${key}`).toBe(400);
        expect(Object.hasOwn(res.body.errors ?? {}, key), `${path} ${key}`).toBe(true);
      }
    }
  });

  it("a booking's status in a PATCH is refused by name, and nothing of the request is written", async () => {
    const t = await setupTrainer({ open: ['08:00', '18:00'] });
    const booking = await api<{ id: number; notes: string; status: string }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: `${futureDay(3).date}T10:00:00.000Z`, notes: 'Bring water' },
    });
    const res = await api<{ errors?: Record<string, string[]> }>('PATCH', `/api/bookings/${booking.body.id}/`, {
      token: t.token,
      body: { status: 'cancelled', notes: 'Changed' },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toEqual(['status']);
    expect(res.body.errors?.status?.[0]).toMatch(/does not accept this field/);
    const after = await api<{ notes: string; status: string }>('GET', `/api/bookings/${booking.body.id}/`, {
      token: t.token,
    });
    expect(after.body).toMatchObject({ notes: 'Bring water', status: booking.body.status });
  });

  it('an operation that takes no fields refuses one by name and does nothing: use_session with sessions: 3', async () => {
    const t = await setupTrainer();
    const pack = await packOf(t, 5);
    const asked = await api<{ errors?: Record<string, string[]> }>(
      'POST',
      `/api/client-packages/${pack}/use_session/`,
      {
        token: t.token,
        body: { sessions: 3 },
      },
    );
    expect(asked.status).toBe(400);
    expect(Object.keys(asked.body.errors ?? {})).toEqual(['sessions']);
    expect((await packCredits(t, pack)).sessions_remaining).toBe(5);
    // No body, or an empty one, is the operation as documented: one session.
    for (const body of [undefined, {}]) {
      expect((await api('POST', `/api/client-packages/${pack}/use_session/`, { token: t.token, body })).status).toBe(
        200,
      );
    }
    // An empty body labelled JSON (as many clients send) is no body either.
    const labelled = await api('POST', `/api/client-packages/${pack}/use_session/`, {
      token: t.token,
      raw: '',
      headers: { 'Content-Type': 'application/json', 'Content-Length': '0' },
    });
    expect(labelled.status, JSON.stringify(labelled.body)).toBe(200);
    expect((await packCredits(t, pack)).sessions_remaining).toBe(2);
  });

  it('a misspelt field of a new client is named, and no client is created', async () => {
    const t = await setupTrainer();
    const before = await api<{ count: number }>('GET', '/api/clients/', { token: t.token });
    const res = await api<{ errors?: Record<string, string[]> }>('POST', '/api/clients/', {
      token: t.token,
      body: { first_name: 'Ana', last_name: 'Lee', email: uniqueEmail('ana'), phone_number: '+447700900123' },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toEqual(['phone_number']);
    const after = await api<{ count: number }>('GET', '/api/clients/', { token: t.token });
    expect(after.body.count).toBe(before.body.count);
  });
});
