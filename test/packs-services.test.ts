// Issue 18, items 3 and 4: packs tied to services, and packs used by bookings made on the web.
// The services API is not on this branch: services are created with SQL.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleBooking } from '../src/bookings/commands';
import { scheduleOf } from '../src/bookings/schedule-object';
import { getDb } from '../src/lib/db';
import { ApiError } from '../src/lib/problem';
import {
  api,
  at,
  type BookingBody,
  book,
  createClient,
  futureDay,
  intercept,
  type ProblemBody,
  setupTrainer,
  trainerBookingCommand,
  uniqueEmail,
  until,
} from './helpers';

type Pkg = { id: number; name: string; services: number[] };
type ClientPkg = { id: number; services: number[]; sessions_remaining: number; sessions_reserved: number };
type PublicAnswer = { start_time: string; status: string; manage_url: string } & ProblemBody;

let ipCounter = 0;
const freshIp = () => `203.0.113.${(ipCounter++ % 250) + 1}`;

const addService = async (trainerId: number, name: string) => {
  const row = await env.DB.prepare(
    'INSERT INTO services (trainer_id, name, duration_minutes) VALUES (?, ?, 60) RETURNING id',
  )
    .bind(trainerId, name)
    .first<{ id: number }>();
  return row?.id ?? 0;
};
const createPackage = (token: string, body: Record<string, unknown>) =>
  api<Pkg & ProblemBody>('POST', '/api/packages/', {
    token,
    body: { name: 'Pack', sessions_count: 5, price: '100', ...body },
  });
const sell = async (token: string, pkgId: number, clientId: number, extra: Record<string, unknown> = {}) => {
  const res = await api<ClientPkg & ProblemBody>('POST', `/api/packages/${pkgId}/assign_to_client/`, {
    token,
    body: { client_id: clientId, ...extra },
  });
  if (res.status !== 201) throw new Error(`sell failed: ${JSON.stringify(res.body)}`);
  return res.body;
};
/** A package of `sessions` sold to the client; `services` as the package lists them. */
const pack = async (
  token: string,
  clientId: number,
  opts: { name?: string; sessions?: number; services?: number[]; expiry?: string } = {},
) => {
  const created = await createPackage(token, {
    name: opts.name ?? 'Pack',
    sessions_count: opts.sessions ?? 5,
    ...(opts.services && { services: opts.services }),
  });
  if (created.status !== 201) throw new Error(`package failed: ${JSON.stringify(created.body)}`);
  return sell(token, created.body.id, clientId, opts.expiry ? { expiry_date: opts.expiry } : {});
};
const clientPackage = async (token: string, id: number) =>
  (await api<ClientPkg>('GET', `/api/client-packages/${id}/`, { token })).body;

const publicBook = (slug: string, email: string, start: string) =>
  api<PublicAnswer>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body: { first_name: 'Wendy', last_name: 'Web', email, start_time: start },
    headers: { 'CF-Connecting-IP': freshIp() },
  });
const slotAt = (daysAhead: number, time: string) => at(futureDay(daysAhead).date, time);
/** 20 offered starts: two days, 08:00 … 17:00. */
const twentySlots = () =>
  [3, 4].flatMap((day) => Array.from({ length: 10 }, (_, h) => slotAt(day, `${String(8 + h).padStart(2, '0')}:00`)));

async function openTrainer(settings: Record<string, unknown> = {}) {
  const t = await setupTrainer({
    open: ['08:00', '18:00'],
    settings: { business_name: 'Pack Gym', min_notice_minutes: 60, ...settings },
  });
  return { ...t, slug: t.user.trainer.slug, trainerId: t.user.trainer.id };
}

const bookingsOf = async (clientId: number) =>
  (
    await env.DB.prepare(
      'SELECT id, start_time, status, client_package_id, source FROM bookings WHERE client_id = ? ORDER BY start_time',
    )
      .bind(clientId)
      .all<{ id: number; start_time: string; status: string; client_package_id: number | null; source: string }>()
  ).results;
