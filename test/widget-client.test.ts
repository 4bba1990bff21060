// The DOM-free helpers of the widget's browser code (src/widget/client/), run without a browser.
import { describe, expect, it } from 'vitest';
import {
  eventDetail,
  frameHeight,
  frameUrl,
  isEventType,
  isWidgetSrc,
  message,
  parentOriginOf,
  parseMessage,
  scriptOrigin,
} from '../src/widget/client/protocol';
import {
  bookedText,
  cancelNote,
  checkBookingFields,
  classAction,
  classLabel,
  dayCountLines,
  manageHref,
  manageToken,
  messages,
  retryText,
  statusText,
  timesCount,
  uuid,
} from '../src/widget/client/text';
import {
  clockTime,
  dateKey,
  dayLabel,
  format,
  groupByZoneDate,
  validZone,
  when,
  zoneChoices,
  zoneName,
  zoneOptionLabel,
} from '../src/widget/client/time';
import { api, futureDay, setupTrainer } from './helpers';

describe('the widget/frame protocol', () => {
  it('builds messages the widget parses back', () => {
    const sent = message('height', { height: 480 });
    expect(sent).toEqual({ source: 'trainerhub', type: 'height', detail: { height: 480 } });
    expect(parseMessage(sent)).toEqual({ type: 'height', detail: { height: 480 } });
    expect(message('close')).toEqual({ source: 'trainerhub', type: 'close', detail: {} });
  });

  it('ignores anything that is not a trainerhub message, and tolerates a missing detail', () => {
    for (const data of [null, undefined, 'height', 42, {}, { source: 'other', type: 'height' }]) {
      expect(parseMessage(data)).toBeNull();
    }
    expect(parseMessage({ source: 'trainerhub', type: 'ready', detail: 'x' })).toEqual({ type: 'ready', detail: {} });
  });

  it('accepts only plausible frame heights, rounded up', () => {
    expect(frameHeight({ height: 480.2 })).toBe(481);
    expect(frameHeight({ height: '300' })).toBe(300);
    for (const height of [0, -5, 20000, 'tall', undefined, Number.NaN]) expect(frameHeight({ height })).toBeNull();
  });

  it('re-emits only the known events, with string fields only and the widget’s own trainer', () => {
    expect(['ready', 'slot-selected', 'booked'].every(isEventType)).toBe(true);
    for (const type of ['height', 'close', 'toString', 1, null]) expect(isEventType(type)).toBe(false);
    const detail = { start_time: '2026-03-02T09:00:00Z', status: 1, trainer: 'someone-else', email: 'a@b.c' };
    expect(eventDetail(detail, 'alex-fit')).toEqual({ start_time: '2026-03-02T09:00:00Z', trainer: 'alex-fit' });
  });

  it('posts only to an exact http(s) origin, and only when framed', () => {
    expect(parentOriginOf('https://coach.example', true)).toBe('https://coach.example');
    expect(parentOriginOf('http://127.0.0.1:8080', true)).toBe('http://127.0.0.1:8080');
    expect(parentOriginOf('https://coach.example', false)).toBeNull();
    for (const claimed of [
      null,
      '',
      'https://coach.example/',
      'https://coach.example/page',
      'javascript:alert(1)',
      'nope',
    ]) {
      expect(parentOriginOf(claimed, true)).toBeNull();
    }
  });

  it('finds the widget origin, its frame URL and its script tags', () => {
    expect(scriptOrigin('https://app.example/widget.js', 'https://coach.example/')).toBe('https://app.example');
    expect(scriptOrigin('/widget.js', 'http://localhost:8787/page')).toBe('http://localhost:8787');
    expect(scriptOrigin('data:text/javascript,1', 'https://coach.example/')).toBeNull();
    expect(frameUrl('https://app.example', 'alex fit', 'https://coach.example')).toBe(
      'https://app.example/book/alex%20fit?parent=https%3A%2F%2Fcoach.example',
    );
    expect(frameUrl('https://app.example', 'alex', 'null')).toBe('https://app.example/book/alex');
    expect(frameUrl('https://app.example', 'alex', null)).toBe('https://app.example/book/alex');
    for (const src of ['https://a.example/widget.js', '/widget.js?v=2', 'x/widget.js#top'])
      expect(isWidgetSrc(src)).toBe(true);
    for (const src of ['https://a.example/widget.jsx', '/other.js', '']) expect(isWidgetSrc(src)).toBe(false);
  });
});

