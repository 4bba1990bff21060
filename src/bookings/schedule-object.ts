import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../lib/config';
import { getDb } from '../lib/db';
import { ApiError, unauthorized } from '../lib/problem';
import { type CreateBookingCommand, scheduleBooking } from './commands';
import { type Outcome, outcomeOfError } from './outcome';
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

  #serially<T extends Outcome | SeriesOutcome = Outcome>(work: () => Promise<T>): Promise<T | Outcome> {
    const run = this.#tail.then(async (): Promise<T | Outcome> => {
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
    const outcome = await this.#serially(() => scheduleBooking(getDb(this.env.DB), cmd, msOf(cmd.now)));
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
  async createSeries(cmd: Timed<CreateSeriesCommand>): Promise<SeriesOutcome> {
    // A refusal thrown as an error (a 400, a 404) comes back as a problem, which both outcomes share.
    return (await this.#serially(() => scheduleSeries(getDb(this.env.DB), cmd, msOf(cmd.now)))) as SeriesOutcome;
  }
}

/** Where the trainers' schedule objects live (the TRAINER_SCHEDULE binding). */
export type ScheduleNamespace = DurableObjectNamespace<TrainerSchedule>;

/** The stub of a trainer's schedule object: the only way other code reaches it. */
export const scheduleOf = (schedules: ScheduleNamespace, trainerId: number) =>
  schedules.get(schedules.idFromName(`trainer:${trainerId}`));
