// Issue 18 item 5: a verified client user books, cancels and moves their own bookings through
// /api/client/bookings/ under the booking page's and the manage link's rules, and sees their packs.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  api,
  type BookingBody,
  book,
  createClient,
  futureDay,
  type ProblemBody,
  clientUser as registerClientUser,
  setupTrainer,
  uniqueEmail,
} from './helpers';

type Booking = BookingBody & ProblemBody & { service: number };
type Page<T> = { count: number; next: string | null; results: T[] };
type MyPack = {
  id: number;
  trainer: { slug: string; business_name: string };
  package_name: string;
  sessions_total: number;
  sessions_remaining: number;
  sessions_reserved: number;
  expiry_date: string | null;
  is_active: boolean;
};

const HOUR = 3600 * 1000;
const slotAt = (daysAhead: number, time: string) => `${futureDay(daysAhead).date}T${time}:00.000Z`;
const pinned = (start: string, hoursBefore: number) => ({
  'X-Test-Now': new Date(Date.parse(start) - hoursBefore * HOUR).toISOString(),
});

/** A trainer open 08:00–18:00 UTC every day, hourly slots, an hour's notice. */
async function openTrainer(settings: Record<string, unknown> = {}) {
  const t = await setupTrainer({
    open: ['08:00', '18:00'],
    settings: { min_notice_minutes: 60, slot_interval_minutes: 60, ...settings },
  });
  return { ...t, slug: t.user.trainer.slug, id: t.user.trainer.id };
}

/** A client user with a name and phone; verified unless told. */
const clientUser = (opts: { email?: string; verified?: boolean } = {}) =>
  registerClientUser({ ...opts, phone: '+447700900123' });

const clientBook = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api<Booking>('POST', '/api/client/bookings/', { token, body, headers });
const clientCancel = (token: string, id: number, body: unknown = {}, headers: Record<string, string> = {}) =>
  api<Booking>('POST', `/api/client/bookings/${id}/cancel/`, { token, body, headers });
const clientMove = (token: string, id: number, start: string, headers: Record<string, string> = {}) =>
  api<Booking>('POST', `/api/client/bookings/${id}/reschedule/`, { token, body: { start_time: start }, headers });
const trainerBookings = async (token: string) =>
  (await api<Page<BookingBody>>('GET', '/api/bookings/?page_size=100', { token })).body.results;

async function sellPack(trainerToken: string, clientId: number, sessions = 5) {
  const pkg = await api<{ id: number }>('POST', '/api/packages/', {
    token: trainerToken,
    body: { name: `Pack of ${sessions}`, sessions_count: sessions, price: '250.00' },
  });
  const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
    token: trainerToken,
    body: { client_id: clientId },
  });
  expect(sold.status, JSON.stringify(sold.body)).toBe(201);
  return sold.body;
}

