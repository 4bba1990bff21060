// Calendar feeds out: the trainer's secret iCalendar address (bookings, class sessions, breaks),
// its rotation, ETag/304, the per-feed rate limit, and a client's own feed linked from the manage
// page. Every file is read back with ical.js, as a calendar app would.
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import ICAL from 'ical.js';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import { manageToken } from '../src/lib/tokens';
import { api, book, countingD1, createClient, type ProblemBody, setupTrainer } from './helpers';

const DAY = 86_400_000;
const ORIGIN = 'http://localhost:8787';
// Noon UTC today: Tokyo (the trainers' zone, no DST) is on the same date.
const NOW_MS = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate(), 12);
const NOW = new Date(NOW_MS).toISOString();
const iso = (days: number, hour = 10) => new Date(NOW_MS + days * DAY + (hour - 12) * 3_600_000).toISOString();
const dateOf = (days: number) => iso(days).slice(0, 10);
const compact = (text: string) => text.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const pinned = (at: string) => ({ 'X-Test-Now': at });

type Urls = { url: string; webcal_url: string };
type Feed = { status: number; headers: Headers; text: string };

async function getFeed(url: string, headers: Record<string, string> = {}): Promise<Feed> {
  const path = new URL(url).pathname;
  const res = await exports.default.fetch(
    new Request(`http://example.com${path}`, { headers: { ...pinned(NOW), ...headers } }),
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The events of a feed by UID, after checking what every calendar app relies on. */
function eventsOf(text: string): Map<string, ICAL.Component> {
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text).not.toContain('\uFFFD'); // no UTF-8 sequence split by a fold
  for (const line of text.slice(0, -2).split('\r\n')) {
    expect(line).not.toMatch(/[\r\n]/);
    expect(new TextEncoder().encode(line).length, line).toBeLessThanOrEqual(75);
  }
  const cal = new ICAL.Component(ICAL.parse(text));
  expect(cal.getFirstPropertyValue('refresh-interval')?.toString()).toBe('PT15M');
  const events = new Map<string, ICAL.Component>();
  for (const v of cal.getAllSubcomponents('vevent')) {
    expect(v.getFirstPropertyValue('dtstamp')).toBeTruthy();
    const uid = String(v.getFirstPropertyValue('uid'));
    expect(uid).toBeTruthy();
    events.set(uid, v);
  }
  return events;
}

const value = (e: ICAL.Component | undefined, name: string) => String(e?.getFirstPropertyValue(name) ?? '');
const uid = (kind: string, id: number | string) => `${kind}-${id}@localhost:8787`;

const LONG_NAME = { first_name: 'Zoë-Åsa', last_name: 'Ñúñez-Øyelaran Þórðardóttir 🏋️ Straße' };
const NOTES = `Knee: ${'€'.repeat(30)} ${'ü'.repeat(20)} 🏋️🏋️ rehab, slow; no jumps`;

async function trainerWithWeek() {
  const t = await setupTrainer({ settings: { business_name: 'Tokyo Strength', timezone: 'Asia/Tokyo' } });
  const past = pinned(iso(-65));
  const client = await createClient(t.token, LONG_NAME);
  const make = async (days: number, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => {
    const res = await book(t.token, { client: client.id, start_time: iso(days), ...extra }, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  };
  const ids = {
    gone: await make(-61, past),
    old: await make(-59, past),
    cancelledLongAgo: await make(-35, past),
    pending: await make(2, {}, { notes: NOTES }),
    confirmed: await make(3),
    cancelled: await make(4),
    // beyond the 60-day horizon that visitors book within: the trainer's own booking is in the feed
    pastHorizon: await make(70),
    beyond: await make(370),
  };
  await api('POST', `/api/bookings/${ids.confirmed}/confirm/`, { token: t.token, headers: pinned(NOW) });
  await api('POST', `/api/bookings/${ids.cancelledLongAgo}/cancel/`, { token: t.token, headers: pinned(iso(-40)) });
  await api('POST', `/api/bookings/${ids.cancelled}/cancel/`, { token: t.token, headers: pinned(NOW) });
  const service = await api<{ id: number }>('POST', '/api/services/', {
    token: t.token,
    body: { name: 'Group HIIT', duration_minutes: 60, capacity: 8 },
  });
  const cls = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
    token: t.token,
    body: { service: service.body.id, start_time: iso(5, 8) },
  });
  expect(cls.status, JSON.stringify(cls.body)).toBe(201);
  const classId = cls.body.occurrences[0]?.class_session as number;
  const place = await book(t.token, { client: client.id, class_session: classId });
  expect(place.status, JSON.stringify(place.body)).toBe(201);
  const breaks = '/api/trainer-breaks/';
  const whole = await api<{ id: number }>('POST', breaks, {
    token: t.token,
    body: { start_date: dateOf(10), end_date: dateOf(11), reason: 'Holiday' },
  });
  const partial = await api<{ id: number }>('POST', breaks, {
    token: t.token,
    body: { start_date: dateOf(12), end_date: dateOf(13), start_time: '12:00', end_time: '13:00' },
  });
  expect([whole.status, partial.status]).toEqual([201, 201]);
  const urls = (await api<Urls>('GET', '/api/calendar/feed/', { token: t.token })).body;
  return { t, client, ids, classId, placeId: place.body.id, wholeId: whole.body.id, partialId: partial.body.id, urls };
}

describe("the trainer's calendar feed", () => {
  it('parses, folds long UTF-8 text, has every status, class sessions, breaks and the 60-day window', async () => {
    const w = await trainerWithWeek();
    expect(w.urls.url).toMatch(/^http:\/\/localhost:8787\/api\/calendar\/feed\/t\d+\.[A-Za-z0-9_-]{43}\.ics$/);
    expect(w.urls.webcal_url).toBe(w.urls.url.replace('http://', 'webcal://'));
    const feed = await getFeed(w.urls.url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(feed.headers.get('cache-control')).toBe('private, max-age=300');
    expect(feed.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const events = eventsOf(feed.text);

    const pending = events.get(uid('booking', w.ids.pending));
    expect(value(pending, 'summary')).toBe(`${LONG_NAME.first_name} ${LONG_NAME.last_name} · 60-minute session`);
    expect(value(pending, 'status')).toBe('TENTATIVE');
    expect(value(pending, 'description')).toContain(NOTES);
    expect(value(pending, 'description')).toContain(`${ORIGIN}/api/bookings/${w.ids.pending}/`);
    expect(feed.text).toContain(`DTSTART:${compact(iso(2))}\r\n`);
    expect(value(events.get(uid('booking', w.ids.confirmed)), 'status')).toBe('CONFIRMED');
    const cancelled = events.get(uid('booking', w.ids.cancelled));
    expect(value(cancelled, 'status')).toBe('CANCELLED');
    expect(value(cancelled, 'sequence')).toBe('1');
    expect(value(events.get(uid('booking', w.ids.old)), 'status')).toBe('TENTATIVE');
    // 61 days back, cancelled 40 days ago, more than a year ahead: not in the feed
    for (const id of [w.ids.gone, w.ids.cancelledLongAgo, w.ids.beyond])
      expect(events.has(uid('booking', id))).toBe(false);
    expect(value(events.get(uid('booking', w.ids.pastHorizon)), 'status')).toBe('TENTATIVE');

    // the class is one event; its place is not a booking of its own in the trainer's feed
    expect(value(events.get(uid('class', w.classId)), 'summary')).toBe('Group HIIT · 1/8 booked');
    expect(events.has(uid('booking', w.placeId))).toBe(false);
    // breaks: whole days as an all-day event, a part of each day per day in Tokyo time (UTC+9)
    expect(value(events.get(uid('break', w.wholeId)), 'summary')).toBe('Break: Holiday');
    expect(feed.text).toContain(`DTSTART;VALUE=DATE:${dateOf(10).replace(/-/g, '')}\r\n`);
    expect(feed.text).toContain(`DTEND;VALUE=DATE:${dateOf(12).replace(/-/g, '')}\r\n`);
    for (const d of [12, 13]) {
      const part = events.get(uid('break', `${w.partialId}-${dateOf(d)}`));
      expect(value(part, 'dtstart')).toBe(`${dateOf(d)}T03:00:00Z`);
      expect(value(part, 'dtend')).toBe(`${dateOf(d)}T04:00:00Z`);
    }
    expect(events.size).toBe(5 + 1 + 1 + 2);
  });

  it('answers 304 to a matching If-None-Match, and a new ETag once a booking changes', async () => {
    const w = await trainerWithWeek();
    const first = await getFeed(w.urls.url);
    const etag = first.headers.get('etag') as string;
    const again = await getFeed(w.urls.url, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // a later poll of unchanged data is the same file
    const later = await getFeed(w.urls.url, { 'X-Test-Now': new Date(NOW_MS + 600_000).toISOString() });
    expect(later.headers.get('etag')).toBe(etag);

    await api('POST', `/api/bookings/${w.ids.pending}/confirm/`, { token: w.t.token, headers: pinned(NOW) });
    const changed = await getFeed(w.urls.url, { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(value(eventsOf(changed.text).get(uid('booking', w.ids.pending)), 'status')).toBe('CONFIRMED');

    // a cancelled class stays for 30 days, as CANCELLED; its places were cancelled with it
    const cancel = await api('POST', `/api/class-sessions/${w.classId}/cancel/`, {
      token: w.t.token,
      headers: pinned(NOW),
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const afterCancel = eventsOf((await getFeed(w.urls.url)).text);
    expect(value(afterCancel.get(uid('class', w.classId)), 'status')).toBe('CANCELLED');
    // It keeps the count of places it had when cancelled.
    expect(value(afterCancel.get(uid('class', w.classId)), 'summary')).toBe('Group HIIT · 1/8 booked');
  });

  it("a changed break's events carry a higher SEQUENCE, so calendar apps replace their copy", async () => {
    const w = await trainerWithWeek();
    const before = eventsOf((await getFeed(w.urls.url)).text);
    const partUid = uid('break', `${w.partialId}-${dateOf(12)}`);
    expect(value(before.get(partUid), 'sequence')).toBe('0');
    expect(value(before.get(uid('break', w.wholeId)), 'sequence')).toBe('0');
    for (const end_time of ['13:30', '14:00']) {
      const res = await api('PATCH', `/api/trainer-breaks/${w.partialId}/`, { token: w.t.token, body: { end_time } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const after = eventsOf((await getFeed(w.urls.url)).text);
    expect(value(after.get(partUid), 'sequence')).toBe('2');
    expect(value(after.get(partUid), 'dtend')).toBe(`${dateOf(12)}T05:00:00Z`);
    expect(value(after.get(uid('break', w.wholeId)), 'sequence')).toBe('0');
  });

  it('rotate: the old address is 404 at once, the new one works; forged and borrowed tokens are 404', async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const urlA = (await api<Urls>('GET', '/api/calendar/feed/', { token: a.token })).body.url;
    const urlB = (await api<Urls>('GET', '/api/calendar/feed/', { token: b.token })).body.url;
    expect((await getFeed(urlA)).status).toBe(200);
    const rotated = await api<Urls>('POST', '/api/calendar/feed/rotate/', { token: a.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.url).not.toBe(urlA);
    const gone = await getFeed(urlA);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toContain('application/problem+json');
    expect((await getFeed(rotated.body.url)).status).toBe(200);
    expect((await api<Urls>('GET', '/api/calendar/feed/', { token: a.token })).body.url).toBe(rotated.body.url);

    const [, idA] = /\/feed\/t(\d+)\./.exec(rotated.body.url) ?? [];
    const macB = /\/feed\/t\d+\.([^/]+)\.ics$/.exec(urlB)?.[1];
    const forged = [
      `${ORIGIN}/api/calendar/feed/t${idA}.${'A'.repeat(43)}.ics`,
      `${ORIGIN}/api/calendar/feed/t${idA}.${macB}.ics`, // B's MAC on A's id
      `${ORIGIN}/api/calendar/feed/c${a.client.id}.${macB}.ics`, // a client token made of B's
      `${ORIGIN}/api/calendar/feed/nonsense.ics`,
    ];
    for (const url of forged) expect((await getFeed(url)).status, url).toBe(404);
    // only trainers have a feed address
    const client = await api<ProblemBody>('GET', '/api/calendar/feed/');
    expect(client.status).toBe(401);
  });

  it("the address appears in no other answer: not in another trainer's, not in the trainer's other reads", async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const { url } = (await api<Urls>('GET', '/api/calendar/feed/', { token: a.token })).body;
    const token = /\/feed\/([^/]+)\.ics$/.exec(url)?.[1] as string;
    const reads = [
      await api('GET', '/api/calendar/feed/', { token: b.token }),
      await api('GET', '/api/users/profile/', { token: b.token }),
      await api('GET', '/api/users/profile/', { token: a.token }),
      await api('GET', '/api/bookings/', { token: a.token }),
      await api('GET', '/api/clients/', { token: a.token }),
    ];
    for (const r of reads) {
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.body)).not.toContain(token);
      expect(JSON.stringify(r.body)).not.toContain(token.split('.')[1]);
    }
  });

  it('is rate limited per feed: 60 an hour, then 429 with Retry-After; another feed is not', async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const urlA = (await api<Urls>('GET', '/api/calendar/feed/', { token: a.token })).body.url;
    const urlB = (await api<Urls>('GET', '/api/calendar/feed/', { token: b.token })).body.url;
    const statuses: number[] = [];
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => getFeed(urlA)));
      statuses.push(...batch.map((r) => r.status));
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const limited = await getFeed(urlA);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await getFeed(urlB)).status).toBe(200);
  });
});

describe('the feed as a platform sees it', () => {
  it('is read in three D1 round trips however many events (owner, rate limit, one batch of rows)', async () => {
    const w = await trainerWithWeek();
    const counted = countingD1(env.DB);
    const res = await createApp().fetch(
      new Request(`http://example.com${new URL(w.urls.url).pathname}`, { headers: pinned(NOW) }),
      { ...env, DB: counted.db },
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(eventsOf(await res.text()).size).toBe(9);
    expect(counted.count()).toBe(3);
  });

  it('never writes a feed token into the request log', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const token = `t1.${'Q'.repeat(43)}`;
      const res = await createApp().fetch(
        new Request(`http://example.com/api/calendar/feed/${token}.ics`),
        { ...env, ENVIRONMENT: 'development' },
        createExecutionContext(),
      );
      expect(res.status).toBe(404);
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => l.includes('/api/calendar/feed/<token>.ics'))).toBe(true);
      expect(lines.some((l) => l.includes('Q'.repeat(43)))).toBe(false);
    } finally {
      log.mockRestore();
    }
  });
});

