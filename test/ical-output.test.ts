// src/lib/ical.ts writes iCalendar by hand; ical.js (the library the calendar parser uses, and
// what wrote our calendars before) is the oracle: for every event shape and for text full of what
// iCalendar escapes, quotes or folds, both write the same bytes.
import { describe, expect, it } from 'vitest';
import { type IcalCalendar, type IcalEvent, icalCalendar } from '../src/lib/ical';
import { icalCalendarByIcalJs } from './ical-reference';

/** A small deterministic generator (mulberry32), so a failure names a case that can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// What iCalendar escapes (\ ; , line breaks), what a parameter quotes (: ; ,) or encodes (^ "),
// controls, and characters of 2, 3 and 4 UTF-8 octets (so folds fall beside and inside them).
const ALPHABET = [
  'a',
  'Z',
  ' ',
  '7',
  '\\',
  ';',
  ',',
  ':',
  '"',
  '^',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\u0001',
  '\u007f',
  'é',
  'ß',
  '€',
  '中',
  '😀',
  '👩‍💻',
  '\u00a0',
];

const textOf = (next: () => number, max: number) =>
  Array.from({ length: Math.floor(next() * max) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');

function eventOf(next: () => number, i: number): IcalEvent {
  const day = 1 + Math.floor(next() * 28);
  const allDay = next() < 0.3;
  const pick = <T>(t: T) => (next() < 0.5 ? t : undefined);
  return {
    uid: `booking-${i}@trainerhub.example`,
    sequence: Math.floor(next() * 5),
    stamp: `2026-03-${String(day).padStart(2, '0')}T08:15:30.123Z`,
    start: allDay
      ? { date: `2026-04-${String(day).padStart(2, '0')}` }
      : `2026-04-${String(day).padStart(2, '0')}T09:00:00.000Z`,
    end: allDay
      ? { date: `2026-04-${String(day + 1).padStart(2, '0')}` }
      : `2026-04-${String(day).padStart(2, '0')}T10:30:00Z`,
    summary: textOf(next, 120) || 'Session',
    description: pick(textOf(next, 300)),
    url: pick(`https://trainerhub.example/book/manage/${'x'.repeat(Math.floor(next() * 90))}`),
    location: pick(textOf(next, 80)),
    conference: pick(`https://meet.example/${'r'.repeat(Math.floor(next() * 80))}`),
    organizer: pick({ name: textOf(next, 60), email: 'coach@example.com' }),
    attendee: pick({ name: textOf(next, 60), email: 'client+tag@example.com' }),
    status: (['TENTATIVE', 'CONFIRMED', 'CANCELLED'] as const)[Math.floor(next() * 3)] ?? 'CONFIRMED',
  };
}

describe('iCalendar output, written by hand', () => {
  it('is byte for byte what ical.js writes, for 400 calendars of random events and text', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed);
      const calendar: IcalCalendar = {
        prodId: '-//TrainerHub//Bookings//EN',
        method: (['PUBLISH', 'REQUEST', 'CANCEL', undefined] as const)[Math.floor(next() * 4)],
        feed: next() < 0.5 ? { name: textOf(next, 90), refreshMinutes: 15 + Math.floor(next() * 60) } : undefined,
        events: Array.from({ length: Math.floor(next() * 4) }, (_, i) => eventOf(next, i)),
      };
      expect(icalCalendar(calendar), `seed ${seed}`).toBe(icalCalendarByIcalJs(calendar));
    }
  });

  it('folds no physical line past 75 octets, and never inside a character', () => {
    const long = '€😀a'.repeat(200);
    const out = icalCalendar({
      prodId: '-//TrainerHub//Bookings//EN',
      events: [eventOf(random(7), 1)].map((e) => ({ ...e, summary: long })),
    });
    expect(out.endsWith('END:VCALENDAR\r\n')).toBe(true);
    const lines = out.split('\r\n');
    for (const line of lines) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const start = lines.findIndex((l) => l.startsWith('SUMMARY:'));
    let end = start + 1;
    while (lines[end]?.startsWith(' ')) end += 1;
    const unfolded = lines
      .slice(start, end)
      .map((l, i) => (i ? l.slice(1) : l))
      .join('');
    expect(unfolded).toBe(`SUMMARY:${long}`);
    expect(out).not.toContain('\uFFFD');
  });
});
