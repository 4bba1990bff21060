// The staff console finds records without ids (pickers) and reads at a glance (names, money with
// its currency, badges, plurals, the audit log's changes, JSON as lists, the overview's attention).
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createHmac } from 'node:crypto';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attentionQueries } from '../src/admin/attention';
import worker from '../src/index';
import { type Bindings, configOf } from '../src/lib/config';
import { page, registerAs, registerStaff, signInConsole as signIn } from './admin-helpers';
import pastDueEvent from './fixtures/paddle/events/07-subscription.past_due.json?raw';
import vectors from './fixtures/paddle/vectors.json';
import { api, at, book, futureDay, uniqueEmail } from './helpers';

afterEach(() => vi.restoreAllMocks());

/** The page's text as people read it: tags dropped, entities decoded, spaces collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');

const tag = () => Math.random().toString(36).slice(2, 8);

async function staffSession() {
  const staff = await registerStaff(uniqueEmail('staff'));
  const { cookie, csrf } = await signIn(staff.email);
  return { staff, cookie, csrf, get: (path: string) => page('GET', path, { cookie }) };
}

/** A trainer with a business name and one client, and a pending booking of one hour. */
async function trainerWithBooking(business: string, client = { first_name: 'Cleo', last_name: 'Client' }) {
  const trainer = await registerAs(uniqueEmail('coach'), { business_name: business, timezone: 'UTC' });
  const c = await api<{ id: number; email: string }>('POST', '/api/clients/', {
    token: trainer.token,
    body: { email: uniqueEmail('client'), ...client },
  });
  const booking = await book(trainer.token, {
    client: c.body.id,
    start_time: at(futureDay(4).date, '09:00'),
    allow_outside_availability: true,
  });
  expect(booking.status).toBe(201);
  return { trainer, clientId: c.body.id, clientEmail: c.body.email, bookingId: booking.body.id as number };
}

