// Issue 17, items 3 and 4: a client reschedules through the manage link, and the manage link
// says what a cancellation would mean before it happens.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleOf } from '../src/bookings/schedule-object';
import { sha256Hex } from '../src/lib/tokens';
import { api, futureDay, type ProblemBody, setupTrainer, trainerBookingCommand, uniqueEmail } from './helpers';
import { sentOf } from './mail';

type Managed = {
  start_time: string;
  end_time: string;
  status: string;
  slug: string;
  package: { name: string; sessions_remaining: number } | null;
  can_cancel: boolean;
  can_reschedule: boolean;
  late_cancellation_if_cancelled_now: boolean;
  credit_used_if_cancelled_now: boolean;
  late_cancellation_from: string;
  reschedule_until: string | null;
};
type Days = { days: { date: string; slots: { start_time: string }[] }[] };

let ip = 0;
const freshIp = () => `203.0.113.${(ip++ % 250) + 1}`;
const slotAt = (daysAhead: number, time: string) => `${futureDay(daysAhead).date}T${time}:00.000Z`;
const HOUR = 3600 * 1000;
const pinned = (iso: string, hours: number) => ({
  'X-Test-Now': new Date(Date.parse(iso) - hours * HOUR).toISOString(),
});

async function openTrainer(settings: Record<string, unknown> = {}) {
  const t = await setupTrainer({
    open: ['08:00', '18:00'],
    settings: { business_name: 'Move Gym', min_notice_minutes: 60, slot_interval_minutes: 60, ...settings },
  });
  return { ...t, slug: t.user.trainer.slug };
}

/** A pack of `sessions` named `name`, sold to the trainer's client (with `extra`, e.g. an expiry date). */
async function sellPack(t: Awaited<ReturnType<typeof openTrainer>>, name: string, sessions: number, extra = {}) {
  const pkg = await api<{ id: number }>('POST', '/api/packages/', {
    token: t.token,
    body: { name, sessions_count: sessions, price: '100.00' },
  });
  const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
    token: t.token,
    body: { client_id: t.client.id, ...extra },
  });
  expect(sold.status, JSON.stringify(sold.body)).toBe(201);
  return sold.body.id;
}

async function publicBooking(slug: string, start: string) {
  const res = await api<{ manage_url: string } & ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body: { start_time: start, first_name: 'Rae', last_name: 'Mover', email: uniqueEmail('mover') },
    headers: { 'CF-Connecting-IP': freshIp() },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.manage_url.split('/').pop() as string;
}

const manage = (token: string, headers: Record<string, string> = {}) =>
  api<Managed & ProblemBody>('GET', `/api/public/bookings/${token}/`, { headers });
const reschedule = (token: string, start: string, headers: Record<string, string> = {}) =>
  api<Managed & ProblemBody>('POST', `/api/public/bookings/${token}/reschedule/`, {
    body: { start_time: start },
    headers: { 'CF-Connecting-IP': freshIp(), ...headers },
  });
const offered = async (slug: string, day: number) => {
  const date = futureDay(day).date;
  const res = await api<Days>(
    'GET',
    `/api/public/trainers/${slug}/availability/?from=${date}&to=${date}&_=${Math.random()}`,
    {
      headers: { 'CF-Connecting-IP': freshIp() },
    },
  );
  return res.body.days.flatMap((d) => d.slots.map((s) => s.start_time));
};

