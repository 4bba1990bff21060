// The times a manage link's booking may move to (GET /api/public/bookings/{token}/availability/):
// the booking's own length and buffers as booked, whatever its service says now, its own time
// free; exactly what the reschedule accepts. The manage page's picker reads them.
import { describe, expect, it } from 'vitest';
import { api, futureDay, type ProblemBody, setupTrainer, uniqueEmail } from './helpers';

type Days = { duration_minutes: number; days: { date: string; slots: { start_time: string }[]; classes: unknown[] }[] };

let ip = 0;
const freshIp = () => `198.18.0.${(ip++ % 250) + 1}`;
const DAY = 10;
const date = futureDay(DAY).date;
const at = (time: string) => `${date}T${time}:00.000Z`;

async function openTrainer() {
  const t = await setupTrainer({
    open: ['08:00', '18:00'],
    settings: { min_notice_minutes: 60, slot_interval_minutes: 30 },
  });
  const services = await api<{ results: { id: number; is_default: boolean }[] }>('GET', '/api/services/', {
    token: t.token,
  });
  const service = services.body.results.find((s) => s.is_default)?.id as number;
  return { ...t, slug: t.user.trainer.slug, service };
}

async function publicBooking(slug: string, start: string) {
  const res = await api<{ manage_url: string } & ProblemBody>('POST', `/api/public/trainers/${slug}/bookings/`, {
    body: { start_time: start, first_name: 'Mo', last_name: 'Ver', email: uniqueEmail('mover') },
    headers: { 'CF-Connecting-IP': freshIp() },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.manage_url.split('/').pop() as string;
}

const starts = (body: Days) => body.days.flatMap((d) => d.slots.map((s) => s.start_time));
const forMove = async (token: string) => {
  const res = await api<Days & ProblemBody>(
    'GET',
    `/api/public/bookings/${token}/availability/?from=${date}&to=${date}`,
    {
      headers: { 'CF-Connecting-IP': freshIp() },
    },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const forVisitors = async (slug: string) =>
  (
    await api<Days>('GET', `/api/public/trainers/${slug}/availability/?from=${date}&to=${date}&_=${Math.random()}`, {
      headers: { 'CF-Connecting-IP': freshIp() },
    })
  ).body;
const move = (token: string, start: string) =>
  api<ProblemBody & { start_time: string }>('POST', `/api/public/bookings/${token}/reschedule/`, {
    body: { start_time: start },
    headers: { 'CF-Connecting-IP': freshIp() },
  });

describe('the times a manage link may move its booking to', () => {
  it('keep the length and buffers booked after the service changed, count its own time free, and are what the move accepts', async () => {
    const t = await openTrainer();
    const token = await publicBooking(t.slug, at('10:00'));
    const other = await publicBooking(t.slug, at('13:00'));
    expect(other).toBeTruthy();
    // The trainer shortens the service to 30 minutes with an hour's buffer after.
    const edit = await api('PATCH', `/api/services/${t.service}/`, {
      token: t.token,
      body: { duration_minutes: 30, buffer_after_minutes: 60 },
    });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);

    const mine = await forMove(token);
    expect(mine.duration_minutes).toBe(60);
    const offered = starts(mine);
    const visitors = starts(await forVisitors(t.slug));
    // A 60-minute session fits until 17:00; the 30-minute service's visitors get 17:30 too.
    expect(offered.at(-1)).toBe(at('17:00'));
    expect(visitors.at(-1)).toBe(at('17:30'));
    // Its own time is free to it (10:30 overlaps 10:00–11:00); the buffer it was booked with (none)
    // is its own: 12:00–13:00 touches the 13:00 booking, which visitors' 60-minute buffer forbids.
    expect(offered).toEqual(expect.arrayContaining([at('10:30'), at('12:00')]));
    expect(visitors).not.toContain(at('10:30'));
    expect(visitors).not.toContain(at('12:00'));
    expect(offered).not.toContain(at('13:00'));
    expect(mine.days.every((d) => d.classes.length === 0)).toBe(true);

    // Offered is accepted, not offered is refused.
    const late = await move(token, at('17:30'));
    expect([late.status, late.body.code]).toEqual([409, 'outside_availability']);
    for (const start of [at('10:30'), at('12:00'), at('17:00')]) {
      const moved = await move(token, start);
      expect([moved.status, moved.body.start_time], start).toEqual([200, start]);
    }

    // A service the trainer took off the booking page: its booking can still be moved.
    const hidden = await api('PATCH', `/api/services/${t.service}/`, { token: t.token, body: { is_public: false } });
    expect(hidden.status).toBe(200);
    expect(starts(await forMove(token))).toContain(at('09:00'));
    const unknown = await api<ProblemBody>('GET', '/api/public/bookings/not-a-token/availability/');
    expect(unknown.status).toBe(404);
  });
});
