// busyFromIcs: the busy time a person reading each fixture calendar would see (test/fixtures/ics/README.md),
// as UTC instants, around the DST changes of each calendar's zone; and the edges of hostile or broken files.
import { describe, expect, it } from 'vitest';
import { MAX_BLOCKS } from '../src/calendar/busy';
import { busyFromIcs, CalendarParseError } from '../src/calendar/expand';
import { fixture } from './ics-fixtures';

const OWN = 'localhost';
/** A block written short: "2027-03-10T09:00" → full UTC ISO text. */
const block = (start: string, end: string) => ({ start: `${start}:00.000Z`, end: `${end}:00.000Z` });

const wrap = (events: string, extra = '') =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', extra, events, 'END:VCALENDAR'].filter(Boolean).join('\r\n');
const vevent = (uid: string, ...props: string[]) =>
  ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261201T120000Z', ...props, 'END:VEVENT'].join('\r\n');

describe('busyFromIcs: the fixture calendars as a person reads them', () => {
  it('Google (Europe/London): weekly with EXDATE and a moved occurrence, all-day on the 23-hour day, floating, UTC; free, cancelled and our own feed skipped', () => {
    const busy = busyFromIcs(fixture('google'), {
      from: '2027-03-01T00:00:00.000Z',
      to: '2027-05-01T00:00:00.000Z',
      zone: 'Europe/London',
      ownHost: OWN,
    });
    expect(busy).toEqual([
      block('2027-03-10T09:00', '2027-03-10T10:00'), // Physio, GMT
      block('2027-03-12T07:00', '2027-03-12T08:00'), // floating morning run, in the trainer's zone
      block('2027-03-15T12:00', '2027-03-15T13:00'), // UTC call
      // 17 Mar: EXDATE; 24 Mar: moved to Thursday 25 Mar 14:00
      block('2027-03-25T14:00', '2027-03-25T15:00'),
      block('2027-03-28T00:00', '2027-03-28T23:00'), // all day on the day the clocks go forward
      block('2027-03-31T08:00', '2027-03-31T09:00'), // Physio 09:00 BST
      block('2027-04-07T08:00', '2027-04-07T09:00'),
    ]);
  });

  it('Outlook (W. Europe Standard Time): weekly across the change back, tentative busy, a 34-hour event in pieces, OOF all day; Free and cancelled skipped', () => {
    const busy = busyFromIcs(fixture('outlook'), {
      from: '2027-10-01T00:00:00.000Z',
      to: '2027-12-01T00:00:00.000Z',
      zone: 'Europe/Berlin',
      ownHost: OWN,
    });
    expect(busy).toEqual([
      block('2027-10-18T08:00', '2027-10-18T09:00'),
      block('2027-10-25T08:00', '2027-10-25T09:00'),
      block('2027-10-28T10:00', '2027-10-28T11:30'),
      block('2027-10-30T07:00', '2027-10-31T07:00'),
      block('2027-10-31T07:00', '2027-10-31T17:00'),
      block('2027-11-01T09:00', '2027-11-01T10:00'),
      block('2027-11-01T23:00', '2027-11-02T23:00'),
      block('2027-11-08T09:00', '2027-11-08T10:00'),
    ]);
  });

  it('Apple (America/New_York): weekly with EXDATE and RDATE across the jump, a 3-day all-day trip in pieces, an event spanning the skipped hour', () => {
    const busy = busyFromIcs(fixture('apple'), {
      from: '2027-03-01T00:00:00.000Z',
      to: '2027-04-01T00:00:00.000Z',
      zone: 'America/New_York',
      ownHost: OWN,
    });
    expect(busy).toEqual([
      block('2027-03-02T23:00', '2027-03-03T00:00'),
      block('2027-03-14T06:30', '2027-03-14T07:30'),
      block('2027-03-16T22:00', '2027-03-16T23:00'),
      block('2027-03-18T22:00', '2027-03-18T23:00'),
      block('2027-03-19T04:00', '2027-03-20T04:00'),
      block('2027-03-20T04:00', '2027-03-21T04:00'),
      block('2027-03-21T04:00', '2027-03-22T04:00'),
      block('2027-03-23T22:00', '2027-03-23T23:00'),
      block('2027-03-25T15:00', '2027-03-25T17:30'),
    ]);
  });

  it('clips to [from, to): an event running over an edge is cut there, one outside is left out', () => {
    const busy = busyFromIcs(fixture('outlook'), {
      from: '2027-10-31T00:00:00.000Z',
      to: '2027-11-01T09:30:00.000Z',
      zone: 'Europe/Berlin',
      ownHost: OWN,
    });
    expect(busy).toEqual([
      block('2027-10-31T00:00', '2027-10-31T17:00'),
      block('2027-11-01T09:00', '2027-11-01T09:30'),
    ]);
  });
});

