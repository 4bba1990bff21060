// The client hears of a change only to what they were told of: a trainer's booking is announced
// with its confirmation, so cancelling or moving it before then (a draft, the wrong client) sends
// the client nothing, and neither does confirming a session that has already begun.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  api,
  book,
  confirmedBooking,
  createClient,
  futureDay,
  nowPlus,
  PASSWORD,
  type ProblemBody,
  registerTrainer,
  uniqueEmail,
  until,
  verifyEmailOf,
} from './helpers';
import { icsOf, sentOf, tick, viaSendGrid } from './mail';

type Trainer = Awaited<ReturnType<typeof registerTrainer>> & { client: { id: number; email: string } };

/** A trainer open around the clock whose client has an email and a phone. */
async function trainerWithClient(): Promise<Trainer> {
  const t = await registerTrainer();
  for (let day = 0; day < 7; day++) {
    await api('POST', '/api/availability-slots/', {
      token: t.token,
      body: { day_of_week: day, start_time: '00:00', end_time: '24:00' },
    });
  }
  const client = await createClient(t.token, { phone: '+447700900456' });
  return { ...t, client };
}

/** A class service of the trainer's and one session of it at `start`; the session's id. */
async function classOf(t: Trainer, service: Record<string, unknown>, start: string) {
  const made = await api<{ id: number }>('POST', '/api/services/', { token: t.token, body: service });
  const scheduled = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
    token: t.token,
    body: { service: made.body.id, start_time: start },
  });
  expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(201);
  return scheduled.body.occurrences[0]?.class_session ?? 0;
}

/** The booking's messages as "kind/channel", in order. */
const messagesOf = async (bookingId: number) =>
  (
    await env.DB.prepare(
      'SELECT kind, notification_type AS channel FROM notifications WHERE booking_id = ? ORDER BY id',
    )
      .bind(bookingId)
      .all<{ kind: string; channel: string }>()
  ).results.map((r) => `${r.kind}/${r.channel}`);

const at = (days: number, time: string) => `${futureDay(days).date}T${time}:00.000Z`;
const move = (t: Trainer, id: number, start: string) =>
  api<ProblemBody>('PATCH', `/api/bookings/${id}/`, { token: t.token, body: { start_time: start } });
const cancel = (t: Trainer, id: number, reason: string) =>
  api<ProblemBody>('POST', `/api/bookings/${id}/cancel/`, { token: t.token, body: { reason } });

