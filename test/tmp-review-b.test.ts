import { describe, it } from 'vitest';
import { busyFromIcs } from '../src/calendar/expand';

const wrap = (events: string) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', events, 'END:VCALENDAR'].join('\r\n');
const vevent = (uid: string, ...props: string[]) =>
  ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261201T120000Z', ...props, 'END:VEVENT'].join('\r\n');
const opts = { from: '2027-03-01T00:00:00.000Z', to: '2027-05-01T00:00:00.000Z', zone: 'Europe/London', ownHost: 'localhost' };
const run = (name: string, ics: string) => {
  const t0 = Date.now();
  let out: unknown;
  try { out = busyFromIcs(ics, opts); } catch (e) { out = `THROW ${e}`; }
  console.log(`\nB ${name} ${Date.now() - t0}ms ${JSON.stringify(out).slice(0, 200)}`);
};
describe('cpu', () => {
  it('rules', () => {
    run('yearly feb30', wrap(vevent('a', 'DTSTART:20270101T100000Z', 'DTEND:20270101T110000Z', 'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30')));
    run('leap-day birthday yearly from 1990 allday', wrap(vevent('b', 'DTSTART;VALUE=DATE:19920229', 'DTEND;VALUE=DATE:19920301', 'RRULE:FREQ=YEARLY')));
    run('weekly feb30', wrap(vevent('c', 'DTSTART:20270101T100000Z', 'DTEND:20270101T110000Z', 'RRULE:FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30')));
    run('daily feb30 from 2027-02-26 ', wrap(vevent('d', 'DTSTART:20270226T100000Z', 'DTEND:20270226T110000Z', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30')));
    run('hourly byday never (BYMONTH 13?)', wrap(vevent('e', 'DTSTART:20270226T100000Z', 'DTEND:20270226T110000Z', 'RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30')));
  }, 600_000);
});
