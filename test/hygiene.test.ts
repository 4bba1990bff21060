// Input hygiene (issue 16): long text never reaches a LIKE pattern, control characters never
// reach a single-line field, an .ics line or an email subject.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { icalCalendar } from '../src/lib/ical';
import { registerAs, registerStaff } from './admin-helpers';
import { api, at, book, futureDay, type ProblemBody, setupTrainer, uniqueEmail } from './helpers';

type Page = { count: number; results: { id: number }[] };
type Registered = { user: { trainer: { slug: string } } };

const SLUG_MAX = 48;
const register = (business_name: string) =>
  api<Registered & ProblemBody>('POST', '/api/users/register/', {
    body: {
      email: uniqueEmail('long'),
      password: 'correct-horse-42',
      password_confirm: 'correct-horse-42',
      business_name,
    },
  });
/** The slug of a name without any length limit. */
const fullSlug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** A unique text of exactly `n` characters. */
const textOf = (n: number, tag = crypto.randomUUID().replace(/-/g, '')) => `${tag}${'x'.repeat(n)}`.slice(0, n);
const longEmail = (needle: string) => `${needle}@example.com`;
const hasControl = (s: string) => [...s].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f');

describe('long text never reaches a LIKE pattern', () => {
  it('registers a 52-character business name and a 200-character one, slugs cut at a word boundary and unique', async () => {
    const long = 'Alexandra Johnson Personal Training and Nutrition Co';
    const longer = `${'Strength and Conditioning Studio '.repeat(7)}North`.slice(0, 200);
    expect(long).toHaveLength(52);
    expect(longer).toHaveLength(200);
    for (const name of [long, longer]) {
      const first = await register(name);
      const second = await register(name);
      expect([first.status, second.status]).toEqual([201, 201]);
      const [a, b] = [first.body.user.trainer.slug, second.body.user.trainer.slug];
      expect(a.length).toBeLessThanOrEqual(SLUG_MAX);
      expect(a).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      const full = fullSlug(name);
      expect(full.startsWith(a)).toBe(true);
      expect(['-', undefined]).toContain(full[a.length]); // a whole word, never half of one
      expect(b).not.toBe(a);
      expect(b.startsWith(a)).toBe(true);
    }
  });

  it('a 200-character search and 25 × % answer 200 on every list, finding the row that holds the text', async () => {
    const t = await setupTrainer();
    const staff = await registerStaff(uniqueEmail('staff'));
    const needle = textOf(200);
    const user = await registerAs(longEmail(needle), { is_client: true });
    const client = await api<{ id: number }>('POST', '/api/clients/', {
      token: t.token,
      body: { email: longEmail(needle), first_name: 'Long', last_name: 'Mail' },
    });
    expect(client.status).toBe(201);
    const booking = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(4).date, '10:00'),
      notes: `Before ${needle.toUpperCase()} after.`,
    });
    expect(booking.status).toBe(201);
    const lists: [string, string, string, number][] = [
      ['/api/clients/', t.token, needle, client.body.id],
      ['/api/bookings/', t.token, needle, booking.body.id],
      ['/api/admin/users/', staff.token, needle, user.userId],
      ['/api/admin/bookings/', staff.token, needle, booking.body.id],
    ];
    for (const [path, token, search, id] of lists) {
      expect(search).toHaveLength(200);
      const found = await api<Page>('GET', `${path}?search=${encodeURIComponent(search)}`, { token });
      expect([path, found.status]).toEqual([path, 200]);
      expect([path, found.body.results.map((r) => r.id)]).toEqual([path, [id]]);
      const long = await api<Page>('GET', `${path}?search=${encodeURIComponent(textOf(200))}`, { token });
      expect([path, long.status, long.body.count]).toEqual([path, 200, 0]);
      const percent = await api<Page>('GET', `${path}?search=${encodeURIComponent('%'.repeat(25))}`, { token });
      expect([path, percent.status, percent.body.count]).toEqual([path, 200, 0]); // % is taken literally
    }
  });
});

