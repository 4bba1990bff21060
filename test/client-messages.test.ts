// Issue 17, items 1, 2 and 7: every client message carries the manage link and the booking as an
// .ics, in the client's zone; the trainer's messages stay in the trainer's zone.
import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  api,
  type BookingBody,
  book,
  createClient,
  type ProblemBody,
  setupTrainer,
  uniqueEmail,
  until,
} from './helpers';
import { bookingIdAt, icsOf, liveEnv, type Row, rowsOf, sentRows, tick, viaSendGrid } from './mail';

const ORIGIN = 'http://localhost:8787';

afterEach(() => vi.restoreAllMocks());

const tokenOf = (text: string) => /\/book\/manage\/([\w-]{43})/.exec(text)?.[1] ?? '';

async function opensBooking(text: string) {
  const token = tokenOf(text);
  expect(token).not.toBe('');
  const res = await api('GET', `/api/public/bookings/${token}/`);
  expect(res.status).toBe(200);
  return token;
}

const publicBook = (slug: string, body: Record<string, unknown>, now: string) =>
  api<{ manage_url: string; start_time: string } & ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body,
    headers: { 'CF-Connecting-IP': `198.51.100.${Math.floor(Math.random() * 250) + 1}`, 'X-Test-Now': now },
  });

describe('client messages carry the manage link and the booking as .ics', () => {
  it('a Berlin visitor of a New York trainer: request, confirmation and cancellation, each with link and .ics', async () => {
    const t = await setupTrainer({
      settings: { business_name: 'Alex; Fit, Studio', timezone: 'America/New_York', min_notice_minutes: 60 },
    });
    const now = '2026-11-25T12:00:00.000Z';
    // Wednesday 2 December 2026, 07:30 in New York = 13:30 in Berlin.
    const start = '2026-12-02T12:30:00.000Z';
    const made = await publicBook(
      t.user.trainer.slug,
      {
        start_time: start,
        first_name: 'Berta',
        last_name: 'Braun',
        email: uniqueEmail('berta'),
        phone: '+4915112345678',
        timezone: 'Europe/Berlin',
      },
      now,
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = await bookingIdAt(t.user.trainer.id, start);

    let rows = await sentRows(id, 2);
    const received = rows.find((r) => r.kind === 'booking_request_received') as Row;
    const forTrainer = rows.find((r) => r.kind === 'booking_requested') as Row;
    expect(received.message).toContain('Wednesday 2 December, 13:30–14:30 (Berlin time)');
    expect(received.message).not.toMatch(/07:30|EST/);
    expect(forTrainer.message).toContain('07:30 EST');
    expect(forTrainer.message).not.toContain('Berlin');
    expect(received.message).toContain(made.body.manage_url);
    expect(received.html).toContain(`href="${made.body.manage_url}"`);
    expect(received.html).toContain(
      'href="https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=60-minute+session+with+Alex%3B+Fit%2C+Studio&amp;dates=20261202T123000Z%2F20261202T133000Z',
    );
    expect(received.html).toContain('href="https://outlook.live.com/calendar/0/deeplink/compose?');
    await opensBooking(received.message);

    const first = await viaSendGrid(received);
    const ics1 = icsOf(first);
    expect(ics1).toContain('METHOD:REQUEST\r\n');
    expect(ics1).toMatch(new RegExp(`UID:booking-${id}@localhost:8787\r\n`));
    expect(ics1).toContain('SEQUENCE:0\r\n');
    expect(ics1).toContain('STATUS:TENTATIVE\r\n');
    expect(ics1).toContain('DTSTART:20261202T123000Z\r\n');
    expect(ics1).toContain(`URL:${made.body.manage_url}\r\n`);
    expect(ics1).toContain(
      `DESCRIPTION:Wednesday 2 December\\, 13:30–14:30 (Berlin time)\\nSee\\, change or cancel: ${made.body.manage_url}\r\n`,
    );
    expect(ics1).toContain('SUMMARY:60-minute session with Alex\\; Fit\\, Studio\r\n');
    expect(ics1).toContain('ORGANIZER;CN="Alex; Fit, Studio":mailto:bookings@alexfit.example\r\n');

    const confirm = await api('POST', `/api/bookings/${id}/confirm/`, {
      token: t.token,
      headers: { 'X-Test-Now': '2026-11-25T13:00:00.000Z' },
    });
    expect(confirm.status).toBe(200);
    rows = await sentRows(id, 4);
    const confirmed = rows.find((r) => r.kind === 'booking_confirmed' && r.notification_type === 'email') as Row;
    const sms = rows.find((r) => r.kind === 'booking_confirmed' && r.notification_type === 'sms') as Row;
    expect(confirmed.message).toContain('(Berlin time)');
    expect(confirmed.subject).toBe('Confirmed: 60-minute session on Wed 2 Dec 13:30 CET');
    expect(sms.message).toContain(made.body.manage_url);
    expect(sms.message).toContain('13:30 CET');
    await opensBooking(sms.message);
    const ics2 = icsOf(await viaSendGrid(confirmed));
    expect(ics2).toContain('METHOD:REQUEST\r\n');
    expect(ics2).toContain('SEQUENCE:1\r\n');
    expect(ics2).toContain('STATUS:CONFIRMED\r\n');
    expect(ics2).toMatch(new RegExp(`UID:booking-${id}@localhost:8787\r\n`));

    const token = tokenOf(made.body.manage_url);
    const cancelled = await api('POST', `/api/public/bookings/${token}/cancel/`, {
      headers: { 'X-Test-Now': '2026-11-26T13:00:00.000Z' },
    });
    expect(cancelled.status).toBe(200);
    rows = await sentRows(id, 7);
    // The trainer hears of it too, once, in the trainer's zone.
    const toTrainer = rows.filter((r) => r.kind === 'booking_cancelled' && r.recipient === t.email);
    expect(toTrainer.map((r) => r.subject)).toEqual(['Cancelled: Berta Braun, Wed 2 Dec 07:30 EST']);
    const cancelMail = rows.find(
      (r) => r.kind === 'booking_cancelled' && r.notification_type === 'email' && r.recipient !== t.email,
    ) as Row;
    const cancelSms = rows.find((r) => r.kind === 'booking_cancelled' && r.notification_type === 'sms') as Row;
    expect(cancelMail.message).toContain(made.body.manage_url);
    expect(cancelSms.message).toContain(made.body.manage_url);
    const mail3 = await viaSendGrid(cancelMail);
    const ics3 = icsOf(mail3);
    expect(ics3).toContain('METHOD:CANCEL\r\n');
    expect(ics3).toContain('STATUS:CANCELLED\r\n');
    expect(ics3).toContain('SEQUENCE:2\r\n');
    expect(ics3).toMatch(new RegExp(`UID:booking-${id}@localhost:8787\r\n`));
    expect(mail3.attachments?.[0]?.type).toBe('text/calendar; method=CANCEL');

    // The download is the same event (UID, SEQUENCE, STATUS), named like the page's download link.
    const download = await exports.default.fetch(new Request(`http://example.com/api/public/bookings/${token}/ics`));
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="booking.ics"');
    const file = await download.text();
    for (const line of file.slice(0, -2).split('\r\n'))
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const unfolded = file.replace(/\r\n /g, '');
    expect(unfolded).toMatch(new RegExp(`UID:booking-${id}@localhost:8787\r\n`));
    expect(unfolded).toContain('SEQUENCE:2\r\n');
    expect(unfolded).toContain('STATUS:CANCELLED\r\n');
    expect(unfolded).toContain(`URL:${ORIGIN}/book/manage/${token}\r\n`);
    expect(unfolded).toContain('ORGANIZER;CN="Alex; Fit, Studio":mailto:');
  });

  it("a trainer's booking gets a manage link; a reschedule raises SEQUENCE and the reminders carry the new time", async () => {
    const t = await setupTrainer({ settings: { business_name: 'Alex Fit Studio', timezone: 'UTC' } });
    const client = await createClient(t.token, { first_name: 'Sam', phone: '+14155550123' });
    const start = '2031-05-10T15:00:00.000Z';
    const made = await book(t.token, { client: client.id, start_time: start });
    expect(made.status).toBe(201);
    const id = made.body.id;
    await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token });
    let rows = await sentRows(id, 2);
    const confirmed = rows.find((r) => r.kind === 'booking_confirmed' && r.notification_type === 'email') as Row;
    const token = await opensBooking(confirmed.message);
    expect(icsOf(await viaSendGrid(confirmed))).toContain('SEQUENCE:1\r\n');

    const moved = await api<BookingBody>('PATCH', `/api/bookings/${id}/`, {
      token: t.token,
      body: { start_time: '2031-05-11T09:00:00.000Z' },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const file = (
      await (await exports.default.fetch(new Request(`http://example.com/api/public/bookings/${token}/ics`))).text()
    ).replace(/\r\n /g, '');
    expect(file).toContain('SEQUENCE:2\r\n');
    expect(file).toContain('DTSTART:20310511T090000Z\r\n');

    const s = Date.parse('2031-05-11T09:00:00.000Z');
    await tick(s - 20 * 3600_000);
    await tick(s - 30 * 60_000);
    // Confirmation and "rescheduled" (email and SMS each), then both 24 h reminders and the 1 h SMS.
    rows = await sentRows(id, 7);
    for (const kind of ['reminder_24h', 'reminder_1h']) {
      const r = rows.find((x) => x.kind === kind && x.status === 'sent') as Row;
      expect(r.message, kind).toContain(`${ORIGIN}/book/manage/${token}`);
      if (r.notification_type === 'sms') continue;
      const ics = icsOf(await viaSendGrid(r));
      expect(ics).toContain('SEQUENCE:2\r\n');
      expect(ics).toContain('DTSTART:20310511T090000Z\r\n');
      expect(ics).toContain('METHOD:REQUEST\r\n');
    }
    const sms24 = rows.find((x) => x.kind === 'reminder_24h' && x.notification_type === 'sms') as Row;
    expect(sms24.message).toContain(`${ORIGIN}/book/manage/${token}`);
  });
});

describe('a link that would not open the booking is never sent', () => {
  it('after a JWT key change the message goes without the link (the old link still opens the booking)', async () => {
    const t = await setupTrainer({ settings: { timezone: 'UTC' } });
    const client = await createClient(t.token);
    const made = await book(t.token, { client: client.id, start_time: '2031-07-10T15:00:00.000Z' });
    await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token });
    const rows = await sentRows(made.body.id, 1);
    const confirmed = rows.find((r) => r.kind === 'booking_confirmed') as Row;
    const token = await opensBooking(confirmed.message);
    const mail = await viaSendGrid(confirmed, { ...liveEnv, JWT_SECRET: 'x'.repeat(40) });
    expect(JSON.stringify(mail)).not.toContain('/book/manage/');
    expect(icsOf(mail)).not.toContain('URL:');
    expect((await api('GET', `/api/public/bookings/${token}/`)).status).toBe(200);
  });
});

