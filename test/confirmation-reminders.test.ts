// Whoever was just told a booking is on (the trainer's confirmation, a waitlist promotion, a series'
// confirmation, a move) gets no reminder of the stretch it was told in: no 24 h reminder when told in the
// last 24 h, no "in 1 hour" when told in the last hour. A web request promoted to pending is not
// confirmed: its promotion, like its receipt, texts nobody.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, createClient, setupTrainer, uniqueEmail } from './helpers';
import { tick } from './mail';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
/** The next whole `step` at least `ahead` from now. */
const ahead = (ahead: number, step: number) => Math.ceil((Date.now() + ahead) / step) * step;

type Row = { booking_id: number; kind: string; notification_type: string };
const rowsOf = async (ids: number[]) =>
  (
    await env.DB.prepare(
      `SELECT booking_id, kind, notification_type FROM notifications
       WHERE booking_id IN (${ids.map(() => '?').join(',')}) ORDER BY id`,
    )
      .bind(...ids)
      .all<Row>()
  ).results;
const kindsOf = (rows: Row[], id: number) =>
  rows.filter((r) => r.booking_id === id).map((r) => `${r.kind}/${r.notification_type}`);

async function classOf(token: string, capacity: number, start: number) {
  const service = await api<{ id: number }>('POST', '/api/services/', {
    token,
    body: { name: 'Spin', duration_minutes: 45, capacity },
  });
  const cls = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
    token,
    body: { service: service.body.id, start_time: iso(start) },
  });
  expect(cls.status, JSON.stringify(cls.body)).toBe(201);
  return cls.body.occurrences[0]?.class_session as number;
}