describe('what the client was told of', () => {
  it("a trainer's booking nobody confirmed is moved and cancelled without a word to the client", async () => {
    const t = await trainerWithClient();
    const draft = await book(t.token, { client: t.client.id, start_time: at(10, '10:00') });
    expect([draft.status, draft.body.status]).toEqual([201, 'pending']);
    expect((await move(t, draft.body.id, at(10, '12:00'))).status).toBe(200);
    expect((await cancel(t, draft.body.id, 'oops, wrong client')).status).toBe(200);
    expect(await messagesOf(draft.body.id)).toEqual([]);
  });

  it('a confirmed one: the confirmation, the move and the cancellation each reach the client by email and SMS', async () => {
    const t = await trainerWithClient();
    const b = await confirmedBooking(t, { start_time: at(10, '10:00') });
    expect((await move(t, b.id, at(10, '12:00'))).status).toBe(200);
    expect((await cancel(t, b.id, 'Injured, sorry')).status).toBe(200);
    expect(await messagesOf(b.id)).toEqual([
      'booking_confirmed/email',
      'booking_confirmed/sms',
      'booking_rescheduled/email',
      'booking_rescheduled/sms',
      'booking_cancelled/email',
      'booking_cancelled/sms',
    ]);
  });

  it('a new end alone is a change too: the client is told the new length, and the calendar file moves the end', async () => {
    const t = await trainerWithClient();
    const b = await confirmedBooking(t, { start_time: at(10, '10:00') });
    const longer = await api('PATCH', `/api/bookings/${b.id}/`, {
      token: t.token,
      body: { end_time: at(10, '11:30') },
    });
    expect(longer.status).toBe(200);
    expect(await messagesOf(b.id)).toEqual([
      'booking_confirmed/email',
      'booking_confirmed/sms',
      'booking_rescheduled/email',
      'booking_rescheduled/sms',
    ]);
    const told = await sentOf(b.id, 'booking_rescheduled');
    expect(told.subject).toMatch(/^Changed: 60-minute session on .* now lasts 90 minutes$/);
    expect(told.message).toContain('now runs');
    expect(told.message).toContain(': 90 minutes, where it was 60.');
    const ics = icsOf(await viaSendGrid(told));
    expect(ics).toContain(`DTEND:${futureDay(10).date.replaceAll('-', '')}T113000Z`);
    expect(ics).toMatch(/SEQUENCE:[1-9]/);
    // The same end again changes nothing and says nothing; a draft's new end tells nobody.
    expect(
      (await api('PATCH', `/api/bookings/${b.id}/`, { token: t.token, body: { end_time: at(10, '11:30') } })).status,
    ).toBe(200);
    expect((await messagesOf(b.id)).length).toBe(4);
    const draft = await book(t.token, { client: t.client.id, start_time: at(11, '10:00') });
    expect(
      (await api('PATCH', `/api/bookings/${draft.body.id}/`, { token: t.token, body: { end_time: at(11, '10:45') } }))
        .status,
    ).toBe(200);
    expect(await messagesOf(draft.body.id)).toEqual([]);
  });

  it("a visitor's request the trainer moves or declines is answered by email, never by SMS", async () => {
    const t = await trainerWithClient();
    const made = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: {
        start_time: at(10, '10:00'),
        first_name: 'Vi',
        last_name: 'Sitor',
        email: uniqueEmail('vi'),
        phone: '+447700900999',
      },
      headers: { 'CF-Connecting-IP': '198.51.100.61' },
    });
    expect(made.status).toBe(201);
    const row = await env.DB.prepare('SELECT id FROM bookings WHERE trainer_id = ? AND start_time = ?')
      .bind(t.user.trainer.id, at(10, '10:00'))
      .first<{ id: number }>();
    const id = row?.id ?? 0;
    const before = await messagesOf(id);
    expect((await move(t, id, at(10, '12:00'))).status).toBe(200);
    expect((await cancel(t, id, 'Fully booked that week')).status).toBe(200);
    expect((await messagesOf(id)).slice(before.length)).toEqual([
      'booking_rescheduled/email',
      'booking_cancelled/email',
    ]);
  });

  it("a client user cannot reach a trainer's draft they never heard of: 404, nothing written", async () => {
    const t = await trainerWithClient();
    const draft = await book(t.token, { client: t.client.id, start_time: at(10, '10:00') });
    const member = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email: t.client.email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
      headers: { 'CF-Connecting-IP': '198.51.100.62' },
    });
    await verifyEmailOf(member.body.user.id, t.client.email);
    const own = await api('POST', `/api/client/bookings/${draft.body.id}/cancel/`, { token: member.body.token });
    expect(own.status, JSON.stringify(own.body)).toBe(404);
    expect(
      (await api<{ status: string }>('GET', `/api/bookings/${draft.body.id}/`, { token: t.token })).body.status,
    ).toBe('pending');
    expect(await messagesOf(draft.body.id)).toEqual([]);
  });

  it('confirming a booking once it has begun (to record attendance next) sends no confirmation', async () => {
    const t = await trainerWithClient();
    const start = at(3, '10:00');
    const b = await book(t.token, { client: t.client.id, start_time: start });
    const later = nowPlus(start, 2);
    const act = (action: string) =>
      api('POST', `/api/bookings/${b.body.id}/${action}/`, { token: t.token, headers: later });
    expect((await act('confirm')).status).toBe(200);
    expect((await act('mark_completed')).status).toBe(200);
    expect(await messagesOf(b.body.id)).toEqual([]);
  });

  it('a series: cancelled before any occurrence was confirmed, no message; after, one listing what the client knew of', async () => {
    const t = await trainerWithClient();
    const series = (start: string) =>
      api<{ id: number; bookings: { id: number }[] }>('POST', '/api/booking-series/', {
        token: t.token,
        body: { client: t.client.id, start_time: start, repeat: { count: 4 } },
      });
    const seriesMessages = async (id: number) =>
      (
        await env.DB.prepare(
          `SELECT count(*) AS n FROM notifications WHERE kind = 'series_cancelled'
           AND booking_id IN (SELECT id FROM bookings WHERE series_id = ?)`,
        )
          .bind(id)
          .first<{ n: number }>()
      )?.n;
    // Every occurrence inside the late window: only a confirmed one is a late cancellation.
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { late_cancel_hours: 168 } });
    const lateFlags = async (id: number) =>
      (
        await env.DB.prepare('SELECT DISTINCT late_cancellation AS late FROM bookings WHERE series_id = ?')
          .bind(id)
          .all<{ late: number }>()
      ).results
        .map((r) => r.late)
        .sort();
    const draft = await series(at(1, '08:00'));
    expect(draft.status).toBe(201);
    expect((await api('POST', `/api/booking-series/${draft.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    expect(await seriesMessages(draft.body.id)).toBe(0);
    expect(await lateFlags(draft.body.id)).toEqual([0]);

    const kept = await series(at(1, '18:00'));
    expect((await api('POST', `/api/booking-series/${kept.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect((await api('POST', `/api/booking-series/${kept.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    expect(await seriesMessages(kept.body.id)).toBeGreaterThan(0);
    // The first occurrence is inside the week, the later ones are not.
    expect(await lateFlags(kept.body.id)).toEqual([0, 1]);

    // One occurrence confirmed on its own, the others drafts: the cancel lists that one alone.
    const mixed = await series(at(2, '12:00'));
    const [one] = mixed.body.bookings.map((b) => b.id);
    expect((await api('POST', `/api/bookings/${one}/confirm/`, { token: t.token })).status).toBe(200);
    expect((await api('POST', `/api/booking-series/${mixed.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    const told = await sentOf(one ?? 0, 'series_cancelled');
    expect(told.subject).toBe('Cancelled: 1 session of 60-minute session');
    expect(told.message).toContain('This 1 session of 60-minute session with ');
    expect(told.message).toContain(' has been cancelled:');
    expect(told.message.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(1);
  });
});

describe("a class's cancel tells each place as its own cancel would", () => {
  it('a confirmed place by email and SMS, a visitor by email, a place nobody confirmed nothing', async () => {
    const t = await trainerWithClient();
    const cls = await classOf(t, { name: 'Circuits', duration_minutes: 60, capacity: 3 }, at(8, '09:00'));
    const trainerPlace = async (extra: Record<string, unknown> = {}) => {
      const client = await createClient(t.token, { phone: '+447700900457' });
      const res = await api<{ id: number }>('POST', '/api/bookings/', {
        token: t.token,
        body: { client: client.id, class_session: cls, ...extra },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id;
    };
    const visitorPlace = async (n: number, extra: Record<string, unknown> = {}) => {
      const email = uniqueEmail('visitor');
      const res = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
        body: { first_name: 'Vi', last_name: 'Sitor', email, phone: '+447700900998', class_session: cls, ...extra },
        headers: { 'CF-Connecting-IP': `198.51.100.${70 + n}` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const row = await env.DB.prepare(
        'SELECT b.id FROM bookings b JOIN clients c ON c.id = b.client_id WHERE b.class_session_id = ? AND c.email = ?',
      )
        .bind(cls, email)
        .first<{ id: number }>();
      return row?.id ?? 0;
    };
    const confirmed = await trainerPlace();
    expect((await api('POST', `/api/bookings/${confirmed}/confirm/`, { token: t.token })).status).toBe(200);
    const draft = await trainerPlace();
    const request = await visitorPlace(1);
    // The trainer was asked for a place in the class, not for a session of its own.
    expect((await sentOf(request, 'booking_requested')).message).toContain(
      'Vi Sitor asked for a place in your class on ',
    );
    // The class is full: two more join its waitlist, one added by the trainer, one on the booking page.
    const trainerWaiting = await trainerPlace({ waitlist: true });
    const visitorWaiting = await visitorPlace(2, { waitlist: true });
    const before = new Map<number, number>();
    for (const id of [confirmed, draft, request, trainerWaiting, visitorWaiting]) {
      before.set(id, (await messagesOf(id)).length);
    }

    const cancel = await api('POST', `/api/class-sessions/${cls}/cancel/`, {
      token: t.token,
      body: { reason: 'Hall flooded' },
    });
    expect(cancel.status).toBe(200);
    const added = async (id: number) => (await messagesOf(id)).slice(before.get(id));
    expect(await added(confirmed)).toEqual(['class_cancelled/email', 'class_cancelled/sms']);
    expect(await added(draft)).toEqual([]);
    expect(await added(request)).toEqual(['class_cancelled/email']);
    expect(await added(trainerWaiting)).toEqual([]);
    expect(await added(visitorWaiting)).toEqual(['waitlist_class_cancelled/email']);
    // A place's message cancels its calendar event; the waitlisted visitor never had one, and no credit.
    const place = await sentOf(request, 'class_cancelled');
    expect(place.subject).toMatch(/^Cancelled: Circuits on /);
    expect(icsOf(await viaSendGrid(place))).toContain('METHOD:CANCEL');
    const waiting = await sentOf(visitorWaiting, 'waitlist_class_cancelled');
    expect(waiting.subject).toMatch(/^Cancelled: Circuits on /);
    expect(waiting.message).toContain('its waitlist is closed and you are no longer on it. Nothing was booked.');
    expect(waiting.message).toContain('Reason: Hall flooded');
    expect(waiting.message).not.toContain('credit');
    expect((await viaSendGrid(waiting)).attachments ?? []).toEqual([]);
    const statuses = await env.DB.prepare('SELECT DISTINCT status FROM bookings WHERE class_session_id = ?')
      .bind(cls)
      .all<{ status: string }>();
    expect(statuses.results).toEqual([{ status: 'cancelled' }]);
  });

  it('a waitlisted place the trainer added and removes tells nobody; a visitor taken off the waitlist hears by email', async () => {
    const t = await trainerWithClient();
    const cls = await classOf(t, { name: 'Small group', duration_minutes: 60, capacity: 2 }, at(9, '09:00'));
    for (const client of [t.client.id, (await createClient(t.token)).id]) {
      const seat = await api('POST', '/api/bookings/', { token: t.token, body: { client, class_session: cls } });
      expect(seat.status).toBe(201);
    }
    const other = await createClient(t.token, { phone: '+447700900458' });
    const waiting = await api<{ id: number; status: string }>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: other.id, class_session: cls, waitlist: true },
    });
    expect([waiting.status, waiting.body.status]).toEqual([201, 'waitlisted']);
    expect((await cancel(t, waiting.body.id, 'Made a mistake')).status).toBe(200);
    expect(await messagesOf(waiting.body.id)).toEqual([]);

    const visitor = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: {
        first_name: 'Vi',
        last_name: 'Sitor',
        email: uniqueEmail('line'),
        phone: '+447700900997',
        class_session: cls,
        waitlist: true,
      },
      headers: { 'CF-Connecting-IP': '198.51.100.79' },
    });
    expect(visitor.status).toBe(201);
    const row = await env.DB.prepare("SELECT id FROM bookings WHERE class_session_id = ? AND status = 'waitlisted'")
      .bind(cls)
      .first<{ id: number }>();
    const id = row?.id ?? 0;
    expect((await cancel(t, id, 'Class is for members only')).status).toBe(200);
    expect(await messagesOf(id)).toEqual(['waitlist_joined/email', 'waitlist_left/email']);
    // It says they are off the waitlist, not that a session was cancelled, and carries no calendar file.
    const left = await sentOf(id, 'waitlist_left');
    expect(left.subject).toMatch(/^Off the waitlist: Small group on /);
    expect(left.message).toContain('You are no longer on the waitlist');
    expect(left.message).toContain('Reason: Class is for members only');
    expect((await viaSendGrid(left)).attachments ?? []).toEqual([]);
  });
});

describe('a message still unsent when it stops being true is dropped', () => {
  /** A visitor on a full class's waitlist whose "on the waitlist" email is still unsent (the provider down). */
  async function waitingVisitor(t: Trainer, ip: number) {
    const cls = await classOf(t, { name: `Spin ${ip}`, duration_minutes: 45, capacity: 2 }, at(6, `1${ip % 10}:00`));
    const seats: number[] = [];
    for (const client of [t.client.id, (await createClient(t.token)).id]) {
      const seat = await api<{ id: number }>('POST', '/api/bookings/', {
        token: t.token,
        body: { client, class_session: cls },
      });
      expect(seat.status).toBe(201);
      seats.push(seat.body.id);
    }
    const joined = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: { first_name: 'Wai', last_name: 'Ting', email: uniqueEmail('wait'), class_session: cls, waitlist: true },
      headers: { 'CF-Connecting-IP': `198.51.100.${ip}` },
    });
    expect(joined.status).toBe(201);
    const row = await env.DB.prepare("SELECT id FROM bookings WHERE class_session_id = ? AND status = 'waitlisted'")
      .bind(cls)
      .first<{ id: number }>();
    const id = row?.id ?? 0;
    // What a failed delivery leaves: the row pending, waiting for its next round.
    await until(
      () => messageRows(id),
      (rows) => rows.some((r) => r.kind === 'waitlist_joined' && r.status !== 'pending'),
    );
    await env.DB.prepare(
      "UPDATE notifications SET status = 'pending', retry_at = ?, failed_reason = 'SendGrid 503: HTTP 503' WHERE booking_id = ?",
    )
      .bind(at(6, '00:00'), id)
      .run();
    return { cls, seats, id };
  }
  const messageRows = async (bookingId: number) =>
    (
      await env.DB.prepare(
        'SELECT kind, notification_type AS channel, status FROM notifications WHERE booking_id = ? ORDER BY id',
      )
        .bind(bookingId)
        .all<{ kind: string; channel: string; status: string }>()
    ).results;

  it('"on the waitlist" is not sent once the place is theirs', async () => {
    const t = await trainerWithClient();
    const w = await waitingVisitor(t, 81);
    expect((await cancel(t, w.seats[0] ?? 0, 'Client moved away')).status).toBe(200);
    const rows = await messageRows(w.id);
    expect(rows.find((r) => r.kind === 'waitlist_joined')?.status).toBe('cancelled');
    expect(rows.filter((r) => r.kind === 'waitlist_promoted').map((r) => r.channel)).toEqual(['email']);
  });

  it("nor once the class is cancelled: only the class's cancel goes", async () => {
    const t = await trainerWithClient();
    const w = await waitingVisitor(t, 82);
    expect((await api('POST', `/api/class-sessions/${w.cls}/cancel/`, { token: t.token })).status).toBe(200);
    const rows = await messageRows(w.id);
    expect(rows.map((r) => `${r.kind}/${r.status === 'cancelled' ? 'dropped' : 'kept'}`)).toEqual([
      'waitlist_joined/dropped',
      'waitlist_class_cancelled/kept',
    ]);
  });

  it('nor once the place lapses off the waitlist: only "no place" goes', async () => {
    const t = await trainerWithClient();
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { waitlist_cutoff_hours: 2 } });
    const w = await waitingVisitor(t, 83);
    await tick(Date.parse(at(6, '13:00')) - 3600_000);
    const rows = await messageRows(w.id);
    expect(rows.map((r) => `${r.kind}/${r.status === 'cancelled' ? 'dropped' : 'kept'}`)).toEqual([
      'waitlist_joined/dropped',
      'waitlist_expired/kept',
    ]);
  });
});

