import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleBooking } from '../src/bookings/commands';
import { getDb } from '../src/lib/db';
import {
  at,
  type BookingBody,
  book,
  claimsOf,
  futureDay,
  intercept,
  openapiDocument,
  setupTrainer,
  trainerBookingCommand,
} from './helpers';

/**
 * The real D1 binding, recording each round trip (a statement run on its own, or a batch) with
 * the SQL text it sent: D1 compiles every statement it is sent, so what a create sends is its cost.
 */
function recordingD1(db: D1Database) {
  const trips: string[][] = [];
  const executes = new Set(['run', 'all', 'first', 'raw']);
  const texts = new WeakMap<D1PreparedStatement, string>();
  const watch = (stmt: D1PreparedStatement, query: string): D1PreparedStatement => {
    const watched = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => watch(target.bind(...args), query);
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (executes.has(String(prop))) trips.push([query]);
        return value.bind(target);
      },
    });
    texts.set(watched, query);
    return watched;
  };
  const batch: D1Database['batch'] = (statements) => {
    trips.push(statements.map((s) => texts.get(s) ?? '?'));
    return db.batch(statements);
  };
  return { db: intercept(db, { prepare: (query: string) => watch(db.prepare(query), query), batch }), trips };
}

describe('the path of a trainer’s booking create', () => {
  it('without a pack: one read and one write batch, neither with the pack’s subqueries; the booking and its link are written', async () => {
    const t = await setupTrainer();
    const { jti } = claimsOf(t.token);
    const recording = recordingD1(env.DB);
    const start = at(futureDay(9).date, '10:00');
    const command = trainerBookingCommand(t.user.trainer.id, t.client.id, start, {
      session: { userId: t.user.id, jti },
      manageLink: { tokenHash: `hash-${crypto.randomUUID()}`, salt: 'salt' },
    });
    const outcome = await scheduleBooking(getDb(recording.db), command, Date.now());
    expect(outcome).toMatchObject({
      ok: true,
      booking: { start_time: start, status: 'pending', client_package: null },
    });

    // Two round trips, as the floor makes: the read, then the batch (the guarded insert and the link).
    expect(recording.trips).toHaveLength(2);
    const [read, write] = recording.trips as [string[], string[]];
    expect(read).toHaveLength(1);
    expect(read[0]).toContain('AS signed_in');
    expect(write).toHaveLength(2);
    expect(write[0]).toMatch(/^\s*INSERT INTO "bookings"/);
    expect(write[1]).toMatch(/^INSERT INTO "booking_links"/);
    // No pack named: nothing about packs is compiled, read or checked.
    for (const text of [...read, ...write]) expect(text).not.toContain('client_packages');
    // The guarded insert still checks the session, the overlap, calendar busy time and the schedule version.
    expect(write[0]).toContain('FROM "sessions" AS "live_session"');
    expect(write[0]).toContain('FROM bookings WHERE trainer_id');
    expect(write[0]).toContain('FROM calendar_busy');
    expect(write[0]).toContain('schedule_version');

    const id = (outcome as { booking: BookingBody }).booking.id;
    const link = await env.DB.prepare('SELECT count(*) AS n FROM booking_links WHERE booking_id = ?')
      .bind(id)
      .first('n');
    expect(link).toBe(1);
  });

  it('the Idempotency-Key header is still declared on the create (and a bad one is still a 400 naming it)', async () => {
    const doc = {
      body: openapiDocument<{ paths: Record<string, { post: { parameters: { name?: string; in?: string }[] } }> }>(),
    };
    const params = doc.body.paths['/api/bookings']?.post.parameters ?? [];
    expect(params).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key', required: false, schema: { type: 'string' } }),
    );
    const t = await setupTrainer();
    const bad = await book(
      t.token,
      { client: t.client.id, start_time: at(futureDay(9).date, '11:00') },
      {
        'Idempotency-Key': 'two words',
      },
    );
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['Idempotency-Key']);
  });
});
