// Issue 18, item 8: "where and how" (the booking's service: its name, address, video link or
// phone) in the client's confirmations, reminders, the move message, the .ics LOCATION and the
// manage page. Services are made in SQL (their API is another item's); a booking gets one by an
// UPDATE after the API made it, then the real flow runs: confirm, the cron's reminders, a move.
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gsm7Length, SMS_TWO_PARTS } from '../src/notifications/gsm7';
import { wherePieces } from '../src/widget/client/text';
import { api, at, book, createClient, futureDay, type ProblemBody, setupTrainer, uniqueEmail, until } from './helpers';
import { icsOf, type Row, rowsOf, tick, viaSendGrid } from './mail';

afterEach(() => vi.restoreAllMocks());

const VIDEO = 'https://meet.example/room-42';
const ADDRESS = '12 Main Street, Springfield';

type ServiceFields = {
  name: string;
  duration_minutes: number;
  location_type: 'in_person' | 'video' | 'phone' | 'client_address';
  location?: string;
  video_url?: string;
};

async function serviceOf(trainerId: number, s: ServiceFields): Promise<number> {
  const row = await env.DB.prepare(
    `INSERT INTO services (trainer_id, name, duration_minutes, location_type, location, video_url)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(trainerId, s.name, s.duration_minutes, s.location_type, s.location ?? '', s.video_url ?? '')
    .first<{ id: number }>();
  return row?.id as number;
}

const useService = (bookingId: number, serviceId: number) =>
  env.DB.prepare('UPDATE bookings SET service_id = ? WHERE id = ?').bind(serviceId, bookingId).run();

/** The rows of `kind` once every one of them (`n`) is sent. */
const sentOfKind = async (bookingId: number, kind: string, n: number) =>
  (
    await until(
      () => rowsOf(bookingId),
      (rows) => rows.filter((r) => r.kind === kind && r.status === 'sent').length >= n,
    )
  ).filter((r) => r.kind === kind && r.status === 'sent');

const byChannel = (rows: Row[], channel: 'email' | 'sms') => rows.find((r) => r.notification_type === channel) as Row;

const publicBook = (slug: string, body: Record<string, unknown>) =>
  api<{ manage_url: string } & ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body: { first_name: 'Pat', last_name: 'Park', email: uniqueEmail('pat'), ...body },
    headers: { 'CF-Connecting-IP': `198.51.100.${Math.floor(Math.random() * 250) + 1}` },
  });

const bookingIdOf = async (trainerId: number, start: string) =>
  (
    await env.DB.prepare('SELECT id FROM bookings WHERE trainer_id = ? AND start_time = ?')
      .bind(trainerId, start)
      .first<{ id: number }>()
  )?.id as number;

const icsDownload = async (token: string) =>
  (await exports.default.fetch(new Request(`http://example.com/api/public/bookings/${token}/ics`)))
    .text()
    .then((t) => t.replace(/\r\n /g, ''));

/** An email row's text and HTML and an SMS row's text all say `where`; the email's link is clickable. */
function expectPlace(rows: Row[], where: { text: string; html: string; sms: string }) {
  const email = byChannel(rows, 'email');
  expect(email.message, email.kind).toContain(where.text);
  expect(email.html, email.kind).toContain(where.html);
  const sms = byChannel(rows, 'sms');
  if (sms) expect(sms.message, sms.kind).toContain(where.sms);
}

describe('where and how', () => {
  it('a video service: confirmation, both reminders and the move name it and carry the link (text, HTML, SMS, .ics)', async () => {
    const t = await setupTrainer({ settings: { business_name: 'Move Studio' } });
    const client = await createClient(t.token, { phone: '+14155550123' });
    const svc = await serviceOf(t.user.trainer.id, {
      name: 'Video coaching',
      duration_minutes: 60,
      location_type: 'video',
      video_url: VIDEO,
    });
    const start = at(futureDay(5).date, '10:00');
    const made = await book(t.token, { client: client.id, start_time: start });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    await useService(made.body.id, svc);
    const video = {
      text: `Online (video): ${VIDEO}`,
      html: `<a href="${VIDEO}">${VIDEO}</a>`,
      sms: ` Video: ${VIDEO}`,
    };

    expect((await api('POST', `/api/bookings/${made.body.id}/confirm/`, { token: t.token })).status).toBe(200);
    const confirmed = await sentOfKind(made.body.id, 'booking_confirmed', 2);
    expectPlace(confirmed, video);
    const email = byChannel(confirmed, 'email');
    expect(email.subject).toMatch(/^Confirmed: Video coaching on /);
    expect(byChannel(confirmed, 'sms').message).toMatch(/\/book\/manage\/[\w-]{43}$/);
    const mail = await viaSendGrid(email);
    expect(mail.subject).toMatch(/^Confirmed: Video coaching on /);
    expect(mail.content.find((c) => c.type === 'text/html')?.value).toContain(video.html);
    const ics = icsOf(mail);
    expect(ics).toContain(`LOCATION:${VIDEO}\r\n`);
    expect(ics).toContain(`CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:${VIDEO}\r\n`);
    expect(ics).toContain('SUMMARY:Video coaching with Move Studio\r\n');
    expect(ics).toContain(`\\nOnline (video): ${VIDEO}\\n`);

    await tick(Date.parse(start) - 23 * 3600_000);
    const day = await sentOfKind(made.body.id, 'reminder_24h', 2);
    expectPlace(day, video);
    expect(byChannel(day, 'email').subject).toMatch(/^Reminder: Video coaching tomorrow, /);
    await tick(Date.parse(start) - 30 * 60_000);
    const hour = await sentOfKind(made.body.id, 'reminder_1h', 1);
    expect(byChannel(hour, 'sms').message).toContain(video.sms);

    const later = at(futureDay(5).date, '12:00');
    const moved = await api('PATCH', `/api/bookings/${made.body.id}/`, { token: t.token, body: { start_time: later } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const rescheduled = await sentOfKind(made.body.id, 'booking_rescheduled', 2);
    expectPlace(rescheduled, video);
    expect(byChannel(rescheduled, 'email').subject).toMatch(/^Rescheduled: Video coaching is now /);
  });

  it('an address: the request, the manage page and its .ics, the confirmation (email and SMS)', async () => {
    const t = await setupTrainer({ settings: { business_name: 'Home Gym', min_notice_minutes: 60 } });
    const svc = await serviceOf(t.user.trainer.id, {
      name: 'Home assessment',
      duration_minutes: 90,
      location_type: 'in_person',
      location: ADDRESS,
    });
    const start = at(futureDay(6).date, '09:00');
    const made = await publicBook(t.user.trainer.slug, { start_time: start, phone: '+14155550199' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = await bookingIdOf(t.user.trainer.id, start);
    const token = made.body.manage_url.split('/').pop() as string;
    // The request went at once, before the booking had this service: sent again, rendered now.
    const [received] = await sentOfKind(id, 'booking_request_received', 1);
    await useService(id, svc);
    const request = await viaSendGrid(received as Row);
    expect(request.subject).toMatch(/^Booking request received: Home assessment, /);
    expect(request.content.find((c) => c.type === 'text/plain')?.value).toContain(`Where: ${ADDRESS}`);
    expect(request.content.find((c) => c.type === 'text/html')?.value).toContain(`<p>Where: ${ADDRESS}</p>`);
    expect(icsOf(request)).toContain('LOCATION:12 Main Street\\, Springfield\r\n');

    const shown = await api<Record<string, unknown>>('GET', `/api/public/bookings/${token}/`);
    expect(shown.body).toMatchObject({
      service: { id: svc, name: 'Home assessment', duration_minutes: 90, location_type: 'in_person' },
      location: ADDRESS,
      video_url: null,
    });
    const file = await icsDownload(token);
    expect(file).toContain('LOCATION:12 Main Street\\, Springfield\r\n');
    expect(file).toContain('SUMMARY:Home assessment with Home Gym\r\n');
    expect(file).toContain('\\nWhere: 12 Main Street\\, Springfield\\n');
    expect(file).not.toContain('CONFERENCE');
    const page = await (await exports.default.fetch(new Request(`http://example.com/book/manage/${token}`))).text();
    expect(page).toContain('<dt>What</dt>');
    expect(page).toMatch(/<dd id="b-where" hidden(="")?>/);

    expect((await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token })).status).toBe(200);
    const confirmed = await sentOfKind(id, 'booking_confirmed', 2);
    expectPlace(confirmed, { text: `Where: ${ADDRESS}`, html: `<p>Where: ${ADDRESS}</p>`, sms: ` Where: ${ADDRESS}.` });
    // The address may take the SMS to two parts; the trainer's name is not cut for it.
    const sms = byChannel(confirmed, 'sms').message;
    expect(sms).toMatch(/^Session with Home Gym /);
    expect(gsm7Length(sms)).toBeLessThanOrEqual(SMS_TWO_PARTS);
    expect(byChannel(confirmed, 'email').subject).toMatch(/^Confirmed: Home assessment on /);
  });

  it('by phone (with and without the client’s number) and at the client’s address: manage page, .ics, 1 h reminder', async () => {
    const t = await setupTrainer({ settings: { business_name: 'Call Coach', min_notice_minutes: 60 } });
    const phone = await serviceOf(t.user.trainer.id, {
      name: 'Phone check-in',
      duration_minutes: 30,
      location_type: 'phone',
    });
    const visit = await serviceOf(t.user.trainer.id, {
      name: 'House call',
      duration_minutes: 60,
      location_type: 'client_address',
      location: 'ignored for this kind',
    });
    const day = futureDay(7).date;
    const cases = [
      {
        start: at(day, '08:00'),
        phone: '+14155550177',
        service: phone,
        where: 'By phone: your trainer will call you on +14155550177',
      },
      { start: at(day, '10:00'), service: phone, where: 'By phone: your trainer will call you' },
      { start: at(day, '12:00'), service: visit, where: 'At your address' },
    ];
    for (const c of cases) {
      const made = await publicBook(t.user.trainer.slug, {
        start_time: c.start,
        ...(c.phone ? { phone: c.phone } : {}),
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const id = await bookingIdOf(t.user.trainer.id, c.start);
      await useService(id, c.service);
      const token = made.body.manage_url.split('/').pop() as string;
      const shown = await api<{ service: { id: number; location_type: string }; location: string }>(
        'GET',
        `/api/public/bookings/${token}/`,
      );
      expect(shown.body.service.id).toBe(c.service);
      expect(shown.body.location).toBe(c.where);
      expect(await icsDownload(token)).toContain(`LOCATION:${c.where}\r\n`);
      expect((await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token })).status).toBe(200);
      const confirmed = await sentOfKind(id, 'booking_confirmed', c.phone ? 2 : 1);
      expect(byChannel(confirmed, 'email').message).toContain(`\n${c.where}\n`);
      if (c.phone) expect(byChannel(confirmed, 'sms').message).toContain(' By phone: your trainer will call you.');
    }
    // Without a phone the 1 h reminder is an email: it says where too.
    await tick(Date.parse(cases[2]?.start as string) - 30 * 60_000);
    const id = await bookingIdOf(t.user.trainer.id, cases[2]?.start as string);
    const [hour] = await sentOfKind(id, 'reminder_1h', 1);
    expect(hour?.notification_type).toBe('email');
    expect(hour?.subject).toMatch(/^In one hour: House call at /);
    expect(hour?.message).toContain('\nAt your address\n');
    expect(hour?.html).toContain('<p>At your address</p>');
  });
});

describe('the manage page’s "Where"', () => {
  it('makes the video link a link and keeps every other text whole', () => {
    expect(wherePieces(`Online (video): ${VIDEO}`, VIDEO)).toEqual({ text: 'Online (video): ', link: VIDEO });
    expect(wherePieces(ADDRESS, null)).toEqual({ text: ADDRESS, link: '' });
    expect(wherePieces('At your address', undefined)).toEqual({ text: 'At your address', link: '' });
    expect(wherePieces('Online (video): javascript:alert(1)', 'javascript:alert(1)')).toEqual({
      text: 'Online (video): javascript:alert(1)',
      link: '',
    });
  });
});