describe('busyFromIcs: zones, merging and edges', () => {
  const opts = {
    from: '2027-01-01T00:00:00.000Z',
    to: '2027-12-31T00:00:00.000Z',
    zone: 'Europe/London',
    ownHost: OWN,
  };

  it('an IANA or Windows TZID without VTIMEZONE is read in that zone; an unknown TZID in the trainer’s', () => {
    const ics = wrap(
      [
        vevent('a', 'DTSTART;TZID=America/New_York:20270701T090000', 'DTEND;TZID=America/New_York:20270701T100000'),
        vevent('b', 'DTSTART;TZID=Mars Standard Time:20270702T090000', 'DTEND;TZID=Mars Standard Time:20270702T100000'),
        // Windows names, as Outlook writes them, with no VTIMEZONE in the file: CLDR's zone for each,
        // with its DST rules (Los Angeles changes on 14 March 2027, India never does).
        vevent(
          'c',
          'DTSTART;TZID=Pacific Standard Time:20270313T090000',
          'DTEND;TZID=Pacific Standard Time:20270313T100000',
        ),
        vevent(
          'd',
          'DTSTART;TZID=Pacific Standard Time:20270315T090000',
          'DTEND;TZID=Pacific Standard Time:20270315T100000',
        ),
        vevent(
          'e',
          'DTSTART;TZID=India Standard Time:20270703T090000',
          'DTEND;TZID=India Standard Time:20270703T100000',
        ),
      ].join('\r\n'),
    );
    expect(busyFromIcs(ics, opts)).toEqual([
      block('2027-03-13T17:00', '2027-03-13T18:00'), // 09:00 PST
      block('2027-03-15T16:00', '2027-03-15T17:00'), // 09:00 PDT
      block('2027-07-01T13:00', '2027-07-01T14:00'), // 09:00 EDT
      block('2027-07-02T08:00', '2027-07-02T09:00'), // 09:00 BST, the trainer's zone
      block('2027-07-03T03:30', '2027-07-03T04:30'), // 09:00 IST (+05:30)
    ]);
  });

  it('a DURATION in hours is elapsed time across a DST change, in days the same clock time (RFC 5545 3.3.6); with or without VTIMEZONE', () => {
    const newYork = [
      'BEGIN:VTIMEZONE',
      'TZID:America/New_York',
      'BEGIN:DAYLIGHT',
      'TZOFFSETFROM:-0500',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
      'DTSTART:20070311T020000',
      'TZNAME:EDT',
      'TZOFFSETTO:-0400',
      'END:DAYLIGHT',
      'BEGIN:STANDARD',
      'TZOFFSETFROM:-0400',
      'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
      'DTSTART:20071104T020000',
      'TZNAME:EST',
      'TZOFFSETTO:-0500',
      'END:STANDARD',
      'END:VTIMEZONE',
    ].join('\r\n');
    const cases: [string[], ReturnType<typeof block>[]][] = [
      // Starts in the skipped hour (02:30 EST = 07:30Z): an hour from there, not none.
      [
        ['DTSTART;TZID=America/New_York:20270314T023000', 'DURATION:PT1H'],
        [block('2027-03-14T07:30', '2027-03-14T08:30')],
      ],
      [
        ['DTSTART;TZID=America/Chicago:20270314T023000', 'DURATION:PT2H'],
        [block('2027-03-14T08:30', '2027-03-14T10:30')],
      ],
      // The first 01:30 of the night the clocks go back (EDT, CDT): half an hour, not an hour and a half.
      [
        ['DTSTART;TZID=America/New_York:20271107T013000', 'DURATION:PT30M'],
        [block('2027-11-07T05:30', '2027-11-07T06:00')],
      ],
      [
        ['DTSTART;TZID=America/Chicago:20271107T013000', 'DURATION:PT30M'],
        [block('2027-11-07T06:30', '2027-11-07T07:00')],
      ],
      // A day from 10:00 the day before the jump: until 10:00 EDT the next day, 23 hours.
      [
        ['DTSTART;TZID=America/New_York:20270313T100000', 'DURATION:P1D'],
        [block('2027-03-13T15:00', '2027-03-14T14:00')],
      ],
      // P1DT1H across it: a nominal day, then an hour.
      [
        ['DTSTART;TZID=America/New_York:20270313T100000', 'DURATION:P1DT1H'],
        [block('2027-03-13T15:00', '2027-03-14T15:00')],
      ],
      // A weekly series whose second occurrence is the night the clocks go back: each an hour long.
      [
        ['DTSTART;TZID=America/New_York:20271031T013000', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=2'],
        [block('2027-10-31T05:30', '2027-10-31T06:30'), block('2027-11-07T05:30', '2027-11-07T06:30')],
      ],
    ];
    for (const [props, expected] of cases) {
      expect(busyFromIcs(wrap(vevent('e', ...props)), opts), props.join(' ')).toEqual(expected);
      // New York's zone defined in the file as well (the Chicago events still name theirs only).
      expect(busyFromIcs(wrap(vevent('e', ...props), newYork), opts), `${props.join(' ')} (VTIMEZONE)`).toEqual(
        expected,
      );
    }
  });

  it('an IANA TZID without VTIMEZONE: a UTC EXDATE and a UTC RECURRENCE-ID name the occurrence at that instant', () => {
    const series = [
      'DTSTART;TZID=Europe/London:20270405T090000',
      'DTEND;TZID=Europe/London:20270405T100000',
      'RRULE:FREQ=WEEKLY;COUNT=3',
    ];
    // 12 April 09:00 in London is 08:00 UTC (summer time)
    expect(busyFromIcs(wrap(vevent('ex', ...series, 'EXDATE:20270412T080000Z')), opts)).toEqual([
      block('2027-04-05T08:00', '2027-04-05T09:00'),
      block('2027-04-19T08:00', '2027-04-19T09:00'),
    ]);
    const moved = [
      vevent('mv', ...series),
      vevent('mv', 'RECURRENCE-ID:20270412T080000Z', 'DTSTART:20270413T140000Z', 'DTEND:20270413T150000Z'),
    ];
    expect(busyFromIcs(wrap(moved.join('\r\n')), opts)).toEqual([
      block('2027-04-05T08:00', '2027-04-05T09:00'),
      block('2027-04-13T14:00', '2027-04-13T15:00'),
      block('2027-04-19T08:00', '2027-04-19T09:00'),
    ]);
    // the same occurrence named in the series' own zone, and floating (read in the series' zone)
    for (const exdate of ['EXDATE;TZID=Europe/London:20270412T090000', 'EXDATE:20270412T090000']) {
      expect(busyFromIcs(wrap(vevent('ex', ...series, exdate)), opts), exdate).toHaveLength(2);
    }
  });

  it('a yearly rule from 29 February skips the other years (RFC 5545), not busy on 1 March; a monthly one from the 31st skips short months', () => {
    const leap = wrap(vevent('leap', 'DTSTART;VALUE=DATE:19920229', 'DTEND;VALUE=DATE:19920301', 'RRULE:FREQ=YEARLY'));
    expect(busyFromIcs(leap, opts)).toEqual([]);
    expect(busyFromIcs(leap, { ...opts, from: '2028-01-01T00:00:00.000Z', to: '2028-12-31T00:00:00.000Z' })).toEqual([
      block('2028-02-29T00:00', '2028-03-01T00:00'),
    ]);
    const monthly = wrap(
      vevent('m', 'DTSTART:20270131T090000Z', 'DTEND:20270131T100000Z', 'RRULE:FREQ=MONTHLY;COUNT=4'),
    );
    expect(busyFromIcs(monthly, opts)).toEqual([
      block('2027-01-31T09:00', '2027-01-31T10:00'),
      block('2027-03-31T09:00', '2027-03-31T10:00'),
      block('2027-05-31T09:00', '2027-05-31T10:00'),
      block('2027-07-31T09:00', '2027-07-31T10:00'),
    ]);
  });

  it('overlapping and touching events merge; Outlook BUSYSTATUS:FREE is free even when OPAQUE; no DTSTART is skipped; our own UID with a port too', () => {
    const ics = wrap(
      [
        vevent('1', 'DTSTART:20270601T090000Z', 'DTEND:20270601T100000Z'),
        vevent('2', 'DTSTART:20270601T093000Z', 'DTEND:20270601T110000Z'),
        vevent('3', 'DTSTART:20270601T110000Z', 'DTEND:20270601T113000Z'),
        vevent(
          '4',
          'DTSTART:20270602T090000Z',
          'DTEND:20270602T100000Z',
          'TRANSP:OPAQUE',
          'X-MICROSOFT-CDO-BUSYSTATUS:FREE',
        ),
        vevent('5', 'DTEND:20270603T100000Z', 'SUMMARY:no start'),
        vevent('x@LocalHost:8787', 'DTSTART:20270604T090000Z', 'DTEND:20270604T100000Z'),
        vevent('6', 'DTSTART:20270605T090000Z', 'SUMMARY:no end: takes no time'),
      ].join('\r\n'),
    );
    expect(busyFromIcs(ics, opts)).toEqual([block('2027-06-01T09:00', '2027-06-01T11:30')]);
  });

  it('a series started years ago costs its window only, keeps its wall time across DST and honours an override out of the window', () => {
    const ics = wrap(
      [
        vevent(
          'daily',
          'DTSTART;TZID=Europe/London:20000103T083000',
          'DTEND;TZID=Europe/London:20000103T090000',
          'RRULE:FREQ=DAILY',
        ),
        // the 26 March 2027 occurrence moved to the next year: gone from the window
        vevent(
          'daily',
          'RECURRENCE-ID;TZID=Europe/London:20270326T083000',
          'DTSTART;TZID=Europe/London:20280101T083000',
          'DTEND;TZID=Europe/London:20280101T090000',
        ),
      ].join('\r\n'),
    );
    const busy = busyFromIcs(ics, { ...opts, from: '2027-03-25T00:00:00.000Z', to: '2027-03-30T00:00:00.000Z' });
    expect(busy).toEqual([
      block('2027-03-25T08:30', '2027-03-25T09:00'),
      block('2027-03-27T08:30', '2027-03-27T09:00'),
      block('2027-03-28T07:30', '2027-03-28T08:00'), // 08:30 BST
      block('2027-03-29T07:30', '2027-03-29T08:00'),
    ]);
  });

  it('a hostile rule with no end is capped: bounded blocks, and it returns', () => {
    const ics = wrap(
      vevent('spam', 'DTSTART:20270101T000000Z', 'DTEND:20270101T000030Z', 'RRULE:FREQ=MINUTELY;INTERVAL=2'),
    );
    const started = Date.now();
    const busy = busyFromIcs(ics, opts);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length).toBeLessThanOrEqual(MAX_BLOCKS);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('impossible rules (no date ever passes their BY* filters) are left out at once; the events after them still count', () => {
    // Before the cap on ical.js's candidates, the DAILY rule alone spun for about a minute, HOURLY for minutes.
    const ics = wrap(
      [
        vevent('d', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'),
        vevent('h', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30'),
        vevent(
          'm',
          'DTSTART:20261201T090000Z',
          'DTEND:20261201T100000Z',
          'RRULE:FREQ=MINUTELY;BYMONTH=4;BYMONTHDAY=31',
        ),
        vevent('one', 'DTSTART:20270601T090000Z', 'DTEND:20270601T100000Z'),
        vevent('w', 'DTSTART:20270607T090000Z', 'DTEND:20270607T100000Z', 'RRULE:FREQ=WEEKLY;COUNT=2'),
      ].join('\r\n'),
    );
    expect(busyFromIcs(ics, opts)).toEqual([
      block('2027-06-01T09:00', '2027-06-01T10:00'),
      block('2027-06-07T09:00', '2027-06-07T10:00'),
      block('2027-06-14T09:00', '2027-06-14T10:00'),
    ]);
  });

  it('RECURRENCE-ID;RANGE=THISANDFUTURE moves that occurrence and every later one, with its length', () => {
    const series = [
      'DTSTART;TZID=Europe/Berlin:20270301T120000',
      'DTEND;TZID=Europe/Berlin:20270301T123000',
      'RRULE:FREQ=DAILY;COUNT=6',
    ];
    // From 3 March on: 13:00 to 14:00 Berlin (12:00-13:00 UTC) instead of 12:00 to 12:30.
    const future = [
      'RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270303T120000',
      'DTSTART;TZID=Europe/Berlin:20270303T130000',
      'DTEND;TZID=Europe/Berlin:20270303T140000',
    ];
    // 5 March alone moved again, to 09:00 (its own override wins over the range).
    const one = [
      'RECURRENCE-ID;TZID=Europe/Berlin:20270305T120000',
      'DTSTART:20270305T080000Z',
      'DTEND:20270305T083000Z',
    ];
    const ics = wrap([vevent('tf', ...series), vevent('tf', ...future), vevent('tf', ...one)].join('\r\n'));
    expect(busyFromIcs(ics, opts)).toEqual([
      block('2027-03-01T11:00', '2027-03-01T11:30'),
      block('2027-03-02T11:00', '2027-03-02T11:30'),
      block('2027-03-03T12:00', '2027-03-03T13:00'),
      block('2027-03-04T12:00', '2027-03-04T13:00'),
      block('2027-03-05T08:00', '2027-03-05T08:30'),
      block('2027-03-06T12:00', '2027-03-06T13:00'),
    ]);
    // Moved earlier, an occurrence just past the window's end comes into it.
    const earlier = [
      'RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270303T120000',
      'DTSTART;TZID=Europe/Berlin:20270303T060000',
      'DTEND;TZID=Europe/Berlin:20270303T063000',
    ];
    // Moved across the change to summer time: later occurrences keep the new wall clock (10:00 BST).
    const weekly = [
      'DTSTART;TZID=Europe/London:20270320T100000',
      'DTEND;TZID=Europe/London:20270320T110000',
      'RRULE:FREQ=WEEKLY;COUNT=4',
    ];
    const monday = [
      'RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/London:20270327T100000',
      'DTSTART;TZID=Europe/London:20270329T100000',
      'DTEND;TZID=Europe/London:20270329T110000',
    ];
    expect(busyFromIcs(wrap([vevent('w', ...weekly), vevent('w', ...monday)].join('\r\n')), opts)).toEqual([
      block('2027-03-20T10:00', '2027-03-20T11:00'),
      block('2027-03-29T09:00', '2027-03-29T10:00'),
      block('2027-04-05T09:00', '2027-04-05T10:00'),
      block('2027-04-12T09:00', '2027-04-12T10:00'),
    ]);
    const cut = { ...opts, to: '2027-03-04T10:00:00.000Z' };
    expect(busyFromIcs(wrap([vevent('e', ...series), vevent('e', ...earlier)].join('\r\n')), cut)).toEqual([
      block('2027-03-01T11:00', '2027-03-01T11:30'),
      block('2027-03-02T11:00', '2027-03-02T11:30'),
      block('2027-03-03T05:00', '2027-03-03T05:30'),
      block('2027-03-04T05:00', '2027-03-04T05:30'),
    ]);
  });

  it('a stray line that is no property is left out and the rest of the file counts; a file cut short is still refused', () => {
    const events = [
      vevent('a', 'DTSTART:20270310T090000Z', 'DTEND:20270310T100000Z'),
      'THIS LINE IS GARBAGE',
      vevent('b', 'DTSTART:20270311T090000Z', 'DTEND:20270311T100000Z', 'SUMMARY:Call; notes: a, b'),
      vevent(
        'c',
        'DTSTART;TZID="Europe/London":20270312T090000',
        'DTEND:20270312T100000Z',
        'DESCRIPTION:see',
        ' http://x.example/a:b',
      ),
    ].join('\r\n');
    expect(busyFromIcs(wrap(events), opts)).toEqual([
      block('2027-03-10T09:00', '2027-03-10T10:00'),
      block('2027-03-11T09:00', '2027-03-11T10:00'),
      block('2027-03-12T09:00', '2027-03-12T10:00'),
    ]);
    const truncated = wrap(events).replace(/\r\nEND:VCALENDAR$/, '');
    expect(() => busyFromIcs(truncated, opts)).toThrow(CalendarParseError);
  });

  it('an empty calendar has no busy time', () => {
    expect(busyFromIcs(wrap(''), opts)).toEqual([]);
  });

  it('a body that is not a calendar throws CalendarParseError with a sentence', () => {
    for (const body of [
      '',
      '<!doctype html><html><body>Sign in</body></html>',
      '{"events":[]}',
      'BEGIN:VCARD\r\nEND:VCARD',
    ]) {
      expect(() => busyFromIcs(body, opts)).toThrow(CalendarParseError);
    }
    expect(() => busyFromIcs('<html>', opts)).toThrow('The address did not return an iCalendar file.');
    expect(() => busyFromIcs('BEGIN:VCALENDAR\r\nthis is no property\r\n', opts)).toThrow(CalendarParseError);
  });
});