describe('client reschedule through the manage link', () => {
  it('moves to an offered time: new time shown, old slot free again, the trainer told once; a double click is one change', async () => {
    const t = await openTrainer();
    const token = await publicBooking(t.slug, slotAt(10, '10:00'));
    expect(await offered(t.slug, 10)).not.toContain(slotAt(10, '10:00'));
    // Two clicks at two instants: had both moved the booking, its updated_at would be the later
    // one's, not the instant the trainer's message was written.
    const now = Date.now();
    const click = (ms: number) => reschedule(token, slotAt(10, '14:00'), { 'X-Test-Now': new Date(ms).toISOString() });
    const [a, b] = await Promise.all([click(now), click(now + 1000)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).toMatchObject({ start_time: slotAt(10, '14:00'), end_time: slotAt(10, '15:00'), status: 'pending' });
    const shown = await manage(token);
    expect(shown.body).toMatchObject({ start_time: slotAt(10, '14:00'), status: 'pending' });
    const free = await offered(t.slug, 10);
    expect(free).toContain(slotAt(10, '10:00'));
    expect(free).not.toContain(slotAt(10, '14:00'));
    const rows = await env.DB.prepare(
      `SELECT n.recipient, n.subject, n.message, n.created_at, b.updated_at FROM notifications n JOIN bookings b ON b.id = n.booking_id
       WHERE n.trainer_id = ? AND n.kind = 'booking_rescheduled'`,
    )
      .bind(t.user.trainer.id)
      .all<{ recipient: string; subject: string; message: string; created_at: string; updated_at: string }>();
    // The trainer's message, and (since the client is told too) the client's email.
    expect(rows.results).toHaveLength(2);
    const forTrainer = rows.results.filter((r) => r.recipient === t.email);
    expect(forTrainer).toHaveLength(1);
    rows.results = forTrainer;
    expect(rows.results[0]?.recipient).toBe(t.email);
    expect(rows.results[0]?.message).toMatch(/Rae Mover moved their session from .*10:00.* to .*14:00/);
    expect(rows.results[0]?.updated_at).toBe(rows.results[0]?.created_at);
  });

  it('moved away and back again: the trainer hears of each move, as the client does', async () => {
    const t = await openTrainer();
    const token = await publicBooking(t.slug, slotAt(10, '10:00'));
    for (const time of ['12:00', '10:00', '12:00']) {
      expect((await reschedule(token, slotAt(10, time))).status).toBe(200);
    }
    const rows = await env.DB.prepare(
      `SELECT n.recipient = ? AS trainer, n.message FROM notifications n
       WHERE n.trainer_id = ? AND n.kind = 'booking_rescheduled' AND n.notification_type = 'email' ORDER BY n.id`,
    )
      .bind(t.email, t.user.trainer.id)
      .all<{ trainer: number; message: string }>();
    const toTrainer = rows.results.filter((r) => r.trainer).map((r) => r.message.split('\n')[0] ?? '');
    expect(toTrainer).toHaveLength(3);
    expect(toTrainer.map((m) => /from .*(\d\d:\d\d).* to .*(\d\d:\d\d)/.exec(m)?.slice(1))).toEqual([
      ['10:00', '12:00'],
      ['12:00', '10:00'],
      ['10:00', '12:00'],
    ]);
    expect(rows.results.filter((r) => !r.trainer)).toHaveLength(3);
  });

  it('a confirmed booking stays confirmed', async () => {
    const t = await openTrainer({ auto_confirm: true });
    const token = await publicBooking(t.slug, slotAt(9, '09:00'));
    const moved = await reschedule(token, slotAt(9, '11:00'));
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('confirmed');
  });

  it('409 reschedule_not_allowed inside the cut-off (late_cancel_hours by default, or reschedule_cutoff_hours)', async () => {
    const t = await openTrainer({ late_cancel_hours: 24 });
    const start = slotAt(10, '10:00');
    const token = await publicBooking(t.slug, start);
    const late = await reschedule(token, slotAt(10, '15:00'), pinned(start, 23));
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('reschedule_not_allowed');
    const profile = await api('PATCH', '/api/users/profile/', {
      token: t.token,
      body: { reschedule_cutoff_hours: 12 },
    });
    expect(profile.body).toMatchObject({ trainer: { reschedule_cutoff_hours: 12, allow_client_reschedule: true } });
    expect((await reschedule(token, slotAt(10, '15:00'), pinned(start, 11))).body.code).toBe('reschedule_not_allowed');
    const inTime = await reschedule(token, slotAt(10, '15:00'), pinned(start, 13));
    expect(inTime.status).toBe(200);
  });

  it('409 reschedule_not_allowed when the trainer disabled it', async () => {
    const t = await openTrainer();
    const token = await publicBooking(t.slug, slotAt(10, '10:00'));
    const off = await api('PATCH', '/api/users/profile/', { token: t.token, body: { allow_client_reschedule: false } });
    expect(off.status).toBe(200);
    const refused = await reschedule(token, slotAt(10, '15:00'));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('reschedule_not_allowed');
    expect((await manage(token)).body).toMatchObject({ start_time: slotAt(10, '10:00'), can_reschedule: false });
    // The times of a move are not offered either: the move's own 409, not slots it would refuse.
    const times = await api<ProblemBody>('GET', `/api/public/bookings/${token}/availability/`);
    expect([times.status, times.body.code]).toEqual([409, 'reschedule_not_allowed']);
  });

  it('409 booking_overlap when the time is taken; 409 slot_not_offered off the grid; 400 names a bad start_time', async () => {
    const t = await openTrainer();
    const token = await publicBooking(t.slug, slotAt(10, '10:00'));
    await publicBooking(t.slug, slotAt(10, '12:00'));
    const taken = await reschedule(token, slotAt(10, '12:00'));
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('booking_overlap');
    const off = await reschedule(token, slotAt(10, '13:30'));
    expect(off.status).toBe(409);
    expect(off.body.code).toBe('slot_not_offered');
    const bad = await reschedule(token, 'tomorrow');
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['start_time']);
    expect((await manage(token)).body.start_time).toBe(slotAt(10, '10:00'));
  });

  it('409 reschedule_not_allowed for a cancelled booking; 404 for an unknown link', async () => {
    const t = await openTrainer();
    const token = await publicBooking(t.slug, slotAt(10, '10:00'));
    expect((await api('POST', `/api/public/bookings/${token}/cancel/`)).status).toBe(200);
    const refused = await reschedule(token, slotAt(10, '15:00'));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('reschedule_not_allowed');
    expect((await reschedule('not-a-real-token', slotAt(10, '15:00'))).status).toBe(404);
  });
});

