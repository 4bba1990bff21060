// Issue 18, item 7: a confirmed booking whose start has passed can be marked a no-show; the
// trainer's no_show_uses_credit decides whether its package credit is spent or released.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { auditRows, registerStaff } from './admin-helpers';
import {
  api,
  at,
  type BookingBody,
  book,
  bookingAction,
  confirmedBooking,
  futureDay,
  nowPlus,
  openapiDocument,
  type ProblemBody,
  packCredits,
  packOf,
  setupTrainer,
  uniqueEmail,
} from './helpers';

type Ledger = {
  count: number;
  results: { delta: number; reason: string; booking: number | null; balance_after: number | null }[];
};
type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

const HOUR = 3600_000;

const post = bookingAction;
const noShow = (t: Trainer, b: BookingBody, hoursAfterStart = 2) =>
  post(t, b.id, 'mark_no_show', nowPlus(b.start_time, hoursAfterStart));

const ledger = async (t: Trainer, id: number) =>
  (await api<Ledger>('GET', `/api/client-packages/${id}/ledger/`, { token: t.token })).body;

/** A confirmed booking of the trainer's client `day` days ahead at `time` (UTC). */
const confirmed = (t: Trainer, day: number, time: string, extra: Record<string, unknown> = {}) =>
  confirmedBooking(t, { start_time: at(futureDay(day).date, time), ...extra });

const statusOf = async (id: number) =>
  (await env.DB.prepare('SELECT status FROM bookings WHERE id = ?').bind(id).first<{ status: string }>())?.status;

