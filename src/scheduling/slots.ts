// Free-slot computation: pure, no I/O. Weekly windows are wall-clock times in the trainer's
// IANA zone, turned into instants day by day (so DST days keep their wall times); bookings,
// breaks and the answer are instants (epoch milliseconds inside, ISO strings outside).
// Calendar arithmetic (local days, zones) lives in lib/calendar.
import { addDays, DAY_MS, daysAround, type LocalDays, localDate, MINUTE_MS, startOfDayMs } from '../lib/calendar';

/** Half-open [start, end) in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
  /** Open hours: the wall time they were written to start at ("HH:MM:SS"), which their slot grid counts from. */
  startTime?: string;
}

export interface WeeklyWindow {
  dayOfWeek: number; // 0 = Monday … 6 = Sunday
  startTime: string; // "HH:MM:SS"
  endTime: string; // "HH:MM:SS", or "24:00:00" for the end of the day
}

export interface DateSpan {
  startDate: string; // "YYYY-MM-DD", inclusive
  endDate: string; // inclusive
  /** A partial-day break: the wall-clock part of each day ("HH:MM:SS", end may be "24:00:00"); absent = whole days. */
  startTime?: string | null;
  endTime?: string | null;
}

/** One local date whose open hours replace the weekly windows; no windows = closed that day. */
export interface DateOverride {
  date: string; // "YYYY-MM-DD"
  windows: { startTime: string; endTime: string }[];
}