const bookingAt = async (clientId: number, start: string) =>
  (await bookingsOf(clientId)).find((b) => b.start_time === start);

describe('package services', () => {
  it('create, PATCH and every answer carry `services`; unknown and foreign ids are a 400 naming services.N', async () => {
    const t = await openTrainer();
    const other = await openTrainer();
    const [s1, s2] = [await addService(t.trainerId, 'Boxing'), await addService(t.trainerId, 'Yoga')];
    const foreign = await addService(other.trainerId, 'Theirs');

    const created = await createPackage(t.token, { services: [s2, s1, s2] });
    expect(created.status).toBe(201);
    expect(created.body.services).toEqual([s1, s2].sort((a, b) => a - b));
    const id = created.body.id;
    expect((await api<Pkg>('GET', `/api/packages/${id}/`, { token: t.token })).body.services).toEqual(
      created.body.services,
    );
    const listed = await api<{ results: Pkg[] }>('GET', '/api/packages/', { token: t.token });
    expect(listed.body.results.find((p) => p.id === id)?.services).toEqual(created.body.services);
    expect((await createPackage(t.token, {})).body.services).toEqual([]);

    const patch = (body: Record<string, unknown>) =>
      api<Pkg & ProblemBody>('PATCH', `/api/packages/${id}/`, { token: t.token, body });
    expect((await patch({ services: [s1] })).body.services).toEqual([s1]);
    expect((await patch({ name: 'Renamed' })).body).toMatchObject({ name: 'Renamed', services: [s1] });

    const bad = await createPackage(t.token, { name: 'Bad', services: [s1, 999_999, foreign] });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(['services.1', 'services.2']);
    const badPatch = await patch({ name: 'Not saved', services: [foreign] });
    expect(badPatch.status).toBe(400);
    expect(Object.keys(badPatch.body.errors ?? {})).toEqual(['services.0']);
    expect((await patch({ services: ['x'] })).body.errors).toHaveProperty(['services.0']);
    // Nothing half-written: the refused create made no package, the refused PATCH changed nothing.
    const after = await api<{ results: Pkg[] }>('GET', '/api/packages/', { token: t.token });
    expect(after.body.results.map((p) => p.name).sort()).toEqual(['Pack', 'Renamed']);
    expect(after.body.results.find((p) => p.id === id)?.services).toEqual([s1]);

    const sold = await sell(t.token, id, t.client.id);
    expect(sold.services).toEqual([s1]);
    expect((await patch({ services: [] })).body.services).toEqual([]);
    expect((await clientPackage(t.token, sold.id)).services).toEqual([]);
  });

  it('a list of 100 ids is read whole (400 naming each unknown one); an archived service is refused unless already covered', async () => {
    const t = await openTrainer();
    const [s1, s2] = [await addService(t.trainerId, 'Boxing'), await addService(t.trainerId, 'Yoga')];
    const hundred = [s1, ...Array.from({ length: 99 }, (_, i) => 900_000 + i)];
    const many = await createPackage(t.token, { name: 'Many', services: hundred });
    expect(many.status, JSON.stringify(many.body)).toBe(400);
    expect(Object.keys(many.body.errors ?? {})).toHaveLength(99);
    expect(many.body.errors).not.toHaveProperty(['services.0']);

    const made = await createPackage(t.token, { name: 'Both', services: [s1, s2] });
    expect(made.status).toBe(201);
    await env.DB.prepare('UPDATE services SET is_active = 0 WHERE id = ?').bind(s2).run();
    const archived = await createPackage(t.token, { name: 'Archived only', services: [s2] });
    expect(archived.status).toBe(400);
    expect(archived.body.errors?.['services.0']?.[0]).toMatch(/archived/);
    // A package that covered it before keeps it through a change of anything else.
    const kept = await api<Pkg & ProblemBody>('PATCH', `/api/packages/${made.body.id}/`, {
      token: t.token,
      body: { name: 'Both, renamed', services: [s1, s2] },
    });
    expect([kept.status, kept.body.services]).toEqual([200, [s1, s2].sort((a, b) => a - b)]);
  });

  it('a trainer booking with a pack for a service it does not cover is a 409 package_not_valid_for_service', async () => {
    const t = await openTrainer();
    const [s1, s2] = [await addService(t.trainerId, 'Boxing'), await addService(t.trainerId, 'Yoga')];
    const boxingOnly = await pack(t.token, t.client.id, { services: [s1] });
    const anything = await pack(t.token, t.client.id);
    const day = futureDay(6).date;
    const withPack = (time: string, clientPackage: number, service?: number) =>
      book(t.token, {
        client: t.client.id,
        start_time: at(day, time),
        client_package: clientPackage,
        ...(service && { service }),
      });

    const wrong = await withPack('09:00', boxingOnly.id, s2);
    expect(wrong.status).toBe(409);
    expect(wrong.body.code).toBe('package_not_valid_for_service');
    // No service named: the trainer's default, which the package does not list either.
    expect((await withPack('09:00', boxingOnly.id)).body.code).toBe('package_not_valid_for_service');
    const right = await withPack('09:00', boxingOnly.id, s1);
    expect(right.status).toBe(201);
    expect(right.body.client_package).toBe(boxingOnly.id);
    expect((await withPack('11:00', anything.id, s2)).status).toBe(201);
    expect((await withPack('13:00', anything.id)).status).toBe(201);
    // use_session names no booking and no service: the list does not limit it.
    const used = await api<ClientPkg>('POST', `/api/client-packages/${boxingOnly.id}/use_session/`, {
      token: t.token,
    });
    expect(used.status).toBe(200);
    expect(used.body.sessions_remaining).toBe(4);
  });
});

