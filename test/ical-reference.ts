// The oracle of test/ical-output.test.ts: src/lib/ical.ts as it was when ical.js wrote the
// calendars (before the API Worker stopped carrying ical.js), kept unchanged but for its types,
// which now come from src/lib/ical.ts.
import ICAL from 'ical.js';

/**
 * ical.js folds a content line into pieces of `foldLength` octets and puts a space before each
 * continuation: 74 keeps the first line and every continuation (space included) within 75.
 */
const FOLD_OCTETS = 74;

import type { IcalCalendar, IcalEvent, IcalPerson, IcalWhen } from '../src/lib/ical';

/**
 * Text as a TEXT value may hold it before escaping: every line break (CRLF, CR or LF) one LF (the
 * library writes `\n`), any other control character but TAB a space. A stored CR never ends a line.
 */
const clean = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the controls TEXT may not hold
  text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');

/** A parameter value: no control character (a quoted-string cannot hold one); quotes are RFC 6868-encoded. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls a parameter may not hold
const paramValue = (text: string): string => text.replace(/[\u0000-\u001f\u007f]/g, '');

const timeOf = (when: IcalWhen): ICAL.Time =>
  typeof when === 'string'
    ? ICAL.Time.fromDateTimeString(`${when.slice(0, 19)}Z`)
    : ICAL.Time.fromDateString(when.date);

/** A property of a type the library does not know (RFC 7986, X-): the value as given, with its parameters. */
function rawProperty(name: string, value: string, params: [string, string][] = []): ICAL.Property {
  const p = new ICAL.Property(name);
  for (const [k, v] of params) p.setParameter(k, v);
  p.setValue(value);
  return p;
}

function personProperty(name: 'organizer' | 'attendee', person: IcalPerson, extra: [string, string][] = []) {
  const p = new ICAL.Property(name);
  p.setParameter('cn', paramValue(person.name));
  for (const [k, v] of extra) p.setParameter(k, v);
  p.setValue(`mailto:${person.email}`);
  return p;
}

function eventComponent(e: IcalEvent): ICAL.Component {
  const v = new ICAL.Component('vevent');
  v.addPropertyWithValue('uid', e.uid);
  v.addPropertyWithValue('sequence', e.sequence);
  v.addPropertyWithValue('dtstamp', timeOf(e.stamp));
  v.addPropertyWithValue('dtstart', timeOf(e.start));
  v.addPropertyWithValue('dtend', timeOf(e.end));
  v.addPropertyWithValue('summary', clean(e.summary));
  if (e.description) v.addPropertyWithValue('description', clean(e.description));
  if (e.url) v.addPropertyWithValue('url', e.url);
  if (e.location) v.addPropertyWithValue('location', clean(e.location));
  if (e.conference)
    v.addProperty(
      rawProperty('conference', e.conference, [
        ['value', 'URI'],
        ['feature', 'VIDEO'],
        ['label', 'Video call'],
      ]),
    );
  if (e.organizer) v.addProperty(personProperty('organizer', e.organizer));
  if (e.attendee) v.addProperty(personProperty('attendee', e.attendee, [['rsvp', 'FALSE']]));
  v.addPropertyWithValue('status', e.status);
  return v;
}

/** The library's own TEXT escaping, for a text property it does not know (X-WR-CALNAME). */
const escapeText = (text: string): string => ICAL.design.icalendar.value.text.toICAL?.(clean(text)) ?? text;

/** An iCalendar object: CRLF after every line, the last included; no physical line over 75 octets. */
export function icalCalendarByIcalJs(c: IcalCalendar): string {
  const cal = new ICAL.Component('vcalendar');
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('prodid', c.prodId);
  cal.addPropertyWithValue('calscale', 'GREGORIAN');
  if (c.method) cal.addPropertyWithValue('method', c.method);
  if (c.feed) {
    cal.addProperty(rawProperty('x-wr-calname', escapeText(c.feed.name)));
    const every = `PT${c.feed.refreshMinutes}M`;
    cal.addProperty(rawProperty('refresh-interval', every, [['value', 'DURATION']]));
    cal.addProperty(rawProperty('x-published-ttl', every));
  }
  for (const e of c.events) cal.addSubcomponent(eventComponent(e));
  ICAL.foldLength = FOLD_OCTETS;
  return ICAL.stringify(cal.toJSON());
}
