// Free-slot computation: pure, no I/O. Weekly windows are wall-clock times in the trainer's
// IANA zone, turned into instants day by day (so DST days keep their wall times); bookings,
// breaks and the answer are instants (epoch milliseconds inside, ISO strings outside).
import { Temporal } from 'temporal-polyfill';

export const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Half-open [start, end) in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

export interface WeeklyWindow {
  dayOfWeek: number; // 0 = Monday … 6 = Sunday
  startTime: string; // "HH:MM:SS"
  endTime: string; // "HH:MM:SS", or "24:00:00" for the end of the day
}

export interface DateSpan {
  startDate: string; // "YYYY-MM-DD", inclusive
  endDate: string; // inclusive
}

export interface SlotRules {
  timezone: string;
  durationMinutes: number;
  slotIntervalMinutes: number;
  bufferMinutes: number;
  minNoticeMinutes: number;
  bookingHorizonDays: number;
}

export interface Slot {
  start_time: string;
  end_time: string;
}

export interface DaySlots {
  date: string;
  slots: Slot[];
}

export const END_OF_DAY = '24:00:00';

/** "HH:MM" or "HH:MM:SS" (or 24:00 as an end) → "HH:MM:SS", else null. */
export function normalizeWallTime(text: string, allowEndOfDay = false): string | null {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  if (h === 24 && min === 0 && s === 0) return allowEndOfDay ? END_OF_DAY : null;
  if (h > 23 || min > 59 || s > 59) return null;
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}`;
}

export const isValidDate = (text: string): boolean => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  try {
    Temporal.PlainDate.from(text, { overflow: 'reject' });
    return true;
  } catch {
    return false;
  }
};

export const addDays = (date: string, days: number): string => Temporal.PlainDate.from(date).add({ days }).toString();

export const daysBetween = (from: string, to: string): number =>
  Temporal.PlainDate.from(from).until(Temporal.PlainDate.from(to), { largestUnit: 'days' }).days;

/** The wall-clock date of an instant in a zone. */
export const localDate = (epochMs: number, timeZone: string): string =>
  Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(timeZone).toPlainDate().toString();

/** Today's date in a zone. */
export const today = (timeZone: string, nowMs = Date.now()): string => localDate(nowMs, timeZone);

/** The instant a local day begins (usually midnight; later where midnight does not exist). */
function startOfDay(date: Temporal.PlainDate, timeZone: string): number {
  // Zone rules are fixed for the isolate's life, and every check and range asks for the same days.
  const key = `${timeZone}|${date.toString()}`;
  let v = dayStartCache.get(key);
  if (v === undefined) {
    v = date.toZonedDateTime({ timeZone }).epochMilliseconds;
    if (dayStartCache.size > 10_000) dayStartCache.clear();
    dayStartCache.set(key, v);
  }
  return v;
}
const dayStartCache = new Map<string, number>();

export const startOfDayMs = (date: string, timeZone: string): number =>
  startOfDay(Temporal.PlainDate.from(date), timeZone);

const secondsOfDay = (time: string): number => {
  const [h, m, s] = time.split(':').map(Number);
  return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
};

/**
 * Local calendar of consecutive days: `starts[i]` is the instant day `from + i` begins, with one
 * more entry for the end of the last day. Lets the hot loops avoid time-zone calls.
 */
class LocalDays {
  readonly starts: number[] = [];
  readonly dates: Temporal.PlainDate[] = [];

  constructor(
    readonly timeZone: string,
    readonly from: Temporal.PlainDate,
    count: number,
  ) {
    for (let i = 0; i <= count; i++) {
      const date = from.add({ days: i });
      this.dates.push(date);
      this.starts.push(startOfDay(date, timeZone));
    }
  }

  /** The instant of a wall time on day i; a wall time skipped by DST moves forward, as clocks do. */
  wallTime(i: number, time: string): number {
    const dayStart = this.starts[i] as number;
    const next = this.starts[i + 1];
    if (time === END_OF_DAY)
      return next ?? startOfDay((this.dates[i] as Temporal.PlainDate).add({ days: 1 }), this.timeZone);
    // A plain 24-hour day whose offset does not change: the wall time is an offset from its start.
    if (next !== undefined && next - dayStart === DAY_MS && localMidnight(dayStart, this.timeZone)) {
      return dayStart + secondsOfDay(time) * 1000;
    }
    return (this.dates[i] as Temporal.PlainDate).toZonedDateTime({
      timeZone: this.timeZone,
      plainTime: Temporal.PlainTime.from(time),
    }).epochMilliseconds;
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
    const zdt = Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(timeZone);
    v = zdt.hour === 0 && zdt.minute === 0 && zdt.second === 0;
    if (midnightCache.size > 10_000) midnightCache.clear();
    midnightCache.set(key, v);
  }
  return v;
}

/** Sorts and merges overlapping or touching intervals. */
export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** True when [start, end) overlaps some interval of a merged (sorted, disjoint) list. */
export function overlapsAny(merged: Interval[], start: number, end: number): boolean {
  let lo = 0;
  let hi = merged.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((merged[mid] as Interval).end <= start) lo = mid + 1;
    else hi = mid;
  }
  const candidate = merged[lo];
  return candidate !== undefined && candidate.start < end;
}

/** True when [start, end) lies inside one interval of a merged list. */
export function coveredBy(merged: Interval[], start: number, end: number): boolean {
  return merged.some((i) => i.start <= start && end <= i.end);
}

/**
 * Local days from the day before `fromDate` to the day after `toDate`: windows of the
 * neighbouring days count too, so a window ending at 24:00 joins one starting at 00:00.
 */
function daysAround(timeZone: string, fromDate: string, toDate: string): LocalDays {
  const first = Temporal.PlainDate.from(fromDate).subtract({ days: 1 });
  return new LocalDays(timeZone, first, daysBetween(first.toString(), toDate) + 2);
}

/** The trainer's open time around two local dates (inclusive), merged. */
export function openIntervals(windows: WeeklyWindow[], timeZone: string, fromDate: string, toDate: string): Interval[] {
  return openIntervalsOn(daysAround(timeZone, fromDate, toDate), windows);
}

function openIntervalsOn(days: LocalDays, windows: WeeklyWindow[]): Interval[] {
  const byDay: WeeklyWindow[][] = [[], [], [], [], [], [], []];
  for (const w of windows) byDay[w.dayOfWeek]?.push(w);
  const out: Interval[] = [];
  for (let i = 0; i < days.dates.length - 1; i++) {
    const weekday = (days.dates[i] as Temporal.PlainDate).dayOfWeek - 1;
    for (const w of byDay[weekday] ?? []) {
      out.push({ start: days.wallTime(i, w.startTime), end: days.wallTime(i, w.endTime) });
    }
  }
  return mergeIntervals(out);
}

/** Break days (inclusive, local) as instants: from the start of the first day to the start of the day after the last. */
export function breakIntervals(breaks: DateSpan[], timeZone: string): Interval[] {
  return mergeIntervals(
    breaks.map((b) => ({
      start: startOfDay(Temporal.PlainDate.from(b.startDate), timeZone),
      end: startOfDay(Temporal.PlainDate.from(b.endDate).add({ days: 1 }), timeZone),
    })),
  );
}

/** Busy bookings widened by the buffer on both sides, merged. */
export const busyIntervals = (bookings: Interval[], bufferMinutes: number): Interval[] =>
  mergeIntervals(
    bookings.map((b) => ({ start: b.start - bufferMinutes * MINUTE_MS, end: b.end + bufferMinutes * MINUTE_MS })),
  );

export interface FreeSlotsInput {
  fromDate: string;
  toDate: string;
  windows: WeeklyWindow[];
  breaks: DateSpan[];
  bookings: Interval[]; // pending and confirmed
  rules: SlotRules;
  now: number;
}

/**
 * Free slots for every local date from `fromDate` to `toDate` (inclusive). Candidates start
 * every slot interval from the start of each (merged) open interval; one is offered when the
 * whole session fits inside it, touches no break day, keeps the buffer to every booking,
 * respects the minimum notice and starts within the booking horizon. A slot belongs to the
 * local date on which it starts.
 */
export function freeSlots(input: FreeSlotsInput): DaySlots[] {
  const { rules } = input;
  const days = daysAround(rules.timezone, input.fromDate, input.toDate);
  const open = openIntervalsOn(days, input.windows);
  const breaks = breakIntervals(input.breaks, rules.timezone);
  const busy = busyIntervals(input.bookings, rules.bufferMinutes);

  const step = rules.slotIntervalMinutes * MINUTE_MS;
  const duration = rules.durationMinutes * MINUTE_MS;
  const earliest = input.now + rules.minNoticeMinutes * MINUTE_MS;
  const latest = input.now + rules.bookingHorizonDays * DAY_MS;
  // days.dates: the day before, fromDate … toDate, the day after, and the day after that (an end marker).
  const result: DaySlots[] = days.dates.slice(1, -2).map((d) => ({ date: d.toString(), slots: [] }));

  for (const w of open) {
    for (let t = w.start; t + duration <= w.end; t += step) {
      if (t < earliest || t > latest) continue;
      const day = days.indexOf(t) - 1;
      if (day < 0 || day >= result.length) continue;
      const end = t + duration;
      if (overlapsAny(breaks, t, end) || overlapsAny(busy, t, end)) continue;
      result[day]?.slots.push({ start_time: new Date(t).toISOString(), end_time: new Date(end).toISOString() });
    }
  }
  return result;
}

// ---- calendar periods and UTC offsets (analytics) ----------------------------------------

/** The Monday starting the ISO week of a date. */
export const isoWeekStart = (date: string): string => {
  const d = Temporal.PlainDate.from(date);
  return d.subtract({ days: d.dayOfWeek - 1 }).toString();
};

/** The first day of a date's month. */
export const monthStart = (date: string): string => Temporal.PlainDate.from(date).with({ day: 1 }).toString();

/** The first day of a date's year. */
export const yearStart = (date: string): string => Temporal.PlainDate.from(date).with({ month: 1, day: 1 }).toString();

/** A date moved by whole months (the day clamped to the month's length). */
export const addMonths = (date: string, months: number): string =>
  Temporal.PlainDate.from(date).add({ months }).toString();

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
export interface OffsetSpan extends Interval {
  offsetSeconds: number; // local wall time = UTC + offsetSeconds
}

/**
 * The zone's UTC offsets over [fromMs, toMs): consecutive spans covering it, one per offset
 * in force, split at every transition (found with Temporal, so DST and historical changes are
 * exact). Lets SQL turn stored UTC instants into wall-clock times without a time-zone database.
 */
export function offsetSpans(timeZone: string, fromMs: number, toMs: number): OffsetSpan[] {
  const spans: OffsetSpan[] = [];
  let zdt = Temporal.Instant.fromEpochMilliseconds(fromMs).toZonedDateTimeISO(timeZone);
  let start = fromMs;
  while (start < toMs) {
    const offsetSeconds = zdt.offsetNanoseconds / 1e9;
    const next = zdt.getTimeZoneTransition('next');
    const end = next && next.epochMilliseconds < toMs ? next.epochMilliseconds : toMs;
    const last = spans[spans.length - 1];
    if (last && last.offsetSeconds === offsetSeconds) last.end = end;
    else spans.push({ start, end, offsetSeconds });
    if (!next) break;
    start = end;
    zdt = next;
  }
  return spans;
}
