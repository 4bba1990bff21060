// Issue 19: standing sessions. A weekly series keeps its local wall-clock time across DST, is
// checked and written at once (skip_conflicts or all_or_nothing), never overdraws a pack, and is
// confirmed or cancelled with one message listing its dates.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { CreateSeriesCommand } from '../src/bookings/schedule-object';
import { type SeriesMode, scheduleSeries } from '../src/bookings/series-commands';
import { wallInstant } from '../src/lib/calendar';
import { getDb } from '../src/lib/db';
import { createBreak } from '../src/scheduling/service';
import { planSeries } from '../src/series/service';
import {
  api,
  at,
  type BookingBody,
  book,
  changingAfterRead,
  createClient,
  futureDay,
  type ProblemBody,
  packCredits,
  packOf,
  setupTrainer,
} from './helpers';
import { tick, viaSendGrid } from './mail';
import { until } from './until';

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;
type Occurrence = { date: string; start_time: string | null; booking: number | null; conflict: string | null };
type Series = {
  id: number;
  client: number;
  weekdays: number[];
  local_time: string;
  timezone: string;
  cancelled_at: string | null;
  bookings: (BookingBody & { series: number | null })[];
  occurrences: Occurrence[];
};
type Notification = {
  id: number;
  booking_id: number;
  kind: string;
  notification_type: string;
  status: string;
  message: string;
};

const SERIES = '/api/booking-series/';
const DAY = 86_400_000;

