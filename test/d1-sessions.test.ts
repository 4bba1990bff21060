// Replica reads with read-your-writes: every request runs in a D1 session, answers its bookmark in
// x-d1-bookmark and starts from the one sent back. Locally D1 has no replicas, so these tests hold
// what the app controls: where each session starts, that the bookmark answered is at least as new
// as every write the request caused (the schedule object's included), the header's rules, CORS and
// the OpenAPI document.
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { scheduleOf } from '../src/bookings/schedule-object';
import {
  api,
  at,
  book,
  futureDay,
  intercept,
  openapiDocument,
  type ProblemBody,
  setupTrainer,
  trainerBookingCommand,
  uniqueEmail,
} from './helpers';

const HEADER = 'x-d1-bookmark';
const SHAPE = /^[0-9a-f]+(-[0-9a-f]+)*$/i;

/** The primary's bookmark now: a later write's bookmark sorts after it. */
async function primaryNow(): Promise<string> {
  const session = env.DB.withSession('first-primary');
  await session.prepare('SELECT 1').all();
  const bookmark = session.getBookmark();
  if (!bookmark) throw new Error('no bookmark from a local session');
  return bookmark;
}

/** a sorts after b, as D1 orders bookmarks. */
const sortsAfter = (a: string | null, b: string) => a !== null && a.localeCompare(b) > 0;

/**
 * One request through the app with a D1 binding that records where each session starts; `serve`
 * may stand in for what a session starting there reads (a replica that lags).
 */
async function startsOf(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
  serve: (start: string, session: D1DatabaseSession) => D1DatabaseSession = (_, session) => session,
) {
  const starts: string[] = [];
  const DB = intercept(env.DB, {
    withSession: (start?: string) => {
      starts.push(String(start));
      return serve(String(start), env.DB.withSession(start));
    },
  });
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, DB },
    createExecutionContext(),
  );
  return { status: res.status, bookmark: res.headers.get(HEADER), starts, body: await res.json().catch(() => null) };
}

