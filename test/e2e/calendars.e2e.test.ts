// Busy time from a trainer's own calendar, end to end: the Google, Outlook and Apple export
// fixtures (test/fixtures/ics/) served by a local HTTP server to `wrangler dev` (development
// accepts plain-http local addresses), connected through the API, synced by the calendar queue,
// and then the free slots compared with what a person reading that calendar would expect.
//
// The oracle is independent of the app: an identical trainer without a calendar gives the slots
// of each day, and the expected busy times, written here as local wall-clock times (what the
// calendar shows), are converted with Temporal. The fixtures are moved forward by whole weeks to
// the next year whose clock change is still ahead, so the test never ages (weekdays, and the
// clock change's Sunday, stay where they were).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, ownAddress, until } from './client';

type Slot = { start_time: string; end_time: string };

interface Busy {
  /** A local date of the fixture, as written in it (moved with it). */
  date: string;
  from: string;
  to: string;
  /** The day the busy time ends, when not `date`. */
  toDate?: string;
  /** The event is written in UTC in the file (a fixed instant, not a wall time). */
  utc?: boolean;
}

interface Fixture {
  file: string;
  zone: string;
  /** The clock change of the fixture's zone that its events surround. */
  change: string;
  /** The days compared (the fixture's events and the days around them). */
  first: string;
  last: string;
  busy: Busy[];
}

// What a person reading each calendar calls busy (test/fixtures/ics/README.md says why).
const FIXTURES: Fixture[] = [
  {
    file: 'google.ics',
    zone: 'Europe/London',
    change: '2027-03-28',
    first: '2027-03-09',
    last: '2027-04-08',
    busy: [
      { date: '2027-03-10', from: '09:00', to: '10:00' },
      { date: '2027-03-25', from: '14:00', to: '15:00' },
      { date: '2027-03-31', from: '09:00', to: '10:00' },
      { date: '2027-04-07', from: '09:00', to: '10:00' },
      { date: '2027-03-12', from: '07:00', to: '08:00' },
      { date: '2027-03-15', from: '12:00', to: '13:00', utc: true },
      { date: '2027-03-28', from: '00:00', to: '00:00', toDate: '2027-03-29' },
    ],
  },
  {
    file: 'outlook.ics',
    zone: 'Europe/Berlin',
    change: '2027-10-31',
    first: '2027-10-17',
    last: '2027-11-09',
    busy: [
      { date: '2027-10-18', from: '10:00', to: '11:00' },
      { date: '2027-10-25', from: '10:00', to: '11:00' },
      { date: '2027-11-01', from: '10:00', to: '11:00' },
      { date: '2027-11-08', from: '10:00', to: '11:00' },
      { date: '2027-10-28', from: '12:00', to: '13:30' },
      { date: '2027-10-30', from: '09:00', to: '18:00', toDate: '2027-10-31' },
      { date: '2027-11-02', from: '00:00', to: '00:00', toDate: '2027-11-03' },
    ],
  },
  {
    file: 'apple.ics',
    zone: 'America/New_York',
    change: '2027-03-14',
    first: '2027-03-01',
    last: '2027-03-26',
    busy: [
      { date: '2027-03-02', from: '18:00', to: '19:00' },
      { date: '2027-03-16', from: '18:00', to: '19:00' },
      { date: '2027-03-23', from: '18:00', to: '19:00' },
      { date: '2027-03-18', from: '18:00', to: '19:00' },
      { date: '2027-03-14', from: '01:30', to: '03:30' },
      { date: '2027-03-19', from: '00:00', to: '00:00', toDate: '2027-03-22' },
      { date: '2027-03-25', from: '15:00', to: '17:30', utc: true },
    ],
  },
];

const DAY_MS = 86_400_000;
const plain = (d: string) => Temporal.PlainDate.from(d);

/** The day of `zone`'s clock change in `year` and month of `like` (the offset at noon differs from the day before). */
function clockChange(zone: string, year: number, month: number): Temporal.PlainDate {
  const offset = (d: Temporal.PlainDate) => d.toZonedDateTime({ timeZone: zone, plainTime: '12:00' }).offsetNanoseconds;
  for (let d = Temporal.PlainDate.from({ year, month, day: 2 }); d.month === month; d = d.add({ days: 1 })) {
    if (offset(d) !== offset(d.subtract({ days: 1 }))) return d;
  }
  throw new Error(`no clock change in ${zone} ${year}-${month}`);
}

/** Whole days the fixture moves: to the first year whose clock change is at least a week ahead. */
function shiftDays(f: Fixture, today: Temporal.PlainDate): number {
  const change = plain(f.change);
  for (let year = today.year; ; year++) {
    const next = clockChange(f.zone, year, change.month);
    if (Temporal.PlainDate.compare(next, today.add({ days: 7 })) >= 0) return change.until(next).days;
  }
}

/** The fixture's text with every date of its events moved `days` ahead (zone definitions untouched). */
function moved(ics: string, days: number): string {
  const unfolded = ics.replace(/\r\n[ \t]/g, '');
  let inEvent = false;
  const shift = (yyyymmdd: string) => {
    const t = Date.UTC(+yyyymmdd.slice(0, 4), +yyyymmdd.slice(4, 6) - 1, +yyyymmdd.slice(6, 8)) + days * DAY_MS;
    return new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
  };
  return unfolded
    .split('\r\n')
    .map((line) => {
      if (line === 'BEGIN:VEVENT') inEvent = true;
      if (line === 'END:VEVENT') inEvent = false;
      if (!inEvent || !/^(DTSTART|DTEND|EXDATE|RDATE|RECURRENCE-ID|RRULE)[;:]/.test(line)) return line;
      const colon = line.indexOf(':');
      return line.slice(0, colon) + line.slice(colon).replace(/\d{8}(?=T|,|;|$)/g, shift);
    })
    .join('\r\n');
}