describe('the booking pages’ time helpers', () => {
  it('knows valid zones and offers each zone once, the visitor’s and the trainer’s first', () => {
    expect(validZone('Europe/Berlin')).toBe(true);
    expect(validZone('Mars/Olympus')).toBe(false);
    const zones = zoneChoices('Asia/Tokyo', 'Mars/Olympus');
    expect(zones[0]).toBe('Asia/Tokyo');
    expect(zones).not.toContain('Mars/Olympus');
    expect(new Set(zones).size).toBe(zones.length);
    // Chromium names India's zone Asia/Calcutta: the common Asia/Kolkata is the same zone, offered once.
    const india = zoneChoices('Asia/Calcutta', 'UTC');
    expect(india[0]).toBe('Asia/Calcutta');
    expect(india).not.toContain('Asia/Kolkata');
    expect(
      zoneChoices('Asia/Kolkata', 'Asia/Calcutta').filter(
        (z) => z.startsWith('Asia/Ka') || z.startsWith('Asia/Ko') || z === 'Asia/Calcutta',
      ),
    ).toEqual(['Asia/Kolkata']);
    expect(zoneChoices('Pacific/Auckland', 'Europe/Berlin').slice(0, 3)).toEqual([
      'Pacific/Auckland',
      'Europe/Berlin',
      'UTC',
    ]);
  });

  it('labels zones for people', () => {
    expect(zoneName('America/New_York')).toBe('America/New York');
    expect(zoneOptionLabel('Europe/Berlin', 'Europe/Berlin', 'Europe/Berlin')).toBe("Europe/Berlin (yours, trainer's)");
    expect(zoneOptionLabel('America/Los_Angeles', 'UTC', 'America/Los_Angeles')).toBe(
      "America/Los Angeles (trainer's)",
    );
    expect(zoneOptionLabel('UTC', 'Europe/Berlin', 'Asia/Tokyo')).toBe('UTC');
  });

  it('names the calendar date of an instant in a zone', () => {
    expect(dateKey('2026-03-01T23:30:00Z', 'Europe/Berlin')).toBe('2026-03-02');
    expect(dateKey('2026-03-01T23:30:00Z', 'America/New_York')).toBe('2026-03-01');
    expect(dateKey('2026-03-01T23:30:00Z', 'UTC')).toBe('2026-03-01');
  });

  it('labels a calendar date the same whatever the zone, and a session by its start and end', () => {
    expect(dayLabel('2026-03-02', 'weekday')).toBe(
      new Intl.DateTimeFormat(undefined, { weekday: 'short', timeZone: 'UTC' }).format(Date.UTC(2026, 2, 2)),
    );
    const text = when({ start_time: '2026-03-02T08:00:00Z', end_time: '2026-03-02T09:00:00Z' }, 'Europe/Berlin');
    expect(text).toContain('2026');
    expect(text).toMatch(/ – 10:00/);
    // Start and end hours read alike ("8:00 AM – 9:00 AM", never "8:00 AM – 09:00 AM").
    const hours = when({ start_time: '2026-03-02T07:00:00Z', end_time: '2026-03-02T08:00:00Z' }, 'Europe/Berlin').match(
      /(\d{1,2}):00\D.* – (\d{1,2}):00/,
    );
    expect(hours?.[1]).toHaveLength(hours?.[2]?.length ?? 0);
    // An end past midnight names its day: "… 11:30 PM – Tue 12:30 AM", never "11:30 PM – 12:30 AM".
    const late = when({ start_time: '2026-12-07T14:30:00Z', end_time: '2026-12-07T15:30:00Z' }, 'Asia/Tokyo');
    expect(late.split(' – ')[1]).toBe(
      `${format('weekday', 'Asia/Tokyo', new Date('2026-12-07T15:30:00Z'))} ${format('time', 'Asia/Tokyo', new Date('2026-12-07T15:30:00Z'))}`,
    );
    expect(text.split(' – ')[1]).toBe(format('time', 'Europe/Berlin', new Date('2026-03-02T09:00:00Z')));
  });

  it('tells the two showings of a repeated hour apart by the zone, and only those', () => {
    const AKL = 'Pacific/Auckland';
    // 4 April 2027, 03:00 NZDT: clocks go back to 02:00 NZST, so 02:00–03:00 is shown twice.
    const first = new Date('2027-04-03T13:00:00Z');
    const second = new Date('2027-04-03T14:00:00Z');
    const plain = format('time', AKL, first);
    expect(format('time', AKL, second)).toBe(plain);
    expect(clockTime(AKL, first)).not.toBe(clockTime(AKL, second));
    expect(clockTime(AKL, first).startsWith(`${plain} `)).toBe(true);
    expect(clockTime(AKL, second).startsWith(`${plain} `)).toBe(true);
    // The hour before the change and the morning after read as ever.
    expect(clockTime(AKL, new Date('2027-04-03T12:00:00Z'))).toBe(
      format('time', AKL, new Date('2027-04-03T12:00:00Z')),
    );
    expect(clockTime(AKL, new Date('2027-04-03T20:00:00Z'))).toBe(
      format('time', AKL, new Date('2027-04-03T20:00:00Z')),
    );
    // A 60-minute session over the change: "2:00 AM NZDT – 2:00 AM NZST", never "2:00 AM – 2:00 AM".
    const text = when({ start_time: first.toISOString(), end_time: second.toISOString() }, AKL);
    const [start = '', end = ''] = text.split(' – ');
    expect(start.endsWith(clockTime(AKL, first).slice(plain.length))).toBe(true);
    expect(end).toBe(clockTime(AKL, second));
    // Lord Howe goes back 30 minutes (02:00 +11 → 01:30 +10:30): 01:45 is shown twice.
    const LHI = 'Australia/Lord_Howe';
    const a = new Date('2027-04-03T14:45:00Z');
    const b = new Date('2027-04-03T15:15:00Z');
    expect(format('time', LHI, a)).toBe(format('time', LHI, b));
    expect(clockTime(LHI, a)).not.toBe(clockTime(LHI, b));
    // An ordinary session carries no zone names.
    expect(when({ start_time: '2026-03-02T08:00:00Z', end_time: '2026-03-02T09:00:00Z' }, 'Europe/Berlin')).not.toMatch(
      /GMT|CET/,
    );
  });

  it('regroups the API days by date in the zone shown, keeping empty days and sorting slots', () => {
    const slot = (start: string) => ({ start_time: start, end_time: start.replace(':00:00', ':45:00') });
    const apiDays = [
      { date: '2026-03-01', slots: [slot('2026-03-01T23:00:00Z'), slot('2026-03-01T10:00:00Z')] },
      { date: '2026-03-02', slots: [] },
      { date: '2026-03-03' },
    ];
    expect(groupByZoneDate(apiDays, 'UTC')).toEqual([
      { date: '2026-03-01', slots: [slot('2026-03-01T10:00:00Z'), slot('2026-03-01T23:00:00Z')], classes: [] },
      { date: '2026-03-02', slots: [], classes: [] },
      { date: '2026-03-03', slots: [], classes: [] },
    ]);
    expect(groupByZoneDate(apiDays, 'Asia/Tokyo')).toEqual([
      { date: '2026-03-01', slots: [slot('2026-03-01T10:00:00Z')], classes: [] },
      { date: '2026-03-02', slots: [slot('2026-03-01T23:00:00Z')], classes: [] },
      { date: '2026-03-03', slots: [], classes: [] },
    ]);
    expect(groupByZoneDate([], 'UTC')).toEqual([]);
  });

  it('regroups class sessions with the slots, by their start in the zone shown, sorted', () => {
    const cls = (id: number, start: string) => ({
      class_session: id,
      service: 7,
      name: 'Bootcamp',
      start_time: start,
      end_time: start.replace(':00:00', ':59:00'),
      capacity: 8,
      spots_left: 3,
      waitlist_open: false,
    });
    const apiDays = [
      { date: '2026-03-01', slots: [], classes: [cls(2, '2026-03-01T23:00:00Z'), cls(1, '2026-03-01T10:00:00Z')] },
      { date: '2026-03-02', slots: [], classes: [] },
    ];
    expect(groupByZoneDate(apiDays, 'UTC').map((d) => [d.date, d.classes.map((c) => c.class_session)])).toEqual([
      ['2026-03-01', [1, 2]],
      ['2026-03-02', []],
    ]);
    // 23:00 UTC is the next morning in Tokyo: that class moves to the 2nd, as a slot would.
    expect(groupByZoneDate(apiDays, 'Asia/Tokyo').map((d) => [d.date, d.classes.map((c) => c.class_session)])).toEqual([
      ['2026-03-01', [1]],
      ['2026-03-02', [2]],
    ]);
  });
});

