// Busy time in: a connection's calendar fetched (faked at the fetch boundary, as third-party HTTP),
// expanded and stored in one batch; 304 keeps it; every kind of failure keeps it and says why; the
// trainer is told once per failing streak; the manual sync's limits; the cron and the queue consumer.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CalendarParser, MALFORMED_CALENDAR, MAX_BLOCKS } from '../src/calendar/busy';
import { PARSER_UNAVAILABLE, syncConnection } from '../src/calendar/sync';
import worker from '../src/index';
import { type Bindings, configOf } from '../src/lib/config';
import { getDb } from '../src/lib/db';
import { ApiError } from '../src/lib/problem';
import { sealText } from '../src/lib/tokens';
import { api, intercept, PASSWORD, uniqueEmail } from './helpers';
import { fixture } from './ics-fixtures';

afterEach(() => vi.restoreAllMocks());

const SECRET = env.JWT_SECRET as string;
const FEED = 'https://calendar.example.test/';

/** Minutes after 1 March 2027 12:00 UTC, as the X-Test-Now of a request. */
const minute = (n: number) => addMinutes('2027-03-01T12:00:00.000Z', n);
const addMinutes = (iso: string, n: number) => new Date(Date.parse(iso) + n * 60_000).toISOString();

/** A trainer in a zone with a booking horizon, registered as of `now` (tokens are issued and checked at that time). */
async function trainerIn(timezone: string, horizonDays = 60, now = minute(0)) {
  const headers = { 'X-Test-Now': now };
  const reg = await api<{ token: string; user: { trainer: { id: number } } }>('POST', '/api/users/register/', {
    headers,
    body: { email: uniqueEmail('calendar'), password: PASSWORD, password_confirm: PASSWORD, timezone },
  });
  expect(reg.status).toBe(201);
  const res = await api('PATCH', '/api/users/profile/', {
    token: reg.body.token,
    headers,
    body: { booking_horizon_days: horizonDays },
  });
  expect(res.status).toBe(200);
  return { token: reg.body.token, id: reg.body.user.trainer.id };
}

