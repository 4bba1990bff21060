// Issue 19, the read side of group classes: the availability lists class sessions with their
// places left and whether the waitlist is open, and the bookings statistics give per-class
// attendance. Class sessions and their places are written with SQL here: creating them through
// the API is another change.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, futureDay, PASSWORD, registerTrainer, roundTripsOf, uniqueEmail } from './helpers';

const HOUR = 3_600_000;
/** Every availability question is asked as of this instant (X-Test-Now). */
const NOW = '2027-03-01T06:00:00.000Z';

type ClassOffer = {
  class_session: number;
  service: number;
  name: string;
  start_time: string;
  end_time: string;
  capacity: number;
  spots_left: number;
  waitlist_open: boolean;
};
type Day = { date: string; slots: { start_time: string }[]; classes: ClassOffer[] };
type Availability = { service: number; days: Day[] };

/** An API call as of NOW (X-Test-Now), unless told another instant: tokens are issued and checked at that time. */
const call = <T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; now?: string } = {},
) => api<T>(method, path, { token: opts.token, body: opts.body, headers: { 'X-Test-Now': opts.now ?? NOW } });

/** A trainer in `timezone`, open 06:00–22:00 every day, no minimum notice; registered as of NOW. */
async function classTrainer(timezone = 'UTC') {
  const reg = await call<{ token: string; user: { trainer: { id: number; slug: string } } }>(
    'POST',
    '/api/users/register/',
    { body: { email: uniqueEmail('classes'), password: PASSWORD, password_confirm: PASSWORD, timezone } },
  );
  expect(reg.status).toBe(201);
  const token = reg.body.token;
  const profile = await call('PATCH', '/api/users/profile/', { token, body: { min_notice_minutes: 0 } });
  expect(profile.status).toBe(200);
  for (let day = 0; day < 7; day++) {
    const res = await call('POST', '/api/availability-slots/', {
      token,
      body: { day_of_week: day, start_time: '06:00', end_time: '22:00' },
    });
    expect(res.status).toBe(201);
  }
  return { token, id: reg.body.user.trainer.id, slug: reg.body.user.trainer.slug };
}

/** A class service (capacity set with SQL, as the services API does not take it here). */
async function classService(token: string, name: string, body: Record<string, unknown> = {}) {
  const res = await call<{ id: number }>('POST', '/api/services/', {
    token,
    body: { name, duration_minutes: 60, ...body },
  });
  expect(res.status).toBe(201);
  await env.DB.prepare('UPDATE services SET capacity = 12 WHERE id = ?').bind(res.body.id).run();
  return res.body.id;
}

