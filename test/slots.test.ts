import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { type FreeSlotsInput, freeSlots, type SlotRules, type WeeklyWindow } from '../src/scheduling/slots';
import { NOW, rules, w } from './slot-rules';

function day(date: string, windows: WeeklyWindow[], r: SlotRules, extra: Partial<FreeSlotsInput> = {}) {
  const [only] = freeSlots({
    fromDate: date,
    toDate: date,
    windows,
    breaks: [],
    bookings: [],
    rules: r,
    now: NOW,
    ...extra,
  });
  return only?.slots ?? [];
}

const starts = (slots: { start_time: string }[]) => slots.map((s) => s.start_time);
const local = (iso: string, tz: string) =>
  Temporal.Instant.from(iso).toZonedDateTimeISO(tz).toPlainTime().toString({ smallestUnit: 'minute' });

describe('freeSlots across DST changes', () => {
  it('America/New_York 2025-03-09 (spring forward): the window keeps its wall times, no slot at 02:xx', () => {
    const tz = 'America/New_York';
    const slots = day('2025-03-09', [w(6, '00:00:00', '06:00:00')], rules(tz));
    expect(starts(slots)).toEqual([
      '2025-03-09T05:00:00.000Z',
      '2025-03-09T05:30:00.000Z',
      '2025-03-09T06:00:00.000Z',
      '2025-03-09T06:30:00.000Z',
      '2025-03-09T07:00:00.000Z',
      '2025-03-09T07:30:00.000Z',
      '2025-03-09T08:00:00.000Z',
      '2025-03-09T08:30:00.000Z',
      '2025-03-09T09:00:00.000Z',
    ]);
    expect(slots.map((s) => local(s.start_time, tz))).toEqual([
      '00:00',
      '00:30',
      '01:00',
      '01:30',
      '03:00',
      '03:30',
      '04:00',
      '04:30',
      '05:00',
    ]);
    expect(slots.at(-1)?.end_time).toBe('2025-03-09T10:00:00.000Z'); // 06:00 EDT
    // A window starting inside the gap starts when the clocks resume.
    expect(starts(day('2025-03-09', [w(6, '02:00', '05:00')], rules(tz)))).toEqual([
      '2025-03-09T07:00:00.000Z',
      '2025-03-09T07:30:00.000Z',
      '2025-03-09T08:00:00.000Z',
    ]);
    expect(starts(day('2025-03-09', [w(6, '09:00', '10:00')], rules(tz)))).toEqual(['2025-03-09T13:00:00.000Z']);
  });

  it('America/New_York 2025-11-02 (fall back): the repeated hour is offered once per instant, never the same instant twice', () => {
    const tz = 'America/New_York';
    const slots = day('2025-11-02', [w(6, '00:00', '04:00')], rules(tz));
    expect(starts(slots)).toEqual([
      '2025-11-02T04:00:00.000Z',
      '2025-11-02T04:30:00.000Z',
      '2025-11-02T05:00:00.000Z',
      '2025-11-02T05:30:00.000Z',
      '2025-11-02T06:00:00.000Z',
      '2025-11-02T06:30:00.000Z',
      '2025-11-02T07:00:00.000Z',
      '2025-11-02T07:30:00.000Z',
      '2025-11-02T08:00:00.000Z',
    ]);
    expect(new Set(starts(slots)).size).toBe(slots.length);
    expect(slots.at(-1)?.end_time).toBe('2025-11-02T09:00:00.000Z'); // 04:00 EST
    expect(starts(day('2025-11-02', [w(6, '09:00', '10:00')], rules(tz)))).toEqual(['2025-11-02T14:00:00.000Z']);
  });

  it('Europe/London 2025-03-30 and 2025-10-26', () => {
    const tz = 'Europe/London';
    const spring = day('2025-03-30', [w(6, '00:00', '03:00')], rules(tz));
    expect(starts(spring)).toEqual([
      '2025-03-30T00:00:00.000Z',
      '2025-03-30T00:30:00.000Z',
      '2025-03-30T01:00:00.000Z',
    ]);
    expect(spring.map((s) => local(s.start_time, tz))).toEqual(['00:00', '00:30', '02:00']);

    const autumn = day('2025-10-26', [w(6, '00:00', '03:00')], rules(tz));
    expect(starts(autumn)).toEqual([
      '2025-10-25T23:00:00.000Z',
      '2025-10-25T23:30:00.000Z',
      '2025-10-26T00:00:00.000Z',
      '2025-10-26T00:30:00.000Z',
      '2025-10-26T01:00:00.000Z',
      '2025-10-26T01:30:00.000Z',
      '2025-10-26T02:00:00.000Z',
    ]);
    expect(new Set(starts(autumn)).size).toBe(7);
    // An ordinary summer day: 09:00 BST is 08:00Z.
    expect(starts(day('2025-07-06', [w(6, '09:00', '10:00')], rules(tz)))).toEqual(['2025-07-06T08:00:00.000Z']);
  });

  it('Australia/Lord_Howe: the 30-minute shift on 2025-10-05 and 2025-04-06', () => {
    const tz = 'Australia/Lord_Howe';
    const r = rules(tz, { durationMinutes: 30 });
    const spring = day('2025-10-05', [w(6, '01:00', '04:00')], r);
    expect(starts(spring)).toEqual([
      '2025-10-04T14:30:00.000Z',
      '2025-10-04T15:00:00.000Z',
      '2025-10-04T15:30:00.000Z',
      '2025-10-04T16:00:00.000Z',
      '2025-10-04T16:30:00.000Z',
    ]);
    expect(spring.map((s) => local(s.start_time, tz))).toEqual(['01:00', '01:30', '02:30', '03:00', '03:30']);

    const autumn = day('2025-04-06', [w(6, '01:00', '03:00')], r);
    // 01:00 +11 = 14:00Z; 03:00 +10:30 = 16:30Z: 2.5 real hours, 01:30–02:00 happens twice.
    expect(starts(autumn)).toEqual([
      '2025-04-05T14:00:00.000Z',
      '2025-04-05T14:30:00.000Z',
      '2025-04-05T15:00:00.000Z',
      '2025-04-05T15:30:00.000Z',
      '2025-04-05T16:00:00.000Z',
    ]);
  });

  it('after a clock change the day keeps its wall-clock grid: a step the shift does not divide stays on its times', () => {
    const lhi = 'Australia/Lord_Howe';
    const hourly = rules(lhi, { slotIntervalMinutes: 60 });
    // Spring: 02:00 (+10:30) jumps to 02:30 (+11). Stepping in elapsed time gave 02:30, 03:30, 04:30.
    expect(day('2025-10-05', [w(6, '00:00', '06:00')], hourly).map((s) => local(s.start_time, lhi))).toEqual([
      '00:00',
      '01:00',
      '03:00',
      '04:00',
      '05:00',
    ]);
    // Autumn: 02:00 (+11) goes back to 01:30 (+10:30). Elapsed time gave 01:30 (its second showing), 02:30.
    expect(day('2025-04-06', [w(6, '00:00', '04:00')], hourly).map((s) => local(s.start_time, lhi))).toEqual([
      '00:00',
      '01:00',
      '02:00',
      '03:00',
    ]);
    const ny = 'America/New_York';
    const quarters = rules(ny, { durationMinutes: 45, slotIntervalMinutes: 45 });
    const spring = day('2025-03-09', [w(6, '00:00', '06:00')], quarters);
    expect(spring.map((s) => local(s.start_time, ny))).toEqual([
      '00:00',
      '00:45',
      '01:30',
      '03:00',
      '03:45',
      '04:30',
      '05:15',
    ]);
    // Fall back: 01:30 shows twice, each showing a slot of its own, then the grid goes on from 02:15.
    expect(starts(day('2025-11-02', [w(6, '00:00', '04:00')], quarters))).toEqual([
      '2025-11-02T04:00:00.000Z',
      '2025-11-02T04:45:00.000Z',
      '2025-11-02T05:30:00.000Z',
      '2025-11-02T06:30:00.000Z',
      '2025-11-02T07:15:00.000Z',
      '2025-11-02T08:00:00.000Z',
    ]);
  });

  it('hours written to start inside the skipped hour keep their written grid, and so does a day whose midnight is skipped', () => {
    const lhi = 'Australia/Lord_Howe';
    const hourly = rules(lhi, { slotIntervalMinutes: 60 });
    // 02:00 does not exist that day: the hours open at 02:30, the grid still counts from 02:00.
    expect(day('2025-10-05', [w(6, '02:00', '06:00')], hourly).map((s) => local(s.start_time, lhi))).toEqual([
      '03:00',
      '04:00',
      '05:00',
    ]);
    const ny = 'America/New_York';
    const short = rules(ny, { slotIntervalMinutes: 60, durationMinutes: 30 });
    expect(day('2025-03-09', [w(6, '02:15', '06:00')], short).map((s) => local(s.start_time, ny))).toEqual([
      '03:15',
      '04:15',
      '05:15',
    ]);
    // Havana skips 00:00–01:00 on 2025-03-09: the day's grid counts from its midnight all the same.
    const havana = 'America/Havana';
    const quarters = rules(havana, { slotIntervalMinutes: 45, durationMinutes: 45 });
    expect(day('2025-03-09', [w(6, '00:00', '04:00')], quarters).map((s) => local(s.start_time, havana))).toEqual([
      '01:30',
      '02:15',
      '03:00',
    ]);
  });

  it('Asia/Kolkata (+05:30, no DST)', () => {
    const slots = day('2025-03-10', [w(0, '09:00', '12:00')], rules('Asia/Kolkata'));
    expect(starts(slots)).toEqual([
      '2025-03-10T03:30:00.000Z',
      '2025-03-10T04:00:00.000Z',
      '2025-03-10T04:30:00.000Z',
      '2025-03-10T05:00:00.000Z',
      '2025-03-10T05:30:00.000Z',
    ]);
  });

  it('a window ending at 24:00 joins the next day at 00:00; slots belong to the date they start on', () => {
    const windows = [w(0, '22:00', '24:00'), w(1, '00:00', '02:00')]; // Monday late, Tuesday early
    const r = rules('America/New_York');
    const monday = day('2025-01-06', windows, r);
    expect(monday.map((s) => local(s.start_time, 'America/New_York'))).toEqual(['22:00', '22:30', '23:00', '23:30']);
    expect(monday.at(-1)?.end_time).toBe('2025-01-07T05:30:00.000Z'); // 00:30 Tuesday local
    const tuesday = day('2025-01-07', windows, r);
    expect(tuesday.map((s) => local(s.start_time, 'America/New_York'))).toEqual(['00:00', '00:30', '01:00']);
    // Alone, a window to 24:00 ends at midnight.
    expect(day('2025-01-06', [w(0, '22:00', '24:00')], r).map((s) => local(s.start_time, 'America/New_York'))).toEqual([
      '22:00',
      '22:30',
      '23:00',
    ]);
  });
});