/** A connection row as the connections API stores it (address sealed, shown by its hint). */
async function connect(
  trainerId: number,
  url: string,
  extra: { lastAttemptAt?: string | null; isActive?: boolean } = {},
): Promise<number> {
  const sealed = await sealText(SECRET, 'calendar-url', url);
  const row = await env.DB.prepare(
    `INSERT INTO calendar_connections (trainer_id, name, url_ciphertext, url_hint, url_hash, is_active, last_attempt_at)
     VALUES (?, 'My calendar', ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(
      trainerId,
      sealed,
      `calendar.example.test …${url.slice(-6)}`,
      url,
      extra.isActive === false ? 0 : 1,
      extra.lastAttemptAt ?? null,
    )
    .first<{ id: number }>();
  return row?.id as number;
}

type Served = (url: string, headers: Headers, signal: AbortSignal | null | undefined) => Response | Promise<Response>;

/** Third-party calendars, faked at the fetch boundary; returns the requests they received. */
function serve(handler: Served) {
  const seen: { url: string; headers: Headers }[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    seen.push({ url, headers });
    return handler(url, headers, init?.signal);
  });
  return seen;
}

const icsResponse = (body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status: 200, headers: { 'Content-Type': 'text/calendar; charset=utf-8', ...headers } });

const sync = (token: string, id: number, at: string) =>
  api<{
    id: number;
    status: string;
    last_error: string | null;
    busy_count: number;
    last_synced_at: string | null;
    truncated: boolean;
  }>('POST', `/api/calendar/connections/${id}/sync/`, { token, headers: { 'X-Test-Now': at } });

const busyRows = async (connectionId: number) =>
  (
    await env.DB.prepare('SELECT start_time, end_time FROM calendar_busy WHERE connection_id = ? ORDER BY start_time')
      .bind(connectionId)
      .all<{ start_time: string; end_time: string }>()
  ).results.map((r) => [r.start_time, r.end_time]);

const connection = (id: number) =>
  env.DB.prepare('SELECT * FROM calendar_connections WHERE id = ?').bind(id).first<{
    last_error: string | null;
    consecutive_failures: number;
    failing_since: string | null;
    busy_count: number;
    etag: string | null;
    last_synced_at: string | null;
  }>();

const versionOf = async (trainerId: number) =>
  (
    await env.DB.prepare('SELECT schedule_version AS v FROM trainers WHERE id = ?')
      .bind(trainerId)
      .first<{ v: number }>()
  )?.v;

const failingMessages = async (trainerId: number) =>
  (
    await env.DB.prepare(
      `SELECT dedupe_key, recipient, subject, message FROM notifications WHERE trainer_id = ? AND kind = 'calendar_sync_failing' ORDER BY id`,
    )
      .bind(trainerId)
      .all<{ dedupe_key: string; recipient: string; subject: string; message: string }>()
  ).results;

const GOOGLE_BUSY = [
  ['2027-03-10T09:00:00.000Z', '2027-03-10T10:00:00.000Z'],
  ['2027-03-12T07:00:00.000Z', '2027-03-12T08:00:00.000Z'],
  ['2027-03-15T12:00:00.000Z', '2027-03-15T13:00:00.000Z'],
  ['2027-03-25T14:00:00.000Z', '2027-03-25T15:00:00.000Z'],
  ['2027-03-28T00:00:00.000Z', '2027-03-28T23:00:00.000Z'],
  ['2027-03-31T08:00:00.000Z', '2027-03-31T09:00:00.000Z'],
  ['2027-04-07T08:00:00.000Z', '2027-04-07T09:00:00.000Z'],
];

describe('syncing a connected calendar', () => {
  it('stores what a reader of the Google calendar calls busy, raises the schedule version; a 304 keeps it', async () => {
    const t = await trainerIn('Europe/London');
    const id = await connect(t.id, `${FEED}google.ics`);
    const seen = serve((_url, headers) =>
      headers.get('If-None-Match') === '"v1"'
        ? new Response(null, { status: 304 })
        : icsResponse(fixture('google'), { ETag: '"v1"', 'Last-Modified': 'Mon, 01 Mar 2027 11:00:00 GMT' }),
    );
    const before = await versionOf(t.id);

    const first = await sync(t.token, id, minute(0));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id,
      status: 'synced',
      busy_count: 7,
      last_error: null,
      last_synced_at: minute(0),
    });
    expect(await busyRows(id)).toEqual(GOOGLE_BUSY);
    expect(await versionOf(t.id)).toBe((before ?? 0) + 1);
    expect(seen[0]?.url).toBe(`${FEED}google.ics`);
    expect(seen[0]?.headers.get('Accept')).toBe('text/calendar');
    expect(seen[0]?.headers.get('If-None-Match')).toBeNull();

    const again = await sync(t.token, id, minute(2));
    expect(again.body).toMatchObject({
      status: 'unchanged',
      busy_count: 7,
      last_error: null,
      last_synced_at: minute(2),
    });
    expect(seen[1]?.headers.get('If-None-Match')).toBe('"v1"');
    expect(seen[1]?.headers.get('If-Modified-Since')).toBe('Mon, 01 Mar 2027 11:00:00 GMT');
    expect(await busyRows(id)).toEqual(GOOGLE_BUSY);
    expect(await versionOf(t.id)).toBe((before ?? 0) + 1);
  });

  it('the same busy time again without validators rewrites nothing and keeps the schedule version; a change replaces it', async () => {
    const t = await trainerIn('America/New_York');
    const id = await connect(t.id, `${FEED}apple.ics`);
    let body = fixture('google');
    serve(() => icsResponse(body)); // no ETag, no Last-Modified: a 200 every time
    expect((await sync(t.token, id, minute(0))).body).toMatchObject({ status: 'synced' });
    const version = await versionOf(t.id);
    const rowIds = async () =>
      (await env.DB.prepare('SELECT id FROM calendar_busy WHERE connection_id = ? ORDER BY id').bind(id).all()).results;
    const ids = await rowIds();

    const same = await sync(t.token, id, minute(2));
    expect(same.body).toMatchObject({ status: 'unchanged', busy_count: 7, last_synced_at: minute(2) });
    expect(await rowIds()).toEqual(ids);
    expect(await versionOf(t.id)).toBe(version);

    body = fixture('apple');
    const changed = await sync(t.token, id, minute(4));
    expect(changed.body).toMatchObject({ status: 'synced', busy_count: 9 });
    expect(await versionOf(t.id)).toBe((version ?? 0) + 1);
    expect((await busyRows(id))[0]).toEqual(['2027-03-02T23:00:00.000Z', '2027-03-03T00:00:00.000Z']);
  });

  it('any failure keeps the busy time and says why; three in a row tell the trainer once; a success resets', async () => {
    const t = await trainerIn('Europe/London');
    const id = await connect(t.id, `${FEED}google.ics`);
    let mode = 'ok';
    const seen = serve((url, _headers, signal) => {
      if (url !== `${FEED}google.ics`) throw new Error(`fetched ${url}`);
      if (mode === 'ok') return icsResponse(fixture('google'));
      if (mode === 'huge') {
        // 6 MB streamed without a Content-Length: counted while it arrives
        const chunk = new TextEncoder().encode(`BEGIN:VCALENDAR\r\n${'X'.repeat(64 * 1024)}`);
        let sent = 0;
        const body = new ReadableStream({
          pull(controller) {
            if (sent >= 6 * 1024 * 1024) return controller.close();
            sent += chunk.byteLength;
            controller.enqueue(chunk);
          },
        });
        return new Response(body, { status: 200 });
      }
      if (mode === 'announced')
        return new Response('', { status: 200, headers: { 'Content-Length': String(6 * 1024 * 1024) } });
      if (mode === 'html') return new Response('<!doctype html><title>Sign in</title>', { status: 200 });
      if (mode === '404') return new Response('gone', { status: 404 });
      if (mode === 'redirect')
        return new Response(null, { status: 302, headers: { Location: 'https://127.0.0.1/feed.ics' } });
      // 'slow': answers only when the sync gives up
      return new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    });
    expect((await sync(t.token, id, minute(0))).body).toMatchObject({ status: 'synced', busy_count: 7 });

    const failures: [string, string][] = [
      ['404', 'The calendar answered 404 Not Found.'],
      ['html', 'The address did not return an iCalendar file.'],
      ['huge', 'The calendar is larger than 5 MB.'],
      ['announced', 'The calendar is larger than 5 MB.'],
      [
        'redirect',
        'The calendar redirected to an address that is not allowed: it must point at a public calendar host, not a local or private address.',
      ],
      ['slow', 'The calendar did not answer within 10 seconds.'],
    ];
    for (const [i, [m, error]] of failures.entries()) {
      mode = m;
      const res = await sync(t.token, id, minute(2 * (i + 1)));
      expect(res.status, m).toBe(200);
      expect(res.body, m).toMatchObject({ status: 'failed', last_error: error, busy_count: 7 });
      expect(await busyRows(id), m).toEqual(GOOGLE_BUSY);
      const row = await connection(id);
      expect(row?.consecutive_failures, m).toBe(i + 1);
      expect(row?.failing_since, m).toBe(minute(2));
      // exactly one message, from the third failure on
      expect((await failingMessages(t.id)).length, m).toBe(i + 1 >= 3 ? 1 : 0);
    }
    expect(seen.every((r) => r.url === `${FEED}google.ics`)).toBe(true);
    const [message] = await failingMessages(t.id);
    expect(message?.dedupe_key).toBe(`calendar:${id}:calendar_sync_failing:${minute(2)}`);
    expect(message?.subject).toBe('Calendar "My calendar" cannot be read');
    // written at the third failure, saying what it was
    expect(message?.message).toContain('The last attempt said: The calendar is larger than 5 MB.');

    mode = 'ok';
    // the same calendar as before the streak: nothing to rewrite, the streak is over
    expect((await sync(t.token, id, minute(20))).body).toMatchObject({ status: 'unchanged', last_error: null });
    expect(await connection(id)).toMatchObject({ consecutive_failures: 0, failing_since: null, last_error: null });

    // a new streak: one more message, keyed by when it began
    mode = '404';
    for (const n of [22, 24, 26, 28]) await sync(t.token, id, minute(n));
    const messages = await failingMessages(t.id);
    expect(messages.map((m) => m.dedupe_key)).toEqual([
      `calendar:${id}:calendar_sync_failing:${minute(2)}`,
      `calendar:${id}:calendar_sync_failing:${minute(22)}`,
    ]);
  });

  it('an address that no longer opens (sealed under another secret) is a failure with a sentence, not a 500', async () => {
    const t = await trainerIn('UTC');
    const id = await connect(t.id, `${FEED}x.ics`);
    await env.DB.prepare(`UPDATE calendar_connections SET url_ciphertext = 'AAAA.BBBB' WHERE id = ?`).bind(id).run();
    const seen = serve(() => icsResponse(fixture('google')));
    const res = await sync(t.token, id, minute(0));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'failed',
      last_error: 'The saved address can no longer be read; enter it again.',
    });
    expect(seen).toHaveLength(0);
  });
});

/** A calendar of one event, given as its content lines. */
const calendarOf = (...lines: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    'UID:one@example.test',
    'DTSTAMP:20261201T000000Z',
    ...lines,
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');

/** Every Monday 09:00–10:00 UTC from 1 March 2027, without end; ETag "v1", a 304 whenever the client sends it. */
function weeklyMondays() {
  const ics = calendarOf('DTSTART:20270301T090000Z', 'DTEND:20270301T100000Z', 'RRULE:FREQ=WEEKLY');
  return serve((_url, headers) =>
    headers.get('If-None-Match') === '"v1"' ? new Response(null, { status: 304 }) : icsResponse(ics, { ETag: '"v1"' }),
  );
}

/**
 * A profile change whose queued sync is lost (a queue that takes nothing): the next sync, the
 * cron's or a manual one, must still see that the stored rows no longer cover.
 */
async function profile(token: string, at: string, body: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const lost = { send: async () => {}, sendBatch: async () => {} };
  const res = await worker.fetch(
    new Request('http://example.com/api/users/profile/', {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${token}`, 'X-Test-Now': at, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
    { ...env, CALENDAR_QUEUE: lost } as unknown as Bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe('a 304 keeps the stored rows only while they cover the window a sync needs', () => {
  it('weeks later the calendar is fetched without validators, and the Mondays past the first window are busy', async () => {
    const t = await trainerIn('UTC', 30);
    const id = await connect(t.id, `${FEED}weekly.ics`);
    const seen = weeklyMondays();
    expect((await sync(t.token, id, minute(0))).body).toMatchObject({ status: 'synced' });
    // a day later the rows still reach a day past the horizon: the 304 keeps them
    expect((await sync(t.token, id, minute(24 * 60))).body).toMatchObject({ status: 'unchanged' });
    expect(seen[1]?.headers.get('If-None-Match')).toBe('"v1"');

    const later = minute(28 * 24 * 60); // 29 March: the horizon reaches 28 April
    expect((await sync(t.token, id, later)).body).toMatchObject({ status: 'synced', last_error: null });
    expect(seen[2]?.headers.get('If-None-Match')).toBeNull();
    expect(seen[2]?.headers.get('If-Modified-Since')).toBeNull();
    const rows = await busyRows(id);
    expect(rows).toContainEqual(['2027-04-19T09:00:00.000Z', '2027-04-19T10:00:00.000Z']);
    expect(rows).toContainEqual(['2027-04-26T09:00:00.000Z', '2027-04-26T10:00:00.000Z']);
    // and from then on the validators are sent again
    expect((await sync(t.token, id, addMinutes(later, 2))).body).toMatchObject({ status: 'unchanged' });
    expect(seen[3]?.headers.get('If-None-Match')).toBe('"v1"');
  });

  it('a change of the trainer’s zone or a longer horizon fetches the calendar again without validators', async () => {
    const t = await trainerIn('UTC', 30);
    const id = await connect(t.id, `${FEED}weekly.ics`);
    const seen = weeklyMondays();
    expect((await sync(t.token, id, minute(0))).body).toMatchObject({ status: 'synced' });

    expect((await profile(t.token, minute(1), { timezone: 'Europe/London' })).status).toBe(200);
    expect((await sync(t.token, id, minute(2))).status).toBe(200);
    expect(seen[1]?.headers.get('If-None-Match')).toBeNull();
    expect((await sync(t.token, id, minute(4))).status).toBe(200);
    expect(seen[2]?.headers.get('If-None-Match')).toBe('"v1"');

    expect((await profile(t.token, minute(5), { booking_horizon_days: 90 })).status).toBe(200);
    expect((await sync(t.token, id, minute(6))).body).toMatchObject({ status: 'synced' });
    expect(seen[3]?.headers.get('If-None-Match')).toBeNull();
    expect(await busyRows(id)).toContainEqual(['2027-05-24T09:00:00.000Z', '2027-05-24T10:00:00.000Z']);
  });
});

describe('an event running over the window’s start', () => {
  it('an ongoing ten-day trip, no validators, synced every 15 minutes: rewritten once, the schedule version kept', async () => {
    const t = await trainerIn('UTC', 30);
    const id = await connect(t.id, `${FEED}trip.ics`);
    // 24 February to 5 March inclusive, around 1 March (the day of minute(0))
    serve(() => icsResponse(calendarOf('DTSTART;VALUE=DATE:20270224', 'DTEND;VALUE=DATE:20270306')));
    expect((await sync(t.token, id, minute(0))).body).toMatchObject({ status: 'synced' });
    const version = await versionOf(t.id);
    const rows = await busyRows(id);
    for (const at of [minute(15), minute(30)]) {
      expect((await sync(t.token, id, at)).body, at).toMatchObject({ status: 'unchanged', last_synced_at: at });
      expect(await versionOf(t.id), at).toBe(version);
      expect(await busyRows(id), at).toEqual(rows);
    }
    // busy from the window's start (a day back, at midnight UTC) to the end of the trip
    expect(rows[0]?.[0]).toBe('2027-02-28T00:00:00.000Z');
    expect(rows.at(-1)?.[1]).toBe('2027-03-06T00:00:00.000Z');
  });
});

describe('a sync racing a change of address', () => {
  it('what the old address answered (404, 304) is not written onto the new address', async () => {
    const t = await trainerIn('UTC', 30);
    const first = await connect(t.id, `${FEED}old-404.ics`);
    const second = await connect(t.id, `${FEED}old-304.ics`);
    const ics = calendarOf('DTSTART:20270310T090000Z', 'DTEND:20270310T100000Z');
    let race: { at: string; id: number; to: string; answer: number } | null = null;
    serve(async (url, headers) => {
      if (race && url.includes('/old-')) {
        // the trainer re-points the connection while its old address is being read
        const { at, id, to, answer } = race;
        race = null;
        const patched = await api('PATCH', `/api/calendar/connections/${id}/`, {
          token: t.token,
          headers: { 'X-Test-Now': at },
          body: { ics_url: to },
        });
        expect(patched.status).toBe(200);
        return new Response(null, { status: answer });
      }
      if (headers.get('If-None-Match') === '"v1"') return new Response(null, { status: 304 });
      return icsResponse(ics, { ETag: url.includes('/old-') ? '"v1"' : '"new"' });
    });
    for (const id of [first, second])
      expect((await sync(t.token, id, minute(0))).body).toMatchObject({ status: 'synced' });

    race = { at: minute(2), id: first, to: `${FEED}new-404.ics`, answer: 404 };
    expect((await sync(t.token, first, minute(2))).body).toMatchObject({ status: 'skipped', last_error: null });
    expect(await connection(first)).toMatchObject({ last_error: null, consecutive_failures: 0, failing_since: null });

    race = { at: minute(4), id: second, to: `${FEED}new-304.ics`, answer: 304 };
    expect((await sync(t.token, second, minute(4))).body).toMatchObject({ status: 'skipped' });
    const row = await connection(second);
    // the old calendar's ETag would make the new one answer 304 to its first sync
    expect(row?.etag).not.toBe('"v1"');
    expect(row?.last_synced_at).not.toBe(minute(4));
  });
});

describe('a calendar with more busy time than is kept', () => {
  it('keeps the earliest MAX_BLOCKS blocks and says so (truncated); a normal calendar is not', async () => {
    const t = await trainerIn('UTC', 30);
    const id = await connect(t.id, `${FEED}busy.ics`);
    // two series of 30 seconds every other minute, a minute apart: 10,000 separate blocks in a week
    const series = (uid: string, start: string) => [
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20261201T000000Z',
      `DTSTART:${start}`,
      'DURATION:PT30S',
      'RRULE:FREQ=MINUTELY;INTERVAL=2',
      'END:VEVENT',
    ];
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      ...series('a', '20270301T000000Z'),
      ...series('b', '20270301T000100Z'),
      'END:VCALENDAR',
    ].join('\r\n');
    serve((url) => icsResponse(url.endsWith('busy.ics') ? ics : fixture('google')));
    expect((await sync(t.token, id, minute(0))).body).toMatchObject({
      status: 'synced',
      busy_count: MAX_BLOCKS,
      truncated: true,
    });
    const other = await connect(t.id, `${FEED}google.ics`);
    expect((await sync(t.token, other, minute(0))).body).toMatchObject({ busy_count: 7, truncated: false });
  });
});

describe('POST /api/calendar/connections/{id}/sync/', () => {
  it('at most once a minute per connection (429 with Retry-After, parallel requests included); 404 for another trainer’s or a missing one', async () => {
    const t = await trainerIn('Europe/London');
    const other = await trainerIn('Europe/London');
    const id = await connect(t.id, `${FEED}google.ics`);
    serve(() => icsResponse(fixture('google')));

    const both = await Promise.all([sync(t.token, id, minute(0)), sync(t.token, id, minute(0))]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 429]);
    const soon = await sync(t.token, id, minute(0.5));
    expect(soon.status).toBe(429);
    expect(soon.headers.get('Retry-After')).toBe('30');
    expect((await sync(t.token, id, minute(1))).status).toBe(200);

    expect((await sync(other.token, id, minute(5))).status).toBe(404);
    expect((await sync(t.token, 999_999_999, minute(5))).status).toBe(404);
    const off = await connect(t.id, `${FEED}off.ics`, { isActive: false });
    expect((await sync(t.token, off, minute(5))).status).toBe(409);
    const client = await api('POST', `/api/calendar/connections/${id}/sync/`, { headers: { 'X-Test-Now': minute(5) } });
    expect(client.status).toBe(401);
  });
});

