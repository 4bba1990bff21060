// Calendar arithmetic: local dates of an IANA zone, the instants their days begin, wall-clock
// times turned into instants, and calendar periods. Pure; a zone's rules come from lib/zone.ts
// (Intl), and "now" is always passed in.
import { epochDayOf, instantOfWall, instantsOfWall, nextTransitionMs, offsetMsAt } from './zone';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** A wall time meaning the end of the day, allowed as the end of a window. */
export const END_OF_DAY = '24:00:00';

/** "HH:MM" or "HH:MM:00" (24:00 as an end) → "HH:MM:00", else null: whole minutes, as a booking's start. */
export function normalizeWallTime(text: string, allowEndOfDay = false): string | null {
  const m = /^(\d{2}):(\d{2})(?::00)?$/.exec(text);
  const [h, min] = [Number(m?.[1]), Number(m?.[2])];
  if (h === 24 && min === 0) return allowEndOfDay ? END_OF_DAY : null;
  return m && h <= 23 && min <= 59 ? `${m[1]}:${m[2]}:00` : null;
}

export const isValidDate = (text: string): boolean => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  try {
    epochDay(text);
    return true;
  } catch {
    return false;
  }
};

/**
 * Whole days since 1970-01-01 of an ISO date ("YYYY-MM-DD", or "±YYYYYY-MM-DD" past the years
 * 0000-9999, as 9999-12-31 plus a day is +010000-01-01), and back. Not a real date: RangeError.
 */
function epochDay(date: string): number {
  const day = PLAIN_DATE.test(date) ? Date.parse(`${date}T00:00:00Z`) / DAY_MS : Number.NaN;
  if (Number.isNaN(day) || dateOfEpochDay(day) !== date) throw new RangeError(`Not a date: ${date}`);
  return day;
}
const PLAIN_DATE = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}$/;
/** The date of a day number, written as Temporal writes dates ("+010000-01-01" past 9999). */
const dateOfEpochDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, -14);
/** The wall clock of an instant in a zone, written as if it were UTC (ms). */
const wallMsOf = (epochMs: number, timeZone: string): number => epochMs + offsetMsAt(epochMs, timeZone);
/** A local date and wall time (ms into the day) as one reading written as if it were UTC. */
const wallOf = (date: string, time: string): number => epochDay(date) * DAY_MS + secondsOfDay(time) * 1000;

export function addDays(date: string, days: number): string {
  if (!Number.isInteger(days)) throw new RangeError(`Not a whole number of days: ${days}`);
  return dateOfEpochDay(epochDay(date) + days);
}

export const daysBetween = (from: string, to: string): number => epochDay(to) - epochDay(from);

/** The wall-clock date of an instant in a zone. */
export const localDate = (epochMs: number, timeZone: string): string =>
  dateOfEpochDay(Math.floor(wallMsOf(epochMs, timeZone) / DAY_MS));

/** Today's date in a zone. */
export const today = (timeZone: string, nowMs: number): string => localDate(nowMs, timeZone);

/** The instant a local day begins (usually midnight; later where midnight does not exist). */
export function startOfDayMs(date: string, timeZone: string): number {
  // Zone rules are fixed for the isolate's life, and every check and range asks for the same days.
  const key = `${timeZone}|${date}`;
  let v = dayStartCache.get(key);
  if (v === undefined) {
    // Midnight's first showing; where the clocks skip midnight, the instant they jump.
    const midnight = epochDay(date) * DAY_MS;
    v = instantsOfWall(midnight, timeZone)[0] ?? (nextTransitionMs(midnight - DAY_MS, timeZone) as number);
    if (dayStartCache.size > 10_000) dayStartCache.clear();
    dayStartCache.set(key, v);
  }
  return v;
}
const dayStartCache = new Map<string, number>();

/** The weekday of a local date: 0 = Monday … 6 = Sunday (1970-01-01, day 0, was a Thursday). */
const weekdayOfDay = (day: number): number => (((day + 3) % 7) + 7) % 7;
export const weekdayOf = (date: string): number => weekdayOfDay(epochDay(date));

const secondsOfDay = (time: string): number => {
  const [h, m, s] = time.split(':').map(Number);
  return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
};

/** Consecutive local days: `starts[i]` is when day `from + i` begins, one more ends the last (no zone calls in hot loops). */
export class LocalDays {
  readonly starts: number[] = [];
  /** The local dates, "YYYY-MM-DD". */
  readonly dates: string[] = [];
  readonly #first: number;