/**
 * The D1 binding, running `between` once right after the booking command's one read (the
 * statement that selects `signed_in`) returned: a concurrent write landing between the checks
 * and the guarded insert.
 */
function writeAfterRead(d1: D1Database, between: () => Promise<unknown>): D1Database {
  let done = false;
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement =>
    intercept(stmt, {
      bind: (...args: unknown[]) => wrap(stmt.bind(...args)),
      first: (async (column?: string) => {
        const row = await (column === undefined ? stmt.first() : stmt.first(column));
        if (!done) {
          done = true;
          await between();
        }
        return row;
      }) as D1PreparedStatement['first'],
    });
  return intercept(d1, {
    prepare: (query: string) => (query.includes('AS signed_in') ? wrap(d1.prepare(query)) : d1.prepare(query)),
  });
}

describe('the guarded insert', () => {
  it('refuses a pack whose package stopped covering the service after the checks read it', async () => {
    const t = await openTrainer();
    const [s1, s2] = [await addService(t.trainerId, 'Boxing'), await addService(t.trainerId, 'Yoga')];
    const sold = await pack(t.token, t.client.id, { services: [s1] });
    const { session_package: pkgId } = (await env.DB.prepare(
      'SELECT session_package_id AS session_package FROM client_packages WHERE id = ?',
    )
      .bind(sold.id)
      .first<{ session_package: number }>()) ?? { session_package: 0 };
    const start = slotAt(7, '10:00');
    const narrowed = writeAfterRead(env.DB, () =>
      env.DB.batch([
        env.DB.prepare('DELETE FROM session_package_services WHERE session_package_id = ?').bind(pkgId),
        env.DB.prepare('INSERT INTO session_package_services (session_package_id, service_id) VALUES (?, ?)').bind(
          pkgId,
          s2,
        ),
      ]),
    );
    const cmd = trainerBookingCommand(t.trainerId, t.client.id, start, { serviceId: s1, clientPackageId: sold.id });
    const refused = await scheduleBooking(getDb(narrowed), cmd, Date.now()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, extra: { code: 'package_not_valid_for_service' } });
    expect(await bookingsOf(t.client.id)).toEqual([]);
  });

  it('a web booking whose picked pack ran out after the read pays with the next one', async () => {
    const t = await openTrainer();
    const first = await pack(t.token, t.client.id, { name: 'First', expiry: futureDay(20).date });
    const next = await pack(t.token, t.client.id, { name: 'Next', expiry: futureDay(40).date });
    const start = slotAt(7, '10:00');
    // use_session spends the last credit of the first pack between the read and the write.
    const spent = writeAfterRead(env.DB, () =>
      env.DB.prepare('UPDATE client_packages SET sessions_remaining = 0 WHERE id = ?').bind(first.id).run(),
    );
    const cmd = trainerBookingCommand(t.trainerId, 0, start, {
      client: { email: t.client.email, firstName: '', lastName: '', phone: '' },
      pickPackage: true,
      source: 'public',
      enforceBookingWindow: true,
    });
    const made = await scheduleBooking(getDb(spent), cmd, Date.now());
    expect(made.ok && made.booking.client_package).toBe(next.id);
    expect((await clientPackage(t.token, first.id)).sessions_reserved).toBe(0);
  });
});