describe("times in the client's zone", () => {
  it('the public body refuses an unknown zone by name', async () => {
    const t = await setupTrainer({ settings: { timezone: 'America/New_York' } });
    const res = await publicBook(
      t.user.trainer.slug,
      {
        start_time: '2026-12-02T12:00:00.000Z',
        first_name: 'A',
        last_name: 'B',
        email: uniqueEmail(),
        timezone: 'Mars/Olympus',
      },
      '2026-11-25T12:00:00.000Z',
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toEqual(['timezone']);
  });

  it('a trainer who confirms automatically hears of a new booking, not of a request to confirm', async () => {
    const t = await setupTrainer({
      settings: { timezone: 'America/New_York', auto_confirm: true, min_notice_minutes: 60 },
    });
    const start = '2026-12-02T15:00:00.000Z';
    const made = await publicBook(
      t.user.trainer.slug,
      { start_time: start, first_name: 'Ada', last_name: 'Auto', email: uniqueEmail('auto') },
      '2026-11-25T12:00:00.000Z',
    );
    expect([made.status, (made.body as unknown as { status: string }).status]).toEqual([201, 'confirmed']);
    const rows = await sentRows(await bookingIdAt(t.user.trainer.id, start), 2);
    const forTrainer = rows.find((r) => r.recipient === t.email) as Row;
    expect(forTrainer.subject).toBe('New booking: Ada Auto, Wed 2 Dec 10:00 EST');
    expect(forTrainer.message).toContain('Ada Auto booked a session on');
    expect(forTrainer.message).toContain('It is confirmed');
    expect(forTrainer.message).not.toContain('Confirm or cancel');
  });

  it('times near a clock change carry their abbreviation; a zone without a city is named by its offset, sign right', async () => {
    const t = await setupTrainer({ settings: { timezone: 'America/New_York', min_notice_minutes: 60 } });
    const now = '2027-11-01T12:00:00.000Z';
    const spanOf = async (start: string, timezone: string) => {
      const made = await publicBook(
        t.user.trainer.slug,
        { start_time: start, first_name: 'Dee', last_name: 'Ess', email: uniqueEmail('dst'), timezone },
        now,
      );
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const rows = await sentRows(await bookingIdAt(t.user.trainer.id, start), 2);
      const received = rows.find((r) => r.kind === 'booking_request_received') as Row;
      return received.message;
    };
    // New York falls back on Sunday 7 November 2027: 01:30 happens at 05:30Z (EDT) and at 06:30Z (EST).
    expect(await spanOf('2027-11-07T05:30:00.000Z', 'America/New_York')).toContain(
      'Sunday 7 November, 01:30 EDT–01:30 EST (New York time)',
    );
    expect(await spanOf('2027-11-07T06:30:00.000Z', 'America/New_York')).toContain(
      'Sunday 7 November, 01:30 EST–02:30 EST (New York time)',
    );
    // Far from a change: no abbreviations. Etc/GMT+12 is twelve hours behind UTC.
    expect(await spanOf('2027-11-03T14:00:00.000Z', 'America/New_York')).toContain(
      'Wednesday 3 November, 10:00–11:00 (New York time)',
    );
    expect(await spanOf('2027-11-03T16:00:00.000Z', 'Etc/GMT+12')).toContain(
      'Wednesday 3 November, 04:00–05:00 (GMT-12)',
    );
  });

  it('"tomorrow" only when it is tomorrow in the client\'s zone, across the Berlin DST change', async () => {
    const t = await setupTrainer({
      settings: { business_name: 'NY Fit', timezone: 'America/New_York', auto_confirm: true, min_notice_minutes: 60 },
    });
    // Sunday 25 October 2026: Berlin leaves summer time at 03:00. 21:00Z is 22:00 CET there, 17:00 EDT in New York.
    const start = '2026-10-25T21:00:00.000Z';
    const made = await publicBook(
      t.user.trainer.slug,
      {
        start_time: start,
        first_name: 'Berta',
        last_name: 'B',
        email: uniqueEmail('berta'),
        timezone: 'Europe/Berlin',
      },
      '2026-10-20T12:00:00.000Z',
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = await bookingIdAt(t.user.trainer.id, start);
    // 22:30Z on the 24th: already the 25th (00:30 CEST) in Berlin, still the 24th (18:30 EDT) in New York.
    await tick(Date.parse('2026-10-24T22:30:00.000Z'));
    // The queue renders the reminder with the pinned clock, then finds by the real one that the
    // session has begun and sends nothing ("failed"): the text is what it would have sent.
    const rendered = (r: Row[]) => r.some((x) => x.kind === 'reminder_24h' && x.status !== 'pending');
    const rows = await until(() => rowsOf(id), rendered);
    const reminder = rows.find((x) => x.kind === 'reminder_24h') as Row;
    expect(reminder.subject).toBe('Reminder: 60-minute session today, Sun 25 Oct 22:00 CET');
    // The clocks changed that morning: each time carries its abbreviation.
    expect(reminder.message).toContain('today, Sunday 25 October, 22:00 CET–23:00 CET (Berlin time)');
    expect(reminder.message).not.toContain('tomorrow');

    // The same day seen from New York is tomorrow: a New York client hears "tomorrow".
    const ny = await publicBook(
      t.user.trainer.slug,
      { start_time: '2026-10-25T20:00:00.000Z', first_name: 'Nia', last_name: 'Y', email: uniqueEmail('nia') },
      '2026-10-20T12:00:00.000Z',
    );
    expect(ny.status, JSON.stringify(ny.body)).toBe(201);
    const nyId = await bookingIdAt(t.user.trainer.id, '2026-10-25T20:00:00.000Z');
    await tick(Date.parse('2026-10-24T22:35:00.000Z'));
    const nyRows = await until(() => rowsOf(nyId), rendered);
    expect(nyRows.find((x) => x.kind === 'reminder_24h')?.subject).toBe(
      'Reminder: 60-minute session tomorrow, Sun 25 Oct 16:00 EDT',
    );
  });

  it('a booking confirmed less than 24 h before its start gets no 24 h reminder; the 1 h one still goes', async () => {
    const t = await setupTrainer({ settings: { timezone: 'UTC' } });
    const client = await createClient(t.token);
    // Confirmed now (the trainer's session is real-time), five hours before the start.
    const s = Math.ceil((Date.now() + 5 * 3600_000) / 60_000) * 60_000;
    const start = new Date(s).toISOString();
    const made = await book(t.token, { client: client.id, start_time: start });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const confirmed = await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    await tick(s - 4 * 3600_000);
    await tick(s - 30 * 60_000);
    const kinds = (await rowsOf(made.body.id)).map((r) => r.kind);
    expect(kinds).not.toContain('reminder_24h');
    expect(kinds).toContain('reminder_1h');
  });
});

describe('the client hears of every move of their booking', () => {
  const NOW = '2026-11-25T12:00:00.000Z';
  // Wednesday 2 December 2026, 07:30 in New York = 13:30 in Berlin.
  const START = '2026-12-02T12:30:00.000Z';
  const OLD_SPAN = 'Wednesday 2 December, 13:30–14:30 (Berlin time)';

  /** A confirmed booking of a Berlin visitor (with a phone) of a New York trainer. */
  async function berlinBooking() {
    const t = await setupTrainer({
      settings: {
        business_name: 'Alex Fit',
        timezone: 'America/New_York',
        min_notice_minutes: 60,
        slot_interval_minutes: 30,
        auto_confirm: true,
      },
    });
    const email = uniqueEmail('mover');
    const made = await publicBook(
      t.user.trainer.slug,
      {
        start_time: START,
        first_name: 'Berta',
        last_name: 'Braun',
        email,
        phone: '+4915112345678',
        timezone: 'Europe/Berlin',
      },
      NOW,
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = await bookingIdAt(t.user.trainer.id, START);
    const isConfirmation = (r: Row) => r.kind === 'booking_confirmed' && r.notification_type === 'email';
    const rows = await until(
      () => rowsOf(id),
      (r) => r.some((x) => isConfirmation(x) && x.status === 'sent'),
    );
    const confirmed = rows.find(isConfirmation) as Row;
    const sequence = Number(/SEQUENCE:(\d+)/.exec(icsOf(await viaSendGrid(confirmed)))?.[1]);
    return { t, id, email, manageUrl: made.body.manage_url, sequence };
  }

  /** The client's "rescheduled" rows of the booking (the trainer's own mail is not one). */
  const clientMoves = async (id: number, email: string) =>
    (await rowsOf(id)).filter(
      (r) => r.kind === 'booking_rescheduled' && (r.recipient === email || r.notification_type === 'sms'),
    );

  async function expectOneMove(b: Awaited<ReturnType<typeof berlinBooking>>, newSpan: string, newStart: string) {
    const moves = await until(
      () => clientMoves(b.id, b.email),
      (r) => r.filter((x) => x.status === 'sent').length >= 2,
    );
    expect(moves.map((r) => r.notification_type).sort()).toEqual(['email', 'sms']);
    const mail = moves.find((r) => r.notification_type === 'email') as Row;
    const sms = moves.find((r) => r.notification_type === 'sms') as Row;
    expect(mail.subject).toMatch(/^Rescheduled: /);
    expect(mail.message).toContain(`moved from ${OLD_SPAN} to ${newSpan}`);
    expect(mail.message).not.toMatch(/EST|Confirmed/);
    expect(mail.message).toContain(b.manageUrl);
    expect(mail.html).toContain(`href="${b.manageUrl}"`);
    expect(sms.message).toContain(b.manageUrl);
    expect(sms.message).toContain('13:30 CET');
    const ics = icsOf(await viaSendGrid(mail));
    expect(ics).toContain('METHOD:REQUEST\r\n');
    expect(ics).toContain(`SEQUENCE:${b.sequence + 1}\r\n`);
    expect(ics).toContain(`DTSTART:${newStart}\r\n`);
    expect(ics).toContain(newSpan.replace(',', '\\,'));
  }

  it('a move by the client: one email and one SMS with old and new time in Berlin, the link and the new .ics', async () => {
    const b = await berlinBooking();
    const token = tokenOf(b.manageUrl);
    const moved = await api('POST', `/api/public/bookings/${token}/reschedule/`, {
      body: { start_time: '2026-12-03T14:00:00.000Z' },
      headers: { 'X-Test-Now': '2026-11-26T12:00:00.000Z', 'CF-Connecting-IP': '198.51.100.77' },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await expectOneMove(b, 'Thursday 3 December, 15:00–16:00 (Berlin time)', '20261203T140000Z');
    // The trainer's own message is still there, once.
    const forTrainer = (await rowsOf(b.id)).filter(
      (r) => r.kind === 'booking_rescheduled' && r.recipient === b.t.email,
    );
    expect(forTrainer).toHaveLength(1);
  });

  it('two moves in quick succession: each email names its own move and SEQUENCE, however late it is rendered', async () => {
    const b = await berlinBooking();
    const patch = (start: string) =>
      api('PATCH', `/api/bookings/${b.id}/`, {
        token: b.t.token,
        body: { start_time: start },
        headers: { 'X-Test-Now': '2026-11-26T12:00:00.000Z' },
      });
    expect((await patch('2026-12-03T15:00:00.000Z')).status).toBe(200);
    expect((await patch('2026-12-03T14:00:00.000Z')).status).toBe(200);
    const mails = (
      await until(
        () => clientMoves(b.id, b.email),
        (r) => r.filter((x) => x.status === 'sent').length >= 4,
      )
    ).filter((r) => r.notification_type === 'email');
    expect(mails).toHaveLength(2);
    const [first, second] = mails as [Row, Row];
    // Rendered again now, after both moves (as a retry or a late queue message would be).
    const firstIcs = icsOf(await viaSendGrid(first));
    const secondIcs = icsOf(await viaSendGrid(second));
    const reread = await rowsOf(b.id);
    const text = (r: Row) => reread.find((x) => x.id === r.id)?.message ?? '';
    expect(text(first)).toContain(`moved from ${OLD_SPAN} to Thursday 3 December, 16:00–17:00 (Berlin time)`);
    expect(text(second)).toContain(
      'moved from Thursday 3 December, 16:00–17:00 (Berlin time) to Thursday 3 December, 15:00–16:00 (Berlin time)',
    );
    expect([/SEQUENCE:\d+/.exec(firstIcs)?.[0], /DTSTART:\w+/.exec(firstIcs)?.[0]]).toEqual([
      `SEQUENCE:${b.sequence + 1}`,
      'DTSTART:20261203T150000Z',
    ]);
    expect([/SEQUENCE:\d+/.exec(secondIcs)?.[0], /DTSTART:\w+/.exec(secondIcs)?.[0]]).toEqual([
      `SEQUENCE:${b.sequence + 2}`,
      'DTSTART:20261203T140000Z',
    ]);
  });

  it('a move by the trainer tells the client once, and so does a new end alone; the same time again tells nobody', async () => {
    const b = await berlinBooking();
    const patch = (body: Record<string, unknown>) =>
      api('PATCH', `/api/bookings/${b.id}/`, {
        token: b.t.token,
        body,
        headers: { 'X-Test-Now': '2026-11-26T12:00:00.000Z' },
      });
    const moved = await patch({ start_time: '2026-12-04T16:00:00.000Z' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await expectOneMove(b, 'Friday 4 December, 17:00–18:00 (Berlin time)', '20261204T160000Z');

    // Their calendar holds the end too: a new one is told, by email and SMS, as a new length.
    expect((await patch({ end_time: '2026-12-04T17:30:00.000Z' })).status).toBe(200);
    const changed = await until(
      () => clientMoves(b.id, b.email),
      (r) => r.filter((x) => x.status === 'sent').length >= 4,
    );
    const [mail, sms] = ['email', 'sms'].map((channel) =>
      changed.filter((r) => r.notification_type === channel).at(-1),
    );
    expect(mail?.subject).toBe('Changed: 60-minute session on Fri 4 Dec 17:00 CET now lasts 90 minutes');
    expect(mail?.message).toContain(
      'now runs Friday 4 December, 17:00–18:30 (Berlin time): 90 minutes, where it was 60.',
    );
    expect(sms?.message).toMatch(/ Fri 4 Dec 17:00 CET now lasts 90 min, was 60\. /);
    expect((await patch({ start_time: '2026-12-04T16:00:00.000Z' })).status).toBe(200);
    expect(await clientMoves(b.id, b.email)).toHaveLength(4);
    // Nor is anything else new written for it.
    expect((await rowsOf(b.id)).filter((r) => r.kind === 'booking_rescheduled')).toHaveLength(4);
  });
});