describe('no reminder right after being told', () => {
  it('a place promoted from the waitlist 5 h before gets no 24 h reminder, as a place confirmed then does not; both get the 1 h one', async () => {
    const t = await setupTrainer({ settings: { auto_confirm: true, waitlist_cutoff_hours: 2 } });
    const start = ahead(5 * HOUR, HOUR);
    const cls = await classOf(t.token, 2, start);
    const phone = { phone: '+14155550123' };
    const people = [
      await createClient(t.token, phone),
      await createClient(t.token, phone),
      await createClient(t.token, phone),
    ];
    const place = async (client: number, extra = {}) => {
      const res = await api<{ id: number; status: string }>('POST', '/api/bookings/', {
        token: t.token,
        body: { client, class_session: cls, ...extra },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const [first, kept] = [await place(people[0]?.id as number), await place(people[1]?.id as number)];
    for (const b of [first, kept]) {
      expect((await api('POST', `/api/bookings/${b.id}/confirm/`, { token: t.token })).status).toBe(200);
    }
    const waiting = await place(people[2]?.id as number, { waitlist: true });
    expect(waiting.status).toBe('waitlisted');
    const cancelled = await api('POST', `/api/bookings/${first.id}/cancel/`, { token: t.token });
    expect(cancelled.status).toBe(200);

    await tick(Date.now() + 5 * MINUTE);
    await tick(start - 30 * MINUTE);
    const rows = await rowsOf([kept.id, waiting.id]);
    expect(kindsOf(rows, waiting.id)).toEqual(['waitlist_promoted/email', 'waitlist_promoted/sms', 'reminder_1h/sms']);
    expect(kindsOf(rows, kept.id).filter((k) => k.startsWith('reminder'))).toEqual(['reminder_1h/sms']);
  });

  it('a confirmed booking moved into its last 24 h gets no 24 h reminder (the move named the time); the 1 h one still goes', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0 } });
    const client = await createClient(t.token, { phone: '+14155550127' });
    const far = ahead(3 * 24 * HOUR, HOUR);
    const made = await api<{ id: number }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: client.id, start_time: iso(far) },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    // Two days later (confirmed well before the new start's last 24 h), moved to 6 hours ahead.
    const moveAt = Date.now() + 2 * 24 * HOUR;
    const near = Math.ceil((moveAt + 6 * HOUR) / HOUR) * HOUR;
    const moved = await api('PATCH', `/api/bookings/${made.body.id}/`, {
      token: t.token,
      body: { start_time: iso(near) },
      headers: { 'X-Test-Now': iso(moveAt) },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await tick(moveAt + 5 * MINUTE);
    await tick(near - 30 * MINUTE);
    expect(kindsOf(await rowsOf([made.body.id]), made.body.id)).toEqual([
      'booking_confirmed/email',
      'booking_confirmed/sms',
      'booking_rescheduled/email',
      'booking_rescheduled/sms',
      'reminder_1h/sms',
    ]);
  });

  it('a series confirmed inside its first occurrence’s last hour gets no "in 1 hour" for it', async () => {
    const t = await setupTrainer({ settings: { min_notice_minutes: 0, slot_interval_minutes: 5 } });
    const client = await createClient(t.token, { phone: '+14155550124' });
    const start = ahead(35 * MINUTE, 5 * MINUTE);
    const made = await api<{ id: number; bookings: { id: number }[] }>('POST', '/api/booking-series/', {
      token: t.token,
      body: { client: client.id, start_time: iso(start), repeat: { count: 2 } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await api('POST', `/api/booking-series/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    await tick(Date.now() + MINUTE);
    await tick(start - 10 * MINUTE);
    const firstId = made.body.bookings[0]?.id as number;
    const rows = await rowsOf([firstId]);
    expect(kindsOf(rows, firstId).filter((k) => k.startsWith('reminder'))).toEqual([]);
  });

  it('a booking-page request promoted to pending is told by email only; the trainer’s own client promoted to pending also by SMS', async () => {
    const t = await setupTrainer({ settings: { auto_confirm: false } });
    const start = ahead(3 * 24 * HOUR, HOUR);
    const cls = await classOf(t.token, 2, start);
    let ip = 0;
    const visit = async (extra: Record<string, unknown> = {}) => {
      const res = await api<{ status: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
        body: {
          first_name: 'Web',
          last_name: 'Visitor',
          email: uniqueEmail('web'),
          phone: '+14155550125',
          class_session: cls,
          ...extra,
        },
        headers: { 'CF-Connecting-IP': `203.0.113.${++ip}` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const answers = [await visit(), await visit(), await visit({ waitlist: true })];
    expect(answers.map((a) => a.status)).toEqual(['pending', 'pending', 'waitlisted']);
    // The public answer carries no id: the class's rows, in the order they were made.
    const [placed, , waiting] = (
      await env.DB.prepare('SELECT id FROM bookings WHERE class_session_id = ? ORDER BY id')
        .bind(cls)
        .all<{ id: number }>()
    ).results as { id: number }[];
    const gone = await api('POST', `/api/bookings/${placed?.id}/cancel/`, { token: t.token });
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    const promoted = await api<{ status: string }>('GET', `/api/bookings/${waiting?.id}/`, { token: t.token });
    expect(promoted.body.status).toBe('pending');
    expect(
      kindsOf(await rowsOf([waiting?.id as number]), waiting?.id as number).filter((k) => k.startsWith('waitlist')),
    ).toEqual(['waitlist_joined/email', 'waitlist_promoted/email']);

    // The trainer's own client, promoted to pending: their number is the trainer's to trust.
    const own = await createClient(t.token, { phone: '+14155550126' });
    const cls2 = await classOf(t.token, 2, start + HOUR);
    const seat = await api<{ id: number }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, class_session: cls2 },
    });
    const other = await createClient(t.token);
    await api('POST', '/api/bookings/', { token: t.token, body: { client: other.id, class_session: cls2 } });
    const queued = await api<{ id: number }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: own.id, class_session: cls2, waitlist: true },
    });
    expect((await api('POST', `/api/bookings/${seat.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    expect(kindsOf(await rowsOf([queued.body.id]), queued.body.id).filter((k) => k.startsWith('waitlist'))).toEqual([
      'waitlist_promoted/email',
      'waitlist_promoted/sms',
    ]);
  });
});