async function tick(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('marking a no-show', () => {
  it('spends the reserved credit by default (ledger reason no_show, balance_after); a repeat is 409', async () => {
    const t = await setupTrainer();
    const profile = await api<{ trainer: { no_show_uses_credit: boolean } }>('GET', '/api/users/profile/', {
      token: t.token,
    });
    expect(profile.body.trainer.no_show_uses_credit).toBe(true);
    const pkgId = await packOf(t, 3);
    const b = await confirmed(t, 3, '09:00', { client_package: pkgId });
    expect(await packCredits(t, pkgId)).toMatchObject({
      sessions_remaining: 3,
      sessions_reserved: 1,
      sessions_available: 2,
    });

    const marked = await noShow(t, b);
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body).toMatchObject({ id: b.id, status: 'no_show', is_upcoming: false, is_past: true });
    // One credit spent and no longer reserved: what the client has left to book is unchanged.
    expect(await packCredits(t, pkgId)).toMatchObject({
      sessions_remaining: 2,
      sessions_reserved: 0,
      sessions_available: 2,
    });
    expect((await ledger(t, pkgId)).results).toEqual([
      expect.objectContaining({ reason: 'no_show', booking: b.id, delta: -1, balance_after: 2 }),
    ]);

    const again = await noShow(t, b, 3);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_transition');
    expect(again.body.detail).toBe('A no_show booking cannot be marked as a no-show.');
    expect((await ledger(t, pkgId)).count).toBe(1);
    expect((await packCredits(t, pkgId)).sessions_remaining).toBe(2);

    // Three clicks at once on another booking: one marks it, the others are 409; one credit spent.
    const c = await confirmed(t, 4, '09:00', { client_package: pkgId });
    const clicks = await Promise.all([1, 2, 3].map(() => noShow(t, c)));
    expect(clicks.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect((await ledger(t, pkgId)).results.map((r) => [r.reason, r.booking, r.balance_after])).toEqual([
      ['no_show', c.id, 1],
      ['no_show', b.id, 2],
    ]);
    expect(await packCredits(t, pkgId)).toMatchObject({
      sessions_remaining: 1,
      sessions_reserved: 0,
      sessions_available: 1,
    });

    // The lists know the status: ?status=no_show, and the past list.
    const listed = await api<{ results: BookingBody[] }>('GET', '/api/bookings/?status=no_show', { token: t.token });
    expect(listed.body.results.map((r) => r.id)).toEqual([c.id, b.id]);
    const past = await api<{ results: BookingBody[] }>('GET', '/api/bookings/past/', {
      token: t.token,
      headers: nowPlus(c.start_time, 2),
    });
    expect(past.body.results.map((r) => [r.id, r.status])).toEqual([
      [c.id, 'no_show'],
      [b.id, 'no_show'],
    ]);
  });

  it('with no_show_uses_credit off, releases the reservation and writes no ledger row', async () => {
    const t = await setupTrainer();
    const off = await api<{ trainer: { no_show_uses_credit: boolean } }>('PATCH', '/api/users/profile/', {
      token: t.token,
      body: { no_show_uses_credit: false },
    });
    expect(off.status).toBe(200);
    expect(off.body.trainer.no_show_uses_credit).toBe(false);
    const bad = await api<ProblemBody>('PATCH', '/api/users/profile/', {
      token: t.token,
      body: { no_show_uses_credit: 'sometimes' },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['no_show_uses_credit']);

    const pkgId = await packOf(t, 3);
    const b = await confirmed(t, 3, '09:00', { client_package: pkgId });
    expect((await noShow(t, b)).body.status).toBe('no_show');
    expect(await packCredits(t, pkgId)).toMatchObject({
      sessions_remaining: 3,
      sessions_reserved: 0,
      sessions_available: 3,
    });
    expect((await ledger(t, pkgId)).count).toBe(0);

    // Nested under `trainer` works too, and turns it back on.
    const on = await api<{ trainer: { no_show_uses_credit: boolean } }>('PATCH', '/api/users/profile/', {
      token: t.token,
      body: { trainer: { no_show_uses_credit: true } },
    });
    expect(on.body.trainer.no_show_uses_credit).toBe(true);
  });

  it("is 409 from pending, cancelled and completed, 409 not_started before the start, 404 for another trainer's booking", async () => {
    const t = await setupTrainer();
    const other = await setupTrainer();
    const pending = await book(t.token, { client: t.client.id, start_time: at(futureDay(4).date, '08:00') });
    const cancelled = await confirmed(t, 4, '10:00');
    await post(t, cancelled.id, 'cancel');
    const completed = await confirmed(t, 4, '12:00');
    // Completed once it has started (as a no-show is marked).
    await post(t, completed.id, 'mark_completed', nowPlus(completed.start_time, 1));
    for (const [b, status] of [
      [pending.body, 'pending'],
      [cancelled, 'cancelled'],
      [completed, 'completed'],
    ] as const) {
      const res = await noShow(t, b);
      expect(res.status, status).toBe(409);
      expect(res.body).toMatchObject({
        code: 'invalid_transition',
        detail: `A ${status} booking cannot be marked as a no-show.`,
      });
      expect(await statusOf(b.id)).toBe(status);
    }

    const future = await confirmed(t, 4, '14:00');
    for (const headers of [{}, nowPlus(future.start_time, -0.01)]) {
      const early = await post(t, future.id, 'mark_no_show', headers);
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('not_started');
      expect(early.body.detail).toContain(future.start_time);
    }
    // From the start itself on.
    expect((await post(t, future.id, 'mark_no_show', nowPlus(future.start_time, 0))).body.status).toBe('no_show');

    const theirs = await confirmed(other, 4, '09:00');
    const foreign = await post(t, theirs.id, 'mark_no_show', nowPlus(theirs.start_time, 2));
    expect(foreign.status).toBe(404);
    expect(await statusOf(theirs.id)).toBe('confirmed');
  });

  it('cancels unsent reminders, sends the client nothing, and the cron leaves it alone', async () => {
    const t = await setupTrainer();
    const b = await confirmed(t, 5, '09:00');
    const start = Date.parse(b.start_time);
    // The 1 h reminder the cron planned, whose queue message was lost: the sweeper would send it.
    const planned = new Date(start - 50 * 60_000).toISOString();
    await env.DB.prepare(
      `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message, created_at, updated_at)
       SELECT trainer_id, id, 'reminder_1h', 'email', 'casey@example.com', ?, '', ?, ? FROM bookings WHERE id = ?`,
    )
      .bind(`booking:${b.id}:reminder_1h:email:${b.start_time}`, planned, planned, b.id)
      .run();
    const before = await kindsOf(b.id);

    expect((await noShow(t, b, 0.25)).body.status).toBe('no_show');
    await tick(start + 30 * 60_000);
    await tick(start + 2 * HOUR);

    const rows = await kindsOf(b.id);
    expect(rows.filter((r) => r.kind === 'reminder_1h')).toEqual([{ kind: 'reminder_1h', status: 'cancelled' }]);
    // No message of any kind was added by the no-show or the ticks after it.
    expect(rows.map((r) => r.kind)).toEqual(before.map((r) => r.kind));
    expect(await statusOf(b.id)).toBe('no_show');
  });
});

const kindsOf = async (bookingId: number) =>
  (
    await env.DB.prepare('SELECT kind, status FROM notifications WHERE booking_id = ? ORDER BY id')
      .bind(bookingId)
      .all<{ kind: string; status: string }>()
  ).results;

describe('no-shows in the numbers', () => {
  it('booking stats count them and give no_show_rate = no_show ÷ (completed + no_show); the dashboard does not deliver them', async () => {
    const t = await setupTrainer();
    const empty = await api<Record<string, unknown>>('GET', '/api/analytics/bookings-stats/', { token: t.token });
    expect(empty.body).toMatchObject({ no_show_bookings: 0, no_show_rate: 0 });

    const pkgId = await packOf(t, 3, '300.00');
    for (const time of ['08:00', '09:00', '10:00']) {
      const b = await confirmed(t, 6, time, time === '08:00' ? { client_package: pkgId } : {});
      await post(t, b.id, 'mark_completed', nowPlus(b.start_time, 1));
    }
    const missed = await confirmed(t, 6, '11:00', { client_package: pkgId });
    expect((await noShow(t, missed)).status).toBe(200);
    await post(t, (await confirmed(t, 6, '12:00')).id, 'cancel');
    await book(t.token, { client: t.client.id, start_time: at(futureDay(6).date, '13:00') });

    const stats = await api<Record<string, unknown>>('GET', '/api/analytics/bookings-stats/', { token: t.token });
    expect(stats.body).toMatchObject({
      total: 6,
      by_status: { pending: 1, confirmed: 0, completed: 3, cancelled: 1, no_show: 1 },
      completion_rate: 50,
      cancellation_rate: 16.7,
      no_show_bookings: 1,
      no_show_rate: 25,
    });
    const dash = await api<Record<string, unknown>>('GET', '/api/analytics/dashboard/', { token: t.token });
    expect(dash.body).toMatchObject({
      total_bookings: 6,
      completed_bookings: 3,
      sessions_delivered: 3,
      // Two credits of 100.00 consumed (a completion and the no-show) over 3 delivered sessions.
      average_booking_value: '66.67',
    });
  });
});

describe('the no-show elsewhere', () => {
  it('the manage page shows it and offers neither cancel nor reschedule; the .ics stays CONFIRMED', async () => {
    const t = await setupTrainer({ settings: { auto_confirm: true, business_name: 'No Show Gym' } });
    const made = await api<{ manage_url: string; start_time: string } & ProblemBody>(
      'POST',
      `/api/public/trainers/${t.user.trainer.slug}/bookings/`,
      {
        body: {
          start_time: at(futureDay(7).date, '10:00'),
          first_name: 'Nora',
          last_name: 'Late',
          email: uniqueEmail(),
        },
        headers: { 'CF-Connecting-IP': `203.0.113.${Math.floor(Math.random() * 250) + 1}` },
      },
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const token = made.body.manage_url.split('/').pop() as string;
    const id = (
      await env.DB.prepare('SELECT id FROM bookings WHERE trainer_id = ? AND start_time = ?')
        .bind(t.user.trainer.id, made.body.start_time)
        .first<{ id: number }>()
    )?.id as number;
    const marked = await post(t, id, 'mark_no_show', nowPlus(made.body.start_time, 1));
    expect(marked.body.status).toBe('no_show');

    const headers = nowPlus(made.body.start_time, 1);
    const shown = await api<Record<string, unknown>>('GET', `/api/public/bookings/${token}/`, { headers });
    expect(shown.body).toMatchObject({ status: 'no_show', can_cancel: false, can_reschedule: false });
    expect((await api('POST', `/api/public/bookings/${token}/cancel/`, { headers })).status).toBe(409);
    const move = await api<ProblemBody>('POST', `/api/public/bookings/${token}/reschedule/`, {
      headers,
      body: { start_time: at(futureDay(9).date, '10:00') },
    });
    expect(move.status).toBe(409);
    const trainerMove = await api<ProblemBody>('PATCH', `/api/bookings/${id}/`, {
      token: t.token,
      headers,
      body: { start_time: at(futureDay(9).date, '11:00') },
    });
    expect(trainerMove.status).toBe(409);
    expect(trainerMove.body.detail).toBe('A no_show booking cannot be rescheduled.');
    const ics = await exports.default.fetch(
      new Request(`http://example.com/api/public/bookings/${token}/ics`, { headers }),
    );
    expect(await ics.text()).toContain('STATUS:CONFIRMED\r\n');
    expect(await statusOf(id)).toBe('no_show');
  });

  it('staff mark a no-show through the booking rules: 409 before the start, then audited with the credit spent', async () => {
    const staff = await registerStaff(uniqueEmail('staff'));
    const t = await setupTrainer();
    const pkgId = await packOf(t, 2);
    const b = await confirmed(t, 8, '09:00', { client_package: pkgId });
    const patch = (headers: Record<string, string> = {}) =>
      api<{ record: { status: string } } & ProblemBody>('PATCH', `/api/admin/bookings/${b.id}/`, {
        token: staff.token,
        body: { status: 'no_show' },
        headers,
      });
    const early = await patch();
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('not_started');
    expect((await auditRows('bookings', b.id)).filter((r) => r.action !== 'update')).toEqual([]);

    const done = await patch(nowPlus(b.start_time, 3));
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.record.status).toBe('no_show');
    const audits = (await auditRows('bookings', b.id)).map((r) => [r.action, JSON.parse(r.changes)]);
    expect(audits).toEqual([['mark_no_show', { status: { before: 'confirmed', after: 'no_show' } }]]);
    expect((await ledger(t, pkgId)).results).toEqual([
      expect.objectContaining({ reason: 'no_show', booking: b.id, delta: -1, balance_after: 1 }),
    ]);
  });
});

describe('the no-show in the API document', () => {
  it('declares the route, its 409, the setting and the stats fields', async () => {
    type Doc = {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; description?: string }>>;
      components: {
        schemas: Record<string, { properties: Record<string, { description?: string; enum?: string[] }> }>;
      };
    };
    const doc = openapiDocument<Doc>();
    const route = doc.paths['/api/bookings/{id}/mark_no_show']?.post;
    expect(Object.keys(route?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404', '409']));
    expect(route?.description).toContain('not_started');
    const schemas = doc.components.schemas;
    expect(schemas.TrainerProfile?.properties.no_show_uses_credit?.description).toContain('no-show');
    expect(schemas.BookingStats?.properties.no_show_rate?.description).toContain('no_show_bookings ÷ (completed');
    expect(schemas.Booking?.properties.status?.enum).toContain('no_show');
  });
});
