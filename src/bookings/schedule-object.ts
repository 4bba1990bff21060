import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../lib/config';
import { getDb } from '../lib/db';
import { ApiError, unauthorized } from '../lib/problem';
import { type ClassCreated, type CreateClassCommand, scheduleClasses } from './classes';
import { type CreateBookingCommand, scheduleBooking } from './commands';
import { type Outcome, outcomeOfError, type Refusal } from './outcome';
import { bookPlace } from './places';
import { type RescheduleCommand, rescheduleBooking } from './reschedule';
import { type CreateSeriesCommand, type SeriesOutcome, scheduleSeries } from './series-commands';

export type { CreateBookingCommand } from './commands';
export { type Outcome, unwrapOutcome } from './outcome';
export type { RescheduleCommand } from './reschedule';
export type { CreateSeriesCommand, OccurrenceResult, SeriesOutcome } from './series-commands';

/** A command as the Worker sends it: with the request's `now` (epoch ms or ISO), never the object's own clock. */
export type Timed<C> = C & { now: number | string };

const msOf = (now: number | string): number => (typeof now === 'number' ? now : Date.parse(now));

/**
 * One per trainer (`idFromName("trainer:" + id)`): every write that changes the trainer's
 * occupancy runs here, one at a time. Awaiting D1 releases the object's input gate, so a
 * promise chain, not the runtime, keeps a second request from interleaving with the first.
 */
export class TrainerSchedule extends DurableObject<Bindings> {
  #tail: Promise<unknown> = Promise.resolve();

  #serially<T>(work: () => Promise<T>): Promise<T | Refusal> {
    const run = this.#tail.then(async () => {
      try {
        return await work();
      } catch (err) {
        // Errors do not keep their class across RPC: hand back the problem as data.
        if (err instanceof ApiError) return outcomeOfError(err);
        throw err;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Sessions (user and jti) this object found revoked or expired: neither comes back, so a token
   * retried with one is refused without waiting in the queue or reading D1.
   */
  #refused = new Set<string>();

  async createBooking(cmd: Timed<CreateBookingCommand>): Promise<Outcome> {
    const session = cmd.session ? `${cmd.session.userId}:${cmd.session.jti}` : null;
    if (session && this.#refused.has(session)) return outcomeOfError(unauthorized('Invalid or expired token.'));
    const db = getDb(this.env.DB);
    const outcome = await this.#serially(() =>
      cmd.classSessionId ? bookPlace(db, cmd, msOf(cmd.now)) : scheduleBooking(db, cmd, msOf(cmd.now)),
    );
    if (session && !outcome.ok && outcome.status === 401) {
      if (this.#refused.size >= 10_000) this.#refused.clear();
      this.#refused.add(session);
    }
    return outcome;
  }

  rescheduleBooking(cmd: Timed<RescheduleCommand>): Promise<Outcome> {
    return this.#serially(() => rescheduleBooking(getDb(this.env.DB), cmd, msOf(cmd.now)));
  }

  /** A standing series: every occurrence checked and written in this one call (one read, one batch). */
  createSeries(cmd: Timed<CreateSeriesCommand>): Promise<SeriesOutcome | Refusal> {
    return this.#serially(() => scheduleSeries(getDb(this.env.DB), cmd, msOf(cmd.now)));
  }

  /** Class sessions take the trainer's time: checked and written here, one request at a time. */
  createClasses(cmd: Timed<CreateClassCommand>): Promise<ClassCreated | Refusal> {
    return this.#serially(() => scheduleClasses(getDb(this.env.DB), cmd, msOf(cmd.now)));
  }
}

/** Where the trainers' schedule objects live (the TRAINER_SCHEDULE binding). */
export type ScheduleNamespace = DurableObjectNamespace<TrainerSchedule>;

/** The stub of a trainer's schedule object: the only way other code reaches it. */
export const scheduleOf = (schedules: ScheduleNamespace, trainerId: number) =>
  schedules.get(schedules.idFromName(`trainer:${trainerId}`));
