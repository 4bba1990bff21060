// Busy time out of an iCalendar file: every event a person reading the calendar would call busy,
// as UTC blocks. ical.js parses the file and expands recurrences (RRULE, RDATE, EXDATE); a TZID
// that names an IANA zone is read in that zone (lib/calendar.ts), with or without a VTIMEZONE, a
// zone only the file's VTIMEZONE defines through ical.js, floating times in the trainer's zone.
// Bounded work: a hostile feed cannot keep the sync busy.
import ICAL from 'ical.js';
import { MAX_BUSY_MINUTES } from '../db/fragments';
import { DAY_MS } from '../lib/calendar';
import { type BusyBlock, type ExpandOptions, MALFORMED_CALENDAR, MAX_BLOCKS, type ParsedCalendar } from './busy';
import {
  dateOf,
  type Future,
  futureReach,
  instantOf,
  occurrenceSpan,
  type Run,
  type Shape,
  type Span,
  shapeOf,
  timedEnd,
  wallOfTime,
} from './event-shape';
import { CalendarParseError, calendarOf } from './ics-file';
import { walkWithinBudget, withCandidateBudget } from './rule-budget';

export { CalendarParseError };

/** A stored block is never longer than calendar_busy allows (a day): longer busy time is cut into pieces. */
export const MAX_PIECE_MS = MAX_BUSY_MINUTES * 60_000;
/** Most occurrences one recurring event is walked through, and all events together. */
export const MAX_STEPS_PER_SERIES = 5_000;
export const MAX_STEPS = 50_000;

/**
 * What names one occurrence, compared by meaning rather than by form: a date as itself, a time as
 * the instant it means (read as instantOf reads it). ical.js compares EXDATE and RECURRENCE-ID
 * values with the occurrences by their wall time when a TZID names a zone the file does not define,
 * so 08:00Z would never match 09:00 in London summer time.
 */
type OccurrenceKey = number | string;

/** A property's TZID; a floating EXDATE or RECURRENCE-ID is read in the zone of its series' DTSTART. */
const tzidOf = (prop: ICAL.Property | null | undefined): string | null =>
  (prop?.getParameter('tzid') as string | undefined) ?? null;

function keyOf(run: Run, t: ICAL.Time, tzid: string | null): OccurrenceKey {
  return t.isDate ? `d${dateOf(t)}` : instantOf(run, t, tzid);
}

/**
 * The occurrences a series' EXDATEs remove, as keys, the properties taken off the event so ical.js
 * does not apply its own comparison (which would also remove an occurrence at the wrong instant).
 */
function takeExdates(run: Run, component: ICAL.Component, skip: Set<OccurrenceKey>) {
  const own = tzidOf(component.getFirstProperty('dtstart'));
  for (const prop of component.getAllProperties('exdate')) {
    const tzid = tzidOf(prop) ?? own;
    for (const value of prop.getValues()) if (value instanceof ICAL.Time) skip.add(keyOf(run, value, tzid));
  }
  component.removeAllProperties('exdate');
}

/** Whether the event's own properties say it takes no time: free, transparent or cancelled. */
function takesNoTime(c: ICAL.Component): boolean {
  const upper = (name: string) => String(c.getFirstPropertyValue(name) ?? '').toUpperCase();
  return (
    upper('transp') === 'TRANSPARENT' ||
    upper('status') === 'CANCELLED' ||
    upper('x-microsoft-cdo-busystatus') === 'FREE'
  );
}

function addSpan(run: Run, start: number, end: number) {
  if (end > start && end > run.from && start < run.to)
    run.spans.push([Math.max(start, run.from), Math.min(end, run.to)]);
}

/**
 * Where to begin walking a long-running daily or weekly rule: a whole number of its periods after
 * DTSTART, some days before the window (the wall time, weekday and phase stay the rule's), so a
 * series begun years ago costs what its window holds. COUNT counts from DTSTART: walked in full.
 */
function walkStart(run: Run, event: ICAL.Event, shape: Shape): ICAL.Time | undefined {
  const rules = event.component.getAllProperties('rrule');
  if (rules.length !== 1) return undefined;
  const rule = rules[0]?.getFirstValue() as ICAL.Recur;
  const unit = rule.freq === 'DAILY' ? 1 : rule.freq === 'WEEKLY' ? 7 : 0;
  if (!unit || rule.count) return undefined;
  const period = unit * (rule.interval || 1);
  const margin = shape.lengthMs + (shape.days + 3) * DAY_MS + futureReach(shape);
  const periods = Math.floor((run.from - margin - event.startDate.toUnixTime() * 1000) / (period * DAY_MS));
  if (periods < 1) return undefined;
  const start = event.startDate.clone();
  start.adjust(periods * period, 0, 0, 0);
  return start;
}