/** A busy time as UTC milliseconds, its dates moved `days` ahead. */
function busyInstants(b: Busy, zone: string, days: number): [number, number] {
  const at = (date: string, time: string) => {
    const d = plain(date).add({ days });
    const zdt = d.toZonedDateTime({ timeZone: b.utc ? 'UTC' : zone, plainTime: time });
    return zdt.epochMilliseconds;
  };
  return [at(b.date, b.from), at(b.toDate ?? b.date, b.to)];
}

let server: Server;
let base = '';
const served = new Map<string, string>();

/** A trainer in `zone` open 06:00–22:00 every day, bookable a year ahead. */
async function openTrainer(zone: string, tag: string) {
  const reg = await call<{ token: string }>('POST', '/api/users/register/', {
    headers: ownAddress(),
    body: {
      email: `cal-${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`,
      password: 'a-long-password-1',
      password_confirm: 'a-long-password-1',
      business_name: 'Calendar Coach',
      timezone: zone,
    },
  });
  expect(reg.status).toBe(201);
  const token = reg.body.token;
  const profile = await call('PATCH', '/api/users/profile/', {
    token,
    body: { booking_horizon_days: 365, min_notice_minutes: 0 },
  });
  expect(profile.status).toBe(200);
  for (let day = 0; day < 7; day++) {
    const res = await call('POST', '/api/availability-slots/', {
      token,
      body: { day_of_week: day, start_time: '06:00', end_time: '22:00' },
    });
    expect(res.status).toBe(201);
  }
  return token;
}

/** Every free slot start (UTC ms) from `from` to `to` (local dates), a month at most per call. */
async function freeStarts(token: string, from: Temporal.PlainDate, to: Temporal.PlainDate): Promise<number[]> {
  const out: number[] = [];
  for (let d = from; Temporal.PlainDate.compare(d, to) <= 0; d = d.add({ days: 28 })) {
    const end = Temporal.PlainDate.compare(d.add({ days: 27 }), to) < 0 ? d.add({ days: 27 }) : to;
    const res = await call<{ days: { date: string; slots: Slot[] }[] }>(
      'GET',
      `/api/availability-slots/available/?from=${d}&to=${end}`,
      { token },
    );
    expect(res.status).toBe(200);
    for (const day of res.body.days) for (const s of day.slots) out.push(Date.parse(s.start_time));
  }
  return out;
}

describe('busy time from calendar exports (Google, Outlook, Apple)', () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/calendar; charset=utf-8' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  for (const f of FIXTURES) {
    it(`${f.file} (${f.zone}): after a sync, free slots are the calendar's free time, across the clock change`, async () => {
      const today = Temporal.Now.plainDateISO(f.zone);
      const days = shiftDays(f, today);
      served.set(`/${f.file}`, moved(readFileSync(`test/fixtures/ics/${f.file}`, 'utf8'), days));

      const [withCalendar, control] = await Promise.all([openTrainer(f.zone, 'busy'), openTrainer(f.zone, 'free')]);
      const created = await call<{ id: number }>('POST', '/api/calendar/connections/', {
        token: withCalendar,
        body: { name: f.file, ics_url: `${base}/${f.file}` },
      });
      expect(created.status).toBe(201);
      // A new connection is queued for its first sync at once.
      const synced = await until(
        async () =>
          (
            await call<{ last_synced_at: string | null; last_error: string | null; busy_count: number }>(
              'GET',
              `/api/calendar/connections/${created.body.id}/`,
              { token: withCalendar },
            )
          ).body,
        (c) => Boolean(c.last_synced_at || c.last_error),
        30_000,
      );
      expect(synced.last_error).toBeNull();
      expect(synced.busy_count).toBeGreaterThan(0);

      // The days compared: the fixture's, moved, and never before tomorrow or past the horizon.
      const tomorrow = today.add({ days: 1 });
      const horizon = today.add({ days: 364 });
      const later = (a: Temporal.PlainDate, b: Temporal.PlainDate) => (Temporal.PlainDate.compare(a, b) > 0 ? a : b);
      const earlier = (a: Temporal.PlainDate, b: Temporal.PlainDate) => (Temporal.PlainDate.compare(a, b) < 0 ? a : b);
      const from = later(plain(f.first).add({ days }), tomorrow);
      const to = earlier(plain(f.last).add({ days }), horizon);
      const change = plain(f.change).add({ days });
      expect(Temporal.PlainDate.compare(from, change) < 0 && Temporal.PlainDate.compare(change, to) < 0).toBe(true);

      const [actual, open] = await Promise.all([freeStarts(withCalendar, from, to), freeStarts(control, from, to)]);
      const busy = f.busy.map((b) => busyInstants(b, f.zone, days));
      const HOUR = 3_600_000;
      const expected = open.filter((s) => !busy.some(([a, b]) => s < b && s + HOUR > a));
      expect(open.length).toBeGreaterThan(expected.length);
      expect(actual).toEqual(expected);
    });
  }
});