export interface SlotRules {
  timezone: string;
  /** The service being booked: its length and the time it keeps free before and after. */
  durationMinutes: number;
  slotIntervalMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
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
 * The trainer's open time around two local dates (inclusive), merged: on a date with an
 * override its windows, else the weekly windows of that weekday. Wall times are bounded as
 * breaks are (`LocalDays.spanBound`): hours from 02:30 on a day the clocks jump from 02:00 to
 * 03:00 open at 03:00, hours until 02:30 close at 03:00; hours until 01:30 on a day that shows
 * 01:30 twice close at its second showing.
 */
export function openIntervals(
  windows: WeeklyWindow[],
  timeZone: string,
  fromDate: string,
  toDate: string,
  overrides: DateOverride[] = [],
): Interval[] {
  return openIntervalsOn(daysAround(timeZone, fromDate, toDate), windows, overrides);
}

function openIntervalsOn(days: LocalDays, windows: WeeklyWindow[], overrides: DateOverride[] = []): Interval[] {
  const byDay: WeeklyWindow[][] = [[], [], [], [], [], [], []];
  for (const w of windows) byDay[w.dayOfWeek]?.push(w);
  const byDate = new Map(overrides.map((o) => [o.date, o.windows]));
  const out: Interval[] = [];
  for (let i = 0; i < days.dates.length - 1; i++) {
    for (const w of byDate.get(days.dates[i] as string) ?? byDay[days.weekday(i)] ?? []) {
      const [start, end] = [days.spanBound(i, w.startTime, 'start'), days.spanBound(i, w.endTime, 'end')];
      out.push({ start, end, startTime: w.startTime });
    }
  }
  return mergeIntervals(out);
}

/**
 * Breaks as instants, merged. A whole-day break runs from the start of its first local day to
 * the start of the day after its last; a partial one blocks [start_time, end_time) of each of
 * its days, counted only on the days around two local dates (inclusive) the caller looks at.
 * Wall times are bounded as `LocalDays.spanBound` says across DST changes: a time the clocks
 * skip is the instant they jump, and a repeated hour is covered from its first showing of the
 * start to its second showing of the end.
 */
export function breakIntervals(breaks: DateSpan[], timeZone: string, fromDate: string, toDate: string): Interval[] {
  return breakIntervalsOn(daysAround(timeZone, fromDate, toDate), breaks);
}

function breakIntervalsOn(days: LocalDays, breaks: DateSpan[]): Interval[] {
  const out: Interval[] = [];
  const dates = days.dates.slice(0, -1);
  for (const b of breaks) {
    if (!b.startTime || !b.endTime) {
      out.push({
        start: startOfDayMs(b.startDate, days.timeZone),
        end: startOfDayMs(addDays(b.endDate, 1), days.timeZone),
      });
      continue;
    }
    dates.forEach((date, i) => {
      if (date < b.startDate || date > b.endDate) return;
      out.push({
        start: days.spanBound(i, b.startTime as string, 'start'),
        end: days.spanBound(i, b.endTime as string, 'end'),
      });
    });
  }
  return mergeIntervals(out);
}

/**
 * A booking's occupied span: [start - buffer before, end + buffer after). Active bookings
 * are read as their stored occupied spans; a new one is tested by its own.
 */
export const occupiedSpan = (
  start: number,
  end: number,
  r: Pick<SlotRules, 'bufferBeforeMinutes' | 'bufferAfterMinutes'>,
): Interval => ({
  start: start - r.bufferBeforeMinutes * MINUTE_MS,
  end: end + r.bufferAfterMinutes * MINUTE_MS,
});

export interface FreeSlotsInput {
  fromDate: string;
  toDate: string;
  windows: WeeklyWindow[];
  /** Dates whose windows replace the weekly ones (none: the weekly windows everywhere). */
  overrides?: DateOverride[];
  breaks: DateSpan[];
  bookings: Interval[]; // occupied spans of pending and confirmed bookings
  /** Busy time of the trainer's own calendars: occupancy from outside, kept clear like a booking's span. */
  calendarBusy?: Interval[];
  rules: SlotRules;
  now: number;
}

/**
 * Free slots for every local date from `fromDate` to `toDate` (inclusive). Candidates start
 * every slot interval of wall-clock time from the start of each (merged) open interval, and again
 * from each local midnight it runs through (24-hour hours, or a DST day, keep every day's grid the
 * same whatever range is asked; a session may still run past midnight); after a clock change the
 * day's grid keeps its wall times (`LocalDays.gridStarts`); one is offered when the
 * whole session fits inside it (a date's override replacing its weekday's windows), touches
 * no break (whole days, or the wall-clock part of each day of a partial one), its occupied span
 * (the service's buffers around it) overlaps no booking's occupied span and no calendar busy block,
 * respects the minimum notice and starts within the booking horizon. A slot belongs to the
 * local date on which it starts.
 */
export function freeSlots(input: FreeSlotsInput): DaySlots[] {
  const { rules } = input;
  const days = daysAround(rules.timezone, input.fromDate, input.toDate);
  const open = openIntervalsOn(days, input.windows, input.overrides);
  const breaks = breakIntervalsOn(days, input.breaks);
  // Bookings and calendar busy time, sorted and merged once: each candidate is then a binary
  // search (overlapsAny), O(log n), so slots × blocks never multiply.
  const busy = mergeIntervals([...input.bookings, ...(input.calendarBusy ?? [])]);

  const step = rules.slotIntervalMinutes * MINUTE_MS;
  const duration = rules.durationMinutes * MINUTE_MS;
  const earliest = input.now + rules.minNoticeMinutes * MINUTE_MS;
  const latest = input.now + rules.bookingHorizonDays * DAY_MS;
  // days.dates: the day before, fromDate … toDate, the day after, and the day after that (an end marker).
  const result: DaySlots[] = days.dates.slice(1, -2).map((date) => ({ date, slots: [] }));

  for (const w of open) {
    // Day by day (index i of days.dates is result[i - 1]): the grid starts again at each local
    // midnight the interval runs through, so a day's slots never depend on the days asked before it.
    for (let i = Math.max(1, days.indexOf(w.start)); i <= result.length && (days.starts[i] as number) < w.end; i++) {
      const dayStart = days.starts[i] as number;
      const until = Math.min(days.starts[i + 1] as number, w.end - duration + 1);
      // From the hours' written start on their own day, else from midnight (the day's grid starts there).
      const anchor = (w.start >= dayStart && w.startTime) || '00:00:00';
      for (const t of days.gridStarts(i, Math.max(w.start, dayStart), anchor, step, until)) {
        if (t < earliest || t > latest) continue;
        const end = t + duration;
        const occupied = occupiedSpan(t, end, rules);
        if (overlapsAny(breaks, t, end) || overlapsAny(busy, occupied.start, occupied.end)) continue;
        result[i - 1]?.slots.push({ start_time: new Date(t).toISOString(), end_time: new Date(end).toISOString() });
      }
    }
  }
  return result;
}

/**
 * True when `freeSlots`, over the local date on which `start` falls, offers a slot starting
 * exactly at `start`: the same grid, notice, horizon, breaks, buffers and overlaps a visitor
 * is shown. The inputs need only cover that slot (bookings and breaks near it).
 */
export function offersSlotAt(input: Omit<FreeSlotsInput, 'fromDate' | 'toDate'>, start: number): boolean {
  const date = localDate(start, input.rules.timezone);
  const [day] = freeSlots({ ...input, fromDate: date, toDate: date });
  return day?.slots.some((s) => Date.parse(s.start_time) === start) ?? false;
}

// ---- class sessions --------------------------------------------------------------------

/** A scheduled class session as the schedule read gives it, with its places taken (pending or confirmed). */
export interface ClassSessionRead {
  id: number;
  serviceId: number;
  name: string;
  start: string;
  end: string;
  capacity: number;
  taken: number;
}

/** A class session as the availability lists it. */
export interface ClassOffer {
  class_session: number;
  service: number;
  name: string;
  start_time: string;
  end_time: string;
  capacity: number;
  spots_left: number;
  waitlist_open: boolean;
}

/** The trainer settings the class listing follows: the zone for the day, notice, horizon, the waitlist cut-off. */
export type ClassRules = Pick<SlotRules, 'timezone' | 'minNoticeMinutes' | 'bookingHorizonDays'> & {
  waitlistCutoffHours: number;
};

/** A full class's waitlist takes names until `cutoffHours` before its start (`now` strictly before that instant). */
export const waitlistOpen = (start: number, cutoffHours: number, now: number): boolean =>
  now < start - cutoffHours * 60 * MINUTE_MS;

/**
 * The class sessions offered on each local date, ordered by start: a session belongs to the
 * date on which it starts in the trainer's zone (as a slot does), and is listed when it starts
 * no sooner than the minimum notice and within the booking horizon, as slots are offered.
 * `spots_left` is the capacity less the pending and confirmed places (never below 0); a full
 * session's `waitlist_open` follows `waitlistOpen`.
 */
export function classesByDate(sessions: ClassSessionRead[], rules: ClassRules, now: number): Map<string, ClassOffer[]> {
  const earliest = now + rules.minNoticeMinutes * MINUTE_MS;
  const latest = now + rules.bookingHorizonDays * DAY_MS;
  const byDate = new Map<string, ClassOffer[]>();
  const sorted = [...sessions].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id - b.id);
  for (const c of sorted) {
    const start = Date.parse(c.start);
    if (start < earliest || start > latest) continue;
    const spotsLeft = Math.max(0, c.capacity - c.taken);
    const date = localDate(start, rules.timezone);
    const list = byDate.get(date) ?? [];
    list.push({
      class_session: c.id,
      service: c.serviceId,
      name: c.name,
      start_time: new Date(start).toISOString(),
      end_time: new Date(Date.parse(c.end)).toISOString(),
      capacity: c.capacity,
      spots_left: spotsLeft,
      waitlist_open: spotsLeft === 0 && waitlistOpen(start, rules.waitlistCutoffHours, now),
    });
    byDate.set(date, list);
  }
  return byDate;
}

/**
 * The earliest and the latest instant (epoch ms) at which a local date starts in any zone: UTC
 * offsets stay within a day either way. A read bounded by them needs no zone (the trainer's
 * is not known yet when it runs beside the session check); slot math then keeps what is local.
 */
export const dayStartsAnywhere = (date: string): [number, number] => {
  const utcMidnight = Date.parse(`${date}T00:00:00.000Z`);
  return [utcMidnight - DAY_MS, utcMidnight + DAY_MS];
};