describe('console pickers', () => {
  it('a picker finds a trainer by email, by name, asks to choose when several match and names the field when none', async () => {
    const s = await staffSession();
    const word = `Picker${tag()}`;
    const a = await trainerWithBooking(`${word} Alpha Gym`);
    const b = await trainerWithBooking(`${word} Beta Gym`);

    // By exact email: the list is filtered by that trainer, and says whom it shows.
    const byEmail = await s.get(`/admin/bookings/?trainer=${encodeURIComponent(a.trainer.email)}`);
    expect(byEmail.status).toBe(200);
    expect(byEmail.text).toContain(`href="/admin/bookings/${a.bookingId}/"`);
    expect(byEmail.text).not.toContain(`href="/admin/bookings/${b.bookingId}/"`);
    expect(textOf(byEmail.text)).toContain(`Showing ${word} Alpha Gym (${a.trainer.email})`);
    expect(textOf(byEmail.text)).toContain('1 booking ');

    // By part of the name.
    const byName = await s.get(`/admin/bookings/?trainer=${encodeURIComponent(`${word} beta`)}`);
    expect(byName.status).toBe(200);
    expect(byName.text).toContain(`href="/admin/bookings/${b.bookingId}/"`);
    expect(byName.text).not.toContain(`href="/admin/bookings/${a.bookingId}/"`);

    // Several: a choose step listing each as a link to the filtered list.
    const several = await s.get(`/admin/bookings/?trainer=${word}&status=pending`);
    expect(several.status).toBe(200);
    expect(textOf(several.text)).toContain('Choose a trainer');
    expect(textOf(several.text)).toContain(`2 match “${word}”`);
    for (const t of [a, b]) {
      expect(several.text).toContain(`href="/admin/bookings/?trainer=${t.trainer.trainerId}&amp;status=pending"`);
      expect(several.text).toContain(t.trainer.email);
    }
    const chosen = await s.get(`/admin/bookings/?trainer=${a.trainer.trainerId}&status=pending`);
    expect(chosen.status).toBe(200);
    expect(chosen.text).toContain(`href="/admin/bookings/${a.bookingId}/"`);
    expect(chosen.text).not.toContain(`href="/admin/bookings/${b.bookingId}/"`);

    // None: a 400 naming the field, beside it and in the alert.
    const none = await s.get(`/admin/bookings/?trainer=nobody-${word}`);
    expect(none.status).toBe(400);
    expect(none.text).toMatch(new RegExp(`id="q-trainer-error"[^>]*>No trainer matches “nobody-${word}”`));
    expect(textOf(none.text)).toContain(`Trainer: No trainer matches “nobody-${word}”.`);
  });

  it('client and user pickers: a client by email, a staff user by name in the audit log', async () => {
    const s = await staffSession();
    const a = await trainerWithBooking(`Client Pick ${tag()}`, { first_name: 'Zora', last_name: `Q${tag()}` });
    const res = await s.get(`/admin/bookings/?client=${encodeURIComponent(a.clientEmail.toUpperCase())}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`href="/admin/bookings/${a.bookingId}/"`);
    expect(textOf(res.text)).toContain('1 booking ');

    const cancel = await api('PATCH', `/api/admin/bookings/${a.bookingId}/`, {
      token: s.staff.token,
      body: { status: 'cancelled', cancellation_reason: 'Staff test' },
    });
    expect(cancel.status).toBe(200);
    const audit = await s.get(`/admin/audit-log/?staff_user=${encodeURIComponent(s.staff.email)}`);
    expect(audit.status).toBe(200);
    expect(textOf(audit.text)).toContain('1 audit log entry ');
  });
});

describe('console lists and records read at a glance', () => {
  it('lists show names linked to the records, money with its currency, badges, durations and plurals', async () => {
    const s = await staffSession();
    const business = `Glance Gym ${tag()}`;
    const a = await trainerWithBooking(business, { first_name: 'Nia', last_name: 'Reader' });

    const bookings = await s.get(`/admin/bookings/?trainer=${a.trainer.trainerId}`);
    // Names in <bdi>: a right-to-left one never reorders what stands beside it.
    expect(bookings.text).toContain(`<a href="/admin/clients/${a.clientId}/"><bdi>Nia Reader</bdi></a>`);
    expect(bookings.text).toContain(`<a href="/admin/trainers/${a.trainer.trainerId}/"><bdi>${business}</bdi></a>`);
    expect(bookings.text).toContain('<span class="badge wait">pending</span>');
    expect(textOf(bookings.text)).toContain(' 1 h ');
    expect(textOf(bookings.text)).toMatch(/ 1 booking (?!s)/);
    // The record's own id fields link to those records by name.
    const record = await s.get(`/admin/bookings/${a.bookingId}/`);
    expect(record.text).toContain(`<a href="/admin/clients/${a.clientId}/"><bdi>Nia Reader</bdi> (#${a.clientId})</a>`);
    expect(record.text).toContain(
      `<a href="/admin/trainers/${a.trainer.trainerId}/"><bdi>${business}</bdi> (#${a.trainer.trainerId})</a>`,
    );
    const rtl = await trainerWithBooking(`Glance Gym ${tag()}`, { first_name: 'محمد', last_name: 'ابن سينا' });
    const rtlRecord = await s.get(`/admin/bookings/${rtl.bookingId}/`);
    expect(rtlRecord.text).toContain(`<bdi>محمد ابن سينا</bdi> (#${rtl.clientId})</a>`);

    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: a.trainer.token,
      body: { name: 'Ten pack', sessions_count: 10, price: '600.00', currency: 'USD' },
    });
    expect(pkg.status).toBe(201);
    const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: a.trainer.token,
      body: { client_id: a.clientId },
    });
    expect(sold.status).toBe(201);
    const yen = await api<{ id: number }>('POST', '/api/packages/', {
      token: a.trainer.token,
      body: { name: 'Yen pack', sessions_count: 1, price: '2900', currency: 'JPY' },
    });
    expect(yen.status).toBe(201);

    const packages = await s.get(`/admin/packages/?trainer=${a.trainer.trainerId}&ordering=id`);
    expect(textOf(packages.text)).toContain('$600.00');
    expect(textOf(packages.text)).toContain('¥2,900');
    expect(textOf(packages.text)).toContain('2 session packages');
    const detail = await s.get(`/admin/packages/${pkg.body.id}/`);
    expect(textOf(detail.text)).toContain('Price $600.00');
    expect(textOf(detail.text)).not.toContain('Price cents');

    const owned = await s.get(`/admin/client-packages/?client=${a.clientId}`);
    expect(owned.text).toContain(`<a href="/admin/packages/${pkg.body.id}/"><bdi>Ten pack</bdi></a>`);
    expect(textOf(owned.text)).toContain('$600.00');
    expect(owned.text).toMatch(/<th scope="col"><a [^>]*>Is active<\/a><\/th>/);
    expect(textOf(owned.text)).toContain('1 client package ');
  });

  it('an audit row shows the changed fields (status: pending → cancelled), on the list and the record', async () => {
    const s = await staffSession();
    const a = await trainerWithBooking(`Audit Gym ${tag()}`);
    const cancel = await api('PATCH', `/api/admin/bookings/${a.bookingId}/`, {
      token: s.staff.token,
      body: { status: 'cancelled', cancellation_reason: 'Trainer unwell' },
    });
    expect(cancel.status).toBe(200);
    const notes = await api('PATCH', `/api/admin/bookings/${a.bookingId}/`, {
      token: s.staff.token,
      body: { notes: 'Moved to the park' },
    });
    expect(notes.status).toBe(200);

    const list = await s.get(`/admin/audit-log/?model=bookings&record=${a.bookingId}&ordering=id`);
    const text = textOf(list.text);
    expect(text).toContain('status : pending → cancelled');
    expect(text).toContain('cancellation_reason : empty → Trainer unwell');
    expect(text).toContain('notes : empty → Moved to the park');
    expect(text).toContain('2 audit log entries');
    // The record id links to the booking; the staff user is shown by name.
    expect(list.text).toContain(`href="/admin/bookings/${a.bookingId}/"`);
    expect(list.text).toContain(`href="/admin/users/${s.staff.userId}/"><bdi>Sam Staff</bdi></a>`);
    const entry = /href="\/admin\/audit-log\/(\d+)\/"/.exec(list.text)?.[1];
    const entryPage = await s.get(`/admin/audit-log/${entry}/`);
    expect(entryPage.text).toContain(`<a href="/admin/bookings/${a.bookingId}/">bookings #${a.bookingId}</a>`);
    expect(textOf(entryPage.text)).toContain('status : pending → cancelled');
    const history = await s.get(`/admin/bookings/${a.bookingId}/`);
    expect(textOf(history.text)).toContain('status : pending → cancelled');
    expect(history.text).toContain('<span class="badge bad">cancelled</span>');
  });

  it('renders JSON fields as lists, never raw JSON', async () => {
    const s = await staffSession();
    const trainer = await registerAs(uniqueEmail('coach'), { business_name: `Json Gym ${tag()}` });
    const client = await api<{ id: number }>('POST', '/api/clients/', {
      token: trainer.token,
      body: { email: uniqueEmail('c'), first_name: 'Goal', goals: ['Run 5k', 'Squat 100 kg'] },
    });
    expect(client.status).toBe(201);
    const res = await s.get(`/admin/clients/${client.body.id}/`);
    expect(res.text).toContain('<ul class="list"><li>Run 5k</li><li>Squat 100 kg</li></ul>');
    expect(res.text).not.toContain('[&quot;');
    expect(res.text).not.toContain('{&quot;');
  });

  it('registers dashboard metrics (the hourly rollup) and shows them with the trainer and currency', async () => {
    const s = await staffSession();
    const trainer = await registerAs(uniqueEmail('coach'), { business_name: `Metrics Gym ${tag()}`, timezone: 'UTC' });
    // The hourly run a day later rolls up the trainer's (UTC) day just ended.
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: '7 * * * *', scheduledTime: Date.now() + 86_400_000 }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const home = await s.get('/admin/');
    expect(home.text).toContain('href="/admin/dashboard-metrics/"');
    const list = await s.get(`/admin/dashboard-metrics/?trainer=${encodeURIComponent(trainer.email)}`);
    expect(list.status).toBe(200);
    expect(list.text).toMatch(new RegExp(`<a href="/admin/trainers/${trainer.trainerId}/"><bdi>Metrics Gym`));
    expect(textOf(list.text)).toContain('$0.00');
    expect(textOf(list.text)).toMatch(/ 1 day of dashboard metrics /);
  });
});

