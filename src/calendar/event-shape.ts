// One event's place in time: the instant a DATE-TIME means in its zone, and how each occurrence
// of an event becomes a span (all-day, a fixed length, a DURATION, a THISANDFUTURE move). Used by
// expand.ts, which walks the file.
import ICAL from 'ical.js';
import { addDays, DAY_MS, fileWallInstant, startOfDayMs } from '../lib/calendar';
import { isValidTimeZone } from '../lib/time';
import { windowsZone } from './windows-zones';

export type Span = [number, number];

/** One expansion: its window, the trainer's zone, our own host, the work done, the spans found, zones resolved. */
export interface Run {
  from: number;
  to: number;
  zone: string;
  ownHost: string;
  steps: number;
  spans: Span[];
  zones: Map<string, string>;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
export const dateOf = (t: ICAL.Time) => `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;

/**
 * The IANA zone a TZID names: an IANA name the runtime knows, a Windows name ("Pacific Standard
 * Time", CLDR's zone for it), or else the trainer's zone.
 */
export function zoneNamed(run: Run, tzid: string | null): string {
  if (!tzid) return run.zone;
  let zone = run.zones.get(tzid);
  if (zone === undefined) {
    zone = isValidTimeZone(tzid) ? tzid : (windowsZone(tzid) ?? run.zone);
    run.zones.set(tzid, zone);
  }
  return zone;
}

/**
 * The instant a DATE-TIME means: UTC as it is; the wall time in the IANA zone (Area/Location) its
 * TZID names, whether or not the file defines that zone too (the runtime's rules are complete where a
 * VTIMEZONE often holds only today's, and a wall time in a skipped hour is read with the offset
 * before it, RFC 5545 3.3.5, where ical.js takes the one after); a zone only the file defines
 * (Outlook's "W. Europe Standard Time") through ical.js; a Windows name the file does not define in
 * CLDR's IANA zone for it; floating or unknown, the trainer's zone.
 */
export function instantOf(run: Run, t: ICAL.Time, tzid: string | null): number {
  const zone = t.zone;
  if (zone === ICAL.Timezone.utcTimezone) return t.toUnixTime() * 1000;
  const defined = zone && zone !== ICAL.Timezone.localTimezone ? zone.tzid : null;
  // Only an Area/Location name: a legacy one (EST, MST, HST) is one fixed offset in tzdata, while
  // a file that defines it may give it summer time.
  if (defined && (!defined.includes('/') || zoneNamed(run, defined) !== defined)) return t.toUnixTime() * 1000;
  return fileWallInstant(
    dateOf(t),
    `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`,
    zoneNamed(run, defined ?? tzid),
  );
}

/** How an event's occurrences are turned into spans: all-day (whole local days) or timed (a fixed length). */
export interface Shape {
  tzid: string | null;
  /**
   * RECURRENCE-ID;RANGE=THISANDFUTURE overrides of a timed series, by the instant they take effect:
   * each later occurrence moves as that one moved and takes its length (RFC 5545 3.8.4.4).
   */
  futures?: Future[];
  /** All-day events: the number of local days each occurrence covers; timed: 0. */
  days: number;
  /** Timed events: the exact length in ms (of the first occurrence, for a DURATION in days). */
  lengthMs: number;
  /**
   * A timed event's DURATION (it has no DTEND), RFC 5545 3.3.6: days and weeks are nominal (the
   * same clock time days later), hours, minutes and seconds exact (elapsed, across a DST change).
   */
  duration?: { days: number; exactMs: number };
}

/** The end of a timed occurrence starting at `t` (the instant `start`). */
export function timedEnd(run: Run, shape: Shape, t: ICAL.Time, start: number): number {
  const d = shape.duration;
  if (!d) return start + shape.lengthMs;
  if (!d.days) return start + d.exactMs;
  const later = t.clone();
  later.adjust(d.days, 0, 0, 0);
  return instantOf(run, later, shape.tzid) + d.exactMs;
}

export function shapeOf(run: Run, event: ICAL.Event): Shape | null {
  const dtstart = event.component.getFirstProperty('dtstart');
  if (!dtstart) return null;
  const tzid = (dtstart.getParameter('tzid') as string | undefined) ?? null;
  const start = event.startDate;
  const end = event.endDate;
  if (start.isDate) {
    const days = Math.round(
      (Date.UTC(end.year, end.month - 1, end.day) - Date.UTC(start.year, start.month - 1, start.day)) / DAY_MS,
    );
    return { tzid, days: Math.max(1, days), lengthMs: 0 };
  }
  const dtend = event.component.getFirstProperty('dtend');
  const duration = dtend ? null : (event.component.getFirstPropertyValue('duration') as ICAL.Duration | null);
  if (duration) {
    // ical.js adds a DURATION on the wall clock: PT1H from 01:30 on the night the clocks go back
    // would end at 02:30, two hours later; an event starting in the skipped hour would take none.
    const sign = duration.isNegative ? -1 : 1;
    const exact = duration.hours * 3600 + duration.minutes * 60 + duration.seconds;
    const shape: Shape = {
      tzid,
      days: 0,
      lengthMs: 0,
      duration: { days: sign * (duration.weeks * 7 + duration.days), exactMs: sign * exact * 1000 },
    };
    const first = instantOf(run, start, tzid);
    return { ...shape, lengthMs: timedEnd(run, shape, start, first) - first };
  }
  const endTzid = (dtend?.getParameter('tzid') as string | undefined) ?? tzid;
  return { tzid, days: 0, lengthMs: instantOf(run, end, endTzid) - instantOf(run, start, tzid) };
}

export interface Future {
  from: number;
  /** How far it moved its own occurrence, in ms; and on the clock, in seconds, when it says so in one zone. */
  shiftMs: number;
  wallShiftS: number | null;
  lengthMs: number;
}

/** The wall clock of a time as if it were UTC (s): what a move "two days later, an hour earlier" changes. */
export const wallOfTime = (t: ICAL.Time) => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000;

/** How far, beyond its own span, an occurrence may land once THISANDFUTURE overrides moved it (ms). */
export const futureReach = (shape: Shape) =>
  Math.max(0, ...(shape.futures ?? []).map((f) => Math.abs(f.shiftMs) + f.lengthMs + 2 * 3_600_000));

/** The span of one occurrence starting at `t`. */
export function occurrenceSpan(run: Run, shape: Shape, t: ICAL.Time): Span {
  if (t.isDate || shape.days) {
    const zone = zoneNamed(run, shape.tzid);
    const date = dateOf(t);
    return [startOfDayMs(date, zone), startOfDayMs(addDays(date, Math.max(1, shape.days)), zone)];
  }
  const start = instantOf(run, t, shape.tzid);
  const future = shape.futures?.findLast((f) => f.from <= start);
  if (!future) return [start, timedEnd(run, shape, t, start)];
  // A move written in one zone keeps its wall clock across DST: the same days and clock change.
  let moved = start + future.shiftMs;
  if (future.wallShiftS !== null) {
    const shifted = t.clone();
    shifted.adjust(0, 0, 0, future.wallShiftS);
    moved = instantOf(run, shifted, shape.tzid);
  }
  return [moved, moved + future.lengthMs];
}