describe('packs used from the web', () => {
  it('a public booking pays with the pack that expires first; expired, exhausted, ending before the session, other services and other trainers are skipped', async () => {
    const t = await openTrainer();
    const email = t.client.email;
    const yoga = await addService(t.trainerId, 'Yoga');
    const expired = await pack(t.token, t.client.id, { name: 'Expired', expiry: futureDay(1).date });
    await env.DB.prepare('UPDATE client_packages SET expiry_date = ? WHERE id = ?')
      .bind(futureDay(-1).date, expired.id)
      .run();
    const exhausted = await pack(t.token, t.client.id, { name: 'Exhausted', sessions: 1, expiry: futureDay(2).date });
    await api('POST', `/api/client-packages/${exhausted.id}/use_session/`, { token: t.token });
    await pack(t.token, t.client.id, { name: 'Ends before', expiry: futureDay(3).date });
    await pack(t.token, t.client.id, { name: 'Yoga only', services: [yoga], expiry: futureDay(4).date });
    const never = await pack(t.token, t.client.id, { name: 'Never expires', sessions: 1 });
    const late = await pack(t.token, t.client.id, { name: 'Late', sessions: 1, expiry: futureDay(60).date });
    const soon = await pack(t.token, t.client.id, { name: 'Soon', sessions: 1, expiry: futureDay(30).date });
    const soonToo = await pack(t.token, t.client.id, { name: 'Soon too', sessions: 1, expiry: futureDay(30).date });
    // Sold later (a higher id) but bought earlier: the purchase date, not the id, decides the tie.
    await env.DB.prepare('UPDATE client_packages SET purchased_at = ? WHERE id = ?')
      .bind('2020-01-01T00:00:00.000Z', soonToo.id)
      .run();
    // The same email at another trainer, with a pack that expires sooner than all of these.
    const other = await openTrainer();
    const theirs = await createClient(other.token, { email });
    await pack(other.token, theirs.id, { name: 'Theirs', expiry: futureDay(10).date });

    const order: (number | null)[] = [];
    for (const time of ['09:00', '10:00', '11:00', '12:00', '13:00']) {
      const res = await publicBook(t.slug, email, slotAt(5, time));
      expect(res.status).toBe(201);
      order.push((await bookingAt(t.client.id, slotAt(5, time)))?.client_package_id ?? null);
    }
    // Same expiry: the older purchase first; never-expiring last; none left: booked without a pack.
    expect(order).toEqual([soonToo.id, soon.id, late.id, never.id, null]);
    const theirBookings = await bookingsOf(theirs.id);
    expect(theirBookings).toEqual([]);
  });

  it('the answer and the manage page say nothing about packs; the emails name the pack and the credits left', async () => {
    const t = await openTrainer();
    const sold = await pack(t.token, t.client.id, { name: '10 sessions', sessions: 10 });
    const res = await publicBook(t.slug, t.client.email, slotAt(5, '09:00'));
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['business_name', 'end_time', 'manage_url', 'start_time', 'status']);
    const token = res.body.manage_url.split('/').pop() as string;
    const managed = await api<Record<string, unknown>>('GET', `/api/public/bookings/${token}/`);
    expect(managed.body).toMatchObject({ package: null, credit_used_if_cancelled_now: false });
    for (const text of [JSON.stringify(res.body), JSON.stringify(managed.body)]) {
      expect(text).not.toContain('10 sessions');
    }
    const booking = await bookingAt(t.client.id, slotAt(5, '09:00'));
    expect(booking?.client_package_id).toBe(sold.id);
    // The trainer sees which pack pays.
    const mine = await api<BookingBody>('GET', `/api/bookings/${booking?.id}/`, { token: t.token });
    expect(mine.body.client_package).toBe(sold.id);

    const line = (left: number) => `Paid with your pack “10 sessions”: ${left} sessions left after this one.`;
    const sentTo = async (bookingId: number, kind: string) => {
      const rows = await until(
        async () =>
          (
            await env.DB.prepare(
              `SELECT message FROM notifications WHERE booking_id = ? AND kind = ? AND status = 'sent' AND notification_type = 'email'`,
            )
              .bind(bookingId, kind)
              .all<{ message: string }>()
          ).results,
        (r) => r.length > 0,
      );
      return rows[0]?.message ?? '';
    };
    expect(await sentTo(booking?.id ?? 0, 'booking_request_received')).toContain(line(9));
    expect(await sentTo(booking?.id ?? 0, 'booking_requested')).not.toContain('10 sessions');

    const second = await publicBook(t.slug, t.client.email, slotAt(5, '11:00'));
    expect(second.status).toBe(201);
    const secondBooking = await bookingAt(t.client.id, slotAt(5, '11:00'));
    expect(await sentTo(secondBooking?.id ?? 0, 'booking_request_received')).toContain(line(8));
    // The trainer confirms the first later: its confirmation counts both bookings.
    await api('POST', `/api/bookings/${booking?.id}/confirm/`, { token: t.token });
    expect(await sentTo(booking?.id ?? 0, 'booking_confirmed')).toContain(line(8));

    // A visitor whose email holds no pack gets the same answer shape and an email without the line.
    const stranger = await publicBook(t.slug, uniqueEmail('stranger'), slotAt(5, '13:00'));
    expect(Object.keys(stranger.body).sort()).toEqual(Object.keys(res.body).sort());
  });

  it('completing a web booking spends its credit; cancelling it in time through the manage link releases it; an inactive client booking on the web pays with no pack', async () => {
    const t = await openTrainer({ auto_confirm: true });
    const sold = await pack(t.token, t.client.id, { sessions: 5 });
    const a = await publicBook(t.slug, t.client.email, slotAt(5, '09:00'));
    const b = await publicBook(t.slug, t.client.email, slotAt(5, '11:00'));
    expect([a.body.status, b.body.status]).toEqual(['confirmed', 'confirmed']);
    expect(await clientPackage(t.token, sold.id)).toMatchObject({ sessions_remaining: 5, sessions_reserved: 2 });

    const first = await bookingAt(t.client.id, slotAt(5, '09:00'));
    const done = await api<BookingBody>('POST', `/api/bookings/${first?.id}/mark_completed/`, {
      token: t.token,
      headers: { 'X-Test-Now': slotAt(5, '09:00') }, // once it has started
    });
    expect(done.body.status).toBe('completed');
    expect(await clientPackage(t.token, sold.id)).toMatchObject({ sessions_remaining: 4, sessions_reserved: 1 });

    const token = b.body.manage_url.split('/').pop() as string;
    const cancelled = await api<Record<string, unknown>>('POST', `/api/public/bookings/${token}/cancel/`, { body: {} });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', late_cancellation: false });
    expect(await clientPackage(t.token, sold.id)).toMatchObject({ sessions_remaining: 4, sessions_reserved: 0 });
    const ledger = await api<{ results: { reason: string; booking: number | null; delta: number }[] }>(
      'GET',
      `/api/client-packages/${sold.id}/ledger/`,
      { token: t.token },
    );
    expect(ledger.body.results.map((e) => [e.reason, e.booking, e.delta])).toEqual([
      ['booking_completed', first?.id, -1],
    ]);

    // A former client's (inactive) packs pay for nothing booked on the web: anyone may type the
    // email. The trainer auto-confirms, so the booking makes them a client again.
    const off = await api('PATCH', `/api/clients/${t.client.id}/`, { token: t.token, body: { is_active: false } });
    expect(off.status).toBe(200);
    expect((await publicBook(t.slug, t.client.email, slotAt(5, '13:00'))).status).toBe(201);
    expect((await bookingAt(t.client.id, slotAt(5, '13:00')))?.client_package_id).toBeNull();
    const back = await api<{ is_active: boolean }>('GET', `/api/clients/${t.client.id}/`, { token: t.token });
    expect(back.body.is_active).toBe(true);
  });
});