// ---- the overview's attention ---------------------------------------------------------------

const [PADDLE_SECRET = ''] = configOf({
  ...(env as Bindings),
  PADDLE_WEBHOOK_SECRET: vectors[0]?.configured_secrets,
}).paddle.webhookSecrets;

/** A Paddle subscription.past_due event for `trainerId`, its ids made unique, signed as Paddle does. */
function pastDue(trainerId: number, ref: string | null) {
  const t = tag().padEnd(6, '0');
  const body = pastDueEvent
    .replace(/"trainer_id": 1\b/g, `"trainer_id": ${trainerId}${ref ? `, "trainer_ref": "${ref}"` : ''}`)
    .replace(/\b(?:evt|sub|ctm|txn|adj|ntf)_[a-z\d]{26}\b/g, (id) => id.slice(0, id.length - t.length) + t);
  const ts = Math.floor(Date.now() / 1000);
  const h1 = createHmac('sha256', PADDLE_SECRET).update(`${ts}:`).update(body).digest('hex');
  return api<{ result: string }>('POST', '/api/webhooks/paddle/', {
    raw: body,
    headers: { 'Content-Type': 'application/json', 'Paddle-Signature': `ts=${ts};h1=${h1}` },
  });
}
const refFor = (trainerId: number) =>
  createHmac('sha256', (env as Bindings).JWT_SECRET ?? '')
    .update(`paddle-trainer:${trainerId}`)
    .digest('hex')
    .slice(0, 32);

