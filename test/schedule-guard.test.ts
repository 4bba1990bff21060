// The schedule-version guard: a booking write is refused when the trainer's windows, breaks or
// overrides changed after its checks read them; the command then reads and checks once more.
// Driven deterministically: the real D1, with a schedule change made right after the read.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleBooking } from '../src/bookings/commands';
import { rescheduleBooking } from '../src/bookings/reschedule';
import { getDb } from '../src/lib/db';
import { createBreak } from '../src/scheduling/service';
import { api, at, book, changingAfterRead, futureDay, setupTrainer, trainerBookingCommand } from './helpers';

const rowsAt = async (trainerId: number, start: string) =>
  (await env.DB.prepare(
    "SELECT count(*) AS n FROM bookings WHERE trainer_id = ? AND start_time = ? AND status IN ('pending', 'confirmed')",
  )
    .bind(trainerId, start)
    .first<number>('n')) ?? 0;

const bump = (trainerId: number) =>
  env.DB.prepare('UPDATE trainers SET schedule_version = schedule_version + 1 WHERE id = ?').bind(trainerId).run();

describe('the schedule-version guard on a new booking', () => {
  it('a break created between the read and the insert is honoured: re-read, re-checked, 409 trainer_break, no row', async () => {
    const t = await setupTrainer();
    const id = t.user.trainer.id;
    const date = futureDay(12).date;
    const start = at(date, '14:00');
    const racing = changingAfterRead(async (n) => {
      if (n === 0) {
        await createBreak(getDb(env.DB), id, {
          start_date: date,
          end_date: date,
          start_time: '14:00',
          end_time: '16:00',
        });
      }
    });
    await expect(
      scheduleBooking(getDb(racing.db), trainerBookingCommand(id, t.client.id, start), Date.now()),
    ).rejects.toMatchObject({ status: 409, extra: { code: 'trainer_break' } });
    expect(racing.reads()).toBe(2);
    expect(await rowsAt(id, start)).toBe(0);
  });

  it('a new time zone between the read and the insert is honoured: the hours move with it, 409, no row', async () => {
    // Open 09:00–10:00 wall time. In UTC 09:00Z is inside; in Tokyo (UTC+9) the hours are 00:00–01:00Z.
    const t = await setupTrainer({ open: ['09:00', '10:00'] });
    const id = t.user.trainer.id;
    const start = at(futureDay(12).date, '09:00');
    const racing = changingAfterRead(async (n) => {
      if (n === 0) {
        const moved = await api('PATCH', '/api/users/profile/', { token: t.token, body: { timezone: 'Asia/Tokyo' } });
        expect(moved.status).toBe(200);
      }
    });
    await expect(
      scheduleBooking(getDb(racing.db), trainerBookingCommand(id, t.client.id, start), Date.now()),
    ).rejects.toMatchObject({ status: 409, extra: { code: 'outside_availability' } });
    expect(racing.reads()).toBe(2);
    expect(await rowsAt(id, start)).toBe(0);
    // A setting the slots do not read leaves the version alone.
    const version = () =>
      env.DB.prepare('SELECT schedule_version FROM trainers WHERE id = ?').bind(id).first<number>('schedule_version');
    const before = await version();
    await api('PATCH', '/api/users/profile/', { token: t.token, body: { bio: 'Strength and mobility.' } });
    expect(await version()).toBe(before);
  });

  it('a change that does not touch the booking costs one more read and the booking is made', async () => {
    const t = await setupTrainer();
    const id = t.user.trainer.id;
    const start = at(futureDay(12).date, '10:00');
    const racing = changingAfterRead(async (n) => {
      if (n === 0) {
        const other = futureDay(13).date;
        await createBreak(getDb(env.DB), id, { start_date: other, end_date: other });
      }
    });
    const outcome = await scheduleBooking(getDb(racing.db), trainerBookingCommand(id, t.client.id, start), Date.now());
    expect(outcome.ok).toBe(true);
    expect(racing.reads()).toBe(2);
    expect(await rowsAt(id, start)).toBe(1);
  });

  it('a schedule that changes again during the re-check: 409 schedule_changed, nothing written, only two reads', async () => {
    const t = await setupTrainer();
    const id = t.user.trainer.id;
    const start = at(futureDay(12).date, '11:00');
    const racing = changingAfterRead(async () => {
      await bump(id);
    });
    await expect(
      scheduleBooking(getDb(racing.db), trainerBookingCommand(id, t.client.id, start), Date.now()),
    ).rejects.toMatchObject({ status: 409, extra: { code: 'schedule_changed' } });
    expect(racing.reads()).toBe(2);
    expect(await rowsAt(id, start)).toBe(0);
  });
});

describe('the schedule-version guard on a reschedule', () => {
  it('a break created between the read and the move: 409 trainer_break, the booking keeps its time', async () => {
    const t = await setupTrainer();
    const id = t.user.trainer.id;
    const date = futureDay(14).date;
    const booked = await book(t.token, { client: t.client.id, start_time: at(date, '09:00') });
    expect(booked.status).toBe(201);
    const racing = changingAfterRead(async (n) => {
      if (n === 0)
        await createBreak(getDb(env.DB), id, {
          start_date: date,
          end_date: date,
          start_time: '15:00',
          end_time: '16:00',
        });
    });
    const command = {
      trainerId: id,
      bookingId: booked.body.id,
      startTime: at(date, '15:00'),
      endTime: null,
      allowOutsideAvailability: false,
    };
    await expect(rescheduleBooking(getDb(racing.db), command, Date.now())).rejects.toMatchObject({
      status: 409,
      extra: { code: 'trainer_break' },
    });
    expect(racing.reads()).toBe(2);
    expect(await rowsAt(id, at(date, '09:00'))).toBe(1);
    expect(await rowsAt(id, at(date, '15:00'))).toBe(0);
  });

  it('a schedule that keeps changing: 409 schedule_changed; an unrelated change once: the move goes through', async () => {
    const t = await setupTrainer();
    const id = t.user.trainer.id;
    const date = futureDay(14).date;
    const booked = await book(t.token, { client: t.client.id, start_time: at(date, '09:00') });
    const command = {
      trainerId: id,
      bookingId: booked.body.id,
      startTime: at(date, '12:00'),
      endTime: null,
      allowOutsideAvailability: false,
    };
    const always = changingAfterRead(async () => {
      await bump(id);
    });
    await expect(rescheduleBooking(getDb(always.db), command, Date.now())).rejects.toMatchObject({
      status: 409,
      extra: { code: 'schedule_changed' },
    });
    expect(await rowsAt(id, at(date, '09:00'))).toBe(1);
    const once = changingAfterRead(async (n) => {
      if (n === 0) await bump(id);
    });
    const outcome = await rescheduleBooking(getDb(once.db), command, Date.now());
    expect(outcome.ok).toBe(true);
    expect(once.reads()).toBe(2);
    expect(await rowsAt(id, at(date, '12:00'))).toBe(1);
  });
});