/** The manage token of a booking, as its messages carry it (derived from the link's salt). */
async function manageTokenOf(bookingId: number): Promise<string> {
  const row = await env.DB.prepare('SELECT salt FROM booking_links WHERE booking_id = ?')
    .bind(bookingId)
    .first<{ salt: string }>();
  return manageToken(env.JWT_SECRET ?? '', row?.salt ?? '');
}

describe("a client's own feed", () => {
  it('holds only that client’s bookings with this trainer, no notes, and the manage page links it', async () => {
    const w = await trainerWithWeek();
    const other = await createClient(w.t.token, { first_name: 'Other', last_name: 'Person' });
    const otherBooking = await book(w.t.token, { client: other.id, start_time: iso(6) });
    expect(otherBooking.status).toBe(201);
    // What the client was told of: the pending one (with notes) and the class place confirmed, one
    // more confirmed and then cancelled. A draft, and a booking cancelled before anyone confirmed
    // it (w.ids.cancelled), were the trainer's alone.
    const confirm = (id: number) => api('POST', `/api/bookings/${id}/confirm/`, { token: w.t.token });
    for (const id of [w.ids.pending, w.placeId]) expect((await confirm(id)).status).toBe(200);
    const told = await book(w.t.token, { client: w.client.id, start_time: iso(7) });
    expect((await confirm(told.body.id)).status).toBe(200);
    expect((await api('POST', `/api/bookings/${told.body.id}/cancel/`, { token: w.t.token })).status).toBe(200);
    const draft = await book(w.t.token, { client: w.client.id, start_time: iso(8) });
    expect(draft.status).toBe(201);

    const token = await manageTokenOf(w.ids.pending);
    const page = await exports.default.fetch(new Request(`http://example.com/book/manage/${token}`));
    const html = await page.text();
    expect(html).toContain('Subscribe to all your sessions');
    expect(html).toContain('id="b-feed-webcal"');
    const managed = await api<{ calendar_feed_url: string; calendar_feed_webcal_url: string }>(
      'GET',
      `/api/public/bookings/${token}`,
    );
    expect(managed.body.calendar_feed_url).toMatch(/^http:\/\/localhost:8787\/api\/calendar\/feed\/c\d+\./);
    expect(managed.body.calendar_feed_webcal_url).toBe(managed.body.calendar_feed_url.replace('http://', 'webcal://'));

    const feed = await getFeed(managed.body.calendar_feed_url);
    expect(feed.status).toBe(200);
    const events = eventsOf(feed.text);
    expect(value(events.get(uid('booking', w.ids.pending)), 'summary')).toBe('60-minute session with Tokyo Strength');
    expect(value(events.get(uid('booking', told.body.id)), 'status')).toBe('CANCELLED');
    expect(value(events.get(uid('booking', w.placeId)), 'summary')).toBe('Group HIIT with Tokyo Strength');
    expect(events.has(uid('booking', w.ids.confirmed))).toBe(true);
    expect(events.has(uid('booking', draft.body.id))).toBe(false);
    expect(events.has(uid('booking', w.ids.cancelled))).toBe(false);
    expect(events.has(uid('booking', otherBooking.body.id))).toBe(false);
    expect(events.has(uid('booking', w.ids.gone))).toBe(false);
    expect([...events.keys()].some((k) => k.startsWith('class-') || k.startsWith('break-'))).toBe(false);
    expect(feed.text).not.toContain('Knee');
    expect(feed.text).not.toContain(LONG_NAME.first_name);
    // the trainer's feed address opens the trainer's feed, not this one
    expect(managed.body.calendar_feed_url).not.toBe(w.urls.url);
  });

  it('a web booking’s manage link (whoever typed the email gets it) carries no feed address', async () => {
    const t = await setupTrainer({ settings: { timezone: 'Asia/Tokyo' } });
    const res = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: { email: 'someone@example.com', first_name: 'Some', last_name: 'One', start_time: iso(3) },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const token = res.body.manage_url.split('/').pop() as string;
    const managed = await api<{ calendar_feed_url: string | null }>('GET', `/api/public/bookings/${token}`);
    expect(managed.status).toBe(200);
    expect(managed.body.calendar_feed_url).toBeNull();
  });
});
