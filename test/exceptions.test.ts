// Schedule exceptions over HTTP: date overrides (CRUD, validation, one per date, tenant
// isolation), partial-day breaks, both honoured by the trainer's and the public availability
// and by the booking checks; and the schedule-version guard on the booking write.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  api,
  at,
  book,
  futureDay,
  PASSWORD,
  type ProblemBody,
  registerTrainer,
  setupTrainer,
  uniqueEmail,
  verifyEmailOf,
} from './helpers';

type Override = { id: number; date: string; windows: { start_time: string; end_time: string }[]; reason: string };
type Break = {
  id: number;
  start_date: string;
  end_date: string;
  start_time: string | null;
  end_time: string | null;
  reason: string;
};
type Page<T> = { count: number; next: string | null; results: T[] };
type DaySlots = { date: string; slots: { start_time: string; end_time: string }[] };

const OVERRIDES = '/api/availability-overrides/';
const BREAKS = '/api/trainer-breaks/';

const addOverride = (token: string, body: Record<string, unknown>) =>
  api<Override & ProblemBody>('POST', OVERRIDES, { token, body });
const addBreak = (token: string, body: Record<string, unknown>) =>
  api<Break & ProblemBody>('POST', BREAKS, { token, body });

/** Slot starts ("HH:MM", UTC) the trainer's own endpoint offers on a date. */
async function offered(token: string, date: string): Promise<string[]> {
  const res = await api<DaySlots>('GET', `/api/availability-slots/available/?date=${date}`, { token });
  expect(res.status).toBe(200);
  return res.body.slots.map((s) => s.start_time.slice(11, 16));
}

async function publicOffered(slug: string, date: string): Promise<string[]> {
  const res = await api<{ days: DaySlots[] }>(
    'GET',
    `/api/public/trainers/${slug}/availability/?from=${date}&to=${date}`,
  );
  expect(res.status).toBe(200);
  return res.body.days[0]?.slots.map((s) => s.start_time.slice(11, 16)) ?? [];
}

const scheduleVersion = async (trainerId: number) =>
  (await env.DB.prepare('SELECT schedule_version AS v FROM trainers WHERE id = ?')
    .bind(trainerId)
    .first<number>('v')) ?? -1;

/** A UTC trainer open 09:00–12:00 every day, one-hour sessions every hour. */
const morningTrainer = () =>
  setupTrainer({
    open: ['09:00', '12:00'],
    settings: { session_duration_minutes: 60, slot_interval_minutes: 60, min_notice_minutes: 0 },
  });

