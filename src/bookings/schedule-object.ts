import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../lib/config';
import { advanceTo, type Db, SessionClient, sessionDb } from '../lib/db';
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
 * A command's answer with the bookmark of the object's D1 session after it: the Worker moves its
 * own session there (`scheduleOf`), so what it reads next, and the bookmark it answers with, are at
 * least as new as the object's write.
 */
export type Stamped<T> = T & { bookmark: string | null };

/**
 * One per trainer (`idFromName("trainer:" + id)`): every write that changes the trainer's
 * occupancy runs here, one at a time. Awaiting D1 releases the object's input gate, so a
 * promise chain, not the runtime, keeps a second request from interleaving with the first.
 */
export class TrainerSchedule extends DurableObject<Bindings> {
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs one command after the previous ones, in its own D1 session that starts on the primary
   * (the checks must read the newest rows; writes go there anyway).
   */
  #serially<T extends object>(work: (db: Db) => Promise<T>): Promise<Stamped<T | Refusal>> {
    const run = this.#tail.then(async () => {
      const client = new SessionClient(this.env.DB, 'first-primary');
      let result: T | Refusal;
      try {
        result = await work(sessionDb(client));
      } catch (err) {
        // Errors do not keep their class across RPC: hand back the problem as data.
        if (!(err instanceof ApiError)) throw err;
        result = outcomeOfError(err);
      }
      return { ...result, bookmark: client.bookmark };
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Sessions (user and jti) this object found revoked or expired: neither comes back, so a token
   * retried with one is refused without waiting in the queue or reading D1.
   */
  #refused = new Set<string>();

  async createBooking(cmd: Timed<CreateBookingCommand>): Promise<Stamped<Outcome>> {
    const session = cmd.session ? `${cmd.session.userId}:${cmd.session.jti}` : null;
    if (session && this.#refused.has(session)) {
      return { ...outcomeOfError(unauthorized('Invalid or expired token.')), bookmark: null };
    }
    const outcome = await this.#serially((db) =>
      cmd.classSessionId ? bookPlace(db, cmd, msOf(cmd.now)) : scheduleBooking(db, cmd, msOf(cmd.now)),
    );
    if (session && !outcome.ok && outcome.status === 401) {
      if (this.#refused.size >= 10_000) this.#refused.clear();
      this.#refused.add(session);
    }
    return outcome;
  }

  rescheduleBooking(cmd: Timed<RescheduleCommand>): Promise<Stamped<Outcome>> {
    return this.#serially((db) => rescheduleBooking(db, cmd, msOf(cmd.now)));
  }

  /** A standing series: every occurrence checked and written in this one call (one read, one batch). */
  createSeries(cmd: Timed<CreateSeriesCommand>): Promise<Stamped<SeriesOutcome | Refusal>> {
    return this.#serially((db) => scheduleSeries(db, cmd, msOf(cmd.now)));
  }

  /** Class sessions take the trainer's time: checked and written here, one request at a time. */
  createClasses(cmd: Timed<CreateClassCommand>): Promise<Stamped<ClassCreated | Refusal>> {
    return this.#serially((db) => scheduleClasses(db, cmd, msOf(cmd.now)));
  }
}

/** Where the trainers' schedule objects live (the TRAINER_SCHEDULE binding). */
export type ScheduleNamespace = DurableObjectNamespace<TrainerSchedule>;

/**
 * A trainer's schedule object: the only way other code reaches it. With the request's `db` (every
 * Worker caller passes it), each answer moves that handle's D1 session to the object's bookmark,
 * so the request reads the object's write and answers a bookmark at least as new.
 */
export function scheduleOf(schedules: ScheduleNamespace, trainerId: number, db?: Db) {
  const stub = schedules.get(schedules.idFromName(`trainer:${trainerId}`));
  const seen = async <T extends { bookmark: string | null }>(answer: PromiseLike<T>): Promise<T> => {
    const result = await answer;
    if (db) advanceTo(db, result.bookmark);
    return result;
  };
  return {
    createBooking: (cmd: Timed<CreateBookingCommand>) => seen<Stamped<Outcome>>(stub.createBooking(cmd)),
    rescheduleBooking: (cmd: Timed<RescheduleCommand>) => seen<Stamped<Outcome>>(stub.rescheduleBooking(cmd)),
    createSeries: (cmd: Timed<CreateSeriesCommand>) => seen<Stamped<SeriesOutcome | Refusal>>(stub.createSeries(cmd)),
    createClasses: (cmd: Timed<CreateClassCommand>) => seen<Stamped<ClassCreated | Refusal>>(stub.createClasses(cmd)),
  };
}