/** A class of two the trainer filled, with the client waiting third; `free()` cancels a place, promoting them. */
async function fullClassWithClientWaiting(t: Trainer) {
  const cls = await classOf(t, { name: 'Kettlebells', duration_minutes: 60, capacity: 2 }, at(7, '18:00'));
  const place = async (client: number, extra: Record<string, unknown> = {}) =>
    (
      await api<{ id: number; status: string }>('POST', '/api/bookings/', {
        token: t.token,
        body: { client, class_session: cls, ...extra },
      })
    ).body;
  const first = await place((await createClient(t.token)).id);
  await place((await createClient(t.token)).id);
  const waiting = await place(t.client.id, { waitlist: true });
  expect(waiting.status).toBe('waitlisted');
  return { waiting, free: () => cancel(t, first.id, 'Cannot make it') };
}

describe('who heard of a booking hears of its end, by the channels they heard on', () => {
  it('a place promoted and declined before "You\'re in" left: no word of either, the promotion withdrawn', async () => {
    const t = await trainerWithClient();
    const { waiting, free } = await fullClassWithClientWaiting(t);
    expect((await free()).status).toBe(200);
    expect((await cancel(t, waiting.id, 'Class is for members only')).status).toBe(200);
    const rows = (
      await env.DB.prepare(
        'SELECT kind, notification_type AS channel, status, attempts FROM notifications WHERE booking_id = ? ORDER BY id',
      )
        .bind(waiting.id)
        .all<{ kind: string; channel: string; status: string; attempts: number }>()
    ).results;
    const promoted = rows.filter((r) => r.kind === 'waitlist_promoted');
    const claimed = promoted.filter((r) => r.attempts > 0).map((r) => r.channel);
    const told = rows.filter((r) => r.kind === 'booking_cancelled').map((r) => r.channel);
    expect(promoted).toHaveLength(2);
    // A delivery that claimed "You're in" before the decline may have delivered it: then the decline
    // is told too, by email if either was claimed, by SMS if the SMS was. The decline comes
    // milliseconds after the promotion, so nothing is claimed yet almost every time.
    expect(told).toEqual([...(claimed.length ? ['email'] : []), ...(claimed.includes('sms') ? ['sms'] : [])]);
    if (!claimed.length) expect(promoted.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('a place the trainer added to a waitlist, promoted (email and SMS), then declined: told by both', async () => {
    const t = await trainerWithClient();
    const { waiting, free } = await fullClassWithClientWaiting(t);
    expect(await messagesOf(waiting.id)).toEqual([]);
    // A seat frees up: the place is theirs, pending the trainer's confirmation, and they are told.
    expect((await free()).status).toBe(200);
    // (and the trainer is asked to confirm it); once "You're in" has gone out, the trainer declines.
    expect(await messagesOf(waiting.id)).toEqual([
      'waitlist_promoted/email',
      'waitlist_promoted/sms',
      'booking_requested/email',
    ]);
    await until(
      async () =>
        (
          await env.DB.prepare(
            "SELECT count(*) AS n FROM notifications WHERE booking_id = ? AND kind = 'waitlist_promoted' AND status = 'sent'",
          )
            .bind(waiting.id)
            .first<{ n: number }>()
        )?.n,
      (n) => n === 2,
    );
    expect((await cancel(t, waiting.id, 'Class is for members only')).status).toBe(200);
    expect(await messagesOf(waiting.id)).toEqual([
      'waitlist_promoted/email',
      'waitlist_promoted/sms',
      'booking_requested/email',
      'booking_cancelled/email',
      'booking_cancelled/sms',
    ]);
  });
});

describe("a cancel tells the client what became of the pack's credit", () => {
  it('cancelled in time: the credit is back; late: it was used; the count left is what the pack then has', async () => {
    const t = await trainerWithClient();
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { late_cancel_hours: 24 } });
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Ten pack', sessions_count: 10, price: '500.00' },
    });
    const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: t.client.id },
    });
    expect(sold.status).toBe(201);
    const withPack = { client_package: sold.body.id };
    const kept = await confirmedBooking(t, { start_time: at(12, '10:00'), ...withPack });
    const early = await confirmedBooking(t, { start_time: at(11, '10:00'), ...withPack });
    const soon = new Date(Math.ceil((Date.now() + 2 * 3600_000) / 3600_000) * 3600_000).toISOString();
    const late = await confirmedBooking(t, { start_time: soon, ...withPack });
    expect(kept.id).toBeGreaterThan(0);

    expect((await cancel(t, early.id, 'Away that week')).status).toBe(200);
    const back = await sentOf(early.id, 'booking_cancelled');
    // 10 credits, one still reserved by each of the two other bookings.
    expect(back.message).toContain('The credit of your pack “Ten pack” it held is yours again: 8 sessions left.');
    const lateCancel = await cancel(t, late.id, 'Sick');
    expect((lateCancel.body as { late_cancellation?: boolean }).late_cancellation).toBe(true);
    const used = await sentOf(late.id, 'booking_cancelled');
    // 9 credits once the late cancel spent one, one reserved by the booking still kept.
    expect(used.message).toContain('As a late cancellation it used a credit of your pack “Ten pack”: 8 sessions left.');
    expect(used.message).toContain('Reason: Sick');
  });
});