describe('x-d1-bookmark', () => {
  it('a booking create answers a bookmark newer than its write; a list read with it sees the booking; a read without one answers one too', async () => {
    const t = await setupTrainer();
    const before = await primaryNow();
    const made = await book(t.token, { client: t.client.id, start_time: at(futureDay(9).date, '10:00') });
    expect(made.status).toBe(201);
    const bookmark = made.headers.get(HEADER);
    // The create's own D1 work is all in the schedule object: the bookmark is the object's.
    expect(bookmark).toMatch(SHAPE);
    expect(sortsAfter(bookmark, before), `${bookmark} after ${before}`).toBe(true);

    const listed = await api<{ results: { id: number }[] }>('GET', '/api/bookings/', {
      token: t.token,
      headers: { [HEADER]: bookmark ?? '' },
    });
    expect(listed.status).toBe(200);
    expect(listed.body.results.map((b) => b.id)).toContain(made.body.id);
    const relisted = listed.headers.get(HEADER);
    expect(relisted).toMatch(SHAPE);
    expect((relisted ?? '').localeCompare(bookmark ?? '')).toBeGreaterThanOrEqual(0);

    const fresh = await api('GET', '/api/bookings/', { token: t.token });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get(HEADER)).toMatch(SHAPE);
    // Pages too.
    const page = await api('GET', `/book/${t.user.trainer.slug}`);
    expect(page.status).toBe(200);
    expect(page.headers.get(HEADER)).toMatch(SHAPE);
  });

  it('a calendar feed reads the primary, so a rotated (revoked) address is a 404 at once; its address read does not', async () => {
    const t = await setupTrainer();
    const auth = { Authorization: `Bearer ${t.token}` };
    const address = await startsOf('GET', '/api/calendar/feed', auth);
    expect(address.starts).toEqual(['first-unconstrained']);
    const url = new URL((address.body as { url: string }).url);
    const feed = await startsOf('GET', url.pathname);
    expect([feed.status, feed.starts]).toEqual([200, ['first-primary']]);
    expect((await startsOf('POST', '/api/calendar/feed/rotate', auth)).status).toBe(200);
    const revoked = await startsOf('GET', url.pathname);
    expect([revoked.status, revoked.starts]).toEqual([404, ['first-primary']]);
  });

  it('the schedule object answers its session bookmark with every command', async () => {
    const t = await setupTrainer();
    const before = await primaryNow();
    const outcome = await scheduleOf(env.TRAINER_SCHEDULE, t.user.trainer.id).createBooking({
      ...trainerBookingCommand(t.user.trainer.id, t.client.id, at(futureDay(10).date, '11:00')),
      now: new Date().toISOString(),
    });
    expect(outcome.ok).toBe(true);
    expect(sortsAfter(outcome.bookmark, before)).toBe(true);
  });

  it('reads start on any replica or from the bookmark sent back; writes and the staff console on the primary; a write through the object moves the session on', async () => {
    const t = await setupTrainer();
    const auth = { Authorization: `Bearer ${t.token}` };
    const read = await startsOf('GET', '/api/bookings/', auth);
    expect(read.status).toBe(200);
    expect(read.starts).toEqual(['first-unconstrained']);
    expect(read.bookmark).toMatch(SHAPE);

    const bookmark = await primaryNow();
    expect((await startsOf('GET', '/api/clients/', { ...auth, [HEADER]: bookmark })).starts).toEqual([bookmark]);
    // A write starts on the primary, newer than any bookmark, and never answers an older one.
    const write = await startsOf(
      'POST',
      '/api/clients/',
      { ...auth, [HEADER]: bookmark },
      {
        email: uniqueEmail('primary'),
        first_name: 'Pat',
        last_name: 'Primary',
      },
    );
    expect(write.status).toBe(201);
    expect(write.starts).toEqual(['first-primary']);
    expect((write.bookmark ?? '').localeCompare(bookmark)).toBeGreaterThanOrEqual(0);
    // A session opens on the first statement: the console's login page reads nothing and opens
    // none; its form's POST reads the staff user on the primary.
    expect((await startsOf('GET', '/admin/login')).starts).toEqual([]);
    expect((await startsOf('GET', '/health')).starts).toEqual([]);

    // PATCH moves the booking in the object, then reads it back in the request's session: that
    // session restarts from the object's bookmark, which the answer carries.
    const date = futureDay(11).date;
    const made = await book(t.token, { client: t.client.id, start_time: at(date, '09:00') });
    const moved = await startsOf('PATCH', `/api/bookings/${made.body.id}/`, auth, { start_time: at(date, '12:00') });
    expect(moved.status).toBe(200);
    expect((moved.body as { start_time: string }).start_time).toBe(at(date, '12:00'));
    expect(moved.starts).toHaveLength(2);
    expect(moved.starts[0]).toBe('first-primary');
    expect(moved.starts[1]).toMatch(SHAPE);
    expect((moved.bookmark ?? '').localeCompare(moved.starts[1] ?? '')).toBeGreaterThanOrEqual(0);
  });

  it('a token a lagging replica does not know yet is looked up on the primary, not refused; a revoked one still is', async () => {
    const t = await setupTrainer();
    // A replica that has not caught up with the login: no session row there.
    const lagging = (start: string, session: D1DatabaseSession) =>
      start === 'first-unconstrained'
        ? intercept(session, {
            prepare: (query: string) =>
              session.prepare(
                query.replace(
                  /from "sessions"(?: AS ("live_session"))?/i,
                  (_, alias = '"sessions"') => `FROM (SELECT * FROM "sessions" WHERE 0) AS ${alias}`,
                ),
              ),
          })
        : session;
    const auth = { Authorization: `Bearer ${t.token}` };
    const res = await startsOf('GET', '/api/bookings/', auth, undefined, lagging);
    expect(res.status).toBe(200);
    expect(res.starts.slice(0, 2)).toEqual(['first-unconstrained', 'first-primary']);
    // The request reads on from the primary's bookmark.
    expect(res.starts[2]).toMatch(SHAPE);
    expect((await api('POST', '/api/users/logout/', { token: t.token })).status).toBeLessThan(300);
    expect((await startsOf('GET', '/api/bookings/', auth, undefined, lagging)).status).toBe(401);
  });

  it('a malformed or oversized bookmark is a 400 naming the header; an empty one counts as none', async () => {
    const t = await setupTrainer();
    for (const bad of ['not a bookmark', '0000-zz', `${'a'.repeat(129)}`, '-00ab', '00ab-']) {
      const res = await api<ProblemBody>('GET', '/api/bookings/', { token: t.token, headers: { [HEADER]: bad } });
      expect(res.status, bad).toBe(400);
      expect(Object.keys(res.body.errors ?? {}), bad).toEqual([HEADER]);
      const pub = await api<ProblemBody>('GET', `/api/public/trainers/${t.user.trainer.slug}`, {
        headers: { [HEADER]: bad },
      });
      expect(pub.status, bad).toBe(400);
    }
    expect((await api('GET', '/api/bookings/', { token: t.token, headers: { [HEADER]: ' ' } })).status).toBe(200);
  });

  it('CORS lets a browser send the header and read it, the 400 included', async () => {
    const t = await setupTrainer();
    const preflight = await exports.default.fetch(
      new Request('http://example.com/api/bookings/', {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': `authorization,${HEADER}`,
        },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain(HEADER);
    const res = await api('GET', '/api/bookings/', { token: t.token, headers: { Origin: 'https://app.example' } });
    expect(res.headers.get('Access-Control-Expose-Headers')?.toLowerCase()).toContain(HEADER);
    const bad = await api('GET', '/api/bookings/', {
      token: t.token,
      headers: { Origin: 'https://app.example', [HEADER]: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example');
    expect(bad.headers.get('Access-Control-Expose-Headers')?.toLowerCase()).toContain(HEADER);
  });

  it('the OpenAPI document declares the header on every operation, as a request parameter and on every response', async () => {
    type Ref = { $ref?: string };
    type Op = {
      parameters?: (Ref & { name?: string })[];
      responses: Record<string, { headers?: Record<string, Ref> }>;
    };
    const doc = openapiDocument<{
      paths: Record<string, Record<string, Op>>;
      components: { parameters: Record<string, { name: string; in: string }>; headers: Record<string, object> };
      info: { description: string };
    }>();
    const resolve = <T>(ref: string | undefined, kind: 'parameters' | 'headers'): T | undefined =>
      ref?.startsWith(`#/components/${kind}/`) ? (doc.components[kind][ref.split('/').pop() ?? ''] as T) : undefined;
    let operations = 0;
    const missing: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations += 1;
        const params = (op.parameters ?? []).map(
          (p) => resolve<{ name: string; in: string }>(p.$ref, 'parameters') ?? p,
        );
        if (!params.some((p) => p.name === HEADER && (p as { in: string }).in === 'header')) {
          missing.push(`${method} ${path}: parameter`);
        }
        for (const [code, response] of Object.entries(op.responses)) {
          if (!resolve(response.headers?.[HEADER]?.$ref, 'headers')) missing.push(`${method} ${path} ${code}: header`);
        }
      }
    }
    expect(operations).toBeGreaterThan(100);
    expect(missing).toEqual([]);
    // The reference at /api/docs renders this document (Scalar, in the browser), and its
    // introduction tells a client to send the header back.
    const page = await (await exports.default.fetch(new Request('http://example.com/api/docs'))).text();
    expect(page).toContain('&quot;url&quot;:&quot;/api/openapi.json&quot;');
    expect(doc.info.description).toContain(`send the last one you got back as \`${HEADER}\``);
  });
});