const createSeries = (t: Trainer, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api<Series & ProblemBody & { occurrences: Occurrence[] }>('POST', SERIES, {
    token: t.token,
    body: { client: t.client.id, ...body },
    headers,
  });

const iso = (ms: number) => new Date(ms).toISOString();

/** "HH:MM" of an instant in a zone. */
const wallClock = (instant: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(instant),
  );

const count = async (query: string, ...binds: unknown[]) =>
  (await env.DB.prepare(query)
    .bind(...binds)
    .first<number>('n')) ?? -1;

/** The outbox rows of every booking of a series. */
const seriesRows = async (seriesId: number) =>
  (
    await env.DB.prepare(
      'SELECT n.* FROM notifications n JOIN bookings b ON b.id = n.booking_id WHERE b.series_id = ? ORDER BY n.id',
    )
      .bind(seriesId)
      .all<Notification>()
  ).results;

/** A weekly series `count` long from `days` ahead at 09:00 UTC (a UTC trainer open all day). */
const weekly = (t: Trainer, days: number, n: number, extra: Record<string, unknown> = {}) =>
  createSeries(t, { start_time: at(futureDay(days).date, '09:00'), repeat: { count: n }, ...extra });

/** The first local date on or after `date` (YYYY-MM-DD) that falls on `weekday` (0 = Monday). */
function onOrAfter(date: string, weekday: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  while ((d.getUTCDay() + 6) % 7 !== weekday) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The next year whose `monthDay` (MM-DD) is more than a week ahead. */
function nextYearOf(monthDay: string): number {
  const year = new Date().getUTCFullYear();
  return Date.parse(`${year}-${monthDay}T00:00:00Z`) > Date.now() + 7 * DAY ? year : year + 1;
}

describe('a series keeps its local time across DST', () => {
  // The next October to April: it crosses the autumn and spring changes of all three zones.
  const october = onOrAfter(`${nextYearOf('10-01')}-10-01`, 0);

  for (const zone of ['America/New_York', 'Europe/London', 'Australia/Sydney']) {
    it(`weekly from October to April in ${zone}: 07:00 local on every booking`, async () => {
      const t = await setupTrainer({ settings: { timezone: zone } });
      const first = wallInstant(october, '07:00:00', zone) as number;
      const made = await createSeries(t, { start_time: iso(first), repeat: { count: 30 } });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      expect(made.body).toMatchObject({ local_time: '07:00:00', timezone: zone, weekdays: [0] });
      expect(made.body.occurrences).toHaveLength(30);
      expect(made.body.occurrences.every((o) => o.booking !== null && o.conflict === null)).toBe(true);
      expect(made.body.bookings).toHaveLength(30);
      expect(made.body.bookings.at(-1)?.start_time.slice(5, 7)).toBe('04');
      for (const b of made.body.bookings) {
        expect(wallClock(b.start_time, zone), b.start_time).toBe('07:00');
        expect(b).toMatchObject({ series: made.body.id, status: 'pending' });
      }
      // Two UTC times: the offset changed, the wall clock did not.
      expect(new Set(made.body.bookings.map((b) => b.start_time.slice(11, 16))).size).toBe(2);
    });
  }

  it('a wall time the clocks skip is a conflict (nonexistent_local_time), never moved', async () => {
    const zone = 'America/New_York';
    const t = await setupTrainer({ settings: { timezone: zone } });
    // New York springs forward on the second Sunday of March at 02:00: 02:30 does not exist that day.
    const year = nextYearOf('03-01');
    const firstSunday = onOrAfter(`${year}-03-01`, 6);
    const [gap, after] = [7, 14].map((d) => iso(Date.parse(firstSunday) + d * DAY).slice(0, 10));
    const first = wallInstant(firstSunday, '02:30:00', zone) as number;
    const made = await createSeries(t, { start_time: iso(first), repeat: { count: 3 } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.occurrences.map((o) => [o.date, o.conflict])).toEqual([
      [firstSunday, null],
      [gap, 'nonexistent_local_time'],
      [after, null],
    ]);
    expect(made.body.occurrences[1]).toMatchObject({ start_time: null, booking: null });
    expect(made.body.bookings.map((b) => wallClock(b.start_time, zone))).toEqual(['02:30', '02:30']);
  });
});

describe('a first start on a fall-back night', () => {
  // New York falls back on the first Sunday of November at 02:00: 01:30 shows twice that night.
  const zone = 'America/New_York';
  const sunday = onOrAfter(`${nextYearOf('11-01')}-11-01`, 6);
  const nextSunday = iso(Date.parse(sunday) + 7 * DAY).slice(0, 10);
  // 01:30 EST, the second showing: an hour after the first.
  const second = iso((wallInstant(sunday, '01:30:00', zone) as number) + 3_600_000);

  it('a series asked for the second showing books that instant first, then 01:30 on the later weeks', async () => {
    const t = await setupTrainer({ settings: { timezone: zone } });
    const made = await createSeries(t, { start_time: second, repeat: { count: 2 } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.bookings.map((b) => b.start_time)).toEqual([
      second,
      iso(wallInstant(nextSunday, '01:30:00', zone) as number),
    ]);
    expect(made.body.occurrences[0]?.start_time).toBe(second);
  });

  it('a class repeat asked for the second showing too, as a single class is', async () => {
    const t = await setupTrainer({ settings: { timezone: zone } });
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Night class', duration_minutes: 30, capacity: 4 },
    });
    const made = await api<{ occurrences: { start_time: string | null }[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: service.body.id, start_time: second, repeat: { weekdays: [6], count: 2 } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.occurrences.map((o) => o.start_time)).toEqual([
      second,
      iso(wallInstant(nextSunday, '01:30:00', zone) as number),
    ]);
  });
});

describe('conflicts', () => {
  it('skip_conflicts books what it can and names each conflict', async () => {
    const t = await setupTrainer();
    const dates = [7, 14, 21, 28, 35].map((d) => futureDay(d).date);
    const single = await book(t.token, { client: t.client.id, start_time: at(dates[1] as string, '09:30') });
    expect(single.status).toBe(201);
    expect(
      (
        await api('POST', '/api/trainer-breaks/', {
          token: t.token,
          body: { start_date: dates[2], end_date: dates[2] },
        })
      ).status,
    ).toBe(201);
    const closed = await api('POST', '/api/availability-overrides/', {
      token: t.token,
      body: { date: dates[3], windows: [] },
    });
    expect(closed.status).toBe(201);

    const made = await createSeries(t, { start_time: at(dates[0] as string, '09:00'), repeat: { count: 5 } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.occurrences.map((o) => o.conflict)).toEqual([
      null,
      'booking_overlap',
      'trainer_break',
      'outside_availability',
      null,
    ]);
    expect(made.body.bookings.map((b) => b.start_time)).toEqual([
      at(dates[0] as string, '09:00'),
      at(dates[4] as string, '09:00'),
    ]);
    expect(made.body.occurrences.filter((o) => o.booking).map((o) => o.booking)).toEqual(
      made.body.bookings.map((b) => b.id),
    );
    // A single booking is not part of any series.
    const plain = await api<{ series: number | null }>('GET', `/api/bookings/${single.body.id}/`, { token: t.token });
    expect(plain.body.series).toBeNull();
    const listed = await api<{ count: number }>('GET', `/api/bookings/?series=${made.body.id}`, { token: t.token });
    expect(listed.body.count).toBe(2);
  });

  it('all_or_nothing: any conflict answers 409 listing them and stores nothing', async () => {
    const t = await setupTrainer();
    const dates = [7, 14, 21].map((d) => futureDay(d).date);
    expect((await book(t.token, { client: t.client.id, start_time: at(dates[2] as string, '09:00') })).status).toBe(
      201,
    );
    const links = await count('SELECT count(*) AS n FROM booking_links');
    const made = await createSeries(t, {
      start_time: at(dates[0] as string, '09:00'),
      repeat: { count: 3 },
      mode: 'all_or_nothing',
    });
    expect(made.status).toBe(409);
    expect(made.headers.get('Content-Type')).toMatch(/problem\+json/);
    expect(made.body.code).toBe('series_conflict');
    expect(made.body.occurrences.map((o) => [o.date, o.conflict, o.booking])).toEqual([
      [dates[0], null, null],
      [dates[1], null, null],
      [dates[2], 'booking_overlap', null],
    ]);
    const tid = t.user.trainer.id;
    expect(await count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', tid)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?', tid)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM booking_links')).toBe(links);
  });

  it('52 weeks, all free: 52 bookings and their manage links in one batch', async () => {
    const t = await setupTrainer();
    const made = await weekly(t, 2, 52);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.bookings).toHaveLength(52);
    expect(
      await count(
        'SELECT count(*) AS n FROM booking_links l JOIN bookings b ON b.id = l.booking_id WHERE b.series_id = ?',
        made.body.id,
      ),
    ).toBe(52);
  });

  it('52 weeks with a 10-credit pack: 10 created, 42 package_exhausted, 10 reserved', async () => {
    const t = await setupTrainer();
    const pkgId = await packOf(t, 10);
    const made = await weekly(t, 3, 52, { client_package: pkgId });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const conflicts = made.body.occurrences.map((o) => o.conflict);
    expect(conflicts.filter((c) => c === null)).toHaveLength(10);
    expect(conflicts.filter((c) => c === 'package_exhausted')).toHaveLength(42);
    expect(conflicts.slice(0, 10).every((c) => c === null)).toBe(true);
    expect(made.body.bookings).toHaveLength(10);
    expect(await packCredits(t, pkgId)).toMatchObject({
      sessions_remaining: 10,
      sessions_reserved: 10,
      sessions_available: 0,
    });
  });

  it('two series for the same times in parallel never overlap', async () => {
    const t = await setupTrainer();
    const start = at(futureDay(5).date, '10:00');
    const [a, b] = await Promise.all([
      createSeries(t, { start_time: start, repeat: { count: 8 } }),
      createSeries(t, { start_time: start, repeat: { count: 8 } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const refused = a.status === 409 ? a : b;
    expect(refused.body.occurrences.every((o) => o.conflict === 'booking_overlap')).toBe(true);
    const tid = t.user.trainer.id;
    expect(await count('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?', tid)).toBe(8);
    expect(await count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', tid)).toBe(1);
    expect(
      await count(
        `SELECT count(*) AS n FROM bookings x JOIN bookings y ON x.trainer_id = y.trainer_id AND x.id < y.id
          AND x.occupied_start < y.occupied_end AND y.occupied_start < x.occupied_end WHERE x.trainer_id = ?`,
        tid,
      ),
    ).toBe(0);
  });
});

describe('confirm, reminders and cancel', () => {
  it('confirm: every pending occurrence confirmed, ONE message listing the dates; reminders per occurrence', async () => {
    const t = await setupTrainer();
    const made = await weekly(t, 3, 3);
    expect(made.status).toBe(201);
    // Nothing is sent at create: a trainer's bookings wait for the confirm.
    expect(await seriesRows(made.body.id)).toEqual([]);

    const confirmed = await api<Series>('POST', `${SERIES}${made.body.id}/confirm/`, { token: t.token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.bookings.map((b) => b.status)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    const rows = await until(
      () => seriesRows(made.body.id),
      (r) => r.length > 0 && r.every((x) => x.status === 'sent'),
    );
    // The client has no phone: one email, about the series, and no per-booking confirmation.
    expect(rows.map((r) => [r.kind, r.notification_type])).toEqual([['series_confirmed', 'email']]);
    const lines = (rows[0]?.message ?? '').split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toHaveLength(3);
    // Sent once more through SendGrid (faked at the fetch boundary): one provider call listing them.
    const mail = await viaSendGrid(rows[0] as never);
    expect(mail.subject).toMatch(/^Confirmed: 3 sessions of/);
    expect(
      mail.content
        .find((p) => p.type === 'text/plain')
        ?.value.split('\n')
        .filter((l) => l.startsWith('- ')),
    ).toHaveLength(3);

    // A second confirm has nothing to do.
    const again = await api<ProblemBody>('POST', `${SERIES}${made.body.id}/confirm/`, { token: t.token });
    expect(again.body.code).toBe('invalid_transition');

    // The cron plans the 24 h reminder of the first occurrence (and of no other).
    const [first, second] = confirmed.body.bookings;
    await tick(Date.parse(first?.start_time as string) - 23 * 3600_000);
    const reminders = (await seriesRows(made.body.id)).filter((r) => r.kind === 'reminder_24h');
    expect(reminders.map((r) => r.booking_id)).toEqual([first?.id]);
    expect(reminders.some((r) => r.booking_id === second?.id)).toBe(false);
  });

  it('a client with a phone gets the series confirmation by email and SMS, once each', async () => {
    const t = await setupTrainer();
    const client = await createClient(t.token, { phone: '+14155550123' });
    const made = await createSeries(t, {
      client: client.id,
      start_time: at(futureDay(3).date, '09:00'),
      repeat: { count: 4 },
    });
    expect(made.status).toBe(201);
    expect((await api('POST', `${SERIES}${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const rows = await until(
      () => seriesRows(made.body.id),
      (r) => r.length === 2 && r.every((x) => x.status === 'sent'),
    );
    expect(rows.map((r) => [r.kind, r.notification_type]).sort()).toEqual([
      ['series_confirmed', 'email'],
      ['series_confirmed', 'sms'],
    ]);
    const sms = rows.find((r) => r.notification_type === 'sms')?.message ?? '';
    expect(sms).toMatch(/^4 sessions with .+ confirmed: .+ to .+\.$/);
    expect(sms.length).toBeLessThanOrEqual(306);
  });

  it('an occurrence inside 24 h of a series confirmation gets no 24 h reminder (the confirmation listed it)', async () => {
    const t = await setupTrainer();
    const start = Math.ceil((Date.now() + 20 * 3600_000) / 3600_000) * 3600_000;
    const made = await createSeries(t, { start_time: iso(start), repeat: { count: 2 } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await api('POST', `${SERIES}${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    await tick(Date.now() + 5 * 60_000);
    await tick(start - 30 * 60_000);
    const kinds = (await seriesRows(made.body.id)).map((r) => [r.kind, r.booking_id]);
    const [first] = made.body.bookings;
    expect(kinds).not.toContainEqual(['reminder_24h', first?.id]);
    // The 1 h reminder still goes.
    expect(kinds).toContainEqual(['reminder_1h', first?.id]);
  });

  it('cancelling the occurrence a series message points at leaves that unsent message alone', async () => {
    const t = await setupTrainer();
    const made = await weekly(t, 3, 3);
    expect((await api('POST', `${SERIES}${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const [row] = await until(
      () => seriesRows(made.body.id),
      (r) => r.length === 1 && r[0]?.status === 'sent',
    );
    // As if its queue message had not been delivered yet.
    await env.DB.prepare(`UPDATE notifications SET status = 'pending' WHERE id = ?`).bind(row?.id).run();
    const first = made.body.bookings[0] as BookingBody;
    expect(row?.booking_id).toBe(first.id);
    expect((await api('POST', `/api/bookings/${first.id}/cancel/`, { token: t.token })).status).toBe(200);
    const after = await env.DB.prepare('SELECT status FROM notifications WHERE id = ?')
      .bind(row?.id)
      .first<string>('status');
    expect(after).not.toBe('cancelled');
  });

  it('cancel from a date: only those occurrences, credits released, ONE message; then the rest', async () => {
    const t = await setupTrainer();
    const pkgId = await packOf(t, 10);
    const made = await weekly(t, 3, 4, { client_package: pkgId });
    expect((await api('POST', `${SERIES}${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    expect(await packCredits(t, pkgId)).toMatchObject({ sessions_reserved: 4 });
    const dates = made.body.occurrences.map((o) => o.date);

    const cut = await api<Series>('POST', `${SERIES}${made.body.id}/cancel/`, {
      token: t.token,
      body: { from: dates[2], reason: 'Moving away' },
    });
    expect(cut.status, JSON.stringify(cut.body)).toBe(200);
    expect(cut.body.bookings.map((b) => b.status)).toEqual(['confirmed', 'confirmed', 'cancelled', 'cancelled']);
    expect(cut.body.bookings.map((b) => b.late_cancellation)).toEqual([false, false, false, false]);
    expect(cut.body.cancelled_at).toBeNull();
    expect(await packCredits(t, pkgId)).toMatchObject({ sessions_remaining: 10, sessions_reserved: 2 });
    const rows = await until(
      () => seriesRows(made.body.id),
      (r) => r.filter((x) => x.kind === 'series_cancelled').every((x) => x.status === 'sent') && r.length === 2,
    );
    const cancelRows = rows.filter((r) => r.kind !== 'series_confirmed');
    expect(cancelRows.map((r) => [r.kind, r.notification_type])).toEqual([['series_cancelled', 'email']]);
    const listed = (cancelRows[0]?.message ?? '').split('\n').filter((l) => l.startsWith('- '));
    expect(listed).toHaveLength(2);
    expect(cancelRows[0]?.message).toContain('Reason: Moving away');

    const rest = await api<Series>('POST', `${SERIES}${made.body.id}/cancel/`, { token: t.token });
    expect(rest.body.bookings.map((b) => b.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(rest.body.cancelled_at).not.toBeNull();
    expect(await packCredits(t, pkgId)).toMatchObject({ sessions_reserved: 0, sessions_available: 10 });
    expect((await seriesRows(made.body.id)).filter((r) => r.kind === 'series_cancelled')).toHaveLength(2);
    const none = await api<ProblemBody>('POST', `${SERIES}${made.body.id}/cancel/`, { token: t.token });
    expect([none.status, none.body.code]).toEqual([409, 'invalid_transition']);
  });
});

describe('reading series', () => {
  it('lists and shows the trainer’s own; another trainer gets 404', async () => {
    const t = await setupTrainer();
    const made = await weekly(t, 4, 2);
    const list = await api<{ count: number; results: { id: number }[] }>('GET', SERIES, { token: t.token });
    expect(list.body.count).toBe(1);
    expect(list.body.results[0]?.id).toBe(made.body.id);
    const detail = await api<Series>('GET', `${SERIES}${made.body.id}/`, { token: t.token });
    expect(detail.status).toBe(200);
    expect(detail.body.bookings.map((b) => b.series)).toEqual([made.body.id, made.body.id]);

    const other = await setupTrainer();
    expect((await api('GET', `${SERIES}${made.body.id}/`, { token: other.token })).status).toBe(404);
    expect((await api('POST', `${SERIES}${made.body.id}/confirm/`, { token: other.token })).status).toBe(404);
    expect((await api('POST', `${SERIES}${made.body.id}/cancel/`, { token: other.token })).status).toBe(404);
    expect((await api<{ count: number }>('GET', SERIES, { token: other.token })).body.count).toBe(0);
    // Another trainer's client cannot be named.
    const foreign = await createSeries(other, {
      client: t.client.id,
      start_time: at(futureDay(4).date, '09:00'),
      repeat: { count: 2 },
    });
    expect(foreign.status).toBe(400);
    expect(Object.keys(foreign.body.errors ?? {})).toEqual(['client']);
  });
});

describe('validation names every bad field', () => {
  it('field types and ranges', async () => {
    const t = await setupTrainer();
    const bad = await createSeries(t, {
      client: 'x',
      start_time: 'soon',
      repeat: { weekdays: [9], interval_weeks: 5, count: 53 },
      mode: 'sometimes',
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(
      ['client', 'mode', 'repeat.count', 'repeat.interval_weeks', 'repeat.weekdays.0', 'start_time'].sort(),
    );
  });

  it('the repeat end not used may be null, as the series answer shows it; both null or both given is a 400', async () => {
    const t = await setupTrainer();
    const first = futureDay(5).date;
    const byDate = await createSeries(t, {
      start_time: at(first, '09:00'),
      repeat: { count: null, until: futureDay(12).date },
    });
    expect(byDate.status, JSON.stringify(byDate.body)).toBe(201);
    expect(byDate.body.bookings).toHaveLength(2);
    expect(byDate.body).toMatchObject({ count: null, until: futureDay(12).date });
    const byCount = await createSeries(t, { start_time: at(first, '11:00'), repeat: { count: 3, until: null } });
    expect(byCount.status, JSON.stringify(byCount.body)).toBe(201);
    expect(byCount.body.bookings).toHaveLength(3);
    for (const repeat of [
      { count: null, until: null },
      { count: 2, until: futureDay(12).date },
    ]) {
      const bad = await createSeries(t, { start_time: at(first, '13:00'), repeat });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.errors ?? {})).toEqual(['repeat']);
    }
    // A class's repeat reads the same way.
    const yoga = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Yoga', duration_minutes: 60, capacity: 8 },
    });
    const classes = await api('POST', '/api/class-sessions/', {
      token: t.token,
      body: {
        service: yoga.body.id,
        start_time: at(first, '15:00'),
        repeat: { weekdays: [futureDay(5).weekday], count: null, until: futureDay(12).date },
      },
    });
    expect(classes.status, JSON.stringify(classes.body)).toBe(201);
  });

  it('a first start with seconds, or occurrences past the year 9999, as a single booking is refused; nothing stored', async () => {
    const t = await setupTrainer();
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Group', duration_minutes: 60, capacity: 4 },
    });
    const day = futureDay(5);
    const asked: [string, Record<string, unknown>, string][] = [
      [SERIES, { client: t.client.id, start_time: `${day.date}T10:00:30.000Z`, repeat: { count: 2 } }, 'whole minute'],
      [SERIES, { client: t.client.id, start_time: '9999-11-20T10:00:00.000Z', repeat: { count: 4 } }, 'December 9999'],
      ['/api/class-sessions/', { service: service.body.id, start_time: `${day.date}T10:00:30.500Z` }, 'whole minute'],
      ['/api/class-sessions/', { service: service.body.id, start_time: '9999-12-31T23:00:00.000Z' }, 'December 9999'],
      [
        '/api/class-sessions/',
        { service: service.body.id, start_time: '9999-11-20T10:00:00.000Z', repeat: { weekdays: [5], count: 4 } },
        'December 9999',
      ],
    ];
    for (const [path, body, said] of asked) {
      const res = await api<ProblemBody>('POST', path, { token: t.token, body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.errors?.start_time?.[0], JSON.stringify(body)).toContain(said);
    }
    expect(await count('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?', t.user.trainer.id)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM class_sessions WHERE trainer_id = ?', t.user.trainer.id)).toBe(0);
  });

  it('the repeat against the first occurrence, all at once', async () => {
    const t = await setupTrainer();
    const past = at(futureDay(-2).date, '09:00');
    const wrongDay = (futureDay(-2).weekday + 1) % 7;
    const bad = await createSeries(t, {
      start_time: past,
      repeat: { weekdays: [wrongDay], count: 3, until: futureDay(400).date },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual([
      'repeat',
      'repeat.until',
      'repeat.weekdays',
      'start_time',
    ]);
    const neither = await createSeries(t, { start_time: at(futureDay(3).date, '09:00'), repeat: {} });
    expect(Object.keys(neither.body.errors ?? {})).toEqual(['repeat']);
    const tooFar = await createSeries(t, {
      start_time: at(futureDay(3).date, '09:00'),
      repeat: { until: iso(Date.now() + 370 * DAY).slice(0, 10) },
    });
    expect(Object.keys(tooFar.body.errors ?? {})).toEqual(['repeat.until']);
    expect(await count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', t.user.trainer.id)).toBe(0);
  });

  it('an until giving more than 52 occurrences is 400 naming repeat.until, not cut at 52', async () => {
    const t = await setupTrainer();
    const first = futureDay(3);
    const bad = await createSeries(t, {
      start_time: at(first.date, '09:00'),
      repeat: { weekdays: [first.weekday, (first.weekday + 3) % 7], until: futureDay(3 + 30 * 7).date },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(['repeat.until']);
    expect(bad.body.errors?.['repeat.until']?.[0]).toMatch(/gives 6\d occurrences; at most 52/);
    // Weekly for a whole year is 53 Mondays or so: also refused, and nothing is stored.
    const year = await createSeries(t, {
      start_time: at(first.date, '09:00'),
      repeat: { until: futureDay(3 + 364).date },
    });
    expect(year.body.errors?.['repeat.until']?.[0]).toMatch(/gives 53 occurrences/);
    expect(await count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', t.user.trainer.id)).toBe(0);
  });

  it('until: every listed weekday up to the date', async () => {
    const t = await setupTrainer();
    const first = futureDay(3);
    const made = await createSeries(t, {
      start_time: at(first.date, '09:00'),
      repeat: { weekdays: [first.weekday, (first.weekday + 2) % 7], until: futureDay(3 + 13).date },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.bookings).toHaveLength(4);
  });
});

describe('the guarded batch of a series', () => {
  /** The command POST /api/booking-series/ hands the schedule object: weekly, 3 occurrences. */
  const command = (t: Trainer, start: string, mode: SeriesMode): CreateSeriesCommand => ({
    trainerId: t.user.trainer.id,
    clientId: t.client.id,
    serviceId: null,
    clientPackageId: null,
    notes: '',
    mode,
    ...planSeries(
      { id: t.user.trainer.id, timezone: 'UTC' },
      { client: t.client.id, start_time: start, repeat: { count: 3 } },
      iso(Date.now()),
    ),
    links: [],
  });
  /** A booking written straight into D1, bypassing the object, at the second occurrence. */
  const intruder = (t: Trainer, start: string) =>
    env.DB.prepare(
      `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status) VALUES (?, ?, ?, ?, 'confirmed')`,
    )
      .bind(
        t.user.trainer.id,
        t.client.id,
        iso(Date.parse(start) + 7 * DAY),
        iso(Date.parse(start) + 7 * DAY + 3600_000),
      )
      .run();

  it('all_or_nothing: an occurrence the guard refuses undoes the whole series in the same batch', async () => {
    const t = await setupTrainer();
    const start = at(futureDay(9).date, '15:00');
    const racing = changingAfterRead(async (n) => {
      if (n === 0) await intruder(t, start);
    });
    const outcome = await scheduleSeries(getDb(racing.db), command(t, start, 'all_or_nothing'), Date.now());
    expect(outcome).toMatchObject({ ok: false, status: 409, code: 'series_conflict' });
    expect(!outcome.ok && outcome.occurrences?.map((o) => o.conflict)).toEqual([null, 'booking_overlap', null]);
    const tid = t.user.trainer.id;
    expect(await count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', tid)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM bookings WHERE trainer_id = ?', tid)).toBe(1);
  });

  it('skip_conflicts: the refused occurrence is reported, the others stay', async () => {
    const t = await setupTrainer();
    const start = at(futureDay(9).date, '16:00');
    const racing = changingAfterRead(async (n) => {
      if (n === 0) await intruder(t, start);
    });
    const outcome = await scheduleSeries(getDb(racing.db), command(t, start, 'skip_conflicts'), Date.now());
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.occurrences.map((o) => [o.conflict, o.booking !== null])).toEqual([
      [null, true],
      ['booking_overlap', false],
      [null, true],
    ]);
    expect(
      await count(
        'SELECT count(*) AS n FROM bookings WHERE series_id IS NOT NULL AND trainer_id = ?',
        t.user.trainer.id,
      ),
    ).toBe(2);
  });

  it('a schedule change between the read and the batch: read and checked again (a break now refuses one)', async () => {
    const t = await setupTrainer();
    const start = at(futureDay(9).date, '17:00');
    const second = iso(Date.parse(start) + 7 * DAY).slice(0, 10);
    const racing = changingAfterRead(async (n) => {
      if (n === 0) await createBreak(getDb(env.DB), t.user.trainer.id, { start_date: second, end_date: second });
    });
    const outcome = await scheduleSeries(getDb(racing.db), command(t, start, 'skip_conflicts'), Date.now());
    expect(racing.reads()).toBe(2);
    expect(outcome.ok && outcome.occurrences.map((o) => o.conflict)).toEqual([null, 'trainer_break', null]);
    expect(await count('SELECT count(*) AS n FROM booking_series WHERE trainer_id = ?', t.user.trainer.id)).toBe(1);
  });
});
