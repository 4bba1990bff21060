import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sealText } from '../src/lib/tokens';
import { checkCalendarUrl } from '../src/calendar/url';
import { api, PASSWORD, uniqueEmail } from './helpers';

afterEach(() => vi.restoreAllMocks());
const SECRET = env.JWT_SECRET as string;
const FEED = 'https://calendar.example.test/';
const minute = (n: number) => new Date(Date.parse('2027-03-01T12:00:00.000Z') + n * 60_000).toISOString();
const day = (n: number) => minute(n * 24 * 60);

async function trainerIn(timezone: string, horizonDays = 60, now = minute(0)) {
  const headers = { 'X-Test-Now': now };
  const reg = await api<{ token: string; user: { trainer: { id: number } } }>('POST', '/api/users/register/', {
    headers,
    body: { email: uniqueEmail('calendar'), password: PASSWORD, password_confirm: PASSWORD, timezone },
  });
  await api('PATCH', '/api/users/profile/', { token: reg.body.token, headers, body: { booking_horizon_days: horizonDays } });
  return { token: reg.body.token, id: reg.body.user.trainer.id };
}
async function connect(trainerId: number, url: string) {
  const sealed = await sealText(SECRET, 'calendar-url', url);
  const row = await env.DB.prepare(
    `INSERT INTO calendar_connections (trainer_id, name, url_ciphertext, url_hint, url_hash, is_active) VALUES (?, 'c', ?, 'h', ?, 1) RETURNING id`,
  ).bind(trainerId, sealed, url).first<{ id: number }>();
  return row?.id as number;
}
const busyRows = async (id: number) =>
  (await env.DB.prepare('SELECT start_time, end_time FROM calendar_busy WHERE connection_id = ? ORDER BY start_time').bind(id).all<{ start_time: string; end_time: string }>()).results;
const sync = (token: string, id: number, at: string) =>
  api<Record<string, unknown>>('POST', `/api/calendar/connections/${id}/sync/`, { token, headers: { 'X-Test-Now': at } });

// weekly every Monday 10:00-11:00 UTC, no end
const WEEKLY = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN',
  'BEGIN:VEVENT', 'UID:w1@example.org', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270301T100000Z', 'DTEND:20270301T110000Z',
  'RRULE:FREQ=WEEKLY', 'END:VEVENT', 'END:VCALENDAR',
].join('\r\n');

function serve304() {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (_input, init) => {
    const h = new Headers(init?.headers);
    if (h.get('If-None-Match') === '"v1"') return new Response(null, { status: 304 });
    return new Response(WEEKLY, { status: 200, headers: { ETag: '"v1"' } });
  });
}

describe('review', () => {
  it('A1: deactivate then reactivate: a 304 leaves the calendar with no busy time', async () => {
    const t = await trainerIn('UTC', 30);
    const id = await connect(t.id, `${FEED}a.ics`);
    serve304();
    const first = await sync(t.token, id, minute(0));
    console.log('A1 first', JSON.stringify(first.body));
    const n = (await busyRows(id)).length;
    expect(n).toBeGreaterThan(0);
    const off = await api('PATCH', `/api/calendar/connections/${id}/`, { token: t.token, headers: { 'X-Test-Now': minute(2) }, body: { is_active: false } });
    expect(off.status).toBe(200);
    expect((await busyRows(id)).length).toBe(0);
    const on = await api('PATCH', `/api/calendar/connections/${id}/`, { token: t.token, headers: { 'X-Test-Now': minute(4) }, body: { is_active: true } });
    expect(on.status).toBe(200);
    const again = await sync(t.token, id, minute(6));
    console.log('A1 again', JSON.stringify(again.body), 'rows', (await busyRows(id)).length, 'before', n);
  });

  it('A2: the window slides but a 304 keeps the old expansion', async () => {
    const t = await trainerIn('UTC', 30);
    const id = await connect(t.id, `${FEED}b.ics`);
    serve304();
    await sync(t.token, id, minute(0));
    const rows0 = await busyRows(id);
    const later = await sync(t.token, id, day(28));
    const rows1 = await busyRows(id);
    console.log('A2', JSON.stringify(later.body), 'last block before', rows0.at(-1)?.start_time, 'after', rows1.at(-1)?.start_time, 'window end should be', day(28 + 31));
    // availability 50 days out (Mon 2027-04-19 is in horizon of day 28 = 2027-03-29 + 30)
  });

  it('A3: url rules: trailing-dot names, IPv4-compatible IPv6', () => {
    for (const u of [
      'https://localhost./x.ics',
      'https://metadata.google.internal./x.ics',
      'https://foo.local./x.ics',
      'https://[::127.0.0.1]/x.ics',
      'https://[::7f00:1]/x.ics',
      'https://[::a9fe:a9fe]/x.ics',
      'https://[2001::1]/x.ics',
      'https://[100::1]/x.ics',
      'https://127.1/x.ics',
      'https://0x7f000001/x.ics',
      'https://2130706433/x.ics',
      'https://127.0.0.1./x.ics',
      'https://[::ffff:127.0.0.1]/x.ics',
      'https://[::ffff:0:127.0.0.1]/x.ics',
      'https://[0:0:0:0:0:ffff:a9fe:a9fe]/x.ics',
      'https://[fe80::1]/x.ics',
      'https://%6c%6fcalhost/x.ics',
      'https://ⓛocalhost/x.ics',
      'https://LOCALHOST/x.ics',
      'https://a.b@1.2.3.4/x.ics',
    ]) {
      const r = checkCalendarUrl(u, false);
      console.log('A3', u, r.ok ? `OK ${r.url.hostname}` : `refused`);
    }
  });
});
