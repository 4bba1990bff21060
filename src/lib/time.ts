// Instant arithmetic and formatting; calendar arithmetic (local days, zones) lives in lib/calendar.ts.
import { offsetOf } from './calendar';
import { databaseSpelling, RENAMED } from './zone-names';

export const addSeconds = (iso: string, seconds: number): string =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();

export const secondsBetween = (fromIso: string, toIso: string): number =>
  (Date.parse(toIso) - Date.parse(fromIso)) / 1000;

/**
 * An instant as ISO text for a range's bound against stored times. Past year 9999 toISOString
 * writes "+010000-…", which sorts before every stored time (a list "to 9999-12-31" found
 * nothing): there it is the last instant 24 characters hold. No booking is stored near it (a
 * booking ends before December 9999: `timeErrors`). Before year 0 the text starts with "-" and
 * sorts first, which is right as it is.
 */
export const boundIso = (ms: number): string => {
  const text = new Date(ms).toISOString();
  return text.startsWith('+') ? '9999-12-31T23:59:59.999Z' : text;
};

/**
 * An IANA zone name the runtime knows ("Europe/London", "UTC", "EST5EDT", "US/Eastern"), spelt
 * as the zone database spells it today ("europe/london" → "Europe/London", "asia/calcutta" and
 * "asia/kolkata" → "Asia/Kolkata", "us/eastern" → "US/Eastern"), or null. Offsets ("+05:30",
 * "UTC+1") are refused: a zone name keeps its daylight-saving rules, an offset does not; so is
 * "Factory", the database's name for no zone at all.
 */
export function canonicalTimeZone(tz: string): string | null {
  if (!tz || !/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(tz)) return null;
  let named: string;
  try {
    named = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  if (named === 'Factory') return null;
  const today = RENAMED[named] ?? named;
  const typed = tz.toLowerCase();
  if (typed === named.toLowerCase() || typed === today.toLowerCase()) return today;
  // Another name of the database (a link, or a zone the runtime merges): its own spelling.
  return databaseSpelling(tz) ?? today;
}

export const isValidTimeZone = (tz: string): boolean => canonicalTimeZone(tz) !== null;

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** An ISO 8601 instant with any offset → UTC "…Z" with milliseconds; null without an offset or when invalid. */
export function toUtcInstant(text: string): string | null {
  if (!INSTANT.test(text)) return null;
  // Date.parse rolls 30 February over into March; the written date must exist as written.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number);
  const written = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1));
  if (written.getUTCFullYear() !== y || written.getUTCMonth() + 1 !== m || written.getUTCDate() !== d) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Beyond year 9999 the ISO text grows a sign and stops sorting as text.
  return /^\d{4}-/.test(iso) ? iso : null;
}

/**
 * An instant as a reader in the trainer's zone sees it: "Tue 14 Jan 10:00 EST" (with the year
 * when asked). The zone's abbreviation comes from Intl; zones without one show "GMT+5:30".
 */
export function formatLocal(iso: string, timeZone: string, withYear = false): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: withYear ? 'numeric' : undefined,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(iso));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const date = [get('weekday'), get('day'), get('month'), withYear ? get('year') : ''].filter(Boolean).join(' ');
  return `${date} ${get('hour')}:${get('minute')} ${zoneAbbreviation(iso, timeZone)}`;
}

/** "EST", "BST", "AEDT"…: each locale knows the names used where it is spoken; else "GMT+5:30". */
function zoneAbbreviation(iso: string, timeZone: string): string {
  let fallback = 'UTC';
  for (const locale of ['en-US', 'en-GB', 'en-AU', 'en-NZ', 'en-IN']) {
    const name = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
      .formatToParts(new Date(iso))
      .find((p) => p.type === 'timeZoneName')?.value;
    if (!name) continue;
    if (/^[A-Z]{2,5}$/.test(name)) return name;
    if (fallback === 'UTC') fallback = name;
  }
  return fallback;
}

/**
 * "Berlin time", "New York time", "UTC": the zone named by its city, as a reader knows it. A zone
 * with no city ("Etc/GMT+12", "EST5EDT") is named by its offset as the runtime writes it
 * ("GMT-12": POSIX writes the sign of Etc names the other way round).
 */
function zoneLabel(timeZone: string, atIso: string): string {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
  const parts = timeZone.split('/');
  if (parts.length < 2 || parts[0] === 'Etc') return zoneAbbreviation(atIso, timeZone);
  return `${(parts.at(-1) ?? timeZone).replace(/_/g, ' ')} time`;
}

const DAY_S = 24 * 3600;

/**
 * "Wednesday 2 December, 13:30–14:30 (Berlin time)": a session's span in a zone, the zone named.
 * Within a day of a clock change each time carries its abbreviation ("01:30 EDT–01:30 EST"): on
 * that day one wall time can be two instants, and a span can gain or lose an hour.
 */
export function formatSpan(startIso: string, endIso: string, timeZone: string): string {
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(
    new Date(startIso),
  );
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const changes = offsetOf(addSeconds(startIso, -DAY_S), timeZone) !== offsetOf(addSeconds(endIso, DAY_S), timeZone);
  const at = (iso: string) => `${clock.format(new Date(iso))}${changes ? ` ${zoneAbbreviation(iso, timeZone)}` : ''}`;
  return `${day.replace(/,/g, '')}, ${at(startIso)}–${at(endIso)} (${zoneLabel(timeZone, startIso)})`;
}