describe('the booking pages’ wording', () => {
  it('joins field errors and explains rate limits', () => {
    expect(messages(['Too short.', 'Not an email.'])).toBe('Too short. Not an email.');
    expect(messages('Required.')).toBe('Required.');
    expect(retryText('30')).toBe('Too many attempts. Please try again in 30 seconds.');
    expect(retryText('60')).toBe('Too many attempts. Please try again in 1 minute.');
    expect(retryText('90')).toBe('Too many attempts. Please try again in 2 minutes.');
    expect(retryText('3598')).toBe('Too many attempts. Please try again in 1 hour.');
    expect(retryText('7300')).toBe('Too many attempts. Please try again in 3 hours.');
    expect(retryText('Wed, 21 Oct 2026 07:28:00 GMT')).toBe('Too many attempts. Please try again later.');
    expect(retryText(null)).toBe('Too many attempts. Please try again later.');
  });

  it('counts free times', () => {
    expect(timesCount(0)).toBe('No times');
    expect(timesCount(1)).toBe('1 time');
    expect(timesCount(7)).toBe('7 times');
  });

  it('counts a day’s classes beside its times, one line each', () => {
    expect(dayCountLines(3, 0)).toEqual(['3 times']);
    expect(dayCountLines(0, 0)).toEqual(['No times']);
    expect(dayCountLines(0, 1)).toEqual(['1 class']);
    expect(dayCountLines(1, 2)).toEqual(['1 time', '2 classes']);
  });

  it('words a class button: places left, the waitlist, or full', () => {
    const c = (spots_left: number, waitlist_open: boolean) => ({ name: 'Bootcamp', spots_left, waitlist_open });
    expect(classLabel(c(3, false))).toBe('Bootcamp · 3 places left');
    expect(classLabel(c(1, false))).toBe('Bootcamp · 1 place left');
    expect(classLabel(c(0, true))).toBe('Bootcamp · Join the waitlist');
    expect(classLabel(c(0, false))).toBe('Bootcamp · full');
    expect([c(2, false), c(0, true), c(0, false)].map(classAction)).toEqual(['book', 'waitlist', null]);
  });

  it('words a waitlist place with its position', () => {
    expect(bookedText('waitlisted', 'Alex Fit', 2)).toEqual({
      heading: "You're on the waitlist (position 2)",
      sentence: 'You will get an email if a place opens up.',
    });
    expect(bookedText('waitlisted', 'Alex Fit').heading).toBe("You're on the waitlist");
    expect(statusText('waitlisted')).toBe('On the waitlist');
  });

  it('reads the token of a manage link and builds the link shown', () => {
    const base = 'https://app.example/book/alex';
    expect(manageToken('https://app.example/book/manage/tok_123', base)).toBe('tok_123');
    expect(manageToken('/book/manage/tok_123/', base)).toBe('tok_123');
    expect(manageToken('/book/manage/tok_123/extra', base)).toBeNull();
    expect(manageToken(undefined, base)).toBeNull();
    expect(manageToken('http://[bad', base)).toBeNull();
    expect(manageHref('https://app.example/book/manage/t', 'https://x.example', 't')).toBe(
      'https://app.example/book/manage/t',
    );
    expect(manageHref('/book/manage/t', 'https://x.example', 't')).toBe('https://x.example/book/manage/t');
  });

  it('words the confirmation and the booking status', () => {
    expect(bookedText('pending', 'Alex Fit')).toEqual({
      heading: 'Booking requested',
      sentence: 'Your request has been sent to Alex Fit, who will confirm it soon.',
    });
    expect(bookedText('confirmed', '')).toEqual({
      heading: 'You are booked',
      sentence: 'Your session with your trainer is confirmed.',
    });
    expect(statusText('pending')).toBe('Waiting for the trainer to confirm');
    expect(statusText('cancelled')).toBe('Cancelled');
    expect(statusText('no_show')).toBe('Missed (no-show)');
    expect(statusText('mystery')).toBe('mystery');
  });

  it('makes a fresh idempotency key each time', () => {
    const a = uuid();
    expect(a).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(uuid()).not.toBe(a);
  });
});

