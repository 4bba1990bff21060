// Weekly repeats keep their local wall time across DST changes, and report a time the clocks skip.

import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  localTime,
  weekdayOf,
  weeklyOccurrenceCount,
  weeklyOccurrences,
} from '../src/lib/calendar';

const localTimes = (zone: string, occ: { start: number | null }[]) =>
  occ.map((o) => (o.start === null ? null : localTime(o.start, zone)));

describe('weeklyOccurrences', () => {
  for (const [zone, first] of [
    ['America/New_York', '2025-10-07T11:00:00Z'], // Tue 07:00 EDT
    ['Europe/London', '2025-10-07T06:00:00Z'], // Tue 07:00 BST
    ['Australia/Sydney', '2025-10-06T20:00:00Z'], // Tue 07:00 AEDT (Sydney went forward on 5 Oct)
  ] as const) {
    it(`${zone}: a weekly Tuesday 07:00 from October to April stays at 07:00`, () => {
      const occ = weeklyOccurrences(Date.parse(first), zone, { weekdays: [1], intervalWeeks: 1, until: '2026-04-30' });
      expect(occ[0]?.date).toBe('2025-10-07');
      expect(occ.every((o) => o.start !== null)).toBe(true);
      expect(new Set(localTimes(zone, occ))).toEqual(new Set(['07:00:00']));
      expect(occ).toHaveLength(MAX_IN_RANGE);
      // The UTC offset did change in between: the instants are not 7 days apart across the change.
      const offsets = new Set(occ.map((o) => ((o.start ?? 0) - Date.parse(`${o.date}T07:00:00Z`)) / 3_600_000));
      expect(offsets.size).toBe(2);
    });
  }

  it('a wall time the clocks skip is reported (start null), not moved', () => {
    // Sundays at 02:30 in New York: 2026-03-08 has no 02:30.
    const occ = weeklyOccurrences(Date.parse('2026-03-01T07:30:00Z'), 'America/New_York', {
      weekdays: [6],
      intervalWeeks: 1,
      count: 3,
    });
    expect(occ.map((o) => [o.date, o.start === null])).toEqual([
      ['2026-03-01', false],
      ['2026-03-08', true],
      ['2026-03-15', false],
    ]);
  });

  it('every other week, count bound, weekday order, never before the first date', () => {
    // First on a Wednesday; Mondays and Wednesdays every 2 weeks: the Monday before is skipped.
    const occ = weeklyOccurrences(Date.parse('2026-01-07T09:00:00Z'), 'UTC', {
      weekdays: [2, 0],
      intervalWeeks: 2,
      count: 4,
    });
    expect(occ.map((o) => o.date)).toEqual(['2026-01-07', '2026-01-19', '2026-01-21', '2026-02-02']);
  });

  it('never more than 52, whatever the bound', () => {
    const occ = weeklyOccurrences(Date.parse('2026-01-05T09:00:00Z'), 'UTC', {
      weekdays: [0, 1, 2, 3, 4],
      intervalWeeks: 1,
      until: '2026-12-31',
    });
    expect(occ).toHaveLength(52);
  });

  it('weeklyOccurrenceCount counts them all (the callers refuse more than 52 rather than cut)', () => {
    const repeat = { weekdays: [0, 1, 2, 3, 4], intervalWeeks: 1, until: '2026-12-31' };
    // Weekdays of 2026 (261) less Thursday 1 and Friday 2 January.
    expect(weeklyOccurrenceCount(Date.parse('2026-01-05T09:00:00Z'), 'UTC', repeat)).toBe(259);
    expect(weeklyOccurrenceCount(Date.parse('2026-01-05T09:00:00Z'), 'UTC', { ...repeat, until: '2026-01-04' })).toBe(
      0,
    );
    expect(
      weeklyOccurrenceCount(Date.parse('2026-01-05T09:00:00Z'), 'UTC', { weekdays: [0], intervalWeeks: 2, count: 7 }),
    ).toBe(7);
  });
});

// Tuesdays from 7 Oct 2025 to 30 Apr 2026 inclusive: 4 + 4 + 5 + 4 + 4 + 5 + 4.
const MAX_IN_RANGE = 30;

describe('date arithmetic (addDays, daysBetween, weekdayOf: integer days, no Temporal objects)', () => {
  it('agrees with Temporal on every day from 1899 to 2101, leap days and century years included', () => {
    let date = Temporal.PlainDate.from('1899-12-25');
    const end = Temporal.PlainDate.from('2101-01-05');
    let checked = 0;
    while (Temporal.PlainDate.compare(date, end) < 0) {
      const text = date.toString();
      expect(weekdayOf(text)).toBe(date.dayOfWeek - 1);
      for (const n of [-400, -1, 1, 29, 366]) expect(addDays(text, n)).toBe(date.add({ days: n }).toString());
      expect(daysBetween('2000-02-29', text)).toBe(Temporal.PlainDate.from('2000-02-29').until(date).days);
      date = date.add({ days: 1 });
      checked++;
    }
    expect(checked).toBe(73_425); // every day between the two, none skipped
  });

  it('refuses a date that does not exist, as Temporal does', () => {
    for (const bad of ['2026-02-29', '2026-02-30', '2100-02-29', '2026-13-01', '2026-04-31', '2026-1-01', 'soon']) {
      expect(() => addDays(bad, 1), bad).toThrow(RangeError);
      expect(() => weekdayOf(bad), bad).toThrow(RangeError);
    }
    expect(addDays('2024-02-29', 365)).toBe('2025-02-28');
    expect(() => addDays('2026-01-01', 1.5)).toThrow(RangeError);
  });

  it('leaves years outside 0000–9999 to Temporal, written as it writes them', () => {
    expect(addDays('9999-12-31', 1)).toBe('+010000-01-01');
    expect(addDays('+010000-01-01', -1)).toBe('9999-12-31');
    expect(addDays('0000-01-01', -1)).toBe('-000001-12-31');
    expect(daysBetween('9999-12-31', '+010000-01-01')).toBe(1);
    expect(weekdayOf('+010000-01-01')).toBe(Temporal.PlainDate.from('+010000-01-01').dayOfWeek - 1);
  });
});
