// An iCalendar file read into its VCALENDAR by ical.js, or a sentence saying why not. A stray
// line that is no property is left out of a complete file rather than failing it whole.
import ICAL from 'ical.js';
import { MALFORMED_CALENDAR, NOT_A_CALENDAR } from './busy';

/** The body is not an iCalendar file; `message` is the sentence the connection shows as last_error. */
export class CalendarParseError extends Error {
  override name = 'CalendarParseError';
}

/** A content line as RFC 5545 3.1 writes it: a name, parameters (quoted values may hold ':'), ':'. */
const CONTENT_LINE = /^[A-Za-z0-9-]+(?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*:/;

/**
 * A complete file (it ends its VCALENDAR) with the lines that are no content line left out, so
 * that one stray line does not cost the trainer every event; null when nothing was left out or the
 * file is cut short (a truncated download keeps the busy time of the last good sync instead).
 */
function withoutStrayLines(ics: string): string | null {
  const lines = ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const kept = lines.filter((line) => CONTENT_LINE.test(line));
  const complete = kept.some((line) => /^END:VCALENDAR$/i.test(line.trim()));
  return complete && kept.length < lines.filter((line) => line.trim()).length ? kept.join('\r\n') : null;
}

/** The first VCALENDAR of a file ical.js can read (several top-level components come back as a list). */
function parsed(ics: string): ICAL.Component {
  const value: unknown = ICAL.parse(ics);
  const first = Array.isArray(value) && Array.isArray(value[0]) ? value[0] : value;
  return new ICAL.Component(first as unknown[]);
}

/** The file's VCALENDAR, or CalendarParseError. */
export function calendarOf(ics: string): ICAL.Component {
  if (!/^\s*BEGIN:VCALENDAR\b/i.test(ics.replace(/^\uFEFF/, '').slice(0, 200)))
    throw new CalendarParseError(NOT_A_CALENDAR);
  let calendar: ICAL.Component;
  try {
    calendar = parsed(ics);
  } catch {
    const repaired = withoutStrayLines(ics);
    try {
      if (repaired === null) throw new Error('nothing to repair');
      calendar = parsed(repaired);
    } catch {
      throw new CalendarParseError(MALFORMED_CALENDAR);
    }
  }
  if (calendar.name !== 'vcalendar') throw new CalendarParseError(NOT_A_CALENDAR);
  return calendar;
}
