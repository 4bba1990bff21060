// Every piece of time-zone and instant arithmetic in the app lives here (and in scheduling/slots.ts).

export const nowIso = (): string => new Date().toISOString();

export const addSeconds = (iso: string, seconds: number): string =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();

export const secondsBetween = (fromIso: string, toIso: string): number =>
  (Date.parse(toIso) - Date.parse(fromIso)) / 1000;

/** An IANA zone name the runtime knows ("Europe/London", "UTC"); offsets and abbreviations are refused. */
export function isValidTimeZone(tz: string): boolean {
  if (!tz || !/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** An ISO 8601 instant with any offset → UTC "…Z" with milliseconds; null without an offset or when invalid. */
export function toUtcInstant(text: string): string | null {
  if (!INSTANT.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export const minutesBetween = (fromIso: string, toIso: string): number => secondsBetween(fromIso, toIso) / 60;
