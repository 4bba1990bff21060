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
      const from = url.searchParams.get('from') ?? '';
      const to = url.searchParams.get('to') ?? '';
      const [windows, breaks, busy] = await env.DB.batch([
        env.DB.prepare(
          'SELECT day_of_week, start_time, end_time FROM availability_slots WHERE trainer_id = ? AND is_active = 1',
        ).bind(trainer),
        env.DB.prepare(
          'SELECT start_date, end_date FROM trainer_breaks WHERE trainer_id = ? AND end_date >= ? AND start_date <= ?',
        ).bind(trainer, from, to),
        env.DB.prepare(
          "SELECT start_time, end_time FROM bookings WHERE trainer_id = ? AND status IN ('pending','confirmed') AND start_time < ? AND end_time > ?",
        ).bind(trainer, `${to}T23:59:59.999Z`, `${from}T00:00:00.000Z`),
      ]);
      return Response.json({
        windows: windows?.results.length,
        breaks: breaks?.results.length,
        bookings: busy?.results.length,
      });
    }
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
