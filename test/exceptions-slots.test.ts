// Schedule exceptions in the pure slot math: date overrides replace a weekday's windows, and
// partial-day breaks block the same wall-clock hours of each of their days, DST changes included.
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  breakIntervals,
  type DateOverride,
  type DateSpan,
  type FreeSlotsInput,
  freeSlots,
  openIntervals,
  type SlotRules,
  type WeeklyWindow,
} from '../src/scheduling/slots';
import { NOW, rules, w } from './slot-rules';

const everyDay = (start: string, end: string) => [0, 1, 2, 3, 4, 5, 6].map((d) => w(d, start, end));

function days(from: string, to: string, windows: WeeklyWindow[], r: SlotRules, extra: Partial<FreeSlotsInput> = {}) {
  return freeSlots({ fromDate: from, toDate: to, windows, breaks: [], bookings: [], rules: r, now: NOW, ...extra });
}

/** Each day's slot starts as local wall times ("HH:MM"). */
const localStarts = (result: ReturnType<typeof freeSlots>, tz: string) =>
  Object.fromEntries(
    result.map((d) => [
      d.date,
      d.slots.map((s) =>
        Temporal.Instant.from(s.start_time).toZonedDateTimeISO(tz).toPlainTime().toString({ smallestUnit: 'minute' }),
      ),
    ]),
  );

const iso = (ms: number) => new Date(ms).toISOString();
const spans = (list: { start: number; end: number }[]) => list.map((i) => [iso(i.start), iso(i.end)]);
const partial = (startDate: string, endDate: string, startTime: string, endTime: string): DateSpan => ({
  startDate,
  endDate,
  startTime,
  endTime,
});

describe('date overrides', () => {
  // Monday to Saturday 09:00–12:00; Sundays closed.
  const weekdays = [0, 1, 2, 3, 4, 5].map((d) => w(d, '09:00:00', '12:00:00'));
  const sundayOpen: DateOverride = {
    date: '2025-06-15',
    windows: [{ startTime: '10:00:00', endTime: '12:00:00' }],
  };

  it('an override opens a Sunday (that date only); the next Sunday stays closed', () => {
    const r = rules('Europe/London');
    expect(localStarts(days('2025-06-15', '2025-06-15', weekdays, r), 'Europe/London')).toEqual({ '2025-06-15': [] });
    const result = days('2025-06-14', '2025-06-22', weekdays, r, { overrides: [sundayOpen] });
    const local = localStarts(result, 'Europe/London');
    expect(local['2025-06-15']).toEqual(['10:00', '10:30', '11:00']);
    expect(result.find((d) => d.date === '2025-06-15')?.slots[0]).toEqual({
      start_time: '2025-06-15T09:00:00.000Z', // 10:00 BST
      end_time: '2025-06-15T10:00:00.000Z',
    });
    expect(local['2025-06-22']).toEqual([]);
    expect(local['2025-06-14']).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00']);
  });

  it('an override replaces the weekday windows of its date; no windows close it; several windows stay apart', () => {
    const r = rules('America/New_York');
    const result = days('2025-06-16', '2025-06-18', weekdays, r, {
      overrides: [
        { date: '2025-06-16', windows: [] },
        {
          date: '2025-06-17',
          windows: [
            { startTime: '07:00:00', endTime: '08:00:00' },
            { startTime: '13:00:00', endTime: '14:30:00' },
          ],
        },
      ],
    });
    expect(localStarts(result, 'America/New_York')).toEqual({
      '2025-06-16': [],
      '2025-06-17': ['07:00', '13:00', '13:30'],
      '2025-06-18': ['09:00', '09:30', '10:00', '10:30', '11:00'],
    });
  });

  it('openIntervals (the booking check) sees the same override', () => {
    const open = openIntervals(weekdays, 'Europe/London', '2025-06-15', '2025-06-15', [sundayOpen]);
    expect(spans(open)).toContainEqual(['2025-06-15T09:00:00.000Z', '2025-06-15T11:00:00.000Z']);
  });

  it('an override on a spring-forward day keeps its wall times (New York, 2025-03-09)', () => {
    const tz = 'America/New_York';
    const result = days('2025-03-09', '2025-03-09', weekdays, rules(tz), {
      overrides: [{ date: '2025-03-09', windows: [{ startTime: '01:00:00', endTime: '05:00:00' }] }],
    });
    // 01:00 EST … 05:00 EDT is three real hours: 01:00, 01:30 (ends 03:30 EDT), then from 03:00 EDT.
    expect(localStarts(result, tz)['2025-03-09']).toEqual(['01:00', '01:30', '03:00', '03:30', '04:00']);
  });
});