/** The overview's attention items: count and link by key. */
async function attentionOf(get: (path: string) => Promise<{ text: string }>) {
  const html = (await get('/admin/')).text;
  const items: Record<string, { count: number; href: string }> = {};
  for (const m of html.matchAll(/data-key="(\w+)"><a href="([^"]+)"><strong>(\d+)\+?<\/strong>/g)) {
    items[m[1] ?? ''] = { count: Number(m[3]), href: (m[2] ?? '').replace(/&amp;/g, '&') };
  }
  return items;
}

describe('console overview', () => {
  it('counts what needs attention and links each to its filtered list', async () => {
    const s = await staffSession();
    const before = await attentionOf(s.get);
    expect(Object.keys(before).sort()).toEqual([
      'failed_notifications',
      'failing_calendars',
      'past_due_subscriptions',
      'stale_pending_bookings',
      'unmatched_webhooks',
    ]);

    const trainer = await registerAs(uniqueEmail('coach'), {
      business_name: `Attention Gym ${tag()}`,
      timezone: 'UTC',
    });
    // A booking requested two days ago that nobody answered (the clock pinned then).
    const client = await api<{ id: number }>('POST', '/api/clients/', {
      token: trainer.token,
      body: { email: uniqueEmail('c'), first_name: 'Old', last_name: 'Request' },
    });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const stale = await api<{ id: number; status: string }>('POST', '/api/bookings/', {
      token: trainer.token,
      headers: { 'X-Test-Now': twoDaysAgo },
      body: { client: client.body.id, start_time: at(futureDay(5).date, '10:00'), allow_outside_availability: true },
    });
    expect(stale.body.status).toBe('pending');
    // A past-due subscription, and an event that matches no trainer.
    expect((await pastDue(trainer.trainerId, refFor(trainer.trainerId))).body.result).toBe('processed');
    expect((await pastDue(2_000_000_000, null)).body.result).toBe('unmatched');
    // A calendar that fails to sync (the third party answers 500).
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('down', { status: 500 }));
    const conn = await api<{ id: number }>('POST', '/api/calendar/connections/', {
      token: trainer.token,
      body: { name: 'Work', ics_url: `https://calendar.example.com/${tag()}.ics` },
    });
    expect(conn.status).toBe(201);
    const synced = await api<{ last_error: string | null }>('POST', `/api/calendar/connections/${conn.body.id}/sync/`, {
      token: trainer.token,
    });
    expect(synced.body.last_error).toBeTruthy();
    // A notification the provider refuses (SendGrid 400), delivered by the queue consumer: an
    // outbox row of a confirmed booking, driven through the consumer by the test.
    const fresh = await book(trainer.token, {
      client: client.body.id,
      start_time: at(futureDay(7).date, '10:00'),
      allow_outside_availability: true,
    });
    const confirm = await api('POST', `/api/bookings/${fresh.body.id}/confirm/`, { token: trainer.token });
    expect(confirm.status).toBe(200);
    const outbox = await env.DB.prepare(
      `INSERT INTO notifications (trainer_id, booking_id, kind, notification_type, recipient, dedupe_key, message)
       VALUES (?, ?, 'booking_confirmed', 'email', 'x@example.com', ?, '') RETURNING id`,
    )
      .bind(trainer.trainerId, fresh.body.id, `test:${crypto.randomUUID()}`)
      .first<{ id: number }>();
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () =>
      Response.json({ errors: [{ message: 'Does not contain a valid address.' }] }, { status: 400 }),
    );
    const batch = createMessageBatch('trainerhub-notifications', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { ids: [outbox?.id] } },
    ]);
    const liveEnv = { ...env, NOTIFY_PROVIDER: 'live', SENDGRID_API_KEY: 'SG.k', SENDGRID_API_BASE: 'https://sg.test' };
    const qctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<{ ids: number[] }>, liveEnv as unknown as Env);
    await getQueueResult(batch, qctx);
    vi.restoreAllMocks();

    const after = await attentionOf(s.get);
    for (const key of Object.keys(before)) {
      expect(after[key]?.count, key).toBe(Math.min(100, (before[key]?.count ?? 0) + 1));
    }
    // Each links to its list filtered to those rows, and that list shows ours.
    const notifications = await s.get(after.failed_notifications?.href ?? '');
    expect(notifications.text).toContain(`href="/admin/notifications/${outbox?.id}/"`);
    const pending = await s.get(after.stale_pending_bookings?.href ?? '');
    expect(pending.text).toContain(`href="/admin/bookings/${stale.body.id}/"`);
    expect(pending.text).not.toContain(`href="/admin/bookings/${fresh.body.id}/"`);
    const subs = await s.get(after.past_due_subscriptions?.href ?? '');
    expect(subs.text).toContain(`href="/admin/trainers/${trainer.trainerId}/"`);
    const hooks = await s.get(after.unmatched_webhooks?.href ?? '');
    expect(textOf(hooks.text)).toContain('subscription.past_due');
    const calendars = await s.get(after.failing_calendars?.href ?? '');
    expect(calendars.text).toContain(`href="/admin/calendar-connections/${conn.body.id}/"`);
  });

  it('each attention count is an indexed, LIMITed read', async () => {
    const dialect = new SQLiteAsyncDialect();
    for (const query of attentionQueries(new Date().toISOString())) {
      const { sql, params } = dialect.sqlToQuery(query);
      expect(sql).toMatch(/LIMIT 101\)$/);
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail).join('\n');
      expect(details, details).toMatch(/USING (COVERING )?INDEX/);
      expect(details, details).not.toMatch(/^SCAN \w+$/m);
    }
  });
});