describe('the manage page’s cancel statement', () => {
  const base = { status: 'confirmed', lateFrom: 'Thursday 3 December, 10:00' };
  it('says when a cancel is free, late, or uses a credit of which pack', () => {
    expect(cancelNote({ ...base, late_cancellation_if_cancelled_now: false })).toBe(
      'This is not a late cancellation: cancelling now costs nothing. From Thursday 3 December, 10:00 it would count as late.',
    );
    expect(
      cancelNote({
        ...base,
        late_cancellation_if_cancelled_now: true,
        credit_used_if_cancelled_now: true,
        package: { name: 'Ten Pack', sessions_remaining: 2 },
      }),
    ).toBe('This is a late cancellation: it uses 1 session of your “Ten Pack” pack (1 session left afterwards).');
    expect(cancelNote({ ...base, status: 'pending', late_cancellation_if_cancelled_now: true })).toContain(
      'not confirmed yet, so it costs nothing',
    );
    expect(cancelNote({ ...base, late_cancellation_if_cancelled_now: true, package: null })).toContain(
      'no pack credit is used',
    );
  });
});

describe('the booking form’s check before sending', () => {
  const filled = { first_name: 'Vera', last_name: 'Visitor', email: 'vera@example.com' };

  it('names each empty required field and a malformed email in a sentence; a filled form passes', () => {
    expect(checkBookingFields(filled)).toEqual({});
    expect(checkBookingFields({ ...filled, phone: '', notes: '' })).toEqual({});
    expect(checkBookingFields({})).toEqual({
      first_name: 'Enter your first name.',
      last_name: 'Enter your last name.',
      email: 'Enter an email address like name@example.com.',
    });
    expect(checkBookingFields({ ...filled, first_name: '   ' })).toEqual({ first_name: 'Enter your first name.' });
    for (const email of ['vera', 'vera@', 'vera@example', 've ra@example.com'])
      expect(checkBookingFields({ ...filled, email }), email).toEqual({
        email: 'Enter an email address like name@example.com.',
      });
  });

  it('says what the API says for the same fields', async () => {
    const t = await setupTrainer({ open: ['08:00', '18:00'] });
    const body = { first_name: '', last_name: '', email: 'vera@example', start_time: `${futureDay(5).date}T09:00:00Z` };
    const res = await api<{ errors: Record<string, string[]> }>(
      'POST',
      `/api/public/trainers/${t.user.trainer.slug}/bookings/`,
      { body, headers: { 'CF-Connecting-IP': '198.51.100.200' } },
    );
    expect(res.status).toBe(400);
    const page = checkBookingFields(body);
    expect(Object.keys(page).sort()).toEqual(['email', 'first_name', 'last_name']);
    for (const [field, sentence] of Object.entries(page)) expect(res.body.errors[field], field).toEqual([sentence]);
  });
});