// The parser Worker failing cannot be brought about from outside (the pool runs the real one), so
// these call the sync itself, over the real database, with a parser binding that rejects.
describe('when the calendar parser Worker fails', () => {
  const failing = (message: string): CalendarParser => ({ busy: () => Promise.reject(new Error(message)) });
  const deps = (parser: CalendarParser) => ({
    db: getDb(env.DB),
    now: minute(0),
    parser,
    fetcher: (async () => icsResponse(fixture('google'))) as unknown as typeof fetch,
  });
  const config = () => configOf(env as unknown as Bindings).calendar;

  it('unreachable: a 503 for us, nothing held against the calendar (no failure, no streak, no message), rows kept', async () => {
    const t = await trainerIn('Europe/London');
    const id = await connect(t.id, `${FEED}google.ics`);
    serve(() => icsResponse(fixture('google')));
    expect((await sync(t.token, id, minute(-5))).body.busy_count).toBe(GOOGLE_BUSY.length);
    const before = await connection(id);
    const err = await syncConnection(deps(failing('Network connection lost.')), config(), id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, detail: PARSER_UNAVAILABLE });
    expect(await connection(id)).toEqual(before);
    expect(await busyRows(id)).toEqual(GOOGLE_BUSY);
    expect(await failingMessages(t.id)).toEqual([]);
  });

  it('out of memory or CPU on this file: recorded as an unreadable file, the rows kept', async () => {
    const t = await trainerIn('Europe/London');
    const id = await connect(t.id, `${FEED}google.ics`);
    const outcome = await syncConnection(deps(failing('Worker exceeded memory limit.')), config(), id);
    expect(outcome).toMatchObject({ status: 'failed', error: MALFORMED_CALENDAR });
    expect(await connection(id)).toMatchObject({ last_error: MALFORMED_CALENDAR, consecutive_failures: 1 });
  });
});

