// lib/zone.ts reads a zone's rules from Intl in place of temporal-polyfill. Every function of
// lib/calendar.ts with a zone in it is checked here against what Temporal answers (the polyfill
// stays a devDependency for this), around every transition of 24 zones from 1900 to 2040: DST
// both ways, 30-minute and 2-hour shifts, negative DST, midnight gaps, a skipped day, offsets with
// seconds, and zones with transitions weeks apart.
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  fileWallInstant,
  instantOfLocal,
  isoWeekStart,
  LocalDays,
  localDate,
  localInputOf,
  localTime,
  monthStart,
  offsetOf,
  offsetSpans,
  startOfDayMs,
  wallInstant,
  yearStart,
} from '../src/lib/calendar';

const ZONES = [
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Sydney',
  'Australia/Lord_Howe', // 30-minute DST
  'Pacific/Chatham', // +12:45 / +13:45
  'America/Sao_Paulo', // DST from midnight (a day without 00:00)
  'America/Havana', // midnight DST too
  'America/Santiago',
  'Asia/Gaza', // transitions weeks apart (Ramadan)
  'Africa/Casablanca', // DST suspended for Ramadan every year
  'Europe/Dublin', // negative DST in the rules; -00:25:21 until 1916
  'Pacific/Apia', // skipped 30 December 2011
  'America/St_Johns', // -03:30
  'Asia/Kathmandu', // +05:45
  'Antarctica/Troll', // 2-hour DST
  'Europe/Moscow', // 2011 and 2014 changes
  'Asia/Tehran',
  'America/Caracas', // -04:30 from 2007 to 2016
  'Africa/Monrovia', // -00:44:30 until 1972
  'Europe/Vienna', // transitions 9 days apart in 1945
  'America/Recife',
  'Asia/Kolkata',
  'UTC',
];