describe('races', () => {
  it('20 parallel public bookings by one email against a 5-credit pack: at most 5 carry the pack (the per-email limit lets 5 through)', async () => {
    const t = await openTrainer();
    const sold = await pack(t.token, t.client.id, { sessions: 5 });
    const replies = await Promise.all(twentySlots().map((s) => publicBook(t.slug, t.client.email, s)));
    const statuses = replies.map((r) => r.status);
    // RATE_POLICIES.publicBooking: 5 per hour per email; the rest are 429, not pack refusals.
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const made = await bookingsOf(t.client.id);
    expect(made).toHaveLength(5);
    expect(made.filter((b) => b.client_package_id === sold.id)).toHaveLength(5);
    expect((await clientPackage(t.token, sold.id)).sessions_reserved).toBe(5);
  });

  it('the same race against a 3-credit pack: of the five booked, exactly three carry it', async () => {
    const t = await openTrainer();
    const sold = await pack(t.token, t.client.id, { sessions: 3 });
    const replies = await Promise.all(twentySlots().map((s) => publicBook(t.slug, t.client.email, s)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(5);
    const made = await bookingsOf(t.client.id);
    expect(made.filter((b) => b.client_package_id === sold.id)).toHaveLength(3);
    expect(made.filter((b) => b.client_package_id === null)).toHaveLength(2);
    expect((await clientPackage(t.token, sold.id)).sessions_reserved).toBe(3);
  });

  it('20 parallel web booking commands straight to the schedule object (no rate limit) against a 5-credit pack: exactly 5 carry it', async () => {
    const t = await openTrainer();
    const sold = await pack(t.token, t.client.id, { sessions: 5 });
    const stub = scheduleOf(env.TRAINER_SCHEDULE, t.trainerId);
    const outcomes = await Promise.all(
      twentySlots().map((start) =>
        stub.createBooking({
          ...trainerBookingCommand(t.trainerId, 0, start, {
            client: { email: t.client.email, firstName: 'Wendy', lastName: 'Web', phone: '' },
            pickPackage: true,
            source: 'public',
            enforceBookingWindow: true,
          }),
          now: new Date().toISOString(),
        }),
      ),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(20);
    const made = await bookingsOf(t.client.id);
    expect(made.filter((b) => b.client_package_id === sold.id)).toHaveLength(5);
    expect((await clientPackage(t.token, sold.id)).sessions_reserved).toBe(5);
  });
});
