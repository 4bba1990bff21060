// Dates and time zones for the booking pages: Intl only, no DOM, so unit tests run them anywhere.

const FORMATS = {
  key: { year: 'numeric', month: '2-digit', day: '2-digit' },
  time: { hour: 'numeric', minute: '2-digit' },
  zoneTag: { hour: 'numeric', timeZoneName: 'short' },
  weekday: { weekday: 'short' },
  dayMonth: { day: 'numeric', month: 'short' },
  dayLong: { weekday: 'long', day: 'numeric', month: 'long' },
  full: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

export type FormatName = Exclude<keyof typeof FORMATS, 'key'>;

/**
 * Whether the visitor's locale reads a 24-hour clock: its times then take two-digit hours ("00:30",
 * as the emails write them; Intl's "numeric" hour gives "0:30" in en-GB). 12-hour locales keep "9:30 AM".
 */
const TWO_DIGIT_HOURS = (() => {
  const cycle = new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hourCycle;
  return cycle === 'h23' || cycle === 'h24';
})();

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per format and zone, built once: the 'key' one in en-CA (YYYY-MM-DD parts), the rest in the visitor's locale. */
function formatter(name: keyof typeof FORMATS, zone: string): Intl.DateTimeFormat {
  const key = `${name}|${zone}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = Object.assign({ timeZone: zone }, FORMATS[name]);
    if (TWO_DIGIT_HOURS && options.minute) options.hour = '2-digit';
    f = new Intl.DateTimeFormat(name === 'key' ? 'en-CA' : undefined, options);
    formatters.set(key, f);
  }
  return f;
}

export const format = (name: FormatName, zone: string, date: Date): string => formatter(name, zone).format(date);

export function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The visitor's own zone as the browser reports it; UTC when it does not. */
export function visitorZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** YYYY-MM-DD of an instant in a zone. */
export function dateKey(iso: string, zone: string): string {
  const parts = formatter('key', zone).formatToParts(new Date(iso));
  const part = (type: string) => (parts.find((p) => p.type === type) || { value: '' }).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The calendar date `days` after (or before) a YYYY-MM-DD date. */
export const shiftDate = (key: string, days: number): string =>
  new Date(Date.parse(`${key}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** A calendar date's label; noon UTC names the same day everywhere. */
export const dayLabel = (key: string, name: FormatName): string => format(name, 'UTC', new Date(`${key}T12:00:00Z`));

/** The zone's short name at an instant ("NZDT", "GMT+13"). */
function zoneTag(zone: string, date: Date): string {
  const part = formatter('zoneTag', zone)
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName');
  return part ? part.value : '';
}

// Clock changes move a zone's clocks by 30 minutes (Lord Howe), an hour or two.
const SHIFTS_MS = [30, 60, 120].map((m) => m * 60_000);

/**
 * Whether the clock shows the instant's time twice that day: in the hour repeated when clocks go
 * back, "2:00 AM" is two instants, told apart only by the zone's name.
 */
export function repeatedTime(zone: string, date: Date): boolean {
  const shown = format('full', zone, date);
  return SHIFTS_MS.some(
    (ms) =>
      format('full', zone, new Date(date.getTime() - ms)) === shown ||
      format('full', zone, new Date(date.getTime() + ms)) === shown,
  );
}

/** A time of day ("2:00 AM"), with the zone's name when the clock shows that time twice ("2:00 AM NZST"). */
export function clockTime(zone: string, date: Date): string {
  const time = format('time', zone, date);
  return repeatedTime(zone, date) ? `${time} ${zoneTag(zone, date)}` : time;
}

/**
 * A session's start and end in a zone, as people read them. Each end carries the zone's name
 * when its time is shown twice that day, and both do when the clocks change between them
 * ("2:00 AM NZDT – 2:00 AM NZST" rather than "2:00 AM – 2:00 AM"); an end on another day than
 * the start names that day.
 */
export function when(b: { start_time: string; end_time: string }, zone: string): string {
  const start = new Date(b.start_time);
  const end = new Date(b.end_time);
  const changes = zoneTag(zone, start) !== zoneTag(zone, end);
  const tagged = (date: Date, text: string) =>
    changes || repeatedTime(zone, date) ? `${text} ${zoneTag(zone, date)}` : text;
  // An end on the next day names its day ("23:30 – Tue 00:30").
  const endDay = dateKey(b.end_time, zone) === dateKey(b.start_time, zone) ? '' : `${format('weekday', zone, end)} `;
  return `${tagged(start, format('full', zone, start))} – ${endDay}${tagged(end, format('time', zone, end))}`;
}

/** A zone as people read it: underscores become spaces. */
export const zoneName = (zone: string): string => zone.replace(/_/g, ' ');

/** The runtime's own name of a zone: two names of one zone (Asia/Calcutta, Asia/Kolkata) resolve alike. */
const resolvedZone = (zone: string): string => formatter('key', zone).resolvedOptions().timeZone;

/**
 * The zones the picker offers: the visitor's, the trainer's, then common ones; valid and each
 * once, a zone's other name counting as the same zone (the first name given is kept).
 */
export function zoneChoices(visitor: string, trainer: string): string[] {
  const zones: string[] = [];
  const seen: string[] = [];
  for (const z of [visitor, trainer, ...COMMON_ZONES]) {
    if (!z || !validZone(z) || seen.indexOf(resolvedZone(z)) >= 0) continue;
    zones.push(z);
    seen.push(resolvedZone(z));
  }
  return zones;
}

const COMMON_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
];

/** An option's text in the zone picker: the zone, tagged when it is the visitor's or the trainer's. */
export function zoneOptionLabel(zone: string, visitor: string, trainer: string): string {
  const tags: string[] = [];
  if (zone === visitor) tags.push('yours');
  if (zone === trainer) tags.push("trainer's");
  return zoneName(zone) + (tags.length ? ` (${tags.join(', ')})` : '');
}

export interface Slot {
  start_time: string;
  end_time: string;
}
/** A class session as the availability lists it. */
export interface ClassSession extends Slot {
  class_session: number;
  service: number;
  name: string;
  capacity: number;
  spots_left: number;
  waitlist_open: boolean;
}
export interface ApiDay {
  date: string;
  slots?: Slot[];
  classes?: ClassSession[];
}
export interface Day {
  date: string;
  slots: Slot[];
  classes: ClassSession[];
}

const byStart = (a: Slot, b: Slot) => Date.parse(a.start_time) - Date.parse(b.start_time);

/** The API's days (trainer's dates) regrouped by date in the zone shown, slots and classes alike; empty days stay, disabled. */
export function groupByZoneDate(apiDays: ApiDay[], zone: string): Day[] {
  const byDate = new Map<string, Day>();
  const dayOf = (date: string): Day => {
    let day = byDate.get(date);
    if (!day) {
      day = { date, slots: [], classes: [] };
      byDate.set(date, day);
    }
    return day;
  };
  for (const d of apiDays) dayOf(d.date);
  for (const d of apiDays) {
    for (const s of d.slots || []) dayOf(dateKey(s.start_time, zone)).slots.push(s);
    for (const c of d.classes || []) dayOf(dateKey(c.start_time, zone)).classes.push(c);
  }
  return Array.from(byDate.keys())
    .sort()
    .map((date) => {
      const day = byDate.get(date) as Day;
      return { date, slots: day.slots.sort(byStart), classes: day.classes.sort(byStart) };
    });
}