const FROM = Date.UTC(1900, 0, 1);
const TO = Date.UTC(2040, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const zdt = (ms: number, tz: string) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(tz);

/** Temporal's transitions of a zone in [FROM, TO). */
function transitions(tz: string): number[] {
  const out: number[] = [];
  let at: Temporal.ZonedDateTime | null = zdt(FROM, tz);
  while (at) {
    at = at.getTimeZoneTransition('next');
    if (!at || at.epochMilliseconds >= TO) break;
    out.push(at.epochMilliseconds);
  }
  return out;
}

/** A wall time on a local date as Temporal reads it, each way. */
const temporalWall = (date: string, time: string, tz: string, d: 'earlier' | 'later' | 'compatible') =>
  Temporal.PlainDateTime.from(`${date}T${time}`).toZonedDateTime(tz, { disambiguation: d });

/** What LocalDays.spanBound answered when it was Temporal's (a plain 24-hour day read as one). */
function temporalSpanBound(date: string, time: string, tz: string, edge: 'start' | 'end'): number {
  const wall = Temporal.PlainDateTime.from(`${date}T${time}`);
  const day = Temporal.PlainDate.from(date).toZonedDateTime({ timeZone: tz });
  const next = day.add({ days: 1 }).toPlainDate().toZonedDateTime({ timeZone: tz });
  if (next.epochMilliseconds - day.epochMilliseconds === DAY && day.hour === 0 && day.minute === 0) {
    return day.epochMilliseconds + Temporal.PlainTime.from(time).since('00:00').total('milliseconds');
  }
  const earlier = temporalWall(date, time, tz, 'earlier');
  const later = temporalWall(date, time, tz, 'later');
  if (earlier.epochMilliseconds === later.epochMilliseconds) return earlier.epochMilliseconds;
  if (earlier.toPlainDateTime().equals(wall)) return (edge === 'start' ? earlier : later).epochMilliseconds;
  return earlier.getTimeZoneTransition('next')?.epochMilliseconds ?? later.epochMilliseconds;
}

const TIMES = Array.from({ length: 48 }, (_, i) => {
  const m = i * 30;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`;
});

describe('zone rules from Intl agree with Temporal', () => {
  for (const tz of ZONES) {
    it(`${tz}: offsets, transitions, days and wall times, 1900–2040`, () => {
      const found = transitions(tz);
      // The spans of one offset each, as Temporal's transitions cut them.
      const expected: { start: number; end: number; offsetSeconds: number }[] = [];
      for (const [i, start] of [FROM, ...found].entries()) {
        const offsetSeconds = zdt(start, tz).offsetNanoseconds / 1e9;
        const end = found[i] ?? TO;
        const last = expected[expected.length - 1];
        if (last && last.offsetSeconds === offsetSeconds) last.end = end;
        else expected.push({ start, end, offsetSeconds });
      }
      expect(offsetSpans(tz, FROM, TO)).toEqual(expected);

      // Every local day touching a transition, and one plain day a year.
      const days = new Set<string>();
      for (const t of found) for (const ms of [t - 1, t]) days.add(zdt(ms, tz).toPlainDate().toString());
      for (let y = 1900; y < 2040; y += 5) days.add(`${y}-06-${String((y % 28) + 1).padStart(2, '0')}`);
      let checks = 0;
      for (const date of days) {
        expect(startOfDayMs(date, tz), `${tz} ${date} start`).toBe(
          Temporal.PlainDate.from(date).toZonedDateTime({ timeZone: tz }).epochMilliseconds,
        );
        const local = new LocalDays(tz, date, 1);
        for (const time of TIMES) {
          const at = `${date} ${time}`;
          const earlier = temporalWall(date, time, tz, 'earlier');
          const later = temporalWall(date, time, tz, 'later');
          const compatible = temporalWall(date, time, tz, 'compatible').epochMilliseconds;
          const exists = earlier.toPlainDateTime().equals(Temporal.PlainDateTime.from(`${date}T${time}`));
          expect(local.wallTime(0, time), at).toBe(compatible);
          expect(fileWallInstant(date, time, tz), at).toBe(compatible);
          expect(wallInstant(date, time, tz), at).toBe(exists ? earlier.epochMilliseconds : null);
          expect(local.spanBound(0, time, 'start'), at).toBe(temporalSpanBound(date, time, tz, 'start'));
          expect(local.spanBound(0, time, 'end'), at).toBe(temporalSpanBound(date, time, tz, 'end'));
          const iso = (z: Temporal.ZonedDateTime) => new Date(z.epochMilliseconds).toISOString();
          const reading = instantOfLocal(`${date}T${time.slice(0, 5)}`, tz);
          if (!exists) expect(reading, at).toEqual({ kind: 'gap' });
          else if (earlier.epochMilliseconds === later.epochMilliseconds) {
            expect(reading, at).toEqual({ kind: 'ok', iso: iso(earlier) });
          } else {
            expect(reading, at).toEqual({ kind: 'ambiguous', earlier: iso(earlier), later: iso(later) });
            expect(instantOfLocal(`${date}T${time}`, tz, 'later'), at).toEqual({ kind: 'ok', iso: iso(later) });
          }
          checks++;
        }
      }
      // Instants on both sides of every transition, to the millisecond.
      for (const t of found) {
        for (const ms of [t - HOUR, t - 1000, t - 1, t, t + 1, t + 999, t + 30 * 60_000, t + HOUR]) {
          const z = zdt(ms, tz);
          expect(localDate(ms, tz), `${tz} ${ms}`).toBe(z.toPlainDate().toString());
          expect(localTime(ms, tz), `${tz} ${ms}`).toBe(z.toPlainTime().toString({ smallestUnit: 'second' }));
          const iso = new Date(ms).toISOString();
          expect(localInputOf(iso, tz)).toBe(z.toPlainDateTime().toString({ smallestUnit: 'minute' }));
          expect(offsetOf(iso, tz)).toBe(`UTC${z.offset}`);
        }
      }
      expect(checks).toBeGreaterThanOrEqual(28 * 48);
    });
  }

  it('knows the zones of the transitions it was built for', () => {
    // Samoa skipped Friday 30 December 2011: the day has no start of its own.
    expect(localDate(startOfDayMs('2011-12-31', 'Pacific/Apia') - 1, 'Pacific/Apia')).toBe('2011-12-29');
    // São Paulo, 4 November 2018: the clocks went from 23:59:59 to 01:00.
    expect(localTime(startOfDayMs('2018-11-04', 'America/Sao_Paulo'), 'America/Sao_Paulo')).toBe('01:00:00');
    expect(offsetOf('1900-06-01T00:00:00Z', 'Europe/Dublin')).toBe('UTC-00:25:21');
    expect(offsetOf('1960-06-01T00:00:00Z', 'Africa/Monrovia')).toBe('UTC-00:44:30');
  });

  it('plain dates: week, month and year starts and months added, as Temporal counts them', () => {
    let date = Temporal.PlainDate.from('1899-12-01');
    for (let i = 0; i < 3_000; i++, date = date.add({ days: 13 })) {
      const text = date.toString();
      expect(isoWeekStart(text)).toBe(date.subtract({ days: date.dayOfWeek - 1 }).toString());
      expect(monthStart(text)).toBe(date.with({ day: 1 }).toString());
      expect(yearStart(text)).toBe(date.with({ month: 1, day: 1 }).toString());
      for (const n of [-25, -13, -1, 1, 12, 14])
        expect(addMonths(text, n), `${text} ${n}`).toBe(date.add({ months: n }).toString());
    }
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('9999-12-15', 1)).toBe('+010000-01-15');
    expect(() => addMonths('2026-02-30', 1)).toThrow(RangeError);
  });

  it('refuses a zone the runtime does not know, as Temporal did', () => {
    expect(() => localDate(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => startOfDayMs('2026-01-01', 'Nowhere/Else')).toThrow(RangeError);
  });
});