describe('date bounds at the ends of the calendar', () => {
  it('a range through 9999-12-31 or from 0001-01-01 finds every booking: lists, statistics and the staff list', async () => {
    // West of UTC the end of 9999-12-31 is an instant of year 10000, whose ISO text ("+010000-…")
    // sorted before every stored time; east of UTC the start of 0001-01-01 is an instant of year 0.
    for (const timezone of ['America/New_York', 'Asia/Tokyo']) {
      const t = await setupTrainer({ settings: { timezone } });
      const staff = await registerStaff(uniqueEmail('staff'));
      const ids: number[] = [];
      for (const days of [2, 3]) {
        const made = await book(t.token, { client: t.client.id, start_time: at(futureDay(days).date, '10:00') });
        expect(made.status).toBe(201);
        ids.push(made.body.id);
      }
      const lists: [string, string][] = [
        ['/api/bookings/?to=9999-12-31', t.token],
        ['/api/bookings/?from=0001-01-01&to=9999-12-31', t.token],
        ['/api/bookings/upcoming/?to=9999-12-31', t.token],
        ['/api/bookings/?to=9999-12-31&cursor=', t.token],
        [`/api/admin/bookings/?trainer=${t.user.trainer.id}&start_to=9999-12-31`, staff.token],
        [`/api/admin/bookings/?trainer=${t.user.trainer.id}&created_to=9999-12-31`, staff.token],
      ];
      for (const [path, token] of lists) {
        const page = await api<Page>('GET', path, { token });
        expect([timezone, path, page.status, page.body.results.map((r) => r.id).sort()]).toEqual([
          timezone,
          path,
          200,
          [...ids].sort(),
        ]);
      }
      // Nothing is stored past it: a booking ending in December 9999 or later is refused.
      const edge = await book(t.token, {
        client: t.client.id,
        start_time: '9999-12-31T10:00:00.000Z',
        allow_outside_availability: true,
      });
      // The end follows from the start (the service's length): the start, the field sent, is named.
      expect([edge.status, edge.body.errors]).toEqual([
        400,
        { start_time: ['A booking must end before December 9999.'] },
      ]);
      const sentEnd = await book(t.token, {
        client: t.client.id,
        start_time: '9999-11-30T10:00:00.000Z',
        end_time: '9999-12-01T10:00:00.000Z',
        allow_outside_availability: true,
      });
      expect(sentEnd.body.errors?.end_time).toContain('A booking lasts at most 12 hours.');
      const lateEnd = await book(t.token, {
        client: t.client.id,
        start_time: '9999-11-30T20:00:00.000Z',
        end_time: '9999-12-01T02:00:00.000Z',
        allow_outside_availability: true,
      });
      expect([lateEnd.status, lateEnd.body.errors]).toEqual([
        400,
        { end_time: ['A booking must end before December 9999.'] },
      ]);
      for (const range of ['to=9999-12-31', 'from=0001-01-01&to=9999-12-31']) {
        const stats = await api<{ total: number }>('GET', `/api/analytics/bookings-stats/?${range}`, {
          token: t.token,
        });
        expect([timezone, range, stats.status, stats.body.total]).toEqual([timezone, range, 200, 2]);
      }
    }
  });

  it('a revenue period at either end of the calendar has all its buckets, or a 400 when it leaves the years 0000 to 9999', async () => {
    const t = await setupTrainer({ settings: { timezone: 'America/New_York' } });
    const report = (q: string) =>
      api<{ start_date: string; end_date: string; series: { date: string }[] }>('GET', `/api/analytics/revenue/?${q}`, {
        token: t.token,
      });
    const year = await report('period=year&date=9999-06-01');
    expect([year.status, year.body.end_date, year.body.series.map((s) => s.date)]).toEqual([
      200,
      '9999-12-31',
      Array.from({ length: 12 }, (_, i) => `9999-${String(i + 1).padStart(2, '0')}`),
    ]);
    const month = await report('period=month&date=9999-12-15');
    expect([month.status, month.body.series.length, month.body.series.at(-1)?.date]).toEqual([200, 31, '9999-12-31']);
    const first = await report('period=year&date=0000-03-01');
    expect([first.status, first.body.start_date, first.body.series.length]).toEqual([200, '0000-01-01', 12]);
    // 9999-12-30 is a Thursday: its ISO week ends on 10000-01-02. 0000-01-01 is a Saturday.
    for (const date of ['9999-12-30', '0000-01-01']) {
      const week = await report(`period=week&date=${date}`);
      expect([date, week.status, Object.keys((week.body as unknown as { errors: object }).errors)]).toEqual([
        date,
        400,
        ['date'],
      ]);
    }
  });
});

/** Each line of an .ics as bytes, split at CRLF; a CR or LF anywhere else fails. */
function icsLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 13) {
      expect(bytes[i + 1]).toBe(10);
      lines.push(bytes.subarray(start, i));
      start = i + 2;
      i++;
    } else expect(bytes[i]).not.toBe(10);
  }
  expect(start).toBe(bytes.length); // the last line ends with CRLF too
  return lines;
}