  constructor(
    readonly timeZone: string,
    from: string,
    count: number,
  ) {
    this.#first = epochDay(from);
    for (let i = 0; i <= count; i++) {
      const date = dateOfEpochDay(this.#first + i);
      this.dates.push(date);
      this.starts.push(startOfDayMs(date, timeZone));
    }
  }

  /** A plain 24-hour day, whose offset does not change: its wall times are offsets from its start. */
  #plain(i: number): boolean {
    const [dayStart, next] = [this.starts[i] as number, this.starts[i + 1]];
    this.#plainDays[i] ??= next !== undefined && next - dayStart === DAY_MS && localMidnight(dayStart, this.timeZone);
    return this.#plainDays[i];
  }
  readonly #plainDays: boolean[] = [];

  /** The instant of a wall time on day i; a wall time skipped by DST moves forward by the gap. */
  wallTime(i: number, time: string): number {
    const next = this.starts[i + 1];
    if (time === END_OF_DAY) return next ?? startOfDayMs(addDays(this.dates[i] as string, 1), this.timeZone);
    if (this.#plain(i)) return (this.starts[i] as number) + secondsOfDay(time) * 1000;
    return instantOfWall(wallOf(this.dates[i] as string, time), this.timeZone, 'compatible');
  }

  /**
   * The instant a wall time bounds a span of day i (a partial-day break), so that [start, end) covers
   * every instant whose wall clock reads between the two: a time the clocks skip is the instant they
   * jump, for a start and an end alike (02:00–03:00 that day covers nothing, 01:30–02:30 ends at
   * 03:00); a time they show twice is its first showing as a start and its second as an end.
   */
  spanBound(i: number, time: string, edge: 'start' | 'end'): number {
    if (time === END_OF_DAY || this.#plain(i)) return this.wallTime(i, time);
    const wall = wallOf(this.dates[i] as string, time);
    const found = instantsOfWall(wall, this.timeZone);
    if (found.length) return (edge === 'start' ? found[0] : found[found.length - 1]) as number;
    // Skipped: the clocks jumped over it at the first transition after the earlier reading.
    const earlier = instantOfWall(wall, this.timeZone, 'earlier');
    return nextTransitionMs(earlier, this.timeZone) ?? instantOfWall(wall, this.timeZone, 'later');
  }

  /**
   * Starts on day i in [from, until), every `stepMs` of wall-clock time from the wall time `anchor`
   * ("HH:MM:SS", as the hours were written, even where the clocks skip it): a clock change keeps
   * the grid's wall times (hourly from 00:00 or 02:00 on Lord Howe's spring day: 01:00, 03:00,
   * never 02:30); a skipped reading has no start, a repeated one a start at each showing. (No zone
   * is ahead of UTC by more than 14 hours: every instant before `until` reads earlier than the bound.)
   */
  gridStarts(i: number, from: number, anchor: string, stepMs: number, until: number): number[] {
    const out: number[] = [];
    if (this.#plain(i)) {
      for (let t = from; t < until; t += stepMs) out.push(t);
      return out;
    }
    for (let wall = wallOf(this.dates[i] as string, anchor); wall < until + 14 * HOUR_MS; wall += stepMs)
      for (const t of instantsOfWall(wall, this.timeZone)) if (t >= from && t < until) out.push(t);
    return out.sort((a, b) => a - b); // a repeated reading's second showing comes after later readings
  }

  /** The weekday of day i: 0 = Monday … 6 = Sunday. */
  weekday(i: number): number {
    return weekdayOfDay(this.#first + i);
  }

  /** Index of the day containing the instant, or -1 outside the span. */
  indexOf(t: number): number {
    const s = this.starts;
    if (t < (s[0] as number) || t >= (s[s.length - 1] as number)) return -1;
    let lo = 0;
    let hi = s.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((s[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

const midnightCache = new Map<string, boolean>();
function localMidnight(epochMs: number, timeZone: string): boolean {
  const key = `${timeZone}@${epochMs}`;
  let v = midnightCache.get(key);
  if (v === undefined) {
    v = Math.floor(wallMsOf(epochMs, timeZone) / 1000) % (DAY_MS / 1000) === 0;
    if (midnightCache.size > 10_000) midnightCache.clear();
    midnightCache.set(key, v);
  }
  return v;
}

/** Local days from the day before `fromDate` to the day after `toDate` (a window to 24:00 joins one from 00:00). */
export function daysAround(timeZone: string, fromDate: string, toDate: string): LocalDays {
  return new LocalDays(timeZone, addDays(fromDate, -1), daysBetween(fromDate, toDate) + 3);
}

// ---- calendar periods and UTC offsets (analytics) ----------------------------------------

/** The Monday starting the ISO week of a date. */
export const isoWeekStart = (date: string): string => addDays(date, -weekdayOf(date));

/** The first day of a date's month. */
export const monthStart = (date: string): string => `${date.slice(0, -2)}01`;

/** The first day of a date's year. */
export const yearStart = (date: string): string => `${date.slice(0, -6)}-01-01`;

/** A date moved by whole months (the day clamped to the month's length). */
export function addMonths(date: string, months: number): string {
  if (!Number.isInteger(months)) throw new RangeError(`Not a whole number of months: ${months}`);
  const day = new Date(epochDay(date) * DAY_MS);
  const total = day.getUTCFullYear() * 12 + day.getUTCMonth() + months;
  const [y, m] = [Math.floor(total / 12), (((total % 12) + 12) % 12) + 1];
  const length = epochDayOf(y, m + 1, 1) - epochDayOf(y, m, 1);
  return dateOfEpochDay(epochDayOf(y, m, Math.min(day.getUTCDate(), length)));
}

export type CalendarPeriod = 'week' | 'month' | 'year';

/** The local days of the ISO week, calendar month or calendar year containing `date`: [start, end) as dates. */
export function periodOf(period: CalendarPeriod, date: string): DateSpanExclusive {
  if (period === 'week') {
    const start = isoWeekStart(date);
    return { start, end: addDays(start, 7) };
  }
  if (period === 'month') {
    const start = monthStart(date);
    return { start, end: addMonths(start, 1) };
  }
  const start = yearStart(date);
  return { start, end: addMonths(start, 12) };
}

export interface DateSpanExclusive {
  start: string; // "YYYY-MM-DD", first day
  end: string; // the day after the last
}

/** A stretch of time in which a zone keeps one UTC offset. */
export interface OffsetSpan {
  start: number;
  end: number;
  offsetSeconds: number; // local wall time = UTC + offsetSeconds
}

/**
 * The zone's UTC offsets over [fromMs, toMs): consecutive spans covering it, one per offset
 * in force, split at every transition (lib/zone.ts, so DST and historical changes are
 * exact). Lets SQL turn stored UTC instants into wall-clock times without a time-zone database.
 */
export function offsetSpans(timeZone: string, fromMs: number, toMs: number): OffsetSpan[] {
  const spans: OffsetSpan[] = [];
  let start = fromMs;
  while (start < toMs) {
    const offsetSeconds = offsetMsAt(start, timeZone) / 1000;
    const next = nextTransitionMs(start, timeZone);
    const end = next !== null && next < toMs ? next : toMs;
    const last = spans[spans.length - 1];
    if (last && last.offsetSeconds === offsetSeconds) last.end = end;
    else spans.push({ start, end, offsetSeconds });
    if (next === null) break;
    start = end;
  }
  return spans;
}

/** 'today' or 'tomorrow' when the instant falls on that local day in the zone (seen at `nowMs`), else null. */
export function dayRelation(epochMs: number, nowMs: number, timeZone: string): 'today' | 'tomorrow' | null {
  const day = localDate(epochMs, timeZone);
  const now = localDate(nowMs, timeZone);
  if (day === now) return 'today';
  return day === addDays(now, 1) ? 'tomorrow' : null;
}

/** A weekly repeat: weekdays (0 = Monday), every `intervalWeeks` weeks, `count` times or until a date. */
export interface WeeklyRepeat {
  weekdays: number[];
  intervalWeeks: number;
  count?: number;
  /** Inclusive last local date. */
  until?: string;
}

/** One occurrence: its local date, and its instant, or null when that wall time does not exist that day. */
export interface Occurrence {
  date: string;
  start: number | null;
}

/** The local wall-clock time ("HH:MM:SS") of an instant in a zone. */
export const localTime = (epochMs: number, timeZone: string): string =>
  new Date(wallMsOf(epochMs, timeZone)).toISOString().slice(-13, -5);

/**
 * The instant of a wall-clock time on a local date, or null when the clocks skip it that day (a
 * spring-forward gap). A repeated time (fall back) is its first showing, as calendar apps do.
 */
export function wallInstant(date: string, time: string, timeZone: string): number | null {
  return instantsOfWall(wallOf(date, time), timeZone)[0] ?? null;
}

/**
 * The instant a calendar file's local date and time mean in a zone (RFC 5545 3.3.5): a time the
 * clocks skip is read with the offset before the gap (so it moves forward by the gap), a time
 * they show twice is its first showing.
 */
export const fileWallInstant = (date: string, time: string, timeZone: string): number =>
  instantOfWall(wallOf(date, time), timeZone, 'compatible');

/** An instant as an `<input type="datetime-local">` value in a zone: "2027-03-20T10:00". */
export const localInputOf = (iso: string, timeZone: string): string =>
  new Date(wallMsOf(Date.parse(iso), timeZone)).toISOString().slice(0, 16);

/** An instant's offset in a zone, as people read it: "UTC+02:00" ("UTC-00:44:30" with seconds). */
export function offsetOf(iso: string, timeZone: string): string {
  const seconds = offsetMsAt(Date.parse(iso), timeZone) / 1000;
  const abs = Math.abs(seconds);
  const [h, m, s] = [Math.floor(abs / 3600), Math.floor(abs / 60) % 60, abs % 60].map((n) => `${n}`.padStart(2, '0'));
  return `UTC${seconds < 0 ? '-' : '+'}${h}:${m}${s === '00' ? '' : `:${s}`}`;
}

/**
 * A wall-clock time typed in a zone ("2027-03-28T02:30", as a datetime-local input sends it)
 * read as an instant: `invalid` when it is no such time, `gap` when the clocks skip it that day,
 * `ambiguous` when they show it twice (both instants given, earlier first) unless `which` says
 * which showing is meant.
 */
export type LocalReading =
  | { kind: 'ok'; iso: string }
  | { kind: 'invalid' }
  | { kind: 'gap' }
  | { kind: 'ambiguous'; earlier: string; later: string };

export function instantOfLocal(text: string, timeZone: string, which?: 'earlier' | 'later'): LocalReading {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$/.test(text)) return { kind: 'invalid' };
  const [date, time] = text.split('T') as [string, string];
  if (!isValidDate(date) || normalizeWallTime(time.slice(0, 5)) === null || time.slice(6) > '59') {
    return { kind: 'invalid' };
  }
  const found = instantsOfWall(wallOf(date, time), timeZone).map((ms) => new Date(ms).toISOString());
  const [earlier, later] = [found[0], found[found.length - 1]];
  if (earlier === undefined || later === undefined) return { kind: 'gap' };
  if (earlier === later) return { kind: 'ok', iso: earlier };
  if (which) return { kind: 'ok', iso: which === 'earlier' ? earlier : later };
  return { kind: 'ambiguous', earlier, later };
}

/** Most occurrences a repeat may have; callers also bound `until` (a year ahead). */
export const MAX_OCCURRENCES = 52;

/**
 * The local dates of a weekly repeat from `firstDate` on: every listed weekday, in the weeks
 * (Monday to Sunday) that are a multiple of `intervalWeeks` after the first one, until `count`
 * dates or the `until` date (no cap here); with neither bound, the first week only.
 */
function* weeklyDates(firstDate: string, repeat: WeeklyRepeat): Generator<string> {
  const weekdays = [...new Set(repeat.weekdays)].sort((a, b) => a - b);
  if (!weekdays.length || repeat.intervalWeeks < 1) return;
  const first = epochDay(firstDate);
  const monday = first - weekdayOfDay(first);
  const last = repeat.until ? epochDay(repeat.until) : null;
  let given = 0;
  for (let week = 0; ; week += repeat.intervalWeeks) {
    for (const weekday of weekdays) {
      const date = monday + week * 7 + weekday;
      if (date < first) continue;
      if (last !== null && date > last) return;
      if (repeat.count !== undefined && given >= repeat.count) return;
      given++;
      yield dateOfEpochDay(date);
    }
    if (last === null && repeat.count === undefined) return; // neither bound (callers require one)
  }
}

/**
 * How many occurrences a weekly repeat from `firstStart` has, uncapped: a caller refuses an
 * `until` that gives more than MAX_OCCURRENCES rather than cutting it.
 */
export function weeklyOccurrenceCount(firstStart: number, timeZone: string, repeat: WeeklyRepeat): number {
  let n = 0;
  for (const _ of weeklyDates(localDate(firstStart, timeZone), repeat)) n++;
  return n;
}

/**
 * The occurrences of a weekly repeat that starts at `firstStart`: the same local wall-clock time
 * in `timeZone` on the repeat's dates (`weeklyDates`), at most MAX_OCCURRENCES of them. DST
 * changes keep the wall time; a day without it yields `start: null` (the caller reports it). The
 * first date keeps `firstStart` (perhaps a repeated time's second showing); later, the first.
 */
export function weeklyOccurrences(firstStart: number, timeZone: string, repeat: WeeklyRepeat): Occurrence[] {
  const time = localTime(firstStart, timeZone);
  const first = localDate(firstStart, timeZone);
  const out: Occurrence[] = [];
  for (const d of weeklyDates(first, repeat)) {
    if (out.length >= MAX_OCCURRENCES) break;
    out.push({ date: d, start: d === first ? firstStart : wallInstant(d, time, timeZone) });
  }
  return out;
}