describe('partial-day breaks across DST changes', () => {
  it('America/New_York, spring forward (2025-03-09): a 14:00–16:00 break keeps its wall times every day', () => {
    const tz = 'America/New_York';
    const result = days('2025-03-07', '2025-03-11', everyDay('12:00', '18:00'), rules(tz), {
      breaks: [partial('2025-03-07', '2025-03-11', '14:00:00', '16:00:00')],
    });
    const expected = ['12:00', '12:30', '13:00', '16:00', '16:30', '17:00'];
    expect(localStarts(result, tz)).toEqual({
      '2025-03-07': expected,
      '2025-03-08': expected,
      '2025-03-09': expected,
      '2025-03-10': expected,
      '2025-03-11': expected,
    });
    expect(
      spans(
        breakIntervals([partial('2025-03-08', '2025-03-09', '14:00:00', '16:00:00')], tz, '2025-03-08', '2025-03-09'),
      ),
    ).toEqual([
      ['2025-03-08T19:00:00.000Z', '2025-03-08T21:00:00.000Z'], // EST
      ['2025-03-09T18:00:00.000Z', '2025-03-09T20:00:00.000Z'], // EDT
    ]);
  });

  it('America/New_York, spring forward: a break across the skipped hour covers the wall times that exist', () => {
    const tz = 'America/New_York';
    const on = (start: string, end: string) =>
      spans(breakIntervals([partial('2025-03-09', '2025-03-09', start, end)], tz, '2025-03-09', '2025-03-09'));
    // 01:00 EST to 04:00 EDT: two real hours.
    expect(on('01:00:00', '04:00:00')).toEqual([['2025-03-09T06:00:00.000Z', '2025-03-09T08:00:00.000Z']]);
    // 02:00–03:00 does not exist that day: nothing is blocked.
    expect(on('02:00:00', '03:00:00')).toEqual([]);
    expect(on('02:15:00', '02:45:00')).toEqual([]);
    // A bound inside the gap is the instant the clocks jump (03:00 EDT = 07:00Z).
    expect(on('01:30:00', '02:30:00')).toEqual([['2025-03-09T06:30:00.000Z', '2025-03-09T07:00:00.000Z']]);
    expect(on('02:30:00', '04:00:00')).toEqual([['2025-03-09T07:00:00.000Z', '2025-03-09T08:00:00.000Z']]);
    // And the slots agree: with 01:00–04:00 blocked, the night window 00:00–06:00 offers 00:00, then 04:00 on.
    const result = days('2025-03-09', '2025-03-09', everyDay('00:00', '06:00'), rules(tz), {
      breaks: [partial('2025-03-09', '2025-03-09', '01:00:00', '04:00:00')],
    });
    expect(localStarts(result, tz)['2025-03-09']).toEqual(['00:00', '04:00', '04:30', '05:00']);
  });

  it('America/New_York, fall back (2025-11-02): the repeated hour is blocked both times; other days keep their hours', () => {
    const tz = 'America/New_York';
    const list = breakIntervals(
      [partial('2025-11-01', '2025-11-03', '01:00:00', '02:00:00')],
      tz,
      '2025-11-01',
      '2025-11-03',
    );
    expect(spans(list)).toEqual([
      ['2025-11-01T05:00:00.000Z', '2025-11-01T06:00:00.000Z'], // 01:00–02:00 EDT
      ['2025-11-02T05:00:00.000Z', '2025-11-02T07:00:00.000Z'], // 01:00 EDT … 02:00 EST: both 01:xx hours
      ['2025-11-03T06:00:00.000Z', '2025-11-03T07:00:00.000Z'], // 01:00–02:00 EST
    ]);
    const result = days('2025-11-01', '2025-11-03', everyDay('12:00', '18:00'), rules(tz), {
      breaks: [partial('2025-11-01', '2025-11-03', '14:00:00', '16:00:00')],
    });
    const expected = ['12:00', '12:30', '13:00', '16:00', '16:30', '17:00'];
    expect(localStarts(result, tz)).toEqual({ '2025-11-01': expected, '2025-11-02': expected, '2025-11-03': expected });
  });

  it('Europe/London, spring forward (2025-03-30) and autumn (2025-10-26; London changes in October, not November)', () => {
    const tz = 'Europe/London';
    const afternoon = (from: string, to: string) =>
      localStarts(
        days(from, to, everyDay('12:00', '18:00'), rules(tz), { breaks: [partial(from, to, '14:00:00', '16:00:00')] }),
        tz,
      );
    const expected = ['12:00', '12:30', '13:00', '16:00', '16:30', '17:00'];
    expect(afternoon('2025-03-29', '2025-03-31')).toEqual({
      '2025-03-29': expected,
      '2025-03-30': expected,
      '2025-03-31': expected,
    });
    expect(afternoon('2025-10-25', '2025-10-27')).toEqual({
      '2025-10-25': expected,
      '2025-10-26': expected,
      '2025-10-27': expected,
    });
    const on = (date: string, start: string, end: string) =>
      spans(breakIntervals([partial(date, date, start, end)], tz, date, date));
    // 01:00–02:00 does not exist on 2025-03-30.
    expect(on('2025-03-30', '01:15:00', '01:45:00')).toEqual([]);
    expect(on('2025-03-30', '00:30:00', '01:30:00')).toEqual([
      ['2025-03-30T00:30:00.000Z', '2025-03-30T01:00:00.000Z'],
    ]);
    // 01:00–02:00 happens twice on 2025-10-26 (BST, then GMT): both are blocked.
    expect(on('2025-10-26', '01:00:00', '02:00:00')).toEqual([
      ['2025-10-26T00:00:00.000Z', '2025-10-26T02:00:00.000Z'],
    ]);
    expect(on('2025-10-26', '14:00:00', '16:00:00')).toEqual([
      ['2025-10-26T14:00:00.000Z', '2025-10-26T16:00:00.000Z'],
    ]);
  });

  it('a partial break ending at 24:00 blocks to the end of each day; whole-day breaks are unchanged', () => {
    const tz = 'Europe/London';
    expect(
      spans(
        breakIntervals([partial('2025-10-26', '2025-10-26', '20:00:00', '24:00:00')], tz, '2025-10-26', '2025-10-26'),
      ),
    ).toEqual([['2025-10-26T20:00:00.000Z', '2025-10-27T00:00:00.000Z']]);
    expect(
      spans(breakIntervals([{ startDate: '2025-03-30', endDate: '2025-03-30' }], tz, '2025-03-30', '2025-03-30')),
    ).toEqual([
      ['2025-03-30T00:00:00.000Z', '2025-03-30T23:00:00.000Z'], // a 23-hour day
    ]);
  });
});