describe('control characters', () => {
  it('a business name with a bare CR and a public booking with CR/LF in first_name are 400 naming the field', async () => {
    const reg = await register('Gym\rATTENDEE:mailto:x@example.com');
    expect(reg.status).toBe(400);
    expect(Object.keys(reg.body.errors ?? {})).toEqual(['business_name']);
    const t = await setupTrainer();
    const patched = await api<ProblemBody>('PATCH', '/api/users/profile/', {
      token: t.token,
      body: { business_name: 'Gym\rDESCRIPTION:owned', last_name: 'Tab\there', slug: 'my-gym\n' },
    });
    expect(patched.status).toBe(400);
    expect(Object.keys(patched.body.errors ?? {}).sort()).toEqual(['business_name', 'last_name', 'slug']);
    const booked = await api<ProblemBody>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      headers: { 'CF-Connecting-IP': '203.0.113.160' },
      body: {
        start_time: at(futureDay(5).date, '10:00'),
        first_name: 'Eve\r\nBcc: victim@example.com',
        last_name: 'Visitor',
        email: uniqueEmail('visitor'),
        notes: 'bell \u0007',
      },
    });
    expect(booked.status).toBe(400);
    expect(Object.keys(booked.body.errors ?? {}).sort()).toEqual(['first_name', 'notes']);
    expect(booked.body.errors?.first_name?.[0]).toMatch(/single line/);
    const searched = await api<ProblemBody>('GET', `/api/clients/?search=${encodeURIComponent('a\nb')}`, {
      token: t.token,
    });
    expect([searched.status, Object.keys(searched.body.errors ?? {})]).toEqual([400, ['search']]);
  });

  it('direction overrides and isolates are refused as control characters; right-to-left text and its marks are kept', async () => {
    const t = await setupTrainer();
    const refused = await api<ProblemBody>('POST', '/api/clients/', {
      token: t.token,
      body: { email: uniqueEmail('rlo'), first_name: 'a\u202Eb', last_name: 'x\u2066y\u2069', notes: 'n\u202Dn' },
    });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body.errors ?? {}).sort()).toEqual(['first_name', 'last_name', 'notes']);
    const booked = await api<ProblemBody>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      headers: { 'CF-Connecting-IP': '203.0.113.162' },
      body: {
        start_time: at(futureDay(5).date, '11:00'),
        first_name: '\u202Bevil',
        last_name: 'Visitor',
        email: uniqueEmail('visitor'),
      },
    });
    expect([booked.status, Object.keys(booked.body.errors ?? {})]).toEqual([400, ['first_name']]);
    const kept = await api<{ first_name: string; last_name: string }>('POST', '/api/clients/', {
      token: t.token,
      body: { email: uniqueEmail('rtl'), first_name: 'محمد', last_name: 'עברית\u200F-ابن' },
    });
    expect(kept.status).toBe(201);
    expect([kept.body.first_name, kept.body.last_name]).toEqual(['محمد', 'עברית\u200F-ابن']);
  });

  it('notes keep their newlines, normalised to LF', async () => {
    const t = await setupTrainer();
    const booked = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      headers: { 'CF-Connecting-IP': '203.0.113.161' },
      body: {
        start_time: at(futureDay(6).date, '10:00'),
        first_name: 'Vera',
        last_name: 'Visitor',
        email: uniqueEmail('visitor'),
        notes: 'one\r\ntwo\rthree\n\tfour',
      },
    });
    expect(booked.status).toBe(201);
    const list = await api<{ results: { notes: string }[] }>('GET', '/api/bookings/', { token: t.token });
    expect(list.body.results.map((b) => b.notes)).toEqual(['one\ntwo\nthree\n\tfour']);
    const client = await api<{ notes: string }>('PATCH', `/api/clients/${t.client.id}/`, {
      token: t.token,
      body: { notes: 'a\r\nb\rc' },
    });
    expect([client.status, client.body.notes]).toEqual([200, 'a\nb\nc']);
  });

  it('a CR stored before the fix never injects an .ics property; every line is folded at 75 octets', async () => {
    const t = await setupTrainer();
    const booked = await api<{ manage_url: string }>('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      headers: { 'CF-Connecting-IP': '203.0.113.162' },
      body: { start_time: at(futureDay(7).date, '10:00'), first_name: 'V', last_name: 'V', email: uniqueEmail('v') },
    });
    expect(booked.status).toBe(201);
    const legacy = `Zürich Gym\rATTENDEE:mailto:x@example.com\r\nDESCRIPTION:owned\n;,\\ ${'Ünïcödé '.repeat(12)}End`;
    await env.DB.prepare('UPDATE trainers SET business_name = ? WHERE id = ?').bind(legacy, t.user.trainer.id).run();
    const token = booked.body.manage_url.split('/').pop() as string;
    const res = await exports.default.fetch(new Request(`http://example.com/api/public/bookings/${token}/ics`));
    expect(res.status).toBe(200);
    const lines = icsLines(new Uint8Array(await res.arrayBuffer()));
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    const text = lines.map((l) => {
      expect(l.length).toBeLessThanOrEqual(75);
      return strict.decode(l); // throws on a UTF-8 sequence split between two lines
    });
    const unfolded = text.join('\r\n').replace(/\r\n /g, '').split('\r\n');
    expect(unfolded.map((l) => l.split(/[:;]/)[0])).toEqual([
      'BEGIN',
      'VERSION',
      'PRODID',
      'CALSCALE',
      'METHOD',
      'BEGIN',
      'UID',
      // issue 17 item 7 adds SEQUENCE, DESCRIPTION, URL and ORGANIZER (its CN quoted, controls dropped)
      'SEQUENCE',
      'DTSTAMP',
      'DTSTART',
      'DTEND',
      'SUMMARY',
      'DESCRIPTION',
      'URL',
      'ORGANIZER',
      'STATUS',
      'END',
      'END',
    ]);
    const summary = unfolded.find((l) => l.startsWith('SUMMARY:')) as string;
    expect(summary).toBe(
      `SUMMARY:60-minute session with Zürich Gym\\nATTENDEE:mailto:x@example.com\\nDESCRIPTION:owned\\n\\;\\,\\\\ ${'Ünïcödé '.repeat(12)}End`,
    );
  });

  it('a CR/LF stored in a client name before the fix never reaches an email subject', async () => {
    const t = await setupTrainer();
    const booked = await book(t.token, { client: t.client.id, start_time: at(futureDay(8).date, '10:00') });
    expect(booked.status).toBe(201);
    await env.DB.prepare('UPDATE clients SET first_name = ?, last_name = ? WHERE id = ?')
      .bind('Eve\r\nBcc: victim@example.com\r\n', 'Tab\tVisitor\u0000', t.client.id)
      .run();
    const row = await env.DB.prepare(
      `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message)
       VALUES (?, ?, 'booking_requested', 'email', ?, ?, '') RETURNING id`,
    )
      .bind(t.user.trainer.id, booked.body.id, t.email, `test:${crypto.randomUUID()}`)
      .first<{ id: number }>();
    const batch = createMessageBatch('trainerhub-notifications', [
      { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: { ids: [row?.id as number] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<{ ids: number[] }>, env);
    await getQueueResult(batch, ctx);
    const sent = await env.DB.prepare('SELECT status, subject FROM notifications WHERE id = ?')
      .bind(row?.id as number)
      .first<{ status: string; subject: string }>();
    expect(sent?.status).toBe('sent');
    expect(sent?.subject).toMatch(/^New booking request: Eve Bcc: victim@example\.com Tab Visitor, /);
    expect(hasControl(sent?.subject ?? '')).toBe(false);
  });
});

describe('iCalendar text (lib/ical.ts)', () => {
  // The lines of SUMMARY in a one-event calendar built by the library.
  const summaryLines = (summary: string) => {
    const text = icalCalendar({
      prodId: '-//Test//EN',
      events: [
        {
          uid: 'u@x',
          sequence: 0,
          stamp: '2026-01-01T00:00:00.000Z',
          start: '2026-01-01T10:00:00.000Z',
          end: '2026-01-01T11:00:00.000Z',
          summary,
          status: 'CONFIRMED',
        },
      ],
    });
    const lines = text.split('\r\n');
    const first = lines.findIndex((l) => l.startsWith('SUMMARY:'));
    const end = lines.findIndex((l, i) => i > first && !l.startsWith(' '));
    return lines.slice(first, end);
  };

  it('folds at 75 octets without splitting a UTF-8 sequence, and escapes every TEXT special', () => {
    const octets = (l: string) => new TextEncoder().encode(l).length;
    const folded = summaryLines(`${'x'.repeat(66)}é${'€'.repeat(40)}`);
    expect(folded.map(octets)).toEqual([74, 75, 49]); // é (2 octets) would make the first 76
    expect(folded.slice(1).every((l) => l.startsWith(' '))).toBe(true);
    expect(summaryLines('A'.repeat(66))).toEqual([`SUMMARY:${'A'.repeat(66)}`]);
    expect(summaryLines('a\\b;c,d\r\ne\rf\ng\th\u0000i')).toEqual(['SUMMARY:a\\\\b\\;c\\,d\\ne\\nf\\ng\th i']);
  });
});