describe('a client user books for themselves', () => {
  it('by slug and by id: 201, status per auto_confirm, on the existing client record, in the trainer’s list', async () => {
    const me = await clientUser();
    const a = await openTrainer({ auto_confirm: false });
    const b = await openTrainer({ auto_confirm: true });
    const mine = await createClient(a.token, { email: me.email, first_name: 'Known', last_name: 'ByTrainer' });
    const alsoMine = await createClient(b.token, { email: me.email.toUpperCase() });

    const bySlug = await clientBook(me.token, { trainer: a.slug.toUpperCase(), start_time: slotAt(9, '10:00') });
    expect(bySlug.status, JSON.stringify(bySlug.body)).toBe(201);
    expect(bySlug.body).toMatchObject({
      trainer: a.id,
      client: mine.id,
      client_name: 'Known ByTrainer',
      status: 'pending',
      start_time: slotAt(9, '10:00'),
      end_time: slotAt(9, '11:00'),
      late_cancellation: false,
    });
    const byId = await clientBook(me.token, { trainer: b.id, start_time: slotAt(9, '10:00'), notes: 'Knee' });
    expect(byId.status, JSON.stringify(byId.body)).toBe(201);
    expect(byId.body).toMatchObject({ trainer: b.id, client: alsoMine.id, status: 'confirmed', notes: 'Knee' });

    expect((await trainerBookings(a.token)).map((x) => x.id)).toContain(bySlug.body.id);
    expect((await trainerBookings(b.token)).map((x) => x.id)).toContain(byId.body.id);
    // No second client record for the same email.
    const clientsOfA = await api<Page<{ email: string }>>('GET', '/api/clients/?page_size=100', { token: a.token });
    expect(clientsOfA.body.results.filter((c) => c.email === me.email)).toHaveLength(1);
    // A request like the booking page's: the trainer is told, and an unconfirmed one lapses like theirs.
    const rows = await env.DB.prepare(
      "SELECT b.source, (SELECT count(*) FROM notifications n WHERE n.booking_id = b.id AND n.kind = 'booking_requested') AS told FROM bookings b WHERE b.id IN (?, ?) ORDER BY b.id",
    )
      .bind(bySlug.body.id, byId.body.id)
      .all<{ source: string; told: number }>();
    expect(rows.results).toEqual([
      { source: 'public', told: 1 },
      { source: 'public', told: 1 },
    ]);

    const listed = await api<Page<Booking>>('GET', '/api/client/bookings/', { token: me.token });
    expect(listed.status).toBe(200);
    expect(listed.body.results.map((x) => x.id).sort()).toEqual([bySlug.body.id, byId.body.id].sort());
    const upcoming = await api<Page<Booking>>('GET', '/api/client/bookings/?when=upcoming&status=confirmed', {
      token: me.token,
    });
    expect(upcoming.body.results.map((x) => x.id)).toEqual([byId.body.id]);
    expect((await api<Page<Booking>>('GET', '/api/client/bookings/?when=past', { token: me.token })).body.count).toBe(
      0,
    );
  });

  it('a trainer they were not a client of yet: the client record is made from their profile', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const res = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(8, '09:00') });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.client_name).toBe('Mia Member');
    const record = await api<{ email: string; first_name: string; last_name: string; phone: string }>(
      'GET',
      `/api/clients/${res.body.client}/`,
      { token: t.token },
    );
    expect(record.body).toMatchObject({ email: me.email, first_name: 'Mia', last_name: 'Member' });
    expect(record.body.phone).toContain('7700900123');
    // The client user now reaches it like any record carrying their email.
    const listed = await api<Page<Booking>>('GET', '/api/client/bookings/', { token: me.token });
    expect(listed.body.results.map((x) => x.id)).toEqual([res.body.id]);
  });

  it('403 until the email is verified, 403 for a trainer, 401 without a token', async () => {
    const t = await openTrainer();
    const unverified = await clientUser({ verified: false });
    const body = { trainer: t.slug, start_time: slotAt(8, '11:00') };
    const refused = await clientBook(unverified.token, body);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('email_unverified');
    for (const path of ['/api/client/bookings/', '/api/client/packages/']) {
      const res = await api<ProblemBody>('GET', path, { token: unverified.token });
      expect(res.status, path).toBe(403);
      expect(res.body.code, path).toBe('email_unverified');
    }
    const asTrainer = await clientBook(t.token, body);
    expect(asTrainer.status).toBe(403);
    expect(asTrainer.body.detail).toMatch(/client accounts/);
    expect((await api('GET', '/api/client/packages/', { token: t.token })).status).toBe(403);
    expect((await api('POST', '/api/client/bookings/', { body })).status).toBe(401);
    expect(await trainerBookings(t.token)).toHaveLength(0);
  });

  it('the booking page’s rules: an off-grid start is 409 slot_not_offered, short notice 409; bad fields are named', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const offGrid = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(8, '10:30') });
    expect(offGrid.status).toBe(409);
    expect(offGrid.body.code).toBe('slot_not_offered');
    const soon = await clientBook(
      me.token,
      { trainer: t.slug, start_time: slotAt(8, '10:00') },
      pinned(slotAt(8, '10:00'), 0.5),
    );
    expect(soon.status).toBe(409);
    expect(soon.body.code).toBe('outside_availability');
    const unknown = await clientBook(me.token, { trainer: 'no-such-trainer-here', start_time: slotAt(8, '10:00') });
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.body.errors ?? {})).toEqual(['trainer']);
    const bad = await clientBook(me.token, { trainer: true, start_time: 'soon', client_package: 'x' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(['client_package', 'start_time', 'trainer']);
    expect(bad.body.errors?.trainer?.[0]).toMatch(/slug .* or their id/);
    expect(await trainerBookings(t.token)).toHaveLength(0);
  });

  it("client_package: their own pack with that trainer books from it; another client's or another trainer's is 400", async () => {
    const me = await clientUser();
    const t = await openTrainer({ auto_confirm: true });
    const other = await openTrainer();
    const mine = await createClient(t.token, { email: me.email });
    const myPackElsewhere = await sellPack(other.token, (await createClient(other.token, { email: me.email })).id);
    const someoneElses = await sellPack(t.token, t.client.id);
    for (const pack of [someoneElses.id, myPackElsewhere.id]) {
      const res = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(8, '10:00'), client_package: pack });
      expect(res.status, String(pack)).toBe(400);
      expect(Object.keys(res.body.errors ?? {})).toEqual(['client_package']);
    }
    const own = await sellPack(t.token, mine.id);
    const res = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(8, '10:00'), client_package: own.id });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.client_package).toBe(own.id);
  });

  it('five client users asking for one slot at once: one 201, four 409s, one row', async () => {
    const t = await openTrainer();
    const members = await Promise.all(Array.from({ length: 5 }, () => clientUser()));
    const start = slotAt(11, '09:00');
    const results = await Promise.all(members.map((m) => clientBook(m.token, { trainer: t.slug, start_time: start })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(4);
    for (const r of refused) expect(r.body.code).toBe('booking_overlap');
    expect((await trainerBookings(t.token)).filter((b) => b.start_time === start)).toHaveLength(1);
  });

  it('an Idempotency-Key sent twice books once and replays the answer', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const key = crypto.randomUUID();
    const body = { trainer: t.slug, start_time: slotAt(8, '13:00') };
    const first = await clientBook(me.token, body, { 'Idempotency-Key': key });
    const again = await clientBook(me.token, body, { 'Idempotency-Key': key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('Idempotency-Replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await trainerBookings(t.token)).toHaveLength(1);
  });

  it('a retry with its Idempotency-Key is replayed past the 20 an hour; a new key, none or another body is not', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const key = crypto.randomUUID();
    const body = { trainer: t.slug, start_time: slotAt(8, '14:00') };
    const first = await clientBook(me.token, body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    // The account's other 19 tries of the hour, each a 400 that books nothing.
    for (let i = 0; i < 19; i++) {
      expect((await clientBook(me.token, { ...body, trainer: 'no-such-trainer' })).status).toBe(400);
    }
    for (let i = 0; i < 3; i++) {
      const again = await clientBook(me.token, body, { 'Idempotency-Key': key });
      expect([i, again.status, again.headers.get('Idempotency-Replayed'), again.body.id]).toEqual([
        i,
        201,
        'true',
        first.body.id,
      ]);
    }
    const other = { ...body, start_time: slotAt(8, '15:00') };
    expect((await clientBook(me.token, other, { 'Idempotency-Key': crypto.randomUUID() })).status).toBe(429);
    expect((await clientBook(me.token, other)).status).toBe(429);
    expect((await clientBook(me.token, other, { 'Idempotency-Key': key })).status).toBe(422);
    expect((await trainerBookings(t.token)).map((b) => b.id)).toEqual([first.body.id]);
  });
});

describe('a client user cancels and moves their own bookings', () => {
  it('signed in, a pack picked without naming it is the client’s own: a late cancel uses its credit', async () => {
    const me = await clientUser();
    const t = await openTrainer({ auto_confirm: true, late_cancel_hours: 24 });
    const mine = await createClient(t.token, { email: me.email });
    const pack = await sellPack(t.token, mine.id);
    const booked = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(9, '12:00') });
    expect(booked.body.client_package).toBe(pack.id);
    const tooLate = await clientCancel(me.token, booked.body.id, undefined, pinned(slotAt(9, '12:00'), 2));
    expect(tooLate.body).toMatchObject({ status: 'cancelled', late_cancellation: true });
    const packs = await api<Page<MyPack>>('GET', '/api/client/packages/', { token: me.token });
    expect(packs.body.results).toEqual([expect.objectContaining({ id: pack.id, sessions_remaining: 4 })]);
  });

  it('cancel in time: no late flag, no credit; late: flagged, and a confirmed booking’s pack credit is used', async () => {
    const me = await clientUser();
    const t = await openTrainer({ auto_confirm: true, late_cancel_hours: 24 });
    const mine = await createClient(t.token, { email: me.email });
    const pack = await sellPack(t.token, mine.id);
    const early = await clientBook(me.token, {
      trainer: t.slug,
      start_time: slotAt(9, '10:00'),
      client_package: pack.id,
    });
    const late = await clientBook(me.token, {
      trainer: t.slug,
      start_time: slotAt(9, '12:00'),
      client_package: pack.id,
    });
    expect([early.status, late.status]).toEqual([201, 201]);

    const inTime = await clientCancel(me.token, early.body.id, { reason: 'Away' });
    expect(inTime.status, JSON.stringify(inTime.body)).toBe(200);
    expect(inTime.body).toMatchObject({ status: 'cancelled', late_cancellation: false, cancellation_reason: 'Away' });
    const tooLate = await clientCancel(me.token, late.body.id, undefined, pinned(slotAt(9, '12:00'), 2));
    expect(tooLate.status, JSON.stringify(tooLate.body)).toBe(200);
    expect(tooLate.body).toMatchObject({ status: 'cancelled', late_cancellation: true });
    const again = await clientCancel(me.token, late.body.id);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_transition');

    const packs = await api<Page<MyPack>>('GET', '/api/client/packages/', { token: me.token });
    expect(packs.body.results).toEqual([
      expect.objectContaining({ id: pack.id, sessions_remaining: 4, sessions_reserved: 0 }),
    ]);
    // The trainer's view agrees; the client and the trainer heard of both cancellations, once each.
    const seen = (await trainerBookings(t.token)).filter((b) => b.status === 'cancelled');
    expect(seen.map((b) => b.late_cancellation).sort()).toEqual([false, true]);
    const { results: told } = await env.DB.prepare(
      `SELECT booking_id AS booking, recipient, subject, message FROM notifications
       WHERE booking_id IN (?, ?) AND kind = 'booking_cancelled' AND notification_type = 'email' ORDER BY id`,
    )
      .bind(early.body.id, late.body.id)
      .all<{ booking: number; recipient: string; subject: string; message: string }>();
    expect(told.map((m) => [m.booking, m.recipient])).toEqual([
      [early.body.id, me.email],
      [early.body.id, t.email],
      [late.body.id, me.email],
      [late.body.id, t.email],
    ]);
    const [toTrainerEarly, toTrainerLate] = told.filter((m) => m.recipient === t.email);
    expect(toTrainerEarly?.subject).toMatch(/^Cancelled: Casey Client, \w{3} \d{1,2} \w{3} 10:00 UTC$/);
    expect(toTrainerEarly?.message).toMatch(
      /^Casey Client cancelled their session on \w{3} \d{1,2} \w{3} \d{4} 10:00 UTC\.\nTheir reason: Away\nThe time is free again\.$/,
    );
    expect(toTrainerLate?.message).toContain(
      'A late cancellation: inside your 24-hour window; it used a credit of their pack.',
    );
    expect(toTrainerLate?.message).not.toContain('Their reason');

    // The trainer's own cancel tells the client only.
    const third = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(9, '14:00') });
    expect((await api('POST', `/api/bookings/${third.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    const byTrainer = await env.DB.prepare(
      "SELECT recipient FROM notifications WHERE booking_id = ? AND kind = 'booking_cancelled' AND notification_type = 'email'",
    )
      .bind(third.body.id)
      .all<{ recipient: string }>();
    expect(byTrainer.results.map((r) => r.recipient)).toEqual([me.email]);
  });

  it('reschedule to an offered time, the trainer told; refused when the trainer disallows it or off the grid', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const booked = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(10, '10:00') });
    expect(booked.status).toBe(201);
    const offGrid = await clientMove(me.token, booked.body.id, slotAt(10, '14:30'));
    expect(offGrid.status).toBe(409);
    expect(offGrid.body.code).toBe('slot_not_offered');
    const moved = await clientMove(me.token, booked.body.id, slotAt(10, '14:00'));
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({
      start_time: slotAt(10, '14:00'),
      end_time: slotAt(10, '15:00'),
      status: 'pending',
    });
    const told = await env.DB.prepare(
      "SELECT count(*) AS n FROM notifications WHERE booking_id = ? AND kind = 'booking_rescheduled' AND trainer_id = ? AND recipient = ?",
    )
      .bind(booked.body.id, t.id, t.email)
      .first<{ n: number }>();
    expect(told?.n).toBe(1);

    const res = await api('PATCH', '/api/users/profile/', { token: t.token, body: { allow_client_reschedule: false } });
    expect(res.status).toBe(200);
    const refused = await clientMove(me.token, booked.body.id, slotAt(10, '16:00'));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('reschedule_not_allowed');
    const shown = await api<Booking>('GET', `/api/bookings/${booked.body.id}/`, { token: t.token });
    expect(shown.body.start_time).toBe(slotAt(10, '14:00'));
  });

  it("another user's booking, or a trainer's booking of someone else, is 404 and stays as it was", async () => {
    const me = await clientUser();
    const someone = await clientUser();
    const t = await openTrainer();
    const theirs = await clientBook(someone.token, { trainer: t.slug, start_time: slotAt(8, '10:00') });
    const trainerMade = await book(t.token, { client: t.client.id, start_time: slotAt(8, '12:00') });
    expect([theirs.status, trainerMade.status]).toEqual([201, 201]);
    for (const id of [theirs.body.id, trainerMade.body.id, 999_999_999]) {
      expect((await clientCancel(me.token, id)).status, `cancel ${id}`).toBe(404);
      expect((await clientMove(me.token, id, slotAt(8, '15:00'))).status, `move ${id}`).toBe(404);
    }
    const after = await trainerBookings(t.token);
    expect(after.map((b) => [b.status, b.start_time]).sort()).toEqual(
      [
        ['pending', slotAt(8, '10:00')],
        ['pending', slotAt(8, '12:00')],
      ].sort(),
    );
  });

  it('the trainer API stays trainer-only for writes: a client user gets 403 there', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const mine = await createClient(t.token, { email: me.email });
    const booked = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(8, '10:00') });
    expect(booked.status).toBe(201);
    expect((await book(me.token, { client: mine.id, start_time: slotAt(8, '12:00') })).status).toBe(403);
    expect((await api('POST', `/api/bookings/${booked.body.id}/cancel/`, { token: me.token })).status).toBe(403);
    const patch = { start_time: slotAt(8, '14:00') };
    expect((await api('PATCH', `/api/bookings/${booked.body.id}/`, { token: me.token, body: patch })).status).toBe(403);
    expect((await api('GET', `/api/bookings/${booked.body.id}/`, { token: me.token })).status).toBe(200);
  });
});

describe("a client user's packs across trainers", () => {
  it('each with its trainer, remaining and reserved credits, active or not; only their own', async () => {
    const me = await clientUser();
    const a = await openTrainer({ business_name: 'Alpha Fit' });
    const b = await openTrainer({ business_name: 'Beta Box' });
    const atA = await createClient(a.token, { email: me.email });
    const atB = await createClient(b.token, { email: me.email });
    const packA = await sellPack(a.token, atA.id, 5);
    const packB = await sellPack(b.token, atB.id, 3);
    const spent = await sellPack(b.token, atB.id, 1);
    await env.DB.prepare('UPDATE client_packages SET sessions_remaining = 0 WHERE id = ?').bind(spent.id).run();
    await sellPack(a.token, a.client.id, 5); // someone else's

    for (const start of [slotAt(8, '10:00'), slotAt(8, '12:00')]) {
      const res = await clientBook(me.token, { trainer: a.slug, start_time: start, client_package: packA.id });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }

    const res = await api<Page<MyPack>>('GET', '/api/client/packages/', { token: me.token });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(3);
    const byId = new Map(res.body.results.map((p) => [p.id, p]));
    expect(byId.get(packA.id)).toEqual({
      id: packA.id,
      trainer: { slug: a.slug, business_name: 'Alpha Fit' },
      package_name: 'Pack of 5',
      sessions_total: 5,
      sessions_remaining: 5,
      sessions_reserved: 2,
      expiry_date: null,
      is_active: true,
      refunded_at: null,
    });
    expect(byId.get(packB.id)).toMatchObject({
      trainer: { slug: b.slug, business_name: 'Beta Box' },
      sessions_reserved: 0,
      is_active: true,
    });
    expect(byId.get(spent.id)).toMatchObject({ sessions_remaining: 0, is_active: false });
    const paged = await api<Page<MyPack>>('GET', '/api/client/packages/?page_size=2', { token: me.token });
    expect(paged.body.results).toHaveLength(2);
    expect(paged.body.next).toContain('page=2');
  });
});

describe('what a client user sees of their bookings', () => {
  it("a trainer's draft nobody announced is the trainer's alone until it is confirmed", async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const mine = await createClient(t.token, { email: me.email });
    const draft = await book(t.token, { client: mine.id, start_time: slotAt(9, '10:00') });
    expect([draft.status, draft.body.status]).toEqual([201, 'pending']);
    const asked = await clientBook(me.token, { trainer: t.slug, start_time: slotAt(9, '12:00') });
    expect(asked.status).toBe(201);
    const listed = async () =>
      (await api<Page<Booking>>('GET', '/api/client/bookings/', { token: me.token })).body.results.map((b) => b.id);

    // Their own request shows; the draft neither shows nor answers (404, as another's booking).
    expect(await listed()).toEqual([asked.body.id]);
    expect((await api('GET', `/api/bookings/${draft.body.id}/`, { token: me.token })).status).toBe(404);
    expect((await clientCancel(me.token, draft.body.id)).status).toBe(404);
    expect((await clientMove(me.token, draft.body.id, slotAt(9, '14:00'))).status).toBe(404);
    expect((await api('GET', `/api/bookings/${draft.body.id}/`, { token: t.token })).body).toMatchObject({
      status: 'pending',
      start_time: slotAt(9, '10:00'),
    });
    // Nor is it counted on the client record they read; the trainer's count has it.
    const counts = async (token: string) => {
      const { body } = await api<{ bookings_count: number; upcoming_bookings_count: number }>(
        'GET',
        `/api/clients/${mine.id}/`,
        { token },
      );
      return [body.bookings_count, body.upcoming_bookings_count];
    };
    expect(await counts(me.token)).toEqual([1, 1]);
    expect(await counts(t.token)).toEqual([2, 2]);

    // Confirmed, the client is told, and it is theirs to see.
    expect((await api('POST', `/api/bookings/${draft.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect((await listed()).sort()).toEqual([draft.body.id, asked.body.id].sort());
    expect(await counts(me.token)).toEqual([2, 2]);
    expect((await api('GET', `/api/bookings/${draft.body.id}/`, { token: me.token })).status).toBe(200);
  });

  it('a series they were told of stays theirs to see, every occurrence, once it is cancelled', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const mine = await createClient(t.token, { email: me.email });
    const made = await api<{ id: number; bookings: { id: number }[] }>('POST', '/api/booking-series/', {
      token: t.token,
      body: { client: mine.id, start_time: slotAt(3, '10:00'), repeat: { count: 3 } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const ids = made.body.bookings.map((b) => b.id).sort();
    const listed = async () =>
      (await api<Page<Booking>>('GET', '/api/client/bookings/', { token: me.token })).body.results;
    expect(await listed()).toEqual([]);
    const step = (action: string) => api('POST', `/api/booking-series/${made.body.id}/${action}/`, { token: t.token });
    expect((await step('confirm')).status).toBe(200);
    expect((await step('cancel')).status).toBe(200);
    const seen = await listed();
    expect(seen.map((b) => b.id).sort()).toEqual(ids);
    expect(new Set(seen.map((b) => b.status))).toEqual(new Set(['cancelled']));
  });

  it('a booking they were told of stays in their history after their email changes; a draft cancelled before the series was confirmed stays out', async () => {
    const me = await clientUser();
    const t = await openTrainer();
    const mine = await createClient(t.token, { email: uniqueEmail('old') });
    const told = await book(t.token, { client: mine.id, start_time: slotAt(4, '10:00') });
    expect((await api('POST', `/api/bookings/${told.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect((await api('POST', `/api/bookings/${told.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    // The client record now carries the address they signed up with: the old messages went elsewhere.
    expect((await api('PATCH', `/api/clients/${mine.id}/`, { token: t.token, body: { email: me.email } })).status).toBe(
      200,
    );
    const made = await api<{ id: number; bookings: { id: number }[] }>('POST', '/api/booking-series/', {
      token: t.token,
      body: { client: mine.id, start_time: slotAt(5, '12:00'), repeat: { count: 3 } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const [first, second, third] = made.body.bookings.map((b) => b.id);
    expect((await api('POST', `/api/bookings/${second}/cancel/`, { token: t.token })).status).toBe(200);
    expect((await api('POST', `/api/booking-series/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);

    const seen = (await api<Page<Booking>>('GET', '/api/client/bookings/', { token: me.token })).body.results;
    expect(seen.map((b) => [b.id, b.status]).sort()).toEqual(
      [
        [told.body.id, 'cancelled'],
        [first, 'confirmed'],
        [third, 'confirmed'],
      ].sort(),
    );
  });
});
