import { DurableObject } from 'cloudflare:workers';

interface FloorEnv {
  DB: D1Database;
  LOCK: DurableObjectNamespace<Lock>;
}

/** One per trainer; the same promise-chain lock as the app's TrainerSchedule. */
export class Lock extends DurableObject<FloorEnv> {
  #tail: Promise<unknown> = Promise.resolve();

  create(trainerId: number, clientId: number, start: string, end: string): Promise<number> {
    const run = this.#tail.then(async () => {
      const db = this.env.DB;
      const overlap = await db
        .prepare(
          "SELECT 1 FROM bookings WHERE trainer_id = ? AND status IN ('pending','confirmed') AND start_time < ? AND end_time > ? LIMIT 1",
        )
        .bind(trainerId, end, start)
        .first();
      if (overlap) return 409;
      const inserted = await db
        .prepare(
          `INSERT INTO bookings (trainer_id, client_id, start_time, end_time) SELECT ?, ?, ?, ?
           WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE trainer_id = ? AND status IN ('pending','confirmed') AND start_time < ? AND end_time > ?)`,
        )
        .bind(trainerId, clientId, start, end, trainerId, end, start)
        .run();
      return inserted.meta.changes === 1 ? 201 : 409;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/** The rows a 31-day range reads: windows, breaks and the bookings in it, in one D1 batch. */
async function rangeRows(db: D1Database, trainer: number, url: URL) {
  const from = url.searchParams.get('from') ?? '';
  const to = url.searchParams.get('to') ?? '';
  const [windows, breaks, bookings] = await db.batch([
    db
      .prepare(
        'SELECT day_of_week, start_time, end_time FROM availability_slots WHERE trainer_id = ? AND is_active = 1',
      )
      .bind(trainer),
    db
      .prepare(
        'SELECT start_date, end_date FROM trainer_breaks WHERE trainer_id = ? AND end_date >= ? AND start_date <= ?',
      )
      .bind(trainer, from, to),
    db
      .prepare(
        "SELECT start_time, end_time FROM bookings WHERE trainer_id = ? AND status IN ('pending','confirmed') AND start_time < ? AND end_time > ?",
      )
      .bind(trainer, `${to}T23:59:59.999Z`, `${from}T00:00:00.000Z`),
  ]);
  return { windows: windows?.results ?? [], breaks: breaks?.results ?? [], bookings: bookings?.results ?? [] };
}

/**
 * The platform's part of a cached public availability read: the trainer's row by its unique slug
 * and, beside it, the Cache API lookup of the question; the stored body is answered when its
 * version is the row's, else the range is read, stored and answered (its rows as JSON, an answer
 * of the same order of size as the app's).
 */
async function cached(db: D1Database, url: URL): Promise<Response> {
  const key = `${url.origin}/__cache/floor?${url.searchParams}`;
  const [row, stored] = await Promise.all([
    db
      .prepare('SELECT id, version FROM trainers WHERE slug = ?')
      .bind(url.searchParams.get('slug'))
      .first<{ id: number; version: number }>(),
    caches.default.match(key),
  ]);
  if (!row) return new Response('not found', { status: 404 });
  if (stored && stored.headers.get('X-Version') === String(row.version)) {
    return new Response(stored.body, { headers: { 'Content-Type': 'application/json' } });
  }
  const body = JSON.stringify(await rangeRows(db, row.id, url));
  const headers = {
    'Content-Type': 'application/json',
    'Cache-Control': 'public, max-age=15',
    'X-Version': String(row.version),
  };
  await caches.default.put(key, new Response(body, { headers }));
  return new Response(body, { headers: { 'Content-Type': 'application/json' } });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const trainer = Number(url.searchParams.get('trainer'));
    if (url.pathname === '/health') return Response.json({ status: 'ok' });
    if (url.pathname === '/create' && request.method === 'POST') {
      const body = (await request.json()) as { client: number; start_time: string; end_time: string };
      const stub = env.LOCK.get(env.LOCK.idFromName(`trainer:${trainer}`));
      const status = await stub.create(trainer, body.client, body.start_time, body.end_time);
      return Response.json({ status }, { status });
    }
    if (url.pathname === '/range') {
      const { windows, breaks, bookings } = await rangeRows(env.DB, trainer, url);
      return Response.json({ windows: windows.length, breaks: breaks.length, bookings: bookings.length });
    }
    if (url.pathname === '/cached') return cached(env.DB, url);
    if (url.pathname === '/list') {
      const [count, rows] = await env.DB.batch([
        env.DB.prepare('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?').bind(trainer),
        env.DB.prepare('SELECT * FROM bookings WHERE trainer_id = ? ORDER BY start_time DESC, id DESC LIMIT 20').bind(
          trainer,
        ),
      ]);
      return Response.json({ count: (count?.results[0] as { n: number } | undefined)?.n, results: rows?.results });
    }
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;