describe('the 15-minute cron and the calendar queue', () => {
  it('queues exactly the active connections due (never tried, or 14 minutes ago), claiming them', async () => {
    const t = await trainerIn('UTC');
    const at = Date.parse('2031-05-05T10:00:00.000Z'); // later than any other test's attempts
    const iso = (minutesBefore: number) => new Date(at - minutesBefore * 60_000).toISOString();
    const never = await connect(t.id, `${FEED}a.ics`);
    const old = await connect(t.id, `${FEED}b.ics`, { lastAttemptAt: iso(14) });
    const recent = await connect(t.id, `${FEED}c.ics`, { lastAttemptAt: iso(5) });
    const off = await connect(t.id, `${FEED}d.ics`, { isActive: false });

    const sent: number[] = [];
    const sendBatch: Queue['sendBatch'] = async (messages) => {
      for (const m of messages) sent.push((m.body as { connectionId: number }).connectionId);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as unknown as QueueSendBatchResponse;
    };
    const queue = intercept(env.CALENDAR_QUEUE, { sendBatch });
    const tick = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(
        createScheduledController({ scheduledTime: at, cron: '*/15 * * * *' }),
        { ...env, CALENDAR_QUEUE: queue },
        ctx,
      );
      await waitOnExecutionContext(ctx);
    };
    await tick();
    expect(sent).toContain(never);
    expect(sent).toContain(old);
    expect(sent).not.toContain(recent);
    expect(sent).not.toContain(off);
    const claimed = await env.DB.prepare('SELECT last_attempt_at AS at FROM calendar_connections WHERE id = ?')
      .bind(never)
      .first<{ at: string }>();
    expect(claimed?.at).toBe(new Date(at).toISOString());

    // the same tick again (an overlapping run): nothing of these is due any more
    sent.length = 0;
    await tick();
    expect(sent.filter((x) => [never, old, recent, off].includes(x))).toEqual([]);
  });

  it('queues every due connection when there are more than one claim holds (2,500: three claims), each once', async () => {
    const t = await trainerIn('UTC');
    const at = Date.parse('2031-06-05T10:00:00.000Z');
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
       INSERT INTO calendar_connections (trainer_id, name, url_ciphertext, url_hint, url_hash)
       SELECT ?, 'Bulk ' || i, 'x.y', 'calendar.example.test …' || i, 'bulk-' || i FROM n`,
    )
      .bind(t.id)
      .run();
    const mine = (
      await env.DB.prepare("SELECT id FROM calendar_connections WHERE name LIKE 'Bulk %' AND trainer_id = ?")
        .bind(t.id)
        .all<{ id: number }>()
    ).results.map((r) => r.id);
    expect(mine).toHaveLength(2500);

    const sent: number[] = [];
    const sendBatch: Queue['sendBatch'] = async (messages) => {
      expect([...messages].length).toBeLessThanOrEqual(100);
      for (const m of messages) sent.push((m.body as { connectionId: number }).connectionId);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as unknown as QueueSendBatchResponse;
    };
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: at, cron: '*/15 * * * *' }),
      { ...env, CALENDAR_QUEUE: intercept(env.CALENDAR_QUEUE, { sendBatch }) },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const queuedMine = sent.filter((id) => mine.includes(id));
    expect(queuedMine).toHaveLength(2500);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('the consumer syncs each connection of the batch and acknowledges each, a failing or vanished one too', async () => {
    const t = await trainerIn('UTC', 30, new Date().toISOString());
    const id = await connect(t.id, `${FEED}soon.ics`);
    // an event two days from the real now: the consumer reads the time it received the batch
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      'UID:soon@example.test',
      'DTSTAMP:20261201T000000Z',
      `DTSTART:${day}T100000Z`,
      `DTEND:${day}T113000Z`,
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    serve(() => icsResponse(ics));
    // beside it, a connection whose address no longer opens and one deleted since it was queued
    const broken = await connect(t.id, `${FEED}broken.ics`);
    await env.DB.prepare(`UPDATE calendar_connections SET url_ciphertext = 'AAAA.BBBB' WHERE id = ?`)
      .bind(broken)
      .run();
    const messageIds = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const batch = createMessageBatch(
      'trainerhub-calendar-sync',
      [id, broken, 999_999_999].map((connectionId, i) => ({
        id: messageIds[i] as string,
        timestamp: new Date(),
        attempts: 1,
        body: { connectionId },
      })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, env);
    const result = await getQueueResult(batch, ctx);
    expect([...result.explicitAcks].sort()).toEqual([...messageIds].sort());
    expect(result.retryMessages).toEqual([]);
    expect(await connection(broken)).toMatchObject({
      last_error: 'The saved address can no longer be read; enter it again.',
      consecutive_failures: 1,
    });
    const y = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`;
    expect(await busyRows(id)).toEqual([[`${y}T10:00:00.000Z`, `${y}T11:30:00.000Z`]]);
    expect(await connection(id)).toMatchObject({ busy_count: 1, last_error: null });
  });
});