describe('a move keeps the booking within its pack', () => {
  it('a booking paid from a pack cannot move past its expiry: the trainer and the manage link get 409 package_expired', async () => {
    const t = await openTrainer({ min_notice_minutes: 0 });
    const soldId = await sellPack(t, 'Short Pack', 5, { expiry_date: futureDay(5).date });
    // The client books on the page with their email: the pack pays (it lasts until day 5).
    const made = await api<{ manage_url: string } & ProblemBody>('POST', `/api/public/trainers/${t.slug}/bookings/`, {
      body: { start_time: slotAt(3, '10:00'), first_name: 'Pia', last_name: 'Pack', email: t.client.email as string },
      headers: { 'CF-Connecting-IP': freshIp() },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const token = made.body.manage_url.split('/').pop() as string;
    const id = (await env.DB.prepare('SELECT id FROM bookings WHERE client_package_id = ?')
      .bind(soldId)
      .first<number>('id')) as number;
    expect(id).toBeGreaterThan(0);

    const byClient = await reschedule(token, slotAt(8, '10:00'));
    expect([byClient.status, byClient.body.code]).toEqual([409, 'package_expired']);
    const byTrainer = await api<ProblemBody>('PATCH', `/api/bookings/${id}/`, {
      token: t.token,
      body: { start_time: slotAt(8, '11:00') },
    });
    expect([byTrainer.status, byTrainer.body.code]).toEqual([409, 'package_expired']);
    // Within the pack's life the move goes through, the pack still paying.
    const within = await reschedule(token, slotAt(5, '10:00'));
    expect(within.status, JSON.stringify(within.body)).toBe(200);
    const row = await env.DB.prepare('SELECT start_time AS s, client_package_id AS p FROM bookings WHERE id = ?')
      .bind(id)
      .first<{ s: string; p: number }>();
    expect(row).toEqual({ s: slotAt(5, '10:00'), p: soldId });
  });
});

describe('the manage link states what a cancellation means', () => {
  it('not late, then late (no credit without a pack); deadlines from late_cancel_hours', async () => {
    const t = await openTrainer({ late_cancel_hours: 24 });
    const start = slotAt(10, '10:00');
    const token = await publicBooking(t.slug, start);
    const early = await manage(token, pinned(start, 48));
    expect(early.body).toMatchObject({
      can_cancel: true,
      can_reschedule: true,
      late_cancellation_if_cancelled_now: false,
      credit_used_if_cancelled_now: false,
      package: null,
      slug: t.slug,
      late_cancellation_from: new Date(Date.parse(start) - 24 * HOUR).toISOString(),
      reschedule_until: new Date(Date.parse(start) - 24 * HOUR).toISOString(),
    });
    const late = await manage(token, pinned(start, 2));
    expect(late.body).toMatchObject({
      can_cancel: true,
      can_reschedule: false,
      late_cancellation_if_cancelled_now: true,
      credit_used_if_cancelled_now: false,
    });
    await api('POST', `/api/public/bookings/${token}/cancel/`);
    expect((await manage(token)).body).toMatchObject({ can_cancel: false, can_reschedule: false, status: 'cancelled' });
  });

  it('a pack picked by the email typed on the booking page: a late cancel and a no-show spend no credit, a completion does', async () => {
    // Whoever typed the email proved nothing: they must not be able to spend the owner's credits.
    const t = await openTrainer({ late_cancel_hours: 24 });
    const soldId = await sellPack(t, 'Quiet Pack', 5);
    const book = async (start: string) => {
      const made = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.slug}/bookings/`, {
        body: { start_time: start, first_name: 'Pia', last_name: 'Picked', email: t.client.email as string },
        headers: { 'CF-Connecting-IP': freshIp() },
      });
      const id = (await env.DB.prepare('SELECT id FROM bookings WHERE client_package_id = ? AND start_time = ?')
        .bind(soldId, start)
        .first<number>('id')) as number;
      expect((await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token })).status).toBe(200);
      return { id, token: made.body.manage_url.split('/').pop() as string };
    };
    const left = async () =>
      env.DB.prepare('SELECT sessions_remaining AS n FROM client_packages WHERE id = ?')
        .bind(soldId)
        .first<number>('n');
    const start = slotAt(9, '10:00');
    const cancelled = await book(start);
    expect((await manage(cancelled.token, pinned(start, 3))).body).toMatchObject({
      package: null,
      late_cancellation_if_cancelled_now: true,
      credit_used_if_cancelled_now: false,
    });
    const cancel = await api('POST', `/api/public/bookings/${cancelled.token}/cancel/`, { headers: pinned(start, 3) });
    expect(cancel.body).toMatchObject({ status: 'cancelled', late_cancellation: true });
    expect(await left()).toBe(5);
    // Late, yet nothing was spent: the client's email says the credit is back (the ledger decides, not the flag).
    expect((await sentOf(cancelled.id, 'booking_cancelled')).message).toContain(
      'The credit of your pack “Quiet Pack” it held is yours again: 5 sessions left.',
    );

    const missed = await book(slotAt(10, '10:00'));
    const after = { 'X-Test-Now': slotAt(10, '11:00') };
    const noShow = await api('POST', `/api/bookings/${missed.id}/mark_no_show/`, { token: t.token, headers: after });
    expect(noShow.status).toBe(200);
    expect(await left()).toBe(5);
    const held = await book(slotAt(11, '10:00'));
    const done = await api('POST', `/api/bookings/${held.id}/mark_completed/`, {
      token: t.token,
      headers: { 'X-Test-Now': slotAt(11, '11:00') },
    });
    expect(done.status).toBe(200);
    expect(await left()).toBe(4);
  });

  it('a waitlisted place may leave the waitlist: never late, no credit, its position given; the cancel agrees', async () => {
    const t = await openTrainer({ late_cancel_hours: 24 });
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Circuit', duration_minutes: 60, capacity: 2 },
    });
    expect(service.status).toBe(201);
    const start = slotAt(10, '12:00');
    const made = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: service.body.id, start_time: start },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const classSession = made.body.occurrences[0]?.class_session;
    const join = async (waitlist: boolean) => {
      const res = await api<{ manage_url: string; status: string } & ProblemBody>(
        'POST',
        `/api/public/trainers/${t.slug}/bookings/`,
        {
          body: {
            class_session: classSession,
            waitlist,
            first_name: 'Wyn',
            last_name: 'Wait',
            email: uniqueEmail('w'),
          },
          headers: { 'CF-Connecting-IP': freshIp() },
        },
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { status: res.body.status, token: res.body.manage_url.split('/').pop() as string };
    };
    const seated = await join(false);
    await join(false);
    const first = await join(true);
    const second = await join(true);
    expect([seated.status, first.status, second.status]).toEqual(['pending', 'waitlisted', 'waitlisted']);
    // Inside the late-cancel window: a place with a seat would be late; a waitlisted one never is.
    const shown = await manage(second.token, pinned(start, 3));
    expect(shown.body).toMatchObject({
      status: 'waitlisted',
      waitlist_position: 2,
      can_cancel: true,
      can_reschedule: false,
      late_cancellation_if_cancelled_now: false,
      credit_used_if_cancelled_now: false,
    });
    expect((await manage(seated.token, pinned(start, 3))).body).toMatchObject({
      waitlist_position: null,
      late_cancellation_if_cancelled_now: true,
    });
    const left = await api<Managed & { late_cancellation: boolean }>(
      'POST',
      `/api/public/bookings/${first.token}/cancel/`,
      { headers: pinned(start, 3) },
    );
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ status: 'cancelled', late_cancellation: false, can_cancel: false });
    // The one behind moves up.
    expect((await manage(second.token)).body).toMatchObject({ waitlist_position: 1 });
  });

  it('a confirmed booking with a pack: a late cancellation names the pack and uses its credit', async () => {
    const t = await openTrainer({ late_cancel_hours: 24 });
    const soldId = await sellPack(t, 'Ten Pack', 10);
    const token = `pack-${crypto.randomUUID()}`;
    const start = slotAt(11, '10:00');
    const made = await scheduleOf(env.TRAINER_SCHEDULE, t.user.trainer.id).createBooking({
      ...trainerBookingCommand(t.user.trainer.id, t.client.id, start, {
        clientPackageId: soldId,
        status: 'confirmed',
        manageLink: { tokenHash: await sha256Hex(token), salt: '' },
      }),
      now: new Date().toISOString(),
    });
    expect(made.ok).toBe(true);
    expect((await manage(token, pinned(start, 30))).body).toMatchObject({
      package: { name: 'Ten Pack', sessions_remaining: 10 },
      late_cancellation_if_cancelled_now: false,
      credit_used_if_cancelled_now: false,
    });
    const late = await manage(token, pinned(start, 3));
    expect(late.body).toMatchObject({
      package: { name: 'Ten Pack', sessions_remaining: 10 },
      late_cancellation_if_cancelled_now: true,
      credit_used_if_cancelled_now: true,
    });
    const cancelled = await api<Managed>('POST', `/api/public/bookings/${token}/cancel/`, {
      headers: pinned(start, 3),
    });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', package: { sessions_remaining: 9 } });
  });
});
