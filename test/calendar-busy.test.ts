// Issue 20: busy time imported from the trainer's own calendars (calendar_busy rows, as a sync
// writes them) is honoured everywhere a booking is: free slots (trainer and public), the schedule
// object's checks and the guarded writes (409 calendar_busy), moves, series and classes. A trainer
// books over it with allow_outside_availability, never over another booking.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleClasses } from '../src/bookings/classes';
import { scheduleBooking } from '../src/bookings/commands';
import { rescheduleBooking } from '../src/bookings/reschedule';
import { scheduleSeries } from '../src/bookings/series-commands';
import { getDb } from '../src/lib/db';
import {
  api,
  at,
  type BookingBody,
  book,
  changingAfterRead,
  futureDay,
  PASSWORD,
  type ProblemBody,
  setupTrainer,
  trainerBookingCommand,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';

type Slot = { start_time: string; end_time: string };
type Days = { days: { date: string; slots: Slot[] }[] };
type Occurrence = { date: string; start_time: string | null; booking: number | null; conflict: string | null };

let ip = 0;
const freshIp = () => `203.0.113.${(ip++ % 250) + 1}`;

/** A trainer open 08:00–18:00 UTC (unless told), hourly slots, an hour's notice. */
async function openTrainer(settings: Record<string, unknown> = {}, open: [string, string] = ['08:00', '18:00']) {
  const t = await setupTrainer({
    open,
    settings: { min_notice_minutes: 60, slot_interval_minutes: 60, auto_confirm: false, ...settings },
  });
  return { ...t, id: t.user.trainer.id, slug: t.user.trainer.slug };
}
type Trainer = Awaited<ReturnType<typeof openTrainer>>;

/** The state a sync leaves: a connection and its busy rows (UTC, half-open, each at most 24 h). */
async function busy(trainerId: number, ...blocks: [string, string][]) {
  const conn = await env.DB.prepare(
    `INSERT INTO calendar_connections (trainer_id, name, url_ciphertext, url_hint, url_hash)
     VALUES (?, 'Personal', 'sealed', 'calendar.example …abc123', ?) RETURNING id`,
  )
    .bind(trainerId, uniqueEmail('hash'))
    .first<number>('id');
  for (const [start, end] of blocks) {
    await env.DB.prepare(
      'INSERT INTO calendar_busy (trainer_id, connection_id, start_time, end_time) VALUES (?, ?, ?, ?)',
    )
      .bind(trainerId, conn, start, end)
      .run();
  }
}

const rowsAt = async (trainerId: number, start: string) =>
  (await env.DB.prepare(
    "SELECT count(*) AS n FROM bookings WHERE trainer_id = ? AND start_time = ? AND status IN ('pending', 'confirmed')",
  )
    .bind(trainerId, start)
    .first<number>('n')) ?? -1;

const trainerSlots = async (t: Trainer, date: string, service?: number, headers: Record<string, string> = {}) => {
  const q = `from=${date}&to=${date}${service ? `&service=${service}` : ''}`;
  const res = await api<Days>('GET', `/api/availability-slots/available/?${q}`, { token: t.token, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.days[0]?.slots.map((s) => s.start_time) ?? [];
};
const publicSlots = async (t: Trainer, date: string, service?: number) => {
  const q = `from=${date}&to=${date}${service ? `&service=${service}` : ''}`;
  const res = await api<Days>('GET', `/api/public/trainers/${t.slug}/availability/?${q}`, {
    headers: { 'CF-Connecting-IP': freshIp() },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.days[0]?.slots.map((s) => s.start_time) ?? [];
};

const publicBook = (t: Trainer, start: string) =>
  api<ProblemBody & { manage_url: string }>('POST', `/api/public/trainers/${t.slug}/bookings/`, {
    body: { start_time: start, first_name: 'Vera', last_name: 'Visitor', email: uniqueEmail('visitor') },
    headers: { 'CF-Connecting-IP': freshIp() },
  });

async function clientUser() {
  const email = uniqueEmail('member');
  const res = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
    body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true, first_name: 'Mia', last_name: 'M' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await verifyEmailOf(res.body.user.id, email);
  return { token: res.body.token };
}

/** A 409 calendar_busy that tells a client nothing about the trainer's calendar. */
const expectClientRefusal = (res: { status: number; body: ProblemBody }) => {
  expect(res.status, JSON.stringify(res.body)).toBe(409);
  expect(res.body.code).toBe('calendar_busy');
  expect(res.body.detail).toMatch(/no longer available/);
  expect(res.body.detail).not.toMatch(/calendar/i);
};

describe('free slots leave out calendar busy time', () => {
  it('a buffered service loses every slot whose occupied span touches the block (trainer and public); another trainer’s block changes nothing', async () => {
    const t = await openTrainer();
    const other = await openTrainer();
    const svc = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Assessment', duration_minutes: 60, buffer_before_minutes: 30, buffer_after_minutes: 15 },
    });
    expect(svc.status, JSON.stringify(svc.body)).toBe(201);
    const date = futureDay(10).date;
    // Tenant isolation: the other trainer is busy all that day.
    await busy(other.id, [at(date, '00:00'), at(futureDay(11).date, '00:00')]);
    const before = {
      trainerDefault: await trainerSlots(t, date),
      trainerBuffered: await trainerSlots(t, date, svc.body.id),
      publicDefault: await publicSlots(t, date),
      publicBuffered: await publicSlots(t, date, svc.body.id),
    };
    expect(before.trainerDefault).toHaveLength(10);
    expect(before.trainerBuffered).toEqual(before.trainerDefault);
    expect(before.publicBuffered).toEqual(before.trainerBuffered);

    await busy(t.id, [at(date, '12:00'), at(date, '13:00')]);
    const without = (list: string[], ...times: string[]) =>
      list.filter((s) => !times.map((x) => at(date, x)).includes(s));
    // The default service (no buffers): only 12:00; 11:00 ends and 13:00 starts where the block does.
    expect(await trainerSlots(t, date)).toEqual(without(before.trainerDefault, '12:00'));
    expect(await publicSlots(t, date)).toEqual(without(before.publicDefault, '12:00'));
    // 30 minutes before and 15 after: 11:00 ([10:30, 12:15)) and 13:00 ([12:30, 14:15)) touch it too.
    expect(await trainerSlots(t, date, svc.body.id)).toEqual(
      without(before.trainerBuffered, '11:00', '12:00', '13:00'),
    );
    expect(await publicSlots(t, date, svc.body.id)).toEqual(without(before.publicBuffered, '11:00', '12:00', '13:00'));
    // The other trainer's own slots are gone that day; theirs never leaked into ours.
    expect(await trainerSlots(other, date)).toEqual([]);
  });

  it('a block across the DST change of the trainer’s zone, stored as two pieces, blocks exactly its instants', async () => {
    const t = await openTrainer({ timezone: 'Europe/Berlin', min_notice_minutes: 0, booking_horizon_days: 365 }, [
      '00:00',
      '24:00',
    ]);
    const { date, spring } = nextBerlinChange();
    const X = Date.parse(`${date}T01:00:00.000Z`); // the instant the clocks change in Berlin
    const iso = (ms: number) => new Date(ms).toISOString();
    const dayBefore = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const before = [await trainerSlots(t, dayBefore), await trainerSlots(t, date)];
    expect(before[0]).toHaveLength(24);
    expect(before[1]).toHaveLength(spring ? 23 : 25);
    // From 19.5 hours before the change to 1.5 hours after: a 20-hour piece and a 2-hour one.
    const [from, cut, to] = [X - 19.5 * 3_600_000, X - 0.5 * 3_600_000, X + 1.5 * 3_600_000];
    await busy(t.id, [iso(from), iso(cut)], [iso(cut), iso(to)]);
    const free = (s: string) => !(Date.parse(s) < to && Date.parse(s) + 3_600_000 > from);
    const after = [await trainerSlots(t, dayBefore), await trainerSlots(t, date)];
    expect(after[0]).toEqual(before[0]?.filter(free));
    expect(after[1]).toEqual(before[1]?.filter(free));
    // Every hour from 05:30 UTC the day before to 02:30 UTC on the day is gone, whatever its wall time.
    expect(before.flat().length - after.flat().length).toBe(22);
    expect(after[1]).toContain(iso(X + 2 * 3_600_000));
    // The object's read finds a piece that began 19.5 hours before the booking (the scan bound is a day).
    const refused = await book(t.token, { client: t.client.id, start_time: iso(X - 3_600_000) });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.code).toBe('calendar_busy');
    expect(refused.body.detail).toMatch(/busy in your calendar/);
    const next = await book(t.token, { client: t.client.id, start_time: iso(X + 2 * 3_600_000) });
    expect(next.status, JSON.stringify(next.body)).toBe(201);
  });
});

/** The next local date (at least two days ahead) on which Berlin's clocks change, at 01:00 UTC: the last Sunday of March or October. */
function nextBerlinChange(): { date: string; spring: boolean } {
  const lastSunday = (year: number, month: number) => {
    const d = new Date(Date.UTC(year, month + 1, 0));
    d.setUTCDate(d.getUTCDate() - d.getUTCDay());
    return d.toISOString().slice(0, 10);
  };
  const soonest = futureDay(2).date;
  const year = Number(soonest.slice(0, 4));
  const changes = [year, year + 1].flatMap((y) => [
    { date: lastSunday(y, 2), spring: true },
    { date: lastSunday(y, 9), spring: false },
  ]);
  return changes.find((c) => c.date >= soonest) as { date: string; spring: boolean };
}

describe('booking over calendar busy time', () => {
  it('trainer, public and client-account creates answer 409 calendar_busy and write nothing; allow_outside_availability books over it, never over a booking', async () => {
    const t = await openTrainer();
    const me = await clientUser();
    const date = futureDay(9).date;
    const start = at(date, '10:00');
    await busy(t.id, [at(date, '10:30'), at(date, '11:00')]);

    const byTrainer = await book(t.token, { client: t.client.id, start_time: start });
    expect(byTrainer.status, JSON.stringify(byTrainer.body)).toBe(409);
    expect(byTrainer.body.code).toBe('calendar_busy');
    expect(byTrainer.body.detail).toMatch(/busy in your calendar/);
    expectClientRefusal(await publicBook(t, start));
    expectClientRefusal(
      await api<ProblemBody>('POST', '/api/client/bookings/', {
        token: me.token,
        body: { trainer: t.id, start_time: start },
      }),
    );
    expect(await rowsAt(t.id, start)).toBe(0);

    const over = await book(t.token, { client: t.client.id, start_time: start, allow_outside_availability: true });
    expect(over.status, JSON.stringify(over.body)).toBe(201);
    const twice = await book(t.token, { client: t.client.id, start_time: start, allow_outside_availability: true });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('booking_overlap');
    expect(await rowsAt(t.id, start)).toBe(1);
  });

  it('a slot that became busy after the availability read: 409 calendar_busy, no row', async () => {
    const t = await openTrainer();
    const date = futureDay(8).date;
    const start = at(date, '14:00');
    expect(await publicSlots(t, date)).toContain(start);
    await busy(t.id, [at(date, '14:00'), at(date, '15:00')]);
    expectClientRefusal(await publicBook(t, start));
    expect(await rowsAt(t.id, start)).toBe(0);
  });

  it('a block that lands between the object’s read and its write: the guarded insert refuses it, 409 calendar_busy, no row', async () => {
    const t = await openTrainer();
    const date = futureDay(12).date;
    const start = at(date, '15:00');
    const racing = changingAfterRead(async (n) => {
      if (n === 0) await busy(t.id, [at(date, '15:45'), at(date, '16:30')]);
    });
    await expect(
      scheduleBooking(
        getDb(racing.db),
        trainerBookingCommand(t.id, t.client.id, start, { source: 'public', enforceBookingWindow: true }),
        Date.now(),
      ),
    ).rejects.toMatchObject({ status: 409, extra: { code: 'calendar_busy' } });
    expect(racing.reads()).toBe(1);
    expect(await rowsAt(t.id, start)).toBe(0);
    // With allow_outside_availability the guard lets the trainer's booking in.
    const other = at(date, '16:00');
    const overRacing = changingAfterRead(async (n) => {
      if (n === 0) await busy(t.id, [at(date, '16:15'), at(date, '16:45')]);
    });
    const outcome = await scheduleBooking(
      getDb(overRacing.db),
      trainerBookingCommand(t.id, t.client.id, other, { allowOutsideAvailability: true }),
      Date.now(),
    );
    expect(outcome.ok).toBe(true);
    expect(await rowsAt(t.id, other)).toBe(1);
  });

  it('20 parallel public requests for a slot just after a busy row lands: all 409 calendar_busy, zero rows', async () => {
    const t = await openTrainer();
    const date = futureDay(11).date;
    const start = at(date, '09:00');
    expect(await publicSlots(t, date)).toContain(start);
    await busy(t.id, [at(date, '09:00'), at(date, '09:30')]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => publicBook(t, start)));
    expect(answers.map((a) => `${a.status} ${a.body.code}`)).toEqual(Array(20).fill('409 calendar_busy'));
    expect(await rowsAt(t.id, start)).toBe(0);
  });
});

describe('moving a booking onto calendar busy time', () => {
  it('trainer, manage link and client account moves answer 409 calendar_busy; the trainer moves over it with allow_outside_availability', async () => {
    const t = await openTrainer({ allow_client_reschedule: true, reschedule_cutoff_hours: 1 });
    const date = futureDay(13).date;
    const target = at(date, '16:00');
    await busy(t.id, [at(date, '16:00'), at(date, '17:00')]);

    const mine = await book(t.token, { client: t.client.id, start_time: at(date, '09:00') });
    expect(mine.status).toBe(201);
    const moved = await api<BookingBody & ProblemBody>('PATCH', `/api/bookings/${mine.body.id}/`, {
      token: t.token,
      body: { start_time: target },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(409);
    expect(moved.body.code).toBe('calendar_busy');
    expect(moved.body.detail).toMatch(/busy in your calendar/);

    const visitor = await publicBook(t, at(date, '11:00'));
    expect(visitor.status, JSON.stringify(visitor.body)).toBe(201);
    const token = visitor.body.manage_url.split('/').pop() as string;
    expectClientRefusal(
      await api<ProblemBody>('POST', `/api/public/bookings/${token}/reschedule/`, { body: { start_time: target } }),
    );

    const me = await clientUser();
    const own = await api<BookingBody>('POST', '/api/client/bookings/', {
      token: me.token,
      body: { trainer: t.id, start_time: at(date, '13:00') },
    });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expectClientRefusal(
      await api<ProblemBody>('POST', `/api/client/bookings/${own.body.id}/reschedule/`, {
        token: me.token,
        body: { start_time: target },
      }),
    );
    expect(await rowsAt(t.id, target)).toBe(0);

    const over = await api<BookingBody>('PATCH', `/api/bookings/${mine.body.id}/`, {
      token: t.token,
      body: { start_time: target, allow_outside_availability: true },
    });
    expect(over.status, JSON.stringify(over.body)).toBe(200);
    expect(over.body.start_time).toBe(target);
  });

  it('a block that lands between the read and the move: 409 calendar_busy, the booking keeps its time', async () => {
    const t = await openTrainer();
    const date = futureDay(14).date;
    const booked = await book(t.token, { client: t.client.id, start_time: at(date, '09:00') });
    const racing = changingAfterRead(async (n) => {
      if (n === 0) await busy(t.id, [at(date, '15:30'), at(date, '16:00')]);
    });
    const command = {
      trainerId: t.id,
      bookingId: booked.body.id,
      startTime: at(date, '15:00'),
      endTime: null,
      allowOutsideAvailability: false,
    };
    await expect(rescheduleBooking(getDb(racing.db), command, Date.now())).rejects.toMatchObject({
      status: 409,
      extra: { code: 'calendar_busy' },
    });
    expect(await rowsAt(t.id, at(date, '09:00'))).toBe(1);
    expect(await rowsAt(t.id, at(date, '15:00'))).toBe(0);
  });
});

describe('series and classes over calendar busy time', () => {
  it('a series reports its busy occurrence as calendar_busy and books the rest; allow_outside_availability books all', async () => {
    const t = await openTrainer();
    const first = futureDay(7).date;
    const second = futureDay(14).date;
    await busy(t.id, [at(second, '08:30'), at(second, '09:15')]);
    const res = await api<{ occurrences: Occurrence[] } & ProblemBody>('POST', '/api/booking-series/', {
      token: t.token,
      body: { client: t.client.id, start_time: at(first, '09:00'), repeat: { count: 3 } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.occurrences.map((o) => o.conflict)).toEqual([null, 'calendar_busy', null]);
    expect(await rowsAt(t.id, at(second, '09:00'))).toBe(0);

    const over = await api<{ occurrences: Occurrence[] } & ProblemBody>('POST', '/api/booking-series/', {
      token: t.token,
      body: {
        client: t.client.id,
        start_time: at(first, '09:00'),
        repeat: { count: 3 },
        allow_outside_availability: true,
      },
    });
    expect(over.status, JSON.stringify(over.body)).toBe(201);
    // The first and third are taken by the first series (a booking is never overlapped).
    expect(over.body.occurrences.map((o) => o.conflict)).toEqual(['booking_overlap', null, 'booking_overlap']);
    expect(await rowsAt(t.id, at(second, '09:00'))).toBe(1);
  });

  it('a class over a busy block is refused like its other conflicts; allow_outside_availability schedules it', async () => {
    const t = await openTrainer();
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Group HIIT', duration_minutes: 60, capacity: 6 },
    });
    expect(service.status).toBe(201);
    const date = futureDay(6).date;
    const later = futureDay(13).date;
    await busy(t.id, [at(date, '17:00'), at(date, '17:30')], [at(later, '16:45'), at(later, '17:15')]);
    const classes = (body: Record<string, unknown>) =>
      api<{ occurrences: { class_session: number | null; conflict: string | null }[] } & ProblemBody>(
        'POST',
        '/api/class-sessions/',
        { token: t.token, body: { service: service.body.id, ...body } },
      );
    const one = await classes({ start_time: at(date, '17:00') });
    expect(one.status, JSON.stringify(one.body)).toBe(409);
    expect(one.body.code).toBe('calendar_busy');
    expect(one.body.detail).toMatch(/busy in your calendar/);
    const weekly = await classes({
      start_time: at(date, '16:00'),
      repeat: { count: 2, weekdays: [futureDay(6).weekday] },
    });
    expect(weekly.status, JSON.stringify(weekly.body)).toBe(409);
    expect(weekly.body.code).toBe('repeat_conflicts');
    expect(weekly.body.errors?.repeat).toEqual([`${later}: calendar_busy`]);
    const count = async () =>
      (await env.DB.prepare('SELECT count(*) AS n FROM class_sessions WHERE trainer_id = ?')
        .bind(t.id)
        .first<number>('n')) ?? -1;
    expect(await count()).toBe(0);
    const over = await classes({ start_time: at(date, '17:00'), allow_outside_availability: true });
    expect(over.status, JSON.stringify(over.body)).toBe(201);
    expect(await count()).toBe(1);
  });

  it('blocks that land between the read and the write: the series guard reports calendar_busy, the class insert refuses', async () => {
    const t = await openTrainer();
    const [first, second] = [futureDay(8).date, futureDay(15).date];
    const racing = changingAfterRead(async (n) => {
      if (n === 0)
        await busy(t.id, [at(second, '10:30'), at(second, '11:30')], [at(first, '15:00'), at(first, '15:10')]);
    });
    const outcome = await scheduleSeries(
      getDb(racing.db),
      {
        trainerId: t.id,
        clientId: t.client.id,
        serviceId: null,
        clientPackageId: null,
        notes: '',
        mode: 'skip_conflicts',
        rule: {
          weekdays: [futureDay(8).weekday],
          intervalWeeks: 1,
          count: 2,
          until: null,
          firstStart: at(first, '10:00'),
          localTime: '10:00:00',
          timezone: 'UTC',
        },
        occurrences: [
          { date: first, start: at(first, '10:00') },
          { date: second, start: at(second, '10:00') },
        ],
        links: [],
      },
      Date.now(),
    );
    expect(outcome).toMatchObject({ ok: true, occurrences: [{ conflict: null }, { conflict: 'calendar_busy' }] });
    expect(await rowsAt(t.id, at(second, '10:00'))).toBe(0);

    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Circuit', duration_minutes: 60, capacity: 4 },
    });
    const classRace = changingAfterRead(async (n) => {
      if (n === 0) await busy(t.id, [at(first, '16:30'), at(first, '16:40')]);
    });
    const command = {
      trainerId: t.id,
      serviceId: service.body.id,
      startTime: at(first, '16:00'),
      repeat: null,
      skipConflicts: false,
      allowOutsideAvailability: false,
      session: null,
    };
    await expect(scheduleClasses(getDb(classRace.db), command, Date.now())).rejects.toMatchObject({
      status: 409,
      extra: { code: 'calendar_busy' },
    });
    const classes = await env.DB.prepare('SELECT count(*) AS n FROM class_sessions WHERE trainer_id = ?')
      .bind(t.id)
      .first<number>('n');
    expect(classes).toBe(0);
  });
});