describe('console values: only JSON columns as lists', () => {
  it('free text that looks like JSON stays text, deep JSON never breaks a page, a JSON column is still a list', async () => {
    const s = await staffSession();
    const trainer = await registerAs(uniqueEmail('coach'), { business_name: `Text Gym ${tag()}` });
    const client = (body: Record<string, unknown>) =>
      api<{ id: number }>('POST', '/api/clients/', {
        token: trainer.token,
        body: { email: uniqueEmail('c'), ...body },
      });

    // A trainer's note of 4000 nested brackets: the client's page opens and shows it as written.
    const deep = `${'['.repeat(4000)}${']'.repeat(4000)}`;
    const deepNotes = await client({ first_name: 'Deep', notes: deep });
    expect(deepNotes.status).toBe(201);
    const deepPage = await s.get(`/admin/clients/${deepNotes.body.id}/`);
    expect(deepPage.status).toBe(200);
    expect(deepPage.text).toContain(deep);

    // A note that merely parses as JSON is a note, not a list.
    const listy = await client({ first_name: 'Listy', notes: '["call","before"]' });
    const listyPage = await s.get(`/admin/clients/${listy.body.id}/`);
    expect(listyPage.status).toBe(200);
    expect(listyPage.text).toContain('[&quot;call&quot;,&quot;before&quot;]');
    expect(listyPage.text).not.toContain('<li>call</li>');

    // A JSON column (preferences) nested far deeper than a page shows: lists for the first levels,
    // the rest as its JSON text.
    const nested = `${'['.repeat(3000)}"bottom"${']'.repeat(3000)}`;
    const prefs = await client({ first_name: 'Prefs', preferences: { plan: JSON.parse(nested), diet: 'vegan' } });
    expect(prefs.status).toBe(201);
    const prefsPage = await s.get(`/admin/clients/${prefs.body.id}/`);
    expect(prefsPage.status).toBe(200);
    expect(prefsPage.text).toContain('<dt>diet</dt><dd>vegan</dd>');
    expect(prefsPage.text).toContain('<ul class="list"><li><ul class="list">');
    expect(prefsPage.text).toContain('[[[[&quot;bottom&quot;]]]]');

    // A webhook's payload is JSON stored as text: still shown as lists.
    expect((await pastDue(2_000_000_000, null)).body.result).toBe('unmatched');
    const hook = await env.DB.prepare(
      `SELECT id FROM webhook_events WHERE payload LIKE '%"trainer_id": 2000000000%' ORDER BY id DESC LIMIT 1`,
    ).first<{ id: number }>();
    const hookPage = await s.get(`/admin/webhook-events/${hook?.id}/`);
    expect(hookPage.status).toBe(200);
    expect(hookPage.text).toContain('<dt>event_type</dt><dd>subscription.past_due</dd>');
    expect(hookPage.text).not.toContain('{&quot;');
  });
});