async function classSession(
  trainerId: number,
  serviceId: number,
  start: string,
  capacity: number,
  status = 'scheduled',
): Promise<number> {
  const end = new Date(Date.parse(start) + HOUR).toISOString();
  const row = await env.DB.prepare(
    `INSERT INTO class_sessions (trainer_id, service_id, start_time, end_time, occupied_start, occupied_end, capacity, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(trainerId, serviceId, start, end, start, end, capacity, status)
    .first<{ id: number }>();
  return row?.id ?? 0;
}

/** One place per status, each for a new client: a booking pointing at the class, holding its times. */
async function places(trainerId: number, classId: number, statuses: string[]) {
  const cls = await env.DB.prepare('SELECT service_id, start_time, end_time FROM class_sessions WHERE id = ?')
    .bind(classId)
    .first<{ service_id: number; start_time: string; end_time: string }>();
  if (!cls) throw new Error('no such class session');
  for (const status of statuses) {
    const client = await env.DB.prepare(
      `INSERT INTO clients (trainer_id, email, first_name, last_name) VALUES (?, ?, 'Pat', 'Place') RETURNING id`,
    )
      .bind(trainerId, uniqueEmail('place'))
      .first<{ id: number }>();
    await env.DB.prepare(
      `INSERT INTO bookings (trainer_id, client_id, service_id, class_session_id, start_time, end_time,
         occupied_start, occupied_end, status, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'public')`,
    )
      .bind(
        trainerId,
        client?.id,
        cls.service_id,
        classId,
        cls.start_time,
        cls.end_time,
        cls.start_time,
        cls.end_time,
        status,
      )
      .run();
  }
}

const publicDays = async (slug: string, query: string, now = NOW) => {
  const res = await call<Availability>('GET', `/api/public/trainers/${slug}/availability/?${query}`, { now });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

const classesOn = (body: Availability, date: string) => body.days.find((d) => d.date === date)?.classes ?? [];

describe('public availability: class sessions', () => {
  it('lists each class with its places left (only pending and confirmed places count), ordered by start', async () => {
    const t = await classTrainer();
    const bootcamp = await classService(t.token, 'Bootcamp');
    const yoga = await classService(t.token, 'Yoga');
    const evening = await classSession(t.id, bootcamp, '2027-03-02T18:00:00.000Z', 8);
    const morning = await classSession(t.id, yoga, '2027-03-02T07:00:00.000Z', 4);
    await places(t.id, evening, ['pending', 'confirmed', 'confirmed', 'waitlisted', 'cancelled', 'no_show']);

    const body = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-03');
    expect(body.days.map((d) => d.date)).toEqual(['2027-03-02', '2027-03-03']);
    expect(classesOn(body, '2027-03-02')).toEqual([
      {
        class_session: morning,
        service: yoga,
        name: 'Yoga',
        start_time: '2027-03-02T07:00:00.000Z',
        end_time: '2027-03-02T08:00:00.000Z',
        capacity: 4,
        spots_left: 4,
        waitlist_open: false,
      },
      {
        class_session: evening,
        service: bootcamp,
        name: 'Bootcamp',
        start_time: '2027-03-02T18:00:00.000Z',
        end_time: '2027-03-02T19:00:00.000Z',
        capacity: 8,
        spots_left: 5, // 8 − (1 pending + 2 confirmed); waitlisted, cancelled and no-show places hold none
        waitlist_open: false,
      },
    ]);
    expect(classesOn(body, '2027-03-03')).toEqual([]);
    // The private slots are still the default service's.
    expect(body.days[0]?.slots.length).toBeGreaterThan(0);

    // The trainer's own range and single-day answers list them too.
    const own = await call<Availability>('GET', '/api/availability-slots/available/?from=2027-03-02&to=2027-03-03', {
      token: t.token,
    });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.days).toEqual(body.days);
    const single = await call<Day>('GET', '/api/availability-slots/available/?date=2027-03-02', { token: t.token });
    expect(single.body.classes.map((c) => c.class_session)).toEqual([morning, evening]);
  });

  it('a full class: spots_left 0, never below, and waitlist_open until the cut-off before its start', async () => {
    const t = await classTrainer();
    await env.DB.prepare('UPDATE trainers SET waitlist_cutoff_hours = 3 WHERE id = ?').bind(t.id).run();
    const bootcamp = await classService(t.token, 'Bootcamp');
    const start = '2027-03-02T18:00:00.000Z';
    const full = await classSession(t.id, bootcamp, start, 2);
    // Three held places in two seats (a trainer may overbook): spots_left stays 0.
    await places(t.id, full, ['confirmed', 'confirmed', 'pending', 'waitlisted']);
    const open = await classSession(t.id, bootcamp, '2027-03-02T19:00:00.000Z', 2);
    await places(t.id, open, ['confirmed']);

    const cutoff = Date.parse(start) - 3 * HOUR;
    const before = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-02', new Date(cutoff - 1).toISOString());
    expect(classesOn(before, '2027-03-02').map((c) => [c.class_session, c.spots_left, c.waitlist_open])).toEqual([
      [full, 0, true],
      [open, 1, false], // not full: no waitlist, places left
    ]);
    const at = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-02', new Date(cutoff).toISOString());
    expect(classesOn(at, '2027-03-02').map((c) => [c.class_session, c.spots_left, c.waitlist_open])).toEqual([
      [full, 0, false],
      [open, 1, false],
    ]);
  });

  it("lists neither private nor archived services' classes, cancelled sessions, nor another trainer's", async () => {
    const t = await classTrainer();
    const other = await classTrainer();
    const listed = await classService(t.token, 'Bootcamp');
    const hidden = await classService(t.token, 'Team training', { is_public: false });
    const archived = await classService(t.token, 'Old class');
    const shown = await classSession(t.id, listed, '2027-03-02T09:00:00.000Z', 6);
    const privateOne = await classSession(t.id, hidden, '2027-03-02T10:00:00.000Z', 6);
    const archivedOne = await classSession(t.id, archived, '2027-03-02T11:00:00.000Z', 6);
    await classSession(t.id, listed, '2027-03-02T12:00:00.000Z', 6, 'cancelled');
    await classSession(other.id, await classService(other.token, 'Elsewhere'), '2027-03-02T13:00:00.000Z', 6);
    const off = await call('PATCH', `/api/services/${archived}/`, { token: t.token, body: { is_active: false } });
    expect(off.status).toBe(200);

    const body = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-02');
    expect(classesOn(body, '2027-03-02').map((c) => c.class_session)).toEqual([shown]);
    // The trainer sees their private and archived services' classes, never a cancelled one or another trainer's.
    const own = await call<Day>('GET', '/api/availability-slots/available/?date=2027-03-02', { token: t.token });
    expect(own.body.classes.map((c) => c.class_session)).toEqual([shown, privateOne, archivedOne]);
    const theirs = await publicDays(other.slug, 'from=2027-03-02&to=2027-03-02');
    expect(classesOn(theirs, '2027-03-02').map((c) => c.name)).toEqual(['Elsewhere']);
  });

  it("a class belongs to the local date it starts on in the trainer's zone; notice and horizon apply", async () => {
    const t = await classTrainer('America/Los_Angeles');
    const bootcamp = await classService(t.token, 'Bootcamp');
    // 2027-03-03 05:30 UTC is 21:30 on the 2nd in Los Angeles (PST); 09:00 UTC is 01:00 on the 3rd.
    const late = await classSession(t.id, bootcamp, '2027-03-03T05:30:00.000Z', 6);
    const early = await classSession(t.id, bootcamp, '2027-03-03T09:00:00.000Z', 6);
    // 2027-03-01 07:00 UTC is the last day of February there: outside the range asked.
    await classSession(t.id, bootcamp, '2027-03-01T07:00:00.000Z', 6);

    const body = await publicDays(t.slug, 'from=2027-03-01&to=2027-03-03');
    expect(body.days.map((d) => [d.date, d.classes.map((c) => c.class_session)])).toEqual([
      ['2027-03-01', []],
      ['2027-03-02', [late]],
      ['2027-03-03', [early]],
    ]);
    const one = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-02');
    expect(one.days.map((d) => [d.date, d.classes.map((c) => c.class_session)])).toEqual([['2027-03-02', [late]]]);

    // Inside the minimum notice: not listed, as no slot is offered there.
    await call('PATCH', '/api/users/profile/', { token: t.token, body: { min_notice_minutes: 240 } });
    const soon = new Date(Date.parse('2027-03-03T05:30:00.000Z') - 3 * HOUR).toISOString();
    const notice = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-03', soon);
    expect(notice.days.flatMap((d) => d.classes.map((c) => c.class_session))).toEqual([early]);
    // Past the booking horizon (60 days from now): not listed.
    const far = new Date(Date.parse('2027-03-03T09:00:00.000Z') - 60 * 24 * HOUR - 1).toISOString();
    const horizon = await publicDays(t.slug, 'from=2027-03-02&to=2027-03-03', far);
    expect(horizon.days.flatMap((d) => d.classes.map((c) => c.class_session))).toEqual([late]);
  });

  it('?service= a class service: only its sessions and no private slots; a private service: every class', async () => {
    const t = await classTrainer();
    const bootcamp = await classService(t.token, 'Bootcamp');
    const yoga = await classService(t.token, 'Yoga');
    const checkIn = await call<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Check-in', duration_minutes: 30 },
    });
    const a = await classSession(t.id, bootcamp, '2027-03-02T09:00:00.000Z', 6);
    const b = await classSession(t.id, yoga, '2027-03-02T10:00:00.000Z', 6);

    const onlyBootcamp = await publicDays(t.slug, `from=2027-03-02&to=2027-03-02&service=${bootcamp}`);
    expect(onlyBootcamp.service).toBe(bootcamp);
    expect(onlyBootcamp.days[0]?.slots).toEqual([]);
    expect(classesOn(onlyBootcamp, '2027-03-02').map((c) => c.class_session)).toEqual([a]);
    const privateOne = await publicDays(t.slug, `from=2027-03-02&to=2027-03-02&service=${checkIn.body.id}`);
    expect(privateOne.days[0]?.slots.length).toBeGreaterThan(0);
    expect(classesOn(privateOne, '2027-03-02').map((c) => c.class_session)).toEqual([a, b]);
  });

  it('classes come in the same D1 statement as the schedule: no extra round trip', async () => {
    const t = await classTrainer();
    const bootcamp = await classService(t.token, 'Bootcamp');
    const day = futureDay(3).date;
    await classSession(t.id, bootcamp, `${day}T09:00:00.000Z`, 6);
    const listed = await api<Availability>('GET', `/api/availability-slots/available/?from=${day}&to=${day}`, {
      token: t.token,
    });
    expect(listed.body.days[0]?.classes.map((c) => c.name)).toEqual(['Bootcamp']);
    // The session check and the schedule read, in one batch.
    expect(await roundTripsOf(`/api/availability-slots/available/?from=${day}&to=${futureDay(4).date}`, t.token)).toBe(
      1,
    );
  });
});

type Attendance = {
  class_session: number;
  service: number;
  name: string;
  start_time: string;
  capacity: number;
  booked: number;
  attended: number;
  no_shows: number;
};
type Stats = { total: number; by_status: Record<string, number>; by_hour: number[]; classes: Attendance[] };

describe('bookings stats: per-class attendance', () => {
  it('booked, attended and no-shows per class in the local range, by start; waitlisted places count nowhere', async () => {
    const t = await classTrainer('Asia/Tokyo');
    const bootcamp = await classService(t.token, 'Bootcamp');
    const yoga = await classService(t.token, 'Yoga');
    // 2024-01-31 15:30 UTC is 00:30 on 1 February in Tokyo; 14:30 UTC is 23:30 on 31 January.
    const jan = await classSession(t.id, bootcamp, '2024-01-31T14:30:00.000Z', 10);
    const feb1 = await classSession(t.id, bootcamp, '2024-01-31T15:30:00.000Z', 10);
    const feb2 = await classSession(t.id, yoga, '2024-02-02T01:00:00.000Z', 5);
    const gone = await classSession(t.id, yoga, '2024-02-03T01:00:00.000Z', 5, 'cancelled');
    await places(t.id, jan, ['completed']);
    await places(t.id, feb1, ['completed', 'completed', 'no_show', 'confirmed', 'cancelled', 'waitlisted']);
    await places(t.id, gone, ['cancelled']);
    const other = await classTrainer();
    const elsewhere = await classSession(
      other.id,
      await classService(other.token, 'Theirs'),
      '2024-02-01T01:00:00Z',
      5,
    );
    await places(other.id, elsewhere, ['completed']);

    const res = await call<Stats>('GET', '/api/analytics/bookings-stats/?from=2024-02-01&to=2024-02-29', {
      token: t.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.classes).toEqual([
      {
        class_session: feb1,
        service: bootcamp,
        name: 'Bootcamp',
        start_time: '2024-01-31T15:30:00.000Z',
        capacity: 10,
        booked: 4, // two completed, a no-show, a confirmed; not the cancelled or the waitlisted place
        attended: 2,
        no_shows: 1,
      },
      {
        class_session: feb2,
        service: yoga,
        name: 'Yoga',
        start_time: '2024-02-02T01:00:00.000Z',
        capacity: 5,
        booked: 0,
        attended: 0,
        no_shows: 0,
      },
    ]);
    // The places are bookings: counted by status, the waitlisted one nowhere (not even in the total).
    expect(res.body.total).toBe(6); // feb1's five held or cancelled places, gone's cancelled one
    expect(res.body.by_status).toEqual({ pending: 0, confirmed: 1, completed: 2, cancelled: 2, no_show: 1 });
    expect(res.body.by_hour[0]).toBe(4); // 00:30 Tokyo: completed ×2, no-show, confirmed

    const all = await call<Stats>('GET', '/api/analytics/bookings-stats/', { token: t.token });
    expect(all.body.classes.map((c) => [c.class_session, c.booked, c.attended])).toEqual([
      [jan, 1, 1],
      [feb1, 4, 2],
      [feb2, 0, 0],
    ]);
    const none = await api<Stats>('GET', '/api/analytics/bookings-stats/', { token: (await registerTrainer()).token });
    expect(none.body.classes).toEqual([]);
  });
});

describe('the booking page', () => {
  it('offers private services in its picker, never a class service (classes show as sessions by the times)', async () => {
    const t = await classTrainer();
    const checkIn = await call<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Check-in', duration_minutes: 30 },
    });
    const bootcamp = await classService(t.token, 'Bootcamp');
    const page = await api<string>('GET', `/book/${t.slug}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`id="service-${checkIn.body.id}"`);
    expect(page.body).not.toContain(`id="service-${bootcamp}"`);
    // One private service and a class: no picker at all.
    const solo = await classTrainer();
    await classService(solo.token, 'Bootcamp');
    expect((await api<string>('GET', `/book/${solo.slug}`)).body).not.toContain('id="services"');
  });
});