describe('availability overrides: CRUD', () => {
  it('creates (times normalised, windows sorted), lists by date with from/to, reads, patches, replaces and deletes', async () => {
    const t = await morningTrainer();
    const [d1, d2, d3] = [futureDay(20).date, futureDay(21).date, futureDay(22).date];
    const created = await addOverride(t.token, {
      date: d2,
      windows: [
        { start_time: '15:00', end_time: '24:00' },
        { start_time: '06:00:00', end_time: '08:30' },
      ],
      reason: 'Bootcamp',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: created.body.id,
      date: d2,
      windows: [
        { start_time: '06:00:00', end_time: '08:30:00' },
        { start_time: '15:00:00', end_time: '24:00:00' },
      ],
      reason: 'Bootcamp',
    });
    const closed = await addOverride(t.token, { date: d1, windows: [] });
    expect(closed.status).toBe(201);
    expect(closed.body).toMatchObject({ date: d1, windows: [], reason: '' });
    expect((await addOverride(t.token, { date: d3, windows: [] })).status).toBe(201);

    const all = await api<Page<Override>>('GET', OVERRIDES, { token: t.token });
    expect(all.body.count).toBe(3);
    expect(all.body.results.map((o) => o.date)).toEqual([d1, d2, d3]);
    const some = await api<Page<Override>>('GET', `${OVERRIDES}?from=${d2}&to=${d3}&page_size=1`, { token: t.token });
    expect(some.body.count).toBe(2);
    expect(some.body.results.map((o) => o.date)).toEqual([d2]);
    expect(some.body.next).toContain('page=2');
    const reversed = await api<ProblemBody>('GET', `${OVERRIDES}?from=${d3}&to=${d1}`, { token: t.token });
    expect(reversed.status).toBe(400);
    expect(Object.keys(reversed.body.errors ?? {})).toEqual(['to']);

    const id = created.body.id;
    expect((await api<Override>('GET', `${OVERRIDES}${id}/`, { token: t.token })).body).toEqual(created.body);
    const patched = await api<Override>('PATCH', `${OVERRIDES}${id}/`, {
      token: t.token,
      body: { windows: [{ start_time: '07:00', end_time: '09:00' }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ date: d2, windows: [{ start_time: '07:00:00', end_time: '09:00:00' }] });
    expect(patched.body.reason).toBe('Bootcamp');
    const put = await api<Override>('PUT', `${OVERRIDES}${id}/`, {
      token: t.token,
      body: { date: futureDay(23).date, windows: [] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ date: futureDay(23).date, windows: [] });
    expect((await api('DELETE', `${OVERRIDES}${id}/`, { token: t.token })).status).toBe(204);
    expect((await api('GET', `${OVERRIDES}${id}/`, { token: t.token })).status).toBe(404);
  });

  it('400 naming every bad field: date, each window time, windows.N that overlaps, too many windows', async () => {
    const t = await morningTrainer();
    const bad = await addOverride(t.token, {
      date: '2026-02-30',
      windows: [
        { start_time: '9am', end_time: '25:00' },
        { start_time: '10:00', end_time: '10:00' },
      ],
      reason: 'x'.repeat(501),
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(
      ['date', 'reason', 'windows.0.end_time', 'windows.0.start_time'].sort(),
    );
    const order = await addOverride(t.token, {
      date: futureDay(20).date,
      windows: [
        { start_time: '10:00', end_time: '12:00' },
        { start_time: '13:00', end_time: '12:30' },
        { start_time: '08:00', end_time: '09:00' },
        { start_time: '11:00', end_time: '11:30' },
        { start_time: '09:00', end_time: '10:00' },
      ],
    });
    expect(order.status).toBe(400);
    expect(order.body.errors).toEqual({
      'windows.1.end_time': ['End time must be after start time.'],
      'windows.3': ['This window overlaps window 0.'],
    });
    const many = await addOverride(t.token, {
      date: futureDay(20).date,
      windows: Array.from({ length: 13 }, (_, i) => ({ start_time: `${10 + i}:00`, end_time: `${10 + i}:30` })),
    });
    expect(many.status).toBe(400);
    expect(Object.keys(many.body.errors ?? {})).toEqual(['windows']);
    const missing = await addOverride(t.token, {});
    expect(Object.keys(missing.body.errors ?? {}).sort()).toEqual(['date', 'windows']);
    const created = await addOverride(t.token, { date: futureDay(20).date, windows: [] });
    const patchBad = await api<ProblemBody>('PATCH', `${OVERRIDES}${created.body.id}/`, {
      token: t.token,
      body: { date: 'soon', windows: [{ start_time: '10:00', end_time: '09:00' }] },
    });
    expect(patchBad.status).toBe(400);
    expect(Object.keys(patchBad.body.errors ?? {}).sort()).toEqual(['date', 'windows.0.end_time']);
    expect((await api<Override>('GET', `${OVERRIDES}${created.body.id}/`, { token: t.token })).body.windows).toEqual(
      [],
    );
  });

  it('one override per date: a second create (also in parallel) or a PATCH onto a taken date is 409 override_exists', async () => {
    const t = await morningTrainer();
    const date = futureDay(25).date;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        addOverride(t.token, { date, windows: [{ start_time: `0${i}:00`, end_time: `0${i}:30` }] }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(5);
    const winner = results.find((r) => r.status === 201)?.body.id;
    expect(refused.every((r) => r.body.code === 'override_exists' && r.body.detail.includes(`id ${winner}`))).toBe(
      true,
    );
    const other = await addOverride(t.token, { date: futureDay(26).date, windows: [] });
    const moved = await api<ProblemBody>('PATCH', `${OVERRIDES}${other.body.id}/`, { token: t.token, body: { date } });
    expect(moved.status).toBe(409);
    expect(moved.body.code).toBe('override_exists');
    const list = await api<Page<Override>>('GET', OVERRIDES, { token: t.token });
    expect(list.body.results.map((o) => o.date)).toEqual([date, futureDay(26).date]);
    // Another trainer's same date is theirs to have.
    const u = await morningTrainer();
    expect((await addOverride(u.token, { date, windows: [] })).status).toBe(201);
  });

  it("tenant isolation: another trainer's override is 404 on every route and absent from their list; clients and strangers are refused", async () => {
    const owner = await morningTrainer();
    const other = await morningTrainer();
    const mine = await addOverride(owner.token, { date: futureDay(20).date, windows: [] });
    const path = `${OVERRIDES}${mine.body.id}/`;
    const body = { date: futureDay(30).date, windows: [] };
    expect((await api('GET', path, { token: other.token })).status).toBe(404);
    expect((await api('PATCH', path, { token: other.token, body })).status).toBe(404);
    expect((await api('PUT', path, { token: other.token, body })).status).toBe(404);
    expect((await api('DELETE', path, { token: other.token })).status).toBe(404);
    expect((await api<Page<Override>>('GET', OVERRIDES, { token: other.token })).body.count).toBe(0);
    expect((await api<Override>('GET', path, { token: owner.token })).body.date).toBe(futureDay(20).date);
    expect((await api('GET', OVERRIDES)).status).toBe(401);
    const email = uniqueEmail('member');
    const client = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
      body: { email, password: PASSWORD, password_confirm: PASSWORD, is_client: true },
    });
    await verifyEmailOf(client.body.user.id, email);
    expect((await api('GET', OVERRIDES, { token: client.body.token })).status).toBe(403);
    expect((await addOverride(client.body.token, { date: futureDay(20).date, windows: [] })).status).toBe(403);
  });
});

describe('partial-day breaks', () => {
  it('take optional start_time/end_time (both or neither, end after start), shown in every answer', async () => {
    const t = await morningTrainer();
    const date = futureDay(20).date;
    const part = await addBreak(t.token, {
      start_date: date,
      end_date: date,
      start_time: '14:00',
      end_time: '16:00',
      reason: 'Dentist',
    });
    expect(part.status).toBe(201);
    expect(part.body).toEqual({
      id: part.body.id,
      start_date: date,
      end_date: date,
      start_time: '14:00:00',
      end_time: '16:00:00',
      reason: 'Dentist',
    });
    const whole = await addBreak(t.token, { start_date: date, end_date: date });
    expect(whole.body).toMatchObject({ start_time: null, end_time: null });
    const list = await api<Page<Break>>('GET', BREAKS, { token: t.token });
    expect(list.body.results.map((b) => [b.start_time, b.end_time])).toEqual([
      ['14:00:00', '16:00:00'],
      [null, null],
    ]);
    expect((await api<Break>('GET', `${BREAKS}${part.body.id}/`, { token: t.token })).body.end_time).toBe('16:00:00');

    const onlyStart = await addBreak(t.token, { start_date: date, end_date: date, start_time: '14:00' });
    expect(onlyStart.status).toBe(400);
    expect(Object.keys(onlyStart.body.errors ?? {})).toEqual(['end_time']);
    const onlyEnd = await addBreak(t.token, { start_date: date, end_date: date, end_time: '14:00' });
    expect(Object.keys(onlyEnd.body.errors ?? {})).toEqual(['start_time']);
    const backwards = await addBreak(t.token, {
      start_date: date,
      end_date: futureDay(19).date,
      start_time: '16:00',
      end_time: '14:00',
    });
    expect(Object.keys(backwards.body.errors ?? {}).sort()).toEqual(['end_date', 'end_time']);
    const badTimes = await addBreak(t.token, {
      start_date: date,
      end_date: date,
      start_time: '24:00',
      end_time: '7pm',
    });
    expect(Object.keys(badTimes.body.errors ?? {}).sort()).toEqual(['end_time', 'start_time']);

    // PATCH: half a pair against what is stored, then clearing both makes it whole-day again.
    const half = await api<ProblemBody>('PATCH', `${BREAKS}${whole.body.id}/`, {
      token: t.token,
      body: { start_time: '10:00' },
    });
    expect(half.status).toBe(400);
    expect(Object.keys(half.body.errors ?? {})).toEqual(['end_time']);
    const later = await api<Break>('PATCH', `${BREAKS}${part.body.id}/`, {
      token: t.token,
      body: { end_time: '17:00' },
    });
    expect(later.body).toMatchObject({ start_time: '14:00:00', end_time: '17:00:00' });
    const before = await api<ProblemBody>('PATCH', `${BREAKS}${part.body.id}/`, {
      token: t.token,
      body: { start_time: '18:00' },
    });
    expect(Object.keys(before.body.errors ?? {})).toEqual(['end_time']);
    const cleared = await api<Break>('PATCH', `${BREAKS}${part.body.id}/`, {
      token: t.token,
      body: { start_time: null, end_time: null },
    });
    expect(cleared.body).toMatchObject({ start_time: null, end_time: null, reason: 'Dentist' });
  });
});

describe('availability and bookings honour overrides and partial breaks', () => {
  it('trainer and public availability: an override opens a date, another closes one, a partial break removes its hours', async () => {
    const t = await morningTrainer();
    const slug = t.user.trainer.slug;
    const [open, closed, dentist, plain] = [24, 25, 26, 27].map((n) => futureDay(n).date) as [
      string,
      string,
      string,
      string,
    ];
    expect(await offered(t.token, open)).toEqual(['09:00', '10:00', '11:00']);
    await addOverride(t.token, { date: open, windows: [{ start_time: '14:00', end_time: '17:00' }] });
    await addOverride(t.token, { date: closed, windows: [] });
    await addBreak(t.token, { start_date: dentist, end_date: plain, start_time: '10:00', end_time: '11:00' });
    for (const see of [(d: string) => offered(t.token, d), (d: string) => publicOffered(slug, d)]) {
      expect(await see(open)).toEqual(['14:00', '15:00', '16:00']);
      expect(await see(closed)).toEqual([]);
      expect(await see(dentist)).toEqual(['09:00', '11:00']);
      expect(await see(plain)).toEqual(['09:00', '11:00']);
    }
    const range = await api<{ days: DaySlots[] }>(
      'GET',
      `/api/availability-slots/available/?from=${open}&to=${plain}`,
      { token: t.token },
    );
    expect(range.body.days.map((d) => d.slots.length)).toEqual([3, 0, 2, 2]);
  });

  it('an override in the trainer zone (New York): its date, not the UTC date, decides', async () => {
    const t = await setupTrainer({
      open: ['09:00', '12:00'],
      settings: { timezone: 'America/New_York', slot_interval_minutes: 60, session_duration_minutes: 60 },
    });
    const date = futureDay(40).date;
    await addOverride(t.token, { date, windows: [{ start_time: '21:00', end_time: '23:00' }] });
    const res = await api<DaySlots>('GET', `/api/availability-slots/available/?date=${date}`, { token: t.token });
    const local = res.body.slots.map((s) =>
      new Date(s.start_time).toLocaleTimeString('en-GB', {
        timeZone: 'America/New_York',
        hour: '2-digit',
        minute: '2-digit',
      }),
    );
    expect(local).toEqual(['21:00', '22:00']);
    // 21:00 in New York is the next UTC day; the booking check finds the override all the same.
    const first = res.body.slots[0]?.start_time ?? '';
    expect(first.slice(0, 10)).not.toBe(date);
    expect((await book(t.token, { client: t.client.id, start_time: first })).status).toBe(201);
    // 10:00 in New York on the overridden date: the weekly window would allow it, the override does not.
    const morning = await book(t.token, { client: t.client.id, start_time: at(date, '15:00') });
    expect(morning.body.code).toBe('outside_availability');
  });

  it('hours starting or ending in a spring-forward gap open and close at the jump, and the booking check agrees', async () => {
    // Berlin 2027-03-28 jumps from 02:00 to 03:00 (01:00Z); New York 2027-03-14 from 02:00 to 03:00 (07:00Z).
    const settings = { slot_interval_minutes: 30, min_notice_minutes: 0, booking_horizon_days: 365 };
    const berlin = await setupTrainer({
      open: ['09:00', '12:00'],
      settings: { ...settings, timezone: 'Europe/Berlin' },
    });
    await addOverride(berlin.token, { date: '2027-03-28', windows: [{ start_time: '02:30', end_time: '04:00' }] });
    const slotsOf = async (token: string, date: string, minutes: number) =>
      (
        await api<DaySlots>('GET', `/api/availability-slots/available/?date=${date}&duration=${minutes}`, { token })
      ).body.slots.map((s) => `${s.start_time.slice(11, 16)}–${s.end_time.slice(11, 16)}`);
    // 03:00–04:00 CEST is 01:00Z–02:00Z: the hour that exists of "02:30–04:00".
    expect(await slotsOf(berlin.token, '2027-03-28', 30)).toEqual(['01:00–01:30', '01:30–02:00']);
    expect(await slotsOf(berlin.token, '2027-03-28', 60)).toEqual(['01:00–02:00']);
    const atJump = await book(berlin.token, {
      client: berlin.client.id,
      start_time: '2027-03-28T01:00:00.000Z',
      end_time: '2027-03-28T01:30:00.000Z',
    });
    expect(atJump.status, JSON.stringify(atJump.body)).toBe(201);

    const ny = await setupTrainer({
      open: ['09:00', '12:00'],
      settings: { ...settings, timezone: 'America/New_York' },
    });
    await addOverride(ny.token, { date: '2027-03-14', windows: [{ start_time: '00:00', end_time: '02:30' }] });
    // 00:00 EST (05:00Z) until the jump at 03:00 EDT (07:00Z): no hour that runs on to 03:30 EDT.
    expect((await slotsOf(ny.token, '2027-03-14', 60)).at(-1)).toBe('06:00–07:00');
    const past = await book(ny.token, {
      client: ny.client.id,
      start_time: '2027-03-14T06:30:00.000Z',
      end_time: '2027-03-14T07:30:00.000Z',
    });
    expect(past.body.code).toBe('outside_availability');
  });

  it('booking checks: 409 trainer_break inside a partial break, outside_availability outside an override; allow_outside_availability passes the override but never the break', async () => {
    const t = await morningTrainer();
    const slug = t.user.trainer.slug;
    const [sunday, dentist] = [futureDay(30).date, futureDay(31).date];
    await addOverride(t.token, { date: sunday, windows: [{ start_time: '14:00', end_time: '17:00' }] });
    await addBreak(t.token, { start_date: dentist, end_date: dentist, start_time: '10:00', end_time: '11:00' });
    const code = async (start: string, extra: Record<string, unknown> = {}) =>
      (await book(t.token, { client: t.client.id, start_time: start, ...extra })).body.code;

    expect(await code(at(sunday, '10:00'))).toBe('outside_availability');
    expect(await code(at(sunday, '10:00'), { allow_outside_availability: true })).toBeUndefined();
    expect((await book(t.token, { client: t.client.id, start_time: at(sunday, '15:00') })).status).toBe(201);

    expect(await code(at(dentist, '10:00'))).toBe('trainer_break');
    expect(await code(at(dentist, '09:30'))).toBe('trainer_break'); // ends 10:30, inside the break
    expect(await code(at(dentist, '10:00'), { allow_outside_availability: true })).toBe('trainer_break');
    expect((await book(t.token, { client: t.client.id, start_time: at(dentist, '11:00') })).status).toBe(201);

    // The public form: the override's hours only, the partial break refused.
    const visitor = (start: string) =>
      api<ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
        body: { first_name: 'Vera', last_name: 'Visitor', email: uniqueEmail('v'), start_time: start },
        headers: { 'CF-Connecting-IP': '198.51.100.77' },
      });
    expect((await visitor(at(sunday, '16:00'))).status).toBe(201);
    expect((await visitor(at(sunday, '09:00'))).body.code).toBe('outside_availability');
    expect((await visitor(at(dentist, '10:00'))).body.code).toBe('trainer_break');

    // A move into the break is refused too.
    const moving = await book(t.token, { client: t.client.id, start_time: at(dentist, '09:00') });
    const moved = await api<ProblemBody>('PATCH', `/api/bookings/${moving.body.id}/`, {
      token: t.token,
      body: { start_time: at(dentist, '10:00') },
    });
    expect(moved.body.code).toBe('trainer_break');
  });
});

describe('the schedule version', () => {
  it('every write to windows, breaks and overrides raises it; reads and refused writes do not', async () => {
    const t = await registerTrainer();
    const id = t.user.trainer.id;
    const token = t.token;
    let v = await scheduleVersion(id);
    const raised = async (write: Promise<{ status: number }>, status: number) => {
      expect((await write).status).toBe(status);
      const now = await scheduleVersion(id);
      expect(now).toBe(v + 1);
      v = now;
    };
    const slot = await api<{ id: number }>('POST', '/api/availability-slots/', {
      token,
      body: { day_of_week: 0, start_time: '09:00', end_time: '12:00' },
    });
    expect(await scheduleVersion(id)).toBe(v + 1);
    v += 1;
    await raised(api('PATCH', `/api/availability-slots/${slot.body.id}/`, { token, body: { end_time: '13:00' } }), 200);
    await raised(api('DELETE', `/api/availability-slots/${slot.body.id}/`, { token }), 204);
    const brk = await addBreak(token, { start_date: futureDay(5).date, end_date: futureDay(5).date });
    expect(await scheduleVersion(id)).toBe(v + 1);
    v += 1;
    await raised(api('PATCH', `${BREAKS}${brk.body.id}/`, { token, body: { reason: 'Away' } }), 200);
    await raised(api('DELETE', `${BREAKS}${brk.body.id}/`, { token }), 204);
    const ov = await addOverride(token, { date: futureDay(5).date, windows: [] });
    expect(await scheduleVersion(id)).toBe(v + 1);
    v += 1;
    await raised(api('PATCH', `${OVERRIDES}${ov.body.id}/`, { token, body: { reason: 'Closed' } }), 200);
    await raised(api('DELETE', `${OVERRIDES}${ov.body.id}/`, { token }), 204);
    // Reads, refused writes and a taken date leave it alone.
    await api('GET', OVERRIDES, { token });
    await addOverride(token, { date: 'nope', windows: [] });
    await addOverride(token, { date: futureDay(6).date, windows: [] });
    v += 1;
    await addOverride(token, { date: futureDay(6).date, windows: [] });
    expect(await scheduleVersion(id)).toBe(v);
  });
});
