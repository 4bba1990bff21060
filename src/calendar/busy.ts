// What the API Worker knows of a connected calendar's busy time without reading one: the blocks'
// shape, the window a sync expands, the limits and the sentences a failed read records, and the
// parser's interface. The parsing itself (ical.js, ./expand.ts) runs in its own Worker
// (./parser-worker.ts, wrangler.calendar-parser.toml), reached through the CALENDAR_PARSER binding:
// a calendar file is untrusted input, read in an isolate that holds no binding and no secret, with
// its own memory (CPU time is the calling request's), and ical.js stays out of the API Worker's bundle.
import { DAY_MS } from '../lib/calendar';

/** One stretch of busy time: UTC ISO instants, half-open [start, end), at most MAX_PIECE_MS long. */
export interface BusyBlock {
  start: string;
  end: string;
}

export const NOT_A_CALENDAR = 'The address did not return an iCalendar file.';
export const MALFORMED_CALENDAR = 'The calendar file could not be read: it is not valid iCalendar.';

/** Most blocks one calendar gives (a year of busy time is far fewer). */
export const MAX_BLOCKS = 5_000;
export interface ExpandOptions {
  /** Busy time is kept inside [from, to): UTC ISO instants. */
  from: string;
  to: string;
  /** The trainer's IANA zone: floating times, all-day dates and unknown TZIDs are read in it. */
  zone: string;
  /** This app's host: an event whose UID ends with "@" + it is our own feed read back, and skipped. */
  ownHost: string;
}

/** Days a sync expands beyond what it needs: a 304 keeps the stored rows usable for about a week. */
export const WINDOW_SLACK_DAYS = 7;

/** What a sync at `now` expands (from, to) and the least its stored rows must reach (needed). */
export interface ExpansionWindow {
  from: string;
  to: string;
  needed: string;
}

/**
 * The window a sync expands at `now` for a booking horizon: from a day back to a day past the
 * horizon (a slot starting at its edge still ends inside what was read). Both ends are whole UTC
 * days, so the window moves once a day: an event running over its start (a week's trip) is not cut
 * somewhere else every tick, which would rewrite the rows and raise the schedule version each time.
 * The end gets WINDOW_SLACK_DAYS more, so rows expanded now still cover what a sync needs for about
 * a week (while a 304 keeps them).
 */
export function expansionWindow(now: string, horizonDays: number): ExpansionWindow {
  const nowMs = Date.parse(now);
  const dayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    from: iso(dayStart - DAY_MS),
    to: iso(dayStart + (horizonDays + 2 + WINDOW_SLACK_DAYS) * DAY_MS),
    needed: iso(nowMs + (horizonDays + 1) * DAY_MS),
  };
}

/** What the parser answers: the busy blocks, or why the file could not be read (a connection's last_error). */
export type ParsedCalendar = { ok: true; blocks: BusyBlock[] } | { ok: false; error: string };

/** The calendar parser Worker, as the CALENDAR_PARSER service binding offers it (RPC). */
export interface CalendarParser {
  busy(ics: string, opts: ExpandOptions): Promise<ParsedCalendar>;
}
