// A refund ends a client's pack: its credits go to 0 with one ledger row, what was paid back is
// kept, and revenue counts the sale on its day and the refund, negative, on the refund's day.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import {
  api,
  at,
  book,
  clientUser,
  createClient,
  futureDay,
  type ProblemBody,
  packOf,
  setupTrainer,
  until,
} from './helpers';

type Pack = {
  id: number;
  sessions_remaining: number;
  sessions_reserved: number;
  is_active: boolean;
  price_paid: string;
  refunded: string | null;
  refunded_at: string | null;
  refund_reason: string;
};

const refund = (token: string, id: number, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  api<Pack & ProblemBody>('POST', `/api/client-packages/${id}/refund/`, { token, body, headers });
const useOne = (token: string, id: number, headers: Record<string, string> = {}) =>
  api<Pack & ProblemBody>('POST', `/api/client-packages/${id}/use_session/`, { token, headers });
const ledgerOf = async (token: string, id: number) =>
  (
    await api<{ results: { delta: number; reason: string; balance_after: number }[] }>(
      'GET',
      `/api/client-packages/${id}/ledger/`,
      { token },
    )
  ).body.results;

describe('refunding a pack', () => {
  it('pays back the unused share by default, ends the credits with one ledger row, and answers 409 after', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 10, '300.00');
    for (let i = 0; i < 3; i++) expect((await useOne(t.token, id)).status).toBe(200);
    const done = await refund(t.token, id, { reason: 'Moved to another city' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({
      sessions_remaining: 0,
      is_active: false,
      price_paid: '300.00',
      refunded: '210.00', // 7 of 10 sessions unused
      refund_reason: 'Moved to another city',
    });
    expect(Date.parse(done.body.refunded_at ?? '')).not.toBeNaN();
    expect((await ledgerOf(t.token, id))[0]).toMatchObject({ delta: -7, reason: 'refunded', balance_after: 0 });

    const again = await refund(t.token, id, { amount: '10' });
    expect([again.status, again.body.code]).toEqual([409, 'already_refunded']);
    const spent = await useOne(t.token, id);
    expect([spent.status, spent.body.code]).toEqual([409, 'package_exhausted']);
    const booked = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(3).date, '10:00'),
      client_package: id,
    });
    expect([booked.status, (booked.body as ProblemBody).code]).toEqual([409, 'package_exhausted']);
    expect((await ledgerOf(t.token, id)).length).toBe(4);
  });

  it('names every bad field, refuses more than was paid and a wrong currency unit, and keeps trainers apart', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 5, '100.00');
    const bad = await refund(t.token, id, { amount: '1.234', reason: 'x'.repeat(1001), extra: true });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {}).sort()).toEqual(['amount', 'extra', 'reason']);
    const tooMuch = await refund(t.token, id, { amount: '100.01' });
    expect([tooMuch.status, Object.keys(tooMuch.body.errors ?? {})]).toEqual([400, ['amount']]);
    const other = await setupTrainer();
    expect((await refund(other.token, id)).status).toBe(404);
    // Nothing was written by the refused requests.
    expect((await ledgerOf(t.token, id)).length).toBe(0);
    const zero = await refund(t.token, id, { amount: 0 });
    expect([zero.status, zero.body.refunded, zero.body.sessions_remaining]).toEqual([200, '0.00', 0]);
  });

  it('the client sees their pack ended by the refund, with the reason, and cannot book with it', async () => {
    const t = await setupTrainer();
    const me = await clientUser();
    const client = await createClient(t.token, { email: me.email });
    const made = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Five', sessions_count: 5, price: '50.00' },
    });
    const sold = await api<{ id: number }>('POST', `/api/packages/${made.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: client.id },
    });
    expect((await refund(t.token, sold.body.id, { reason: 'Moving away' })).status).toBe(200);
    const mine = await api<{ results: { id: number; is_active: boolean; refunded_at: string | null }[] }>(
      'GET',
      '/api/client/packages/',
      { token: me.token },
    );
    expect(mine.body.results).toEqual([expect.objectContaining({ id: sold.body.id, is_active: false })]);
    expect(mine.body.results[0]?.refunded_at).not.toBeNull();
    const seen = await api<Pack>('GET', `/api/client-packages/${sold.body.id}/`, { token: me.token });
    expect([seen.status, seen.body.refund_reason]).toEqual([200, 'Moving away']);
    const booked = await api<{ client_package: number | null } & ProblemBody>('POST', '/api/client/bookings/', {
      token: me.token,
      body: { trainer: t.user.trainer.slug, start_time: at(futureDay(3).date, '10:00'), client_package: sold.body.id },
    });
    expect([booked.status, booked.body.code]).toEqual([409, 'package_exhausted']);
  });

  it('waits for the bookings that hold a credit (409 package_in_use), then goes through', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 4, '200.00');
    const booked = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(3).date, '10:00'),
      client_package: id,
    });
    expect(booked.status).toBe(201);
    const held = await refund(t.token, id);
    expect([held.status, held.body.code]).toEqual([409, 'package_in_use']);
    expect((await ledgerOf(t.token, id)).length).toBe(0);
    const bookingId = (booked.body as { id: number }).id;
    expect((await api('POST', `/api/bookings/${bookingId}/cancel/`, { token: t.token })).status).toBe(200);
    const done = await refund(t.token, id);
    expect([done.status, done.body.refunded]).toEqual([200, '200.00']);
  });

  it('10 parallel refunds and bookings with the pack: one refund, no booking holding a refunded credit', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 3, '90.00');
    const day = futureDay(4).date;
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => refund(t.token, id)),
      ...['09:00', '11:00', '13:00'].map((time) =>
        book(t.token, { client: t.client.id, start_time: at(day, time), client_package: id }),
      ),
    ]);
    const refunds = answers.slice(0, 10);
    const oks = refunds.filter((r) => r.status === 200);
    const bookedWithPack = answers.slice(10).filter((r) => r.status === 201).length;
    const ledger = await ledgerOf(t.token, id);
    if (oks.length === 1) {
      // The refund won: no booking took a credit after it, and one ledger row ended the rest.
      const pack = (await api<Pack>('GET', `/api/client-packages/${id}/`, { token: t.token })).body;
      expect(pack.sessions_reserved).toBe(0);
      expect(bookedWithPack).toBe(0);
      expect(ledger.filter((l) => l.reason === 'refunded')).toHaveLength(1);
    } else {
      expect(oks).toHaveLength(0);
      expect(bookedWithPack).toBeGreaterThan(0);
      expect(ledger).toHaveLength(0);
    }
    for (const r of refunds.filter((x) => x.status !== 200)) {
      expect([409]).toContain(r.status);
      expect(['already_refunded', 'package_in_use']).toContain(r.body.code);
    }
  });
});

describe('the client told of a refund', () => {
  type Message = { id: number; recipient: string; status: string; subject: string; message: string; html: string };
  const messagesOf = async (id: number) =>
    (
      await env.DB.prepare('SELECT * FROM notifications WHERE dedupe_key = ? ORDER BY id')
        .bind(`package:${id}:package_refunded`)
        .all<Message>()
    ).results;

  it('one email, through the queue: what is paid back in the pack’s currency, the reason and the credits that end', async () => {
    const t = await setupTrainer();
    const pkg = await api<{ id: number }>('POST', '/api/packages/', {
      token: t.token,
      body: { name: 'Ten in Tokyo', sessions_count: 10, price: '30000', currency: 'JPY' },
    });
    const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
      token: t.token,
      body: { client_id: t.client.id },
    });
    const id = sold.body.id;
    for (let i = 0; i < 3; i++) expect((await useOne(t.token, id)).status).toBe(200);
    expect((await refund(t.token, id, { reason: 'Moving to Osaka' })).body.refunded).toBe('21000.00');
    const [sent, ...more] = await until(
      () => messagesOf(id),
      (rows) => rows.some((r) => r.status === 'sent'),
    );
    expect(more).toEqual([]);
    expect(sent?.recipient).toBe(t.client.email);
    expect(sent?.subject).toBe('Refund of ¥21,000: Ten in Tokyo');
    expect(sent?.message).toContain('is refunding you ¥21,000 for your pack “Ten in Tokyo”');
    expect(sent?.message).toContain('Reason: Moving to Osaka');
    expect(sent?.message).toContain('The 7 unused sessions left on it are no longer available.');
    expect(sent?.html).toContain('Reason: Moving to Osaka');

    // Asked again, refused: still the one message. The trainer sees it in the notifications; another trainer does not.
    expect((await refund(t.token, id)).status).toBe(409);
    expect(await messagesOf(id)).toHaveLength(1);
    const listed = async (token: string) =>
      (await api<{ results: { id: number }[] }>('GET', '/api/notifications/?kind=package_refunded', { token })).body
        .results;
    expect((await listed(t.token)).map((n) => n.id)).toEqual([sent?.id]);
    expect(await listed((await setupTrainer()).token)).toEqual([]);
  });

  it('a refused refund tells nobody; one that pays nothing back says so', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 2, '80.00');
    const booked = await book(t.token, {
      client: t.client.id,
      start_time: at(futureDay(3).date, '10:00'),
      client_package: id,
    });
    expect(booked.status).toBe(201);
    expect((await refund(t.token, id)).status).toBe(409);
    expect(await messagesOf(id)).toEqual([]);

    const other = await packOf(t, 1, '40.00');
    expect((await useOne(t.token, other)).status).toBe(200);
    expect((await refund(t.token, other, { amount: '0' })).status).toBe(200);
    const [row] = await until(
      () => messagesOf(other),
      (rows) => rows.length > 0,
    );
    expect(row?.subject).toBe('Your pack has ended: Pack');
    expect(row?.message).toContain('has ended your pack “Pack”; nothing is paid back.');
    expect(row?.message).not.toContain('unused');
  });
});

describe('a refund beside parallel uses', () => {
  it('a refund beside parallel uses of the pack pays back the share left at the refund itself', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 10, '100.00');
    const [done, ...uses] = await Promise.all([
      refund(t.token, id),
      ...Array.from({ length: 6 }, () => useOne(t.token, id)),
    ]);
    expect(done?.status).toBe(200);
    const used = uses.filter((u) => u.status === 200).length;
    const ended = (await ledgerOf(t.token, id)).find((l) => l.reason === 'refunded');
    // Every credit is either used or ended by the refund, and the refund paid back exactly what it ended.
    expect(used + -(ended?.delta ?? 0)).toBe(10);
    expect(done?.body.refunded).toBe(`${10 * (10 - used)}.00`);
  });
});

describe('revenue with refunds', () => {
  it('a refund ending the last credit is no used credit: the average value of a session stays what was used', async () => {
    const t = await setupTrainer();
    const id = await packOf(t, 2, '20.00');
    expect((await useOne(t.token, id)).status).toBe(200);
    expect((await ledgerOf(t.token, id)).length).toBe(1);
    expect((await refund(t.token, id)).body.refunded).toBe('10.00');
    expect((await ledgerOf(t.token, id))[0]).toMatchObject({ delta: -1, reason: 'refunded' });
    const dashboard = await api<{ average_booking_value: string; sessions_delivered: number }>(
      'GET',
      '/api/analytics/dashboard/',
      { token: t.token },
    );
    // One credit of 20.00 / 2 used by hand: one session worth 10.00.
    expect(dashboard.body.average_booking_value).toBe('10.00');
  });

  it('the sale counts on its day and the refund, negative, on its own: reports, dashboard and the daily rollup', async () => {
    const t = await setupTrainer();
    const pin = (iso: string) => ({ 'X-Test-Now': iso });
    const sell = async (price: string, when: string) => {
      const pkg = await api<{ id: number }>('POST', '/api/packages/', {
        token: t.token,
        body: { name: `Pack ${price}`, sessions_count: 10, price },
      });
      const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
        token: t.token,
        body: { client_id: t.client.id },
        headers: pin(when),
      });
      expect(sold.status).toBe(201);
      return sold.body.id;
    };
    // May: 300 sold. June 14: 120 sold, and May's pack refunded 210 (7 of 10 unused).
    const may = await sell('300.00', '2026-05-20T10:00:00.000Z');
    for (let i = 0; i < 3; i++) await useOne(t.token, may, pin('2026-05-21T10:00:00.000Z'));
    await sell('120.00', '2026-06-14T09:00:00.000Z');
    expect((await refund(t.token, may, {}, pin('2026-06-14T11:00:00.000Z'))).body.refunded).toBe('210.00');

    type Report = { total_revenue: string; refunded: string; payment_count: number; series: { revenue: string }[] };
    const report = async (date: string) =>
      (await api<Report>('GET', `/api/analytics/revenue/?period=month&date=${date}`, { token: t.token })).body;
    const june = await report('2026-06-01');
    expect([june.total_revenue, june.refunded, june.payment_count]).toEqual(['-90.00', '210.00', 1]);
    expect(june.series.find((d) => d.revenue !== '0.00')?.revenue).toBe('-90.00');
    const mayReport = await report('2026-05-01');
    expect([mayReport.total_revenue, mayReport.refunded, mayReport.payment_count]).toEqual(['300.00', '0.00', 1]);

    const dashboard = await api<{ total_revenue: string; monthly_revenue: string }>(
      'GET',
      '/api/analytics/dashboard/',
      {
        token: t.token,
        headers: pin('2026-06-20T12:00:00.000Z'),
      },
    );
    expect([dashboard.body.total_revenue, dashboard.body.monthly_revenue]).toEqual(['210.00', '-90.00']);

    const ctx = createExecutionContext();
    const run = Date.parse('2026-06-15T00:30:00.000Z');
    await worker.scheduled(createScheduledController({ scheduledTime: run, cron: '7 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    const day = await env.DB.prepare('SELECT revenue_cents FROM dashboard_metrics WHERE trainer_id = ? AND date = ?')
      .bind(t.user.trainer.id, '2026-06-14')
      .first<{ revenue_cents: number }>();
    expect(day?.revenue_cents).toBe(12000 - 21000);
  });
});