/**
 * RFC 5545: a recurrence on a date that does not exist is skipped. A plain YEARLY or MONTHLY rule
 * (no BY* parts) from 29 February or a 29th-31st has no occurrence in the years or months without
 * that date, but ical.js moves the yearly one to the next valid day (1 March): the test of such a
 * moved occurrence (an RDATE on that day stays), or null when the event has no such rule.
 */
function rolledOver(event: ICAL.Event): ((t: ICAL.Time) => boolean) | null {
  const rules = event.component.getAllProperties('rrule');
  const rule = rules.length === 1 ? (rules[0]?.getFirstValue() as ICAL.Recur) : null;
  const start = event.startDate;
  if (!rule || (rule.freq !== 'YEARLY' && rule.freq !== 'MONTHLY') || start.day <= 28) return null;
  if (Object.keys(rule.parts).length) return null;
  const rdates = new Set(
    event.component
      .getAllProperties('rdate')
      .flatMap((p) => p.getValues())
      .filter((v) => v instanceof ICAL.Time)
      .map((v) => dateOf(v)),
  );
  return (t) => (t.day !== start.day || (rule.freq === 'YEARLY' && t.month !== start.month)) && !rdates.has(dateOf(t));
}

/** A recurring event's occurrences in the window, but those a RECURRENCE-ID event replaces. */
function expandSeries(run: Run, event: ICAL.Event, shape: Shape, skip: Set<OccurrenceKey>) {
  // a rule too costly to walk (rule-budget.ts) is left out there; the rest of the file still counts
  walkWithinBudget(() => walkSeries(run, event, shape, skip));
}

function walkSeries(run: Run, event: ICAL.Event, shape: Shape, skip: Set<OccurrenceKey>) {
  const it = event.iterator(walkStart(run, event, shape));
  const invalid = rolledOver(event);
  // How far THISANDFUTURE overrides move occurrences, at most, either way.
  const slack = 2 * futureReach(shape);
  for (let steps = 0; steps < MAX_STEPS_PER_SERIES && run.steps < MAX_STEPS; steps++) {
    run.steps++;
    const t = it.next();
    if (!t) return;
    const [start, end] = occurrenceSpan(run, shape, t);
    // RDATEs and rules are merged in time order: nothing later can start inside the window (nor be
    // moved into it by a THISANDFUTURE override).
    if (start >= run.to + slack) return;
    // an EXDATE or RECURRENCE-ID names it (a DATE one names every time of that day, as ical.js reads it)
    if (skip.size && (skip.has(keyOf(run, t, shape.tzid)) || (!t.isDate && skip.has(`d${dateOf(t)}`)))) continue;
    if (invalid?.(t)) continue;
    addSpan(run, start, end);
  }
}

/** One VEVENT (a whole series, or one occurrence it moved or changed) into spans. */
function addEvent(run: Run, component: ICAL.Component, skip: Set<OccurrenceKey>, futures: Future[] = []) {
  if (takesNoTime(component)) return;
  takeExdates(run, component, skip);
  // Its own list of exceptions (none): by default ical.js relates every RECURRENCE-ID event of the
  // whole calendar to each event it builds, a cost that grows with the square of the calendar.
  const event = new ICAL.Event(component, { exceptions: [] });
  const shape = shapeOf(run, event);
  if (!shape) return; // no DTSTART: nothing to place
  if (event.isRecurring() && !event.isRecurrenceException()) {
    expandSeries(run, event, shape.days ? shape : { ...shape, futures }, skip);
    return;
  }
  run.steps++;
  if (shape.days) {
    addSpan(run, ...occurrenceSpan(run, shape, event.startDate));
    return;
  }
  const start = instantOf(run, event.startDate, shape.tzid);
  addSpan(run, start, timedEnd(run, shape, event.startDate, start));
}

/** The events by UID: a series and the occurrences it moved or changed share one. */
function eventsByUid(calendar: ICAL.Component): Map<string, ICAL.Component[]> {
  const byUid = new Map<string, ICAL.Component[]>();
  let n = 0;
  for (const c of calendar.getAllSubcomponents('vevent')) {
    const uid = String(c.getFirstPropertyValue('uid') ?? '') || `no-uid-${n++}`;
    byUid.set(uid, [...(byUid.get(uid) ?? []), c]);
  }
  return byUid;
}

/** Our own feed read back: the UID's domain is this app's host (any port). */
function isOwn(uid: string, ownHost: string): boolean {
  const host = ownHost.toLowerCase().replace(/:\d+$/, '');
  const domain = uid.toLowerCase().split('@').pop()?.replace(/:\d+$/, '');
  return Boolean(host) && uid.includes('@') && domain === host;
}

