import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, at, fetchRecorded, futureDay, setupTrainer } from './helpers';

type Row = Record<string, unknown> & { id: number };
type ListBody = { count?: number; next: string | null; previous: string | null; results: Row[] };
type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

const PAGE = 5;
// Rows are added after each of the first pages only: a walk must end.
const ADDING_PAGES = 3;
const SEEDED = 22;
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;
let serial = 0;

/** Rows straight into D1 (the lists under test only read them); ties on every sort key on purpose. */
async function seed(t: Trainer) {
  const trainer = t.user.trainer.id;
  const day = futureDay(2).date;
  const stmts: D1PreparedStatement[] = [];
  for (let i = 0; i < SEEDED; i++) {
    // Half in the past (for /past), half ahead (for /upcoming); created_at repeats every 5 rows.
    const start =
      i % 2 ? at(day, `${String(i).padStart(2, '0')}:00`) : `2025-03-${String(1 + i).padStart(2, '0')}T09:00:00.000Z`;
    const end = start.replace(/T(\d\d):00/, (_, h) => `T${h}:45`);
    const created = `2025-01-0${1 + (i % 5)}T10:00:00.000Z`;
    stmts.push(
      env.DB.prepare(
        `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, occupied_start, occupied_end, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(trainer, t.client.id, start, end, start, end, i % 2 ? 'confirmed' : 'completed', created),
      env.DB.prepare(
        `INSERT INTO clients (trainer_id, email, first_name, last_name, first_name_key, last_name_key, created_at)
         VALUES (?1, ?2, ?3, ?4, lower(?3), lower(?4), ?5)`,
      ).bind(trainer, `seed${i}-${trainer}@example.com`, `First${i % 4}`, `Last${i % 3}`, created),
      notificationInsert(trainer, created),
    );
  }
  await env.DB.batch(stmts);
}

/** Two trainers, each with the seeded rows: one whose counts change, one whose counts must not. */
async function seededPair(): Promise<[Trainer, Trainer]> {
  const pair: [Trainer, Trainer] = [await setupTrainer(), await setupTrainer()];
  for (const t of pair) await seed(t);
  return pair;
}

/** How many rows of `table` the trainer has, counted in D1 itself. */
const rowsOf = (table: 'bookings' | 'notifications', trainer: number) =>
  env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE trainer_id = ?`).bind(trainer).first<number>('n');

function notificationInsert(trainer: number, created: string) {
  return env.DB.prepare(
    `INSERT INTO notifications (trainer_id, kind, notification_type, recipient, message, status, dedupe_key, created_at)
     VALUES (?, 'booking_confirmed', 'email', 'c@example.com', '', 'sent', ?, ?)`,
  ).bind(trainer, `cursor-test:${trainer}:${serial++}`, created);
}

/** Every id the list shows now (page mode, every page). */
async function allIds(t: Trainer, path: string): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page++) {
    const res = await api<ListBody>('GET', withQuery(path, `page_size=100&page=${page}`), { token: t.token });
    expect(res.status, path).toBe(200);
    ids.push(...res.body.results.map((r) => r.id));
    if (!res.body.next) return ids;
  }
}

/** Walks a list by cursor from the first page, running `between` after each page; the rows seen, in order. */
async function walk(t: Trainer, path: string, between: (page: number) => Promise<void>): Promise<Row[]> {
  const seen: Row[] = [];
  let next: string | null = withQuery(path, `cursor=&page_size=${PAGE}`);
  for (let page = 0; next; page++) {
    const res: { status: number; body: ListBody } = await api<ListBody>('GET', next, { token: t.token });
    expect(res.status, next).toBe(200);
    expect(res.body.previous).toBeNull();
    expect('count' in res.body).toBe(false);
    expect(res.body.results.length).toBeLessThanOrEqual(PAGE);
    seen.push(...res.body.results);
    next = res.body.next ? pathOf(res.body.next) : null;
    if (next) expect(new URL(`http://x${next}`).searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
    if (page < ADDING_PAGES) await between(page);
    expect(page).toBeLessThan(100);
  }
  return seen;
}

/** The walk's rows are in the list's order (key, then id), without a repeat, and include every row of the start. */
function expectWalk(seen: Row[], initial: number[], key: string, desc: boolean, idDesc: boolean) {
  const ids = seen.map((r) => r.id);
  expect(new Set(ids).size, 'no row twice').toBe(ids.length);
  expect(
    initial.filter((id) => !ids.includes(id)),
    'no row of the start skipped',
  ).toEqual([]);
  for (let i = 1; i < seen.length; i++) {
    const a = seen[i - 1] as Row;
    const b = seen[i] as Row;
    const ka = String(a[key]);
    const kb = String(b[key]);
    const inOrder = ka === kb ? (idDesc ? a.id > b.id : a.id < b.id) : desc ? ka > kb : ka < kb;
    expect(inOrder, `${key} ${ka}#${a.id} then ${kb}#${b.id}`).toBe(true);
  }
}

describe('cursor pagination: every list, every ordering, rows added between pages', () => {
  it('bookings: all orderings, upcoming and past; new rows before and after the cursor never repeat or hide one', async () => {
    const t = await setupTrainer();
    await seed(t);
    const trainer = t.user.trainer.id;
    const lists: [string, string, boolean][] = [
      ['/api/bookings/', 'start_time', true],
      ['/api/bookings/?ordering=-start_time', 'start_time', true],
      ['/api/bookings/?ordering=start_time', 'start_time', false],
      ['/api/bookings/?ordering=created_at', 'created_at', false],
      ['/api/bookings/?ordering=-created_at', 'created_at', true],
      ['/api/bookings/upcoming/', 'start_time', false],
      ['/api/bookings/past/', 'start_time', true],
      ['/api/bookings/past/?ordering=created_at', 'created_at', false],
    ];
    let hour = 0;
    for (const [path, key, desc] of lists) {
      const initial = await allIds(t, path);
      expect(initial.length).toBeGreaterThan(PAGE);
      const seen = await walk(t, path, async (page) => {
        // One through the API (now, ahead), and two straight into D1: one sorting first, one last.
        const start = at(futureDay(20 + Math.floor(hour / 20)).date, `${String(hour++ % 20).padStart(2, '0')}:00`);
        const made = await api('POST', '/api/bookings/', {
          token: t.token,
          body: { client: t.client.id, start_time: start },
        });
        expect(made.status).toBe(201);
        for (const [s, c] of [
          ['2024-01-01T08:00:00.000Z', '2024-01-01T00:00:00.000Z'],
          [`2029-01-0${1 + (page % 9)}T08:00:00.000Z`, `2029-01-0${1 + (page % 9)}T00:00:00.000Z`],
        ]) {
          await env.DB.prepare(
            `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status, created_at)
             VALUES (?, ?, ?, ?, 'cancelled', ?)`,
          )
            .bind(trainer, t.client.id, s, s, c)
            .run();
        }
      });
      expectWalk(seen, initial, key, desc, desc);
    }
  });

  it('clients: every ordering, with clients added between pages', async () => {
    const t = await setupTrainer();
    await seed(t);
    const keys = { last_name: 'last_name', first_name: 'first_name', created_at: 'created_at' } as const;
    for (const [field, key] of Object.entries(keys)) {
      for (const desc of [false, true]) {
        const path = `/api/clients/?ordering=${desc ? '-' : ''}${field}`;
        const initial = await allIds(t, path);
        // Read by page number and by cursor, unchanged in between, it is the same list (ties too).
        expect(
          (await walk(t, path, async () => {})).map((r) => r.id),
          path,
        ).toEqual(initial);
        const seen = await walk(t, path, async (page) => {
          for (const name of ['Aaa', 'Last1', 'Zzz']) {
            const res = await api('POST', '/api/clients/', {
              token: t.token,
              body: { email: `new${serial++}@example.com`, first_name: `${name}${page}`, last_name: name },
            });
            expect(res.status).toBe(201);
          }
        });
        // Ties are settled by id in the ordering's direction.
        expectWalk(seen, initial, key, desc, desc);
      }
    }
    // The default ordering (last_name) too.
    const initial = await allIds(t, '/api/clients/');
    expectWalk(await walk(t, '/api/clients/', async () => {}), initial, 'last_name', false, false);
  });

  it('notifications: newest first, with older and newer rows added between pages', async () => {
    const t = await setupTrainer();
    await seed(t);
    const trainer = t.user.trainer.id;
    const initial = await allIds(t, '/api/notifications/');
    const seen = await walk(t, '/api/notifications/', async () => {
      await env.DB.batch([
        notificationInsert(trainer, '2024-06-01T00:00:00.000Z'),
        notificationInsert(trainer, '2025-01-03T10:00:00.000Z'),
        notificationInsert(trainer, '2030-01-01T00:00:00.000Z'),
      ]);
    });
    expectWalk(seen, initial, 'created_at', true, true);
    const filtered = await allIds(t, '/api/notifications/?status=sent');
    expectWalk(await walk(t, '/api/notifications/?status=sent', async () => {}), filtered, 'created_at', true, true);
  });
});

describe('cursor pagination: the cursor, the count, the page mode', () => {
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  it('a malformed cursor, or one made for another ordering, is a 400 naming cursor', async () => {
    const t = await setupTrainer();
    await seed(t);
    const first = await api<ListBody>('GET', '/api/bookings/?cursor=&ordering=created_at&page_size=2', {
      token: t.token,
    });
    const made = new URL(first.body.next ?? '').searchParams.get('cursor') ?? '';
    const bad = [
      ['/api/bookings/', 'not a cursor!'],
      ['/api/bookings/', encode('hello')],
      ['/api/bookings/', 'e30'], // {}
      ['/api/bookings/', encode(['-start_time', 5, 1])],
      ['/api/bookings/', encode(['-start_time', '2025-01-01', -1])],
      ['/api/bookings/', '____'],
      ['/api/bookings/?ordering=start_time', made],
      ['/api/clients/', encode(['last_name', 'Smith'])],
      ['/api/clients/?ordering=-first_name', encode(['last_name', 'Smith', 3])],
      ['/api/notifications/', encode(['-start_time', '2025-01-01T00:00:00.000Z', 3])],
      ['/api/notifications/', 'x'.repeat(600)],
      // A list by time resumes after an instant, nothing else.
      ['/api/bookings/', encode(['-start_time', "x' OR 1=1--", 15])],
      ['/api/bookings/', encode(['-start_time', '2025-01-01', 15])],
      ['/api/notifications/', encode(['-created_at', 'yesterday', 3])],
    ];
    for (const [path, cursor] of bad) {
      const res = await api<{ errors: Record<string, string[]> }>(
        'GET',
        withQuery(path as string, `cursor=${encodeURIComponent(cursor as string)}`),
        { token: t.token },
      );
      expect(res.status, `${path} ${cursor}`).toBe(400);
      expect(Object.keys(res.body.errors), `${path} ${cursor}`).toEqual(['cursor']);
    }
    const other = await api<{ errors: Record<string, string[]> }>(
      'GET',
      `/api/bookings/?ordering=start_time&cursor=${made}`,
      { token: t.token },
    );
    expect(other.body.errors.cursor?.[0]).toContain('created_at');
    // The same cursor with its own ordering is fine.
    expect((await api('GET', `/api/bookings/?ordering=created_at&cursor=${made}`, { token: t.token })).status).toBe(
      200,
    );
  });

  it('count only on request in cursor mode; page mode unchanged', async () => {
    const t = await setupTrainer();
    await seed(t);
    for (const path of ['/api/bookings/', '/api/clients/', '/api/notifications/']) {
      const total = (await allIds(t, path)).length;
      const plain = await api<ListBody>('GET', withQuery(path, 'cursor=&page_size=3'), { token: t.token });
      expect('count' in plain.body, path).toBe(false);
      expect(plain.body.results).toHaveLength(3);
      const counted = await api<ListBody>('GET', withQuery(path, 'cursor=&page_size=3&count=true'), { token: t.token });
      expect(counted.body.count, path).toBe(total);
      expect(counted.body.next).toContain('count=true');
      const next = await api<ListBody>('GET', pathOf(counted.body.next ?? ''), { token: t.token });
      expect(next.body.count, path).toBe(total);
      const paged = await api<ListBody>('GET', withQuery(path, 'page=2&page_size=3'), { token: t.token });
      expect(paged.body.count).toBe(total);
      expect(paged.body.previous).toContain('page=1');
      expect(paged.body.next).toContain('page=3');
      expect(paged.body.results.map((r) => r.id)).toEqual(next.body.results.map((r) => r.id));
    }
  });

  it('a page by number is its slice of the whole list in every ordering, mode and filter; a later page skips by index alone', async () => {
    const t = await setupTrainer();
    await seed(t);
    const paths = [
      '/api/bookings/',
      '/api/bookings/?ordering=start_time',
      '/api/bookings/?ordering=created_at',
      '/api/bookings/?ordering=-created_at',
      '/api/bookings/upcoming/',
      '/api/bookings/past/?ordering=created_at',
      '/api/bookings/?status=completed&ordering=-created_at',
      // setupTrainer's client is Casey Client.
      '/api/bookings/?search=casey&ordering=created_at',
    ];
    for (const path of paths) {
      const whole = await allIds(t, path);
      expect(whole.length, path).toBeGreaterThan(8);
      const paged: number[] = [];
      for (let page = 1; page <= Math.ceil(whole.length / 4); page++) {
        const res = await api<ListBody>('GET', withQuery(path, `page_size=4&page=${page}`), { token: t.token });
        expect(res.status, path).toBe(200);
        expect(res.body.count, path).toBe(whole.length);
        paged.push(...res.body.results.map((r) => r.id));
      }
      expect(paged, path).toEqual(whole);
      const past = await api<ListBody>('GET', withQuery(path, `page_size=4&page=${Math.ceil(whole.length / 4) + 1}`), {
        token: t.token,
      });
      expect(past.body.results, path).toEqual([]);
    }
    const { res, statements } = await fetchRecorded('/api/bookings/?page=3&page_size=4', t.token);
    expect(res.status).toBe(200);
    const page = statements.find((s) => /\blimit\b/i.test(s.sql) && /order by/i.test(s.sql));
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${page?.sql}`)
      .bind(...(page?.args ?? []))
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join('\n')).toMatch(/COVERING INDEX bookings_trainer_start_idx/);
  });

  it("the unfiltered page count is the trainer's kept count, exact after every kind of insert and delete", async () => {
    const [t, other] = await seededPair();
    const trainer = t.user.trainer.id;
    const counted = async () =>
      (await api<ListBody>('GET', '/api/bookings/?page_size=1', { token: t.token })).body.count;
    const actual = () => rowsOf('bookings', trainer);
    expect(await counted()).toBe(SEEDED);
    const made = await api<Row>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: at(futureDay(9).date, '10:00') },
    });
    expect(made.status).toBe(201);
    expect(await api('POST', `/api/bookings/${made.body.id}/cancel/`, { token: t.token, body: {} })).toMatchObject({
      status: 200,
    });
    await env.DB.prepare('DELETE FROM bookings WHERE trainer_id = ? AND status = ?').bind(trainer, 'completed').run();
    expect(await counted()).toBe(await actual());
    expect(await counted()).toBe(SEEDED + 1 - SEEDED / 2);
    // A filtered list still counts its matches; the other trainer's count is untouched.
    const filtered = await api<ListBody>('GET', '/api/bookings/?status=cancelled&page_size=1', { token: t.token });
    expect(filtered.body.count).toBe(1);
    expect((await api<ListBody>('GET', '/api/bookings/?page_size=1', { token: other.token })).body.count).toBe(SEEDED);
    // A booking moved to another trainer (nothing does it today) moves its count too.
    await env.DB.prepare('UPDATE bookings SET trainer_id = ? WHERE id = ?')
      .bind(other.user.trainer.id, made.body.id)
      .run();
    expect(await counted()).toBe(SEEDED / 2);
    expect(await counted()).toBe(await actual());
    expect((await api<ListBody>('GET', '/api/bookings/?page_size=1', { token: other.token })).body.count).toBe(
      SEEDED + 1,
    );
    // The whole list's count is that kept figure: its batch counts nothing.
    const recorded = await fetchRecorded('/api/bookings/?page=2&page_size=4', t.token);
    expect(recorded.res.status).toBe(200);
    const statements = recorded.statements.map((st) => st.sql);
    expect(statements.some((q) => /booking_count/.test(q))).toBe(true);
    expect(statements.filter((q) => /^select count\(\*\)/i.test(q))).toEqual([]);
    // A trainer without bookings: page 2 is empty, counted 0.
    const empty = await setupTrainer();
    const none = await api<ListBody>('GET', '/api/bookings/?page=2&page_size=4', { token: empty.token });
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ count: 0, results: [] });
  });

  it("the notifications list's unfiltered page count is the trainer's kept count, exact after inserts, deletes and moves", async () => {
    const [t, other] = await seededPair();
    const trainer = t.user.trainer.id;
    const countOf = async (who: Trainer, query = '') =>
      (await api<ListBody>('GET', `/api/notifications/?page_size=1${query}`, { token: who.token })).body.count;
    const actual = (id: number) => rowsOf('notifications', id);
    expect(await countOf(t)).toBe(SEEDED);
    // A booking confirmed: the messages it plans are counted as they are written.
    const made = await api<Row>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, start_time: at(futureDay(9).date, '10:00') },
    });
    expect(made.status).toBe(201);
    expect((await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const planned = (await actual(trainer)) ?? 0;
    expect(planned).toBeGreaterThan(SEEDED);
    expect(await countOf(t)).toBe(planned);
    // A message planned again (its dedupe_key taken: the outbox writes INSERT OR IGNORE) adds nothing.
    await env.DB.prepare(
      `INSERT OR IGNORE INTO notifications (trainer_id, kind, notification_type, recipient, message, dedupe_key)
       SELECT trainer_id, kind, notification_type, recipient, message, dedupe_key FROM notifications WHERE trainer_id = ?`,
    )
      .bind(trainer)
      .run();
    expect(await countOf(t)).toBe(planned);
    // Cursor mode counts on request, the same way.
    const cursorCount = await api<ListBody>('GET', '/api/notifications/?cursor=&page_size=1&count=true', {
      token: t.token,
    });
    expect(cursorCount.body.count).toBe(planned);
    // Deleted rows and a row moved to another trainer (nothing does either today) follow.
    await env.DB.prepare(
      'DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE trainer_id = ? ORDER BY id LIMIT 3)',
    )
      .bind(trainer)
      .run();
    await env.DB.prepare(
      'UPDATE notifications SET trainer_id = ? WHERE id = (SELECT max(id) FROM notifications WHERE trainer_id = ?)',
    )
      .bind(other.user.trainer.id, trainer)
      .run();
    expect(await countOf(t)).toBe(planned - 4);
    expect(await countOf(t)).toBe(await actual(trainer));
    expect(await countOf(other)).toBe(SEEDED + 1);
    // A filtered list still counts its matches.
    const sent = await env.DB.prepare(
      "SELECT count(*) AS n FROM notifications WHERE trainer_id = ? AND status = 'sent'",
    )
      .bind(trainer)
      .first<number>('n');
    expect(await countOf(t, '&status=sent')).toBe(sent);
    // The whole list's count is that kept figure: its batch counts nothing.
    const recorded = await fetchRecorded('/api/notifications/?page=2&page_size=4', t.token);
    expect(recorded.res.status).toBe(200);
    const statements = recorded.statements.map((st) => st.sql);
    expect(statements.some((q) => /notification_count/.test(q))).toBe(true);
    expect(statements.filter((q) => /count\(\*\)/i.test(q))).toEqual([]);
    // A trainer without notifications: counted 0.
    const empty = await setupTrainer();
    expect(await countOf(empty)).toBe(0);
  });

  it('a cursor page reads through the list index (EXPLAIN QUERY PLAN) and counts nothing', async () => {
    const t = await setupTrainer();
    await seed(t);
    const cases: [string, string][] = [
      ['/api/bookings/', 'bookings_trainer_start_idx'],
      ['/api/bookings/?ordering=start_time', 'bookings_trainer_start_idx'],
      ['/api/bookings/?ordering=created_at', 'bookings_trainer_created_idx'],
      ['/api/bookings/?ordering=-created_at', 'bookings_trainer_created_idx'],
      ['/api/clients/', 'clients_trainer_last_name_key_idx'],
      ['/api/clients/?ordering=-last_name', 'clients_trainer_last_name_key_idx'],
      ['/api/notifications/', 'notifications_trainer_created_idx'],
    ];
    for (const [path, index] of cases) {
      const first = await api<ListBody>('GET', withQuery(path, 'cursor=&page_size=3'), { token: t.token });
      const { res, statements } = await fetchRecorded(pathOf(first.body.next ?? ''), t.token);
      expect(res.status).toBe(200);
      expect(
        statements.filter((s) => /^select count\(\*\)/i.test(s.sql)),
        path,
      ).toEqual([]);
      const page = statements.find((s) => /\blimit\b/i.test(s.sql) && /order by/i.test(s.sql));
      expect(page, path).toBeDefined();
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${page?.sql}`)
        .bind(...(page?.args ?? []))
        .all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail).join('\n');
      expect(details, path).toContain(index);
      expect(details, path).not.toContain('TEMP B-TREE');
    }
  });
});