describe('freeSlots rules', () => {
  const tz = 'UTC';
  const monday = '2025-01-06';

  it('merges overlapping windows without offering a slot twice', () => {
    const slots = day(monday, [w(0, '09:00', '11:00'), w(0, '10:00', '12:00'), w(0, '09:00', '10:30')], rules(tz));
    expect(starts(slots)).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00'].map((t) => `${monday}T${t}:00.000Z`));
  });

  it('removes exactly the slots whose occupied span overlaps a booking’s (a 15-minute buffer after both, as the old symmetric buffer did)', () => {
    const bookings = [{ start: Date.parse(`${monday}T10:00:00Z`), end: Date.parse(`${monday}T11:00:00Z`) }];
    const noBuffer = day(monday, [w(0, '08:00', '13:00')], rules(tz), { bookings });
    expect(starts(noBuffer).map((s) => s.slice(11, 16))).toEqual([
      '08:00',
      '08:30',
      '09:00',
      '11:00',
      '11:30',
      '12:00',
    ]);
    const occupied = [{ start: Date.parse(`${monday}T10:00:00Z`), end: Date.parse(`${monday}T11:15:00Z`) }];
    const buffered = day(monday, [w(0, '08:00', '13:00')], rules(tz, { bufferAfterMinutes: 15 }), {
      bookings: occupied,
    });
    expect(starts(buffered).map((s) => s.slice(11, 16))).toEqual(['08:00', '08:30', '11:30', '12:00']);
  });

  it('two services on one day: a 30-minute check-in (5 before, 10 after) and a 90-minute home visit (30 after), each offered around the other’s occupied span', () => {
    const checkIn = rules(tz, {
      durationMinutes: 30,
      slotIntervalMinutes: 15,
      bufferBeforeMinutes: 5,
      bufferAfterMinutes: 10,
    });
    const homeVisit = rules(tz, { durationMinutes: 90, slotIntervalMinutes: 15, bufferAfterMinutes: 30 });
    const windows = [w(0, '08:00', '14:00')];
    // A home visit booked 09:00–10:30 occupies until 11:00; a check-in 12:00–12:30 occupies 11:55–12:40.
    const bookings = [
      { start: Date.parse(`${monday}T09:00:00Z`), end: Date.parse(`${monday}T11:00:00Z`) },
      { start: Date.parse(`${monday}T11:55:00Z`), end: Date.parse(`${monday}T12:40:00Z`) },
    ];
    const hhmm = (slots: { start_time: string }[]) => slots.map((s) => s.start_time.slice(11, 16));
    // Check-in: needs [t-5, t+40) free: 08:00 (07:55–08:40) fits, 08:15 (08:10–08:55) fits, 08:30 ends 09:10: no.
    // After the visit: 11:05 is off-grid; 11:15 occupies 11:10–11:55, touching the check-in's span: yes.
    expect(hhmm(day(monday, windows, checkIn, { bookings }))).toEqual([
      '08:00',
      '08:15',
      '11:15',
      '12:45',
      '13:00',
      '13:15',
      '13:30',
    ]);
    // Home visit: needs [t, t+120) free and [t, t+90) inside the window: nothing before 09:00 (08:00 ends 10:00),
    // between the two bookings nothing (11:00 runs to 13:00), after: 12:45 runs to 14:15, past 14:00 for the session.
    expect(hhmm(day(monday, windows, homeVisit, { bookings }))).toEqual([]);
    expect(hhmm(day(monday, [w(0, '08:00', '16:00')], homeVisit, { bookings }))).toEqual([
      '12:45',
      '13:00',
      '13:15',
      '13:30',
      '13:45',
      '14:00',
      '14:15',
      '14:30',
    ]);
  });

  it('has no slots on a break day (inclusive range, local days)', () => {
    const windows = [w(0, '09:00', '11:00'), w(1, '09:00', '11:00'), w(2, '09:00', '11:00')];
    const result = freeSlots({
      fromDate: '2025-01-06',
      toDate: '2025-01-08',
      windows,
      breaks: [{ startDate: '2025-01-07', endDate: '2025-01-07' }],
      bookings: [],
      rules: rules('Pacific/Auckland'),
      now: NOW,
    });
    expect(result.map((d) => [d.date, d.slots.length])).toEqual([
      ['2025-01-06', 3],
      ['2025-01-07', 0],
      ['2025-01-08', 3],
    ]);
  });

  it('respects the minimum notice and the booking horizon', () => {
    const now = Date.parse(`${monday}T09:10:00Z`);
    const notice = day(monday, [w(0, '09:00', '13:00')], rules(tz, { minNoticeMinutes: 120 }), { now });
    expect(starts(notice)[0]).toBe(`${monday}T11:30:00.000Z`);
    const horizon = freeSlots({
      fromDate: monday,
      toDate: '2025-01-12',
      windows: [0, 1, 2, 3, 4, 5, 6].map((d) => w(d, '09:00', '10:00')),
      breaks: [],
      bookings: [],
      rules: rules(tz, { bookingHorizonDays: 2 }),
      now,
    });
    expect(horizon.map((d) => d.slots.length)).toEqual([0, 1, 1, 0, 0, 0, 0]); // Mon 09:00 is past; Wed 09:00 is within 2 days of Mon 09:10
  });

  it('a range equals the concatenation of single days', () => {
    const windows = [w(0, '06:00', '09:00'), w(3, '17:00', '21:00'), w(6, '00:00', '03:00'), w(5, '22:00', '24:00')];
    const r = rules('America/New_York', {
      slotIntervalMinutes: 15,
      durationMinutes: 45,
      bufferBeforeMinutes: 10,
      bufferAfterMinutes: 10,
    });
    const bookings = [{ start: Date.parse('2025-03-09T06:00:00Z'), end: Date.parse('2025-03-09T07:00:00Z') }];
    const breaks = [{ startDate: '2025-03-12', endDate: '2025-03-13' }];
    const range = freeSlots({
      fromDate: '2025-03-01',
      toDate: '2025-03-31',
      windows,
      breaks,
      bookings,
      rules: r,
      now: NOW,
    });
    expect(range).toHaveLength(31);
    for (const d of range) {
      expect(d.slots).toEqual(day(d.date, windows, r, { breaks, bookings }));
    }
  });
});
