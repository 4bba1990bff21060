// A booking cannot be marked completed before it starts, like a no-show: the trainer API, the
// admin API and the console all answer 409 not_started (the start is checked in the guarded
// UPDATE), the console does not offer it, and nothing (status, credit, audit) changes.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { auditRows, page, registerStaff, signInConsole } from './admin-helpers';
import {
  api,
  at,
  type BookingBody,
  book,
  bookingAction,
  confirmedBooking,
  futureDay,
  nowPlus,
  openapiDocument,
  type ProblemBody,
  packCredits,
  packOf,
  setupTrainer,
  uniqueEmail,
} from './helpers';

type Trainer = Awaited<ReturnType<typeof setupTrainer>>;

const HOUR = 3600_000;

const post = bookingAction;

const rowOf = (id: number) =>
  env.DB.prepare('SELECT status, sequence, updated_at FROM bookings WHERE id = ?').bind(id).first();

/** A confirmed booking of the trainer's client at `start`. */
const confirmedAt = (t: Trainer, start: string, extra: Record<string, unknown> = {}) =>
  confirmedBooking(t, { start_time: start, allow_outside_availability: true, ...extra });

/** The instant `hours` from now, on the minute, as ISO. */
const inHours = (hours: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + hours * HOUR).toISOString();

describe('mark_completed waits for the start', () => {
  it('the trainer API answers 409 not_started before the start, spends nothing, and completes from the start on', async () => {
    const t = await setupTrainer();
    const pkgId = await packOf(t, 2);
    const b = await confirmedAt(t, at(futureDay(4).date, '09:00'), { client_package: pkgId });
    const before = await rowOf(b.id);
    for (const headers of [{}, nowPlus(b.start_time, -0.01)]) {
      const early = await post(t, b.id, 'mark_completed', headers);
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('not_started');
      expect(early.body.detail).toBe(
        `This booking starts at ${b.start_time}; it can be completed only once it has started.`,
      );
    }
    expect(await rowOf(b.id)).toEqual(before);
    expect(await packCredits(t, pkgId)).toMatchObject({ sessions_remaining: 2, sessions_reserved: 1 });

    // From the start itself on; the credit is spent then.
    const done = await post(t, b.id, 'mark_completed', nowPlus(b.start_time, 0));
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.status).toBe('completed');
    expect(await packCredits(t, pkgId)).toMatchObject({ sessions_remaining: 1, sessions_reserved: 0 });

    // The status is still checked first: a pending future booking is invalid_transition.
    const pending = await book(t.token, { client: t.client.id, start_time: at(futureDay(4).date, '11:00') });
    const refused = await post(t, pending.body.id, 'mark_completed');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_transition');
  });

  it('a place in a class is completed only once the class has started', async () => {
    const t = await setupTrainer({ settings: { auto_confirm: true } });
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Group HIIT', duration_minutes: 60, capacity: 4 },
    });
    expect(service.status).toBe(201);
    const scheduled = await api<{ occurrences: { class_session: number | null }[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: service.body.id, start_time: at(futureDay(5).date, '10:00') },
    });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(201);
    const place = await api<BookingBody>('POST', '/api/bookings/', {
      token: t.token,
      body: { client: t.client.id, class_session: scheduled.body.occurrences[0]?.class_session },
    });
    expect(place.status, JSON.stringify(place.body)).toBe(201);
    if (place.body.status === 'pending') await post(t, place.body.id, 'confirm');

    const early = await post(t, place.body.id, 'mark_completed');
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('not_started');
    expect((await rowOf(place.body.id))?.status).toBe('confirmed');
    const done = await post(t, place.body.id, 'mark_completed', nowPlus(place.body.start_time, 1));
    expect(done.body.status).toBe('completed');
  });

  it('the admin API answers the same 409 before the start and writes no audit row', async () => {
    const staff = await registerStaff(uniqueEmail('staff'));
    const t = await setupTrainer();
    const b = await confirmedAt(t, at(futureDay(6).date, '09:00'));
    const patch = (headers: Record<string, string> = {}) =>
      api<{ record: { status: string } } & ProblemBody>('PATCH', `/api/admin/bookings/${b.id}/`, {
        token: staff.token,
        body: { status: 'completed' },
        headers,
      });
    const early = await patch();
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('not_started');
    expect(early.body.detail).toContain('completed only once it has started');
    expect((await rowOf(b.id))?.status).toBe('confirmed');
    expect((await auditRows('bookings', b.id)).filter((r) => r.action !== 'update')).toEqual([]);

    const done = await patch(nowPlus(b.start_time, 2));
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.record.status).toBe('completed');
    const audits = (await auditRows('bookings', b.id)).map((r) => [r.action, JSON.parse(r.changes)]);
    expect(audits).toEqual([['mark_completed', { status: { before: 'confirmed', after: 'completed' } }]]);
  });

  it('the console offers "Mark completed" only once the booking has started, and refuses it before', async () => {
    const staff = await registerStaff(uniqueEmail('staff'));
    const { cookie, csrf } = await signInConsole(staff.email);
    const t = await setupTrainer();
    const b = await confirmedAt(t, inHours(2));
    const path = `/admin/bookings/${b.id}`;

    const before = await page('GET', `${path}/`, { cookie });
    expect(before.status).toBe(200);
    expect(before.text).not.toContain('value="mark_completed"');
    expect(before.text).not.toContain('value="mark_no_show"');
    expect(before.text).toContain('It can be marked completed or as a no-show once it has started.');
    const refused = await page('POST', `${path}/status`, {
      cookie,
      form: { csrf, transition: 'mark_completed', confirm: 'yes' },
    });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('it can be completed only once it has started');
    expect((await rowOf(b.id))?.status).toBe('confirmed');
    expect(await auditRows('bookings', b.id)).toEqual([]);

    const started = nowPlus(b.start_time, 0.5);
    const after = await page('GET', `${path}/`, { cookie, headers: started });
    expect(after.text).toContain('value="mark_completed"');
    expect(after.text).toContain('value="mark_no_show"');
    expect(after.text).not.toContain('once it has started');
  });

  it('the API document says so', () => {
    type Doc = { paths: Record<string, Record<string, { summary?: string; description?: string }>> };
    const route = openapiDocument<Doc>().paths['/api/bookings/{id}/mark_completed']?.post;
    expect(route?.summary).toContain('once the start has passed');
    expect(route?.description).toContain('not_started');
  });
});