function addUid(run: Run, uid: string, components: ICAL.Component[]) {
  if (isOwn(uid, run.ownHost)) return;
  const master = components.find((c) => !c.hasProperty('recurrence-id'));
  // A cancelled series takes its changed occurrences with it.
  if (master && String(master.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') return;
  const overrides = components.filter((c) => c.hasProperty('recurrence-id'));
  const skip = new Set<OccurrenceKey>();
  const futures: Future[] = [];
  const seriesTzid = tzidOf(master?.getFirstProperty('dtstart'));
  for (const c of overrides) {
    try {
      const id = c.getFirstProperty('recurrence-id');
      const key = keyOf(run, id?.getFirstValue() as ICAL.Time, tzidOf(id) ?? seriesTzid);
      skip.add(key);
      const future = String(id?.getParameter('range') ?? '').toUpperCase() === 'THISANDFUTURE';
      const change = future && typeof key === 'number' ? futureOf(run, c, id, key) : null;
      if (change) futures.push(change);
      addEvent(run, c, new Set());
    } catch {
      // an occurrence ical.js cannot read is left out, the rest of the calendar still counts
    }
  }
  futures.sort((a, b) => a.from - b.from);
  if (master) addEvent(run, master, skip, futures);
}

/** What a THISANDFUTURE override does to the occurrences from its RECURRENCE-ID on. */
function futureOf(run: Run, override: ICAL.Component, id: ICAL.Property | null, from: number): Future | null {
  const event = new ICAL.Event(override, { exceptions: [] });
  const shape = shapeOf(run, event);
  if (!shape || shape.days || !id) return null; // a timed series made all-day from here: left to its own event
  const rid = id.getFirstValue() as ICAL.Time;
  const utc = (t: ICAL.Time) => t.zone === ICAL.Timezone.utcTimezone;
  const oneZone = tzidOf(id) === shape.tzid && !utc(rid) && !utc(event.startDate);
  return {
    from,
    shiftMs: instantOf(run, event.startDate, shape.tzid) - from,
    wallShiftS: oneZone ? wallOfTime(event.startDate) - wallOfTime(rid) : null,
    lengthMs: shape.lengthMs,
  };
}

/** Sorted, overlapping and touching spans joined, cut into pieces of at most a day, at most MAX_BLOCKS. */
function blocksOf(spans: Span[]): BusyBlock[] {
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Span[] = [];
  for (const [s, e] of spans) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const out: BusyBlock[] = [];
  for (const [s, e] of merged) {
    for (let p = s; p < e && out.length < MAX_BLOCKS; p += MAX_PIECE_MS) {
      out.push({ start: new Date(p).toISOString(), end: new Date(Math.min(e, p + MAX_PIECE_MS)).toISOString() });
    }
  }
  return out;
}

/**
 * The busy time of an iCalendar file inside [from, to), merged, sorted and cut into pieces of at
 * most a day. Skipped: transparent (free), cancelled and Outlook-"free" events, and our own feed's
 * events. All-day events are busy from local midnight to local midnight (DTEND exclusive) in the
 * trainer's zone (dates are floating). An event ical.js cannot read is left out; a body that is not
 * a calendar throws CalendarParseError.
 */
export function busyFromIcs(ics: string, opts: ExpandOptions): BusyBlock[] {
  const calendar = calendarOf(ics);
  const run: Run = {
    from: Date.parse(opts.from),
    to: Date.parse(opts.to),
    zone: opts.zone,
    ownHost: opts.ownHost,
    steps: 0,
    spans: [],
    zones: new Map(),
  };
  withCandidateBudget(() => {
    for (const [uid, components] of eventsByUid(calendar)) {
      if (run.steps >= MAX_STEPS) break;
      try {
        addUid(run, uid, components);
      } catch {
        // a malformed event (a date ical.js cannot read, an impossible rule) is left out
      }
    }
  });
  return blocksOf(run.spans);
}

/**
 * busyFromIcs as the parser Worker answers it: the blocks, or the sentence a connection records.
 * Whatever else the file made the parser do is still the file's fault: recorded, never a 500.
 */
export function parseCalendar(ics: string, opts: ExpandOptions): ParsedCalendar {
  try {
    return { ok: true, blocks: busyFromIcs(ics, opts) };
  } catch (err) {
    if (err instanceof CalendarParseError) return { ok: false, error: err.message };
    console.error(JSON.stringify({ level: 'error', msg: 'calendar expansion failed', err: String(err) }));
    return { ok: false, error: MALFORMED_CALENDAR };
  }
}
