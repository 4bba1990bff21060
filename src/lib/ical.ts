// iCalendar (RFC 5545) output: a VCALENDAR of VEVENTs, TEXT values escaped, content lines folded so
// that every physical line holds at most 75 octets (never inside a UTF-8 sequence), each ended with
// CRLF, the document too. Written by hand (it is a few rules) so that ical.js, which reads the
// calendars trainers connect, stays out of the API Worker: test/ical-output.test.ts holds this
// byte for byte to what ical.js writes for the same events.

/** Octets of a content line's first piece and of each continuation after its leading space. */
const FOLD_OCTETS = 74;

/** A timed instant (UTC ISO text) or a whole local day (`{ date: 'YYYY-MM-DD' }`, an all-day event). */
export type IcalWhen = string | { date: string };

export interface IcalPerson {
  name: string;
  email: string;
}

export interface IcalEvent {
  uid: string;
  sequence: number;
  /** DTSTAMP (UTC ISO): for a feed, when the row last changed, so an unchanged feed is byte-identical. */
  stamp: string;
  start: IcalWhen;
  /** The end, exclusive (the day after the last one for an all-day event). */
  end: IcalWhen;
  summary: string;
  description?: string;
  url?: string | null;
  location?: string;
  /** A video link, as CONFERENCE (RFC 7986). */
  conference?: string;
  organizer?: IcalPerson;
  attendee?: IcalPerson;
  status: 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED';
}

export interface IcalCalendar {
  prodId: string;
  method?: 'PUBLISH' | 'REQUEST' | 'CANCEL';
  /** A subscribed feed: its name (X-WR-CALNAME) and how often apps should fetch it again. */
  feed?: { name: string; refreshMinutes: number };
  events: IcalEvent[];
}

/** A UTC instant as an iCalendar DATE-TIME (`20250115T100000Z`), as calendar links write it. */
export const icalTime = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * Text as a TEXT value may hold it before escaping: every line break (CRLF, CR or LF) one LF,
 * any other control character but TAB a space. A stored CR never ends a line.
 */
const clean = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the controls TEXT may not hold
  text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');

/** A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line break escaped. */
const escapeText = (value: string): string => value.replace(/[\\;,\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** Text from people (names, notes, places): cleaned, then escaped (escapeText). */
const text = (value: string): string => escapeText(clean(value));

/**
 * A parameter value: no control character (a quoted-string cannot hold one), `^` and `"`
 * RFC 6868-encoded, quoted when it holds `:`, `;` or `,`.
 */
function param(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the controls a parameter may not hold
  const encoded = value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[\^"]/g, (c) => (c === '^' ? '^^' : "^'"));
  return /[:;,]/.test(encoded) ? `"${encoded}"` : encoded;
}

/** A DATE-TIME in UTC, or a DATE with its VALUE parameter (the properties' default is DATE-TIME). */
const when = (name: string, at: IcalWhen): string =>
  typeof at === 'string' ? `${name}:${icalTime(at.slice(0, 19))}Z` : `${name};VALUE=DATE:${at.date.replace(/-/g, '')}`;

/** A content line cut into pieces of at most FOLD_OCTETS octets of UTF-8, whole code points each. */
function fold(line: string): string {
  const pieces: string[] = [];
  let piece = '';
  let octets = 0;
  for (const ch of line) {
    const cp = ch.codePointAt(0) ?? 0;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (octets + size > FOLD_OCTETS) {
      pieces.push(piece);
      piece = '';
      octets = 0;
    }
    piece += ch;
    octets += size;
  }
  pieces.push(piece);
  return pieces.join('\r\n ');
}

const person = (name: string, p: IcalPerson, extra = ''): string =>
  `${name};CN=${param(p.name)}${extra}:mailto:${p.email}`;

function eventLines(e: IcalEvent): string[] {
  return [
    'BEGIN:VEVENT',
    `UID:${escapeText(e.uid)}`,
    `SEQUENCE:${e.sequence}`,
    when('DTSTAMP', e.stamp),
    when('DTSTART', e.start),
    when('DTEND', e.end),
    `SUMMARY:${text(e.summary)}`,
    ...(e.description ? [`DESCRIPTION:${text(e.description)}`] : []),
    ...(e.url ? [`URL:${e.url}`] : []),
    ...(e.location ? [`LOCATION:${text(e.location)}`] : []),
    ...(e.conference ? [`CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:${e.conference}`] : []),
    ...(e.organizer ? [person('ORGANIZER', e.organizer)] : []),
    ...(e.attendee ? [person('ATTENDEE', e.attendee, ';RSVP=FALSE')] : []),
    `STATUS:${e.status}`,
    'END:VEVENT',
  ];
}

/** An iCalendar object: CRLF after every line, the last included; no physical line over 75 octets. */
export function icalCalendar(c: IcalCalendar): string {
  const every = c.feed && `PT${c.feed.refreshMinutes}M`;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${escapeText(c.prodId)}`,
    'CALSCALE:GREGORIAN',
    ...(c.method ? [`METHOD:${c.method}`] : []),
    ...(c.feed
      ? [`X-WR-CALNAME:${text(c.feed.name)}`, `REFRESH-INTERVAL;VALUE=DURATION:${every}`, `X-PUBLISHED-TTL:${every}`]
      : []),
    ...c.events.flatMap(eventLines),
    'END:VCALENDAR',
  ];
  return lines.map((line) => `${fold(line)}\r\n`).join('');
}
