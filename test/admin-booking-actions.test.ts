// Staff changing a booking in the console: only allowed transitions, a cancel with a reason and a
// confirmation page, a move typed in the trainer's zone, notes alone; each audited in its batch.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { auditRows, page, registerStaff, signInConsole } from './admin-helpers';
import { api, book, createClient, futureDay, type ProblemBody, setupTrainer, uniqueEmail } from './helpers';

const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`)
    .exec(html)?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&') ?? '';

/** The cancel form as its confirmation page posts it back: the reason and the facts shown. */
const confirmedCancel = (csrf: string, reviewed: string) => ({
  csrf,
  transition: 'cancel',
  cancellation_reason: hidden(reviewed, 'cancellation_reason'),
  facts: hidden(reviewed, 'facts'),
  confirm: 'yes',
});

/** A staff user signed in to the console (password and code): its cookie and CSRF token, and an API token. */
async function staffConsole() {
  const staff = await registerStaff(uniqueEmail('staff'));
  const { cookie, csrf } = await signInConsole(staff.email);
  return { cookie, csrf, token: staff.token };
}

const bookingRow = (id: number) =>
  env.DB.prepare(
    'SELECT status, start_time, end_time, notes, cancellation_reason, late_cancellation, updated_at FROM bookings WHERE id = ?',
  )
    .bind(id)
    .first<Record<string, unknown>>();

/** The instant `hours` from now, on the minute, as ISO. */
const inHours = (hours: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + hours * 3600_000).toISOString();

/** The last Sunday of a month (1-based) of a year, as YYYY-MM-DD: Europe's clock changes. */
function lastSunday(year: number, month: number): string {
  const d = new Date(Date.UTC(year, month, 0));
  d.setUTCDate(d.getUTCDate() - d.getUTCDay());
  return d.toISOString().slice(0, 10);
}

describe('staff change bookings safely', () => {
  it('offers only the transitions a booking allows; any other is refused with 409 and changes nothing', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const booked = await book(t.token, { client: t.client.id, start_time: inHours(30) });
    expect(booked.status).toBe(201);
    const id = booked.body.id as number;
    const path = `/admin/bookings/${id}`;

    const pending = await page('GET', `${path}/`, { cookie: s.cookie });
    expect(pending.status).toBe(200);
    expect(pending.text).toContain('name="transition" value="confirm"');
    expect(pending.text).toContain('name="transition" value="cancel"');
    for (const never of ['value="mark_completed"', 'value="mark_no_show"', 'value="completed"', 'value="no_show"']) {
      expect(pending.text).not.toContain(never);
    }
    expect(pending.text).not.toContain('Save changes');

    const before = await bookingRow(id);
    const attempts: Record<string, string>[] = [
      { transition: 'mark_completed' },
      { transition: 'mark_no_show', confirm: 'yes' },
    ];
    for (const form of attempts) {
      const refused = await page('POST', `${path}/status`, { cookie: s.cookie, form: { csrf: s.csrf, ...form } });
      expect(refused.status, JSON.stringify(form)).toBe(409);
      expect(refused.text).toContain('cannot become');
    }
    expect(await bookingRow(id)).toEqual(before);
    expect(await auditRows('bookings', id)).toEqual([]);

    // Every action needs the console's CSRF token and a staff session.
    const forged = { transition: 'cancel', cancellation_reason: 'x', confirm: 'yes', notes: 'x' };
    for (const action of ['status', 'time', 'notes']) {
      const noToken = await page('POST', `${path}/${action}`, { cookie: s.cookie, form: forged });
      expect(noToken.status, action).toBe(403);
      const signedOut = await page('POST', `${path}/${action}`, { form: { ...forged, csrf: s.csrf } });
      expect(signedOut.status, action).toBe(303);
      expect(signedOut.headers.get('Location')).toBe('/admin/login');
    }
    expect(await bookingRow(id)).toEqual(before);

    // Confirm through its confirmation page: the client's confirmation is said, then made.
    const review = await page('POST', `${path}/status`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, transition: 'confirm' },
    });
    expect(review.status).toBe(200);
    expect(review.text).toContain('Nothing has changed yet');
    expect(review.text).toContain(`An email confirming it to Casey Client (the client): ${t.client.email}`);
    expect((await bookingRow(id))?.status).toBe('pending');
    const done = await page('POST', `${path}/status`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, transition: 'confirm', confirm: 'yes', facts: hidden(review.text, 'facts') },
    });
    expect(done.status).toBe(303);
    expect((await bookingRow(id))?.status).toBe('confirmed');

    const confirmed = await page('GET', `${path}/`, { cookie: s.cookie });
    // Not started yet: neither completed nor a no-show is offered (test/mark-completed.test.ts).
    expect(confirmed.text).not.toContain('value="mark_completed"');
    expect(confirmed.text).toContain('value="cancel"');
    expect(confirmed.text).not.toContain('name="transition" value="confirm"');
    expect(confirmed.text).not.toContain('value="mark_no_show"'); // not started yet

    // The JSON API: a cancel needs its reason (400 naming it); an invalid transition is 409.
    const noReason = await api<ProblemBody>('PATCH', `/api/admin/bookings/${id}/`, {
      token: s.token,
      body: { status: 'cancelled' },
    });
    expect(noReason.status).toBe(400);
    expect(Object.keys(noReason.body.errors ?? {})).toEqual(['cancellation_reason']);
    const after = await bookingRow(id);
    expect(after?.status).toBe('confirmed');
    const cancelled = await api('PATCH', `/api/admin/bookings/${id}/`, {
      token: s.token,
      body: { status: 'cancelled', cancellation_reason: 'Trainer ill' },
    });
    expect(cancelled.status).toBe(200);
    const gone = await bookingRow(id);
    const back = await api<ProblemBody>('PATCH', `/api/admin/bookings/${id}/`, {
      token: s.token,
      body: { status: 'completed' },
    });
    expect(back.status).toBe(409);
    expect(back.body.code).toBe('invalid_transition');
    expect(await bookingRow(id)).toEqual(gone);
    expect((await auditRows('bookings', id)).map((r) => r.action)).toEqual(['confirm', 'cancel']);
  });

  it("cancelling a trainer's booking nobody confirmed: the page says what happens, no late flag, no message", async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const client = await createClient(t.token, { phone: '+14155550123' });
    const booked = await book(t.token, { client: client.id, start_time: inHours(5) });
    expect([booked.status, booked.body.status]).toEqual([201, 'pending']);
    const id = booked.body.id as number;
    const path = `/admin/bookings/${id}`;
    const review = await page('POST', `${path}/status`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, transition: 'cancel', cancellation_reason: 'Wrong client' },
    });
    expect(review.status).toBe(200);
    expect(review.text).toContain('No message is sent to the client.');
    expect(review.text).not.toContain('This is a late cancellation');
    const form = confirmedCancel(s.csrf, review.text);
    expect((await page('POST', `${path}/status`, { cookie: s.cookie, form })).status).toBe(303);
    expect(await bookingRow(id)).toMatchObject({ status: 'cancelled', late_cancellation: 0 });
    const told = await env.DB.prepare('SELECT count(*) AS n FROM notifications WHERE booking_id = ?')
      .bind(id)
      .first('n');
    expect(told).toBe(0);
  });

  it('cancel: a reason is required, a confirmation page states the consequences, confirming cancels once', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const client = await createClient(t.token, { phone: '+14155550123' });
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Five pack', sessions_count: 5, price: '250.00' },
    });
    const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: client.id },
    });
    expect(sold.status).toBe(201);
    const booked = await book(t.token, { client: client.id, start_time: inHours(5), client_package: sold.body.id });
    expect(booked.status).toBe(201);
    const id = booked.body.id as number;
    expect((await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token })).status).toBe(200);
    const path = `/admin/bookings/${id}`;
    const before = await bookingRow(id);

    const missing = await page('POST', `${path}/status`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, transition: 'cancel', cancellation_reason: '  ' },
    });
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/id="f-cancellation_reason-error"[^>]*>Enter the reason for cancelling/);
    expect(missing.text).toContain('<textarea id="f-cancellation_reason" name="cancellation_reason"');
    expect(await bookingRow(id)).toEqual(before);

    const review = await page('POST', `${path}/status`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, transition: 'cancel', cancellation_reason: 'Trainer unwell' },
    });
    expect(review.status).toBe(200);
    for (const said of [
      'Nothing has changed yet',
      'This is a late cancellation',
      'late-cancellation window of 24 h',
      'One credit of the pack “Five pack” is forfeited (late cancellation): 5 left, then 4.',
      `An email saying it is cancelled to Casey Client (the client): ${client.email}`,
      'An SMS saying it is cancelled to Casey Client (the client): +14155550123',
      'The trainer gets no message.',
      'Its unsent reminders are cancelled.',
      'Reason given: “Trainer unwell”',
    ]) {
      expect(review.text).toContain(said);
    }
    expect(await bookingRow(id)).toEqual(before);
    expect(await auditRows('bookings', id)).toEqual([]);

    const form = confirmedCancel(s.csrf, review.text);
    const done = await page('POST', `${path}/status`, { cookie: s.cookie, form });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe(`${path}/?saved=1`);
    expect(await bookingRow(id)).toMatchObject({
      status: 'cancelled',
      cancellation_reason: 'Trainer unwell',
      late_cancellation: 1,
    });
    // Sent twice (a double click): refused, nothing more written.
    expect((await page('POST', `${path}/status`, { cookie: s.cookie, form })).status).toBe(409);

    const audits = await auditRows('bookings', id);
    expect(audits.map((r) => [r.action, JSON.parse(r.changes)])).toEqual([
      [
        'cancel',
        {
          status: { before: 'confirmed', after: 'cancelled' },
          cancellation_reason: { before: '', after: 'Trainer unwell' },
        },
      ],
    ]);
    const messages = await env.DB.prepare(
      `SELECT notification_type, recipient FROM notifications WHERE booking_id = ? AND kind = 'booking_cancelled' ORDER BY id`,
    )
      .bind(id)
      .all();
    expect(messages.results).toEqual([
      { notification_type: 'email', recipient: client.email },
      { notification_type: 'sms', recipient: '+14155550123' },
    ]);
    const ledger = await env.DB.prepare('SELECT reason, delta FROM package_ledger WHERE booking_id = ?').bind(id).all();
    expect(ledger.results).toEqual([{ reason: 'late_cancellation', delta: -1 }]);
  });

  it('moves in the trainer’s zone across a DST change, refuses a skipped time clearly and an occupied slot with 409', async () => {
    const s = await staffConsole();
    const t = await setupTrainer({ settings: { timezone: 'Europe/Berlin' } });
    let year = new Date().getUTCFullYear();
    if (Date.parse(`${lastSunday(year, 3)}T00:00:00Z`) < Date.now() + 20 * 86_400_000) year += 1;
    const spring = lastSunday(year, 3);
    const autumn = lastSunday(year, 10);
    const day = (date: string, days: number) =>
      new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    const winter = day(spring, -7); // CET, UTC+1
    const summer = day(spring, 7); // CEST, UTC+2
    const booked = await book(t.token, { client: t.client.id, start_time: `${winter}T09:00:00.000Z` });
    expect(booked.status).toBe(201);
    const id = booked.body.id as number;
    // Confirmed, so the client has heard of it and hears of the move.
    expect((await api('POST', `/api/bookings/${id}/confirm/`, { token: t.token })).status).toBe(200);
    const path = `/admin/bookings/${id}`;

    const view = await page('GET', `${path}/`, { cookie: s.cookie });
    expect(view.text).toMatch(
      new RegExp(`<input id="f-start_local" name="start_local" type="datetime-local"[^>]*value="${winter}T10:00"`),
    );
    expect(view.text).toContain('<label for="f-start_local">New start (Europe/Berlin)</label>');
    expect(view.text).toContain('<span class="zone">Europe/Berlin</span>');

    const before = await bookingRow(id);
    const gap = await page('POST', `${path}/time`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, start_local: `${spring}T02:30` },
    });
    expect(gap.status).toBe(400);
    expect(gap.text).toContain(`${spring} 02:30 does not exist in Europe/Berlin`);
    expect(gap.text).toContain('id="f-start_local-error"');

    const twice = await page('POST', `${path}/time`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, start_local: `${autumn}T02:30` },
    });
    expect(twice.status).toBe(400);
    expect(twice.text).toContain(`${autumn} 02:30 happens twice in Europe/Berlin`);
    expect(twice.text).toContain('name="start_fold"');
    const later = await page('POST', `${path}/time`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, start_local: `${autumn}T02:30`, start_fold: 'later' },
    });
    expect(later.status).toBe(200);
    expect(hidden(later.text, 'start_time')).toBe(`${autumn}T01:30:00.000Z`);
    expect(await bookingRow(id)).toEqual(before);

    const review = await page('POST', `${path}/time`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, start_local: `${summer}T10:00` },
    });
    expect(review.status).toBe(200);
    expect(review.text).toContain('Nothing has changed yet');
    expect(review.text).toMatch(/10:00 CET – [^<]*11:00 CET \(UTC\+01:00\)/);
    expect(review.text).toMatch(/10:00 CEST – [^<]*11:00 CEST \(UTC\+02:00\)/);
    expect(hidden(review.text, 'start_time')).toBe(`${summer}T08:00:00.000Z`);
    expect(await bookingRow(id)).toEqual(before);

    // Another booking takes the slot meanwhile: the move is refused by the schedule, nothing changes.
    const other = await book(t.token, { client: t.client.id, start_time: `${summer}T08:30:00.000Z` });
    expect(other.status).toBe(201);
    const move = { csrf: s.csrf, start_time: hidden(review.text, 'start_time'), allow_outside_availability: 'false' };
    const taken = await page('POST', `${path}/time`, { cookie: s.cookie, form: { ...move, confirm: 'yes' } });
    expect(taken.status).toBe(409);
    expect(await bookingRow(id)).toEqual(before);
    expect(await auditRows('bookings', id)).toEqual([]);

    expect((await api('POST', `/api/bookings/${other.body.id}/cancel/`, { token: t.token })).status).toBe(200);
    const moved = await page('POST', `${path}/time`, { cookie: s.cookie, form: { ...move, confirm: 'yes' } });
    expect(moved.status, moved.text.slice(0, 300)).toBe(303);
    expect(await bookingRow(id)).toMatchObject({
      start_time: `${summer}T08:00:00.000Z`,
      end_time: `${summer}T09:00:00.000Z`,
    });
    const audits = await auditRows('bookings', id);
    expect(audits.map((r) => [r.action, JSON.parse(r.changes)])).toEqual([
      [
        'reschedule',
        {
          start_time: { before: `${winter}T09:00:00.000Z`, after: `${summer}T08:00:00.000Z` },
          end_time: { before: `${winter}T10:00:00.000Z`, after: `${summer}T09:00:00.000Z` },
        },
      ],
    ]);
    const updated = (await bookingRow(id))?.updated_at;
    expect(audits[0]?.at).toBe(updated);
    // The confirmation sent again: no second move, audit row or message.
    const again = await page('POST', `${path}/time`, { cookie: s.cookie, form: { ...move, confirm: 'yes' } });
    expect(again.status).toBe(303);
    expect(await auditRows('bookings', id)).toHaveLength(1);
    expect((await bookingRow(id))?.updated_at).toBe(updated);
    const told = await env.DB.prepare(
      `SELECT count(*) AS n FROM notifications WHERE booking_id = ? AND kind = 'booking_rescheduled'`,
    )
      .bind(id)
      .first('n');
    expect(told).toBe(1);
  });

  it('changes the notes alone; status or time posted with them is refused', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const booked = await book(t.token, { client: t.client.id, start_time: `${futureDay(4).date}T10:00:00.000Z` });
    const id = booked.body.id as number;
    const before = await bookingRow(id);

    const mixed = await page('POST', `/admin/bookings/${id}/`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, notes: 'x', status: 'cancelled', cancellation_reason: 'y' },
    });
    expect(mixed.status).toBe(409);
    expect(await bookingRow(id)).toEqual(before);

    const res = await page('POST', `/admin/bookings/${id}/notes`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, notes: 'Bring water' },
    });
    expect(res.status).toBe(303);
    const after = await bookingRow(id);
    expect(after).toMatchObject({ status: before?.status, start_time: before?.start_time, notes: 'Bring water' });
    expect((await auditRows('bookings', id)).map((r) => [r.action, JSON.parse(r.changes)])).toEqual([
      ['update', { notes: { before: '', after: 'Bring water' } }],
    ]);
    const messages = await env.DB.prepare('SELECT count(*) AS n FROM notifications WHERE booking_id = ?')
      .bind(id)
      .first('n');
    expect(messages).toBe(0);
  });
});

describe('the notes form without its field', () => {
  it('is refused with 400 naming notes and changes nothing (both addresses); an empty notes field clears', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const booked = await book(t.token, { client: t.client.id, start_time: inHours(50), notes: 'keep me' });
    expect(booked.status).toBe(201);
    const id = booked.body.id as number;
    const before = await bookingRow(id);
    for (const path of [`/admin/bookings/${id}/notes`, `/admin/bookings/${id}/`]) {
      const res = await page('POST', path, { cookie: s.cookie, form: { csrf: s.csrf } });
      expect(res.status, path).toBe(400);
      expect(res.text, path).toMatch(/id="f-notes-error"[^>]*>The form sent no notes/);
    }
    expect(await bookingRow(id)).toEqual(before);
    expect(await auditRows('bookings', id)).toEqual([]);

    const cleared = await page('POST', `/admin/bookings/${id}/notes`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, notes: '' },
    });
    expect(cleared.status).toBe(303);
    expect((await bookingRow(id))?.notes).toBe('');
    expect((await auditRows('bookings', id)).map((r) => JSON.parse(r.changes))).toEqual([
      { notes: { before: 'keep me', after: '' } },
    ]);
  });
});
describe('the booking forms and junk', () => {
  it('a refused time form echoes only its own fields: stray ambiguous_* give 400 naming start_local', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const booked = await book(t.token, { client: t.client.id, start_time: inHours(50) });
    const res = await page('POST', `/admin/bookings/${booked.body.id}/time`, {
      cookie: s.cookie,
      form: { csrf: s.csrf, start_local: 'soon', ambiguous_earlier: 'x', ambiguous_later: 'y' },
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="f-start_local-error"[^>]*>Enter the new start as a date and time/);
    expect(res.text).not.toContain('name="start_fold"');
  });

  it('each booking form answers 4xx to junk, oversized or missing fields, and changes nothing', async () => {
    const s = await staffConsole();
    const t = await setupTrainer({ settings: { timezone: 'America/Los_Angeles' } });
    const booked = await book(t.token, { client: t.client.id, start_time: inHours(50), notes: 'keep me' });
    const id = booked.body.id as number;
    const before = await bookingRow(id);
    const junk = {
      ambiguous_earlier: 'x',
      ambiguous_later: '',
      start_fold: 'sideways',
      allow_outside_availability: 'maybe',
      facts: '{',
      confirm: 'perhaps',
      transition: '__proto__',
    };
    const cases: [string, Record<string, string>][] = [
      ['status', {}],
      ['status', { transition: 'toString' }],
      ['status', { ...junk, ambiguous_later: 'y' }],
      ['status', { ...junk, ambiguous_later: 'y', transition: 'mark_completed' }],
      ['status', { ...junk, ambiguous_later: 'y', transition: 'cancel' }],
      ['status', { ...junk, ambiguous_later: 'y', transition: 'cancel', cancellation_reason: 'x'.repeat(5000) }],
      ['status', { transition: 'cancel', cancellation_reason: 'ok', confirm: 'yes', facts: 'stale' }],
      ['status', { transition: 'cancel', cancellation_reason: 'x'.repeat(70_000) }],
      ['time', {}],
      ['time', { ...junk, ambiguous_later: 'y' }],
      ['time', { ...junk, ambiguous_later: 'y', start_local: '' }],
      ['time', { ...junk, ambiguous_later: 'y', start_local: '2027-02-30T10:00' }],
      ['time', { ...junk, ambiguous_later: 'y', start_local: 'x'.repeat(5000) }],
      ['time', { ...junk, ambiguous_later: 'y', confirm: 'yes' }],
      ['time', { ...junk, ambiguous_later: 'y', confirm: 'yes', start_time: 'junk' }],
      ['time', { ...junk, ambiguous_later: 'y', confirm: 'yes', start_time: '+010000-01-01T07:59:00.000Z' }],
      ['notes', {}],
      ['notes', { ...junk, ambiguous_later: 'y' }],
      ['notes', { ...junk, ambiguous_later: 'y', notes: 'x'.repeat(20_000) }],
      ['notes', { ...junk, ambiguous_later: 'y', notes: 'ok', status: 'cancelled' }],
    ];
    for (const [action, form] of cases) {
      const res = await page('POST', `/admin/bookings/${id}/${action}`, {
        cookie: s.cookie,
        form: { csrf: s.csrf, ...form },
      });
      const label = `${action} ${JSON.stringify(form).slice(0, 120)}`;
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
    }
    expect(await bookingRow(id)).toEqual(before);
    expect(await auditRows('bookings', id)).toEqual([]);
  });
});
describe('a move beyond the dates stored', () => {
  it('is refused at the first step with 400 naming start_local', async () => {
    const s = await staffConsole();
    const t = await setupTrainer({ settings: { timezone: 'America/Los_Angeles' } });
    const booked = await book(t.token, { client: t.client.id, start_time: inHours(50) });
    const id = booked.body.id as number;
    // 23:59 on the last day of 9999 in Los Angeles is 10000 in UTC; 15:30 ends (an hour later) in 10000.
    for (const start_local of ['9999-12-31T23:59', '9999-12-31T15:30']) {
      const res = await page('POST', `/admin/bookings/${id}/time`, {
        cookie: s.cookie,
        form: { csrf: s.csrf, start_local },
      });
      expect(res.status, start_local).toBe(400);
      expect(res.text).toMatch(/id="f-start_local-error"[^>]*>[^<]*outside the dates a booking can have/);
      expect(res.text).not.toContain('Yes, move it');
    }
  });
});
describe('what a cancel of a class place says it does', () => {
  it('promises the freed place only when the cancel frees one (a class over capacity promotes no one)', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Group HIIT', duration_minutes: 60, capacity: 2 },
    });
    const scheduled = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: service.body.id, start_time: `${futureDay(5).date}T10:00:00.000Z` },
    });
    const classId = scheduled.body.occurrences[0]?.class_session;
    const place = async (first_name: string, waitlist = false) => {
      const client = await createClient(t.token, { first_name, last_name: 'Place' });
      const res = await book(t.token, { client: client.id, class_session: classId, ...(waitlist && { waitlist }) });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const ann = await place('Ann');
    const bob = await place('Bob');
    const wendy = await place('Wendy', true);
    expect(wendy.status).toBe('waitlisted');
    // Two places in a class of one: a state the API refuses to make, but rows edited by hand (or
    // from before the capacity check) can hold it. A cancel then frees no place.
    await env.DB.prepare('UPDATE class_sessions SET capacity = 1 WHERE id = ?').bind(classId).run();

    const cancel = async (id: number) => {
      const path = `/admin/bookings/${id}/status`;
      const review = await page('POST', path, {
        cookie: s.cookie,
        form: { csrf: s.csrf, transition: 'cancel', cancellation_reason: 'Moving away' },
      });
      expect(review.status).toBe(200);
      const done = await page('POST', path, {
        cookie: s.cookie,
        form: {
          csrf: s.csrf,
          transition: 'cancel',
          cancellation_reason: 'Moving away',
          confirm: 'yes',
          facts: hidden(review.text, 'facts'),
        },
      });
      expect(done.status).toBe(303);
      return review.text;
    };
    const status = async (id: number) => (await bookingRow(id))?.status;

    const first = await cancel(ann.id);
    expect(first).not.toContain('The freed place goes to');
    expect(first).toContain(
      'No one on the class’s waitlist gets a place: the class stays full (places taken: 1 of 1).',
    );
    expect(await status(wendy.id)).toBe('waitlisted');

    const second = await cancel(bob.id);
    expect(second).toContain('The freed place goes to Wendy Place, first on the class’s waitlist');
    expect(await status(wendy.id)).toBe('pending');
  });
  it('promises a booking-page visitor moved up to a pending place an email only, as the promotion writes', async () => {
    const s = await staffConsole();
    const t = await setupTrainer();
    const service = await api<{ id: number }>('POST', '/api/services/', {
      token: t.token,
      body: { name: 'Small group', duration_minutes: 60, capacity: 2 },
    });
    const scheduled = await api<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
      token: t.token,
      body: { service: service.body.id, start_time: `${futureDay(6).date}T10:00:00.000Z` },
    });
    const classId = scheduled.body.occurrences[0]?.class_session;
    const ann = await book(t.token, { client: t.client.id, class_session: classId });
    expect(ann.status).toBe(201);
    const bob = await createClient(t.token, { first_name: 'Bob' });
    expect((await book(t.token, { client: bob.id, class_session: classId })).status).toBe(201);
    const email = uniqueEmail('vera');
    const joined = await api('POST', `/api/public/trainers/${t.user.trainer.slug}/bookings/`, {
      body: {
        first_name: 'Vera',
        last_name: 'Visitor',
        email,
        phone: '+447700900321',
        class_session: classId,
        waitlist: true,
      },
      headers: { 'CF-Connecting-IP': '198.51.100.141' },
    });
    expect(joined.status, JSON.stringify(joined.body)).toBe(201);

    const path = `/admin/bookings/${ann.body.id}/status`;
    const review = await page('POST', path, {
      cookie: s.cookie,
      form: { csrf: s.csrf, transition: 'cancel', cancellation_reason: 'Injured' },
    });
    expect(review.text).toContain(
      `The freed place goes to Vera Visitor, first on the class’s waitlist (pending the trainer’s confirmation), who is told: email to ${email}.`,
    );
    const done = await page('POST', path, {
      cookie: s.cookie,
      form: {
        csrf: s.csrf,
        transition: 'cancel',
        cancellation_reason: 'Injured',
        confirm: 'yes',
        facts: hidden(review.text, 'facts'),
      },
    });
    expect(done.status).toBe(303);
    const told = await env.DB.prepare(
      `SELECT n.notification_type AS channel FROM notifications n JOIN bookings b ON b.id = n.booking_id
        WHERE b.class_session_id = ? AND b.status = 'pending' AND n.kind = 'waitlist_promoted'`,
    )
      .bind(classId)
      .all<{ channel: string }>();
    expect(told.results).toEqual([{ channel: 'email' }]);
  });
});
