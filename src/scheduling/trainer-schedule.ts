import { DurableObject } from 'cloudflare:workers';
import {
  type CreateBookingCommand,
  type Outcome,
  outcomeOfError,
  type RescheduleCommand,
  rescheduleBooking,
  scheduleBooking,
} from '../bookings/service';
import type { Bindings } from '../env';
import { getDb } from '../lib/db';
import { ApiError } from '../lib/problem';

/**
 * One per trainer (`idFromName("trainer:" + id)`): every write that changes the trainer's
 * occupancy runs here, one at a time. Awaiting D1 releases the object's input gate, so a
 * promise chain, not the runtime, keeps a second request from interleaving with the first.
 */
export class TrainerSchedule extends DurableObject<Bindings> {
  #tail: Promise<unknown> = Promise.resolve();

  #serially(work: () => Promise<Outcome>): Promise<Outcome> {
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

  createBooking(cmd: CreateBookingCommand): Promise<Outcome> {
    return this.#serially(() => scheduleBooking(getDb(this.env.DB), cmd, Date.now()));
  }

  rescheduleBooking(cmd: RescheduleCommand): Promise<Outcome> {
    return this.#serially(() => rescheduleBooking(getDb(this.env.DB), cmd, Date.now()));
  }
}

/** The stub of a trainer's schedule object. */
export const scheduleOf = (env: Bindings, trainerId: number) =>
  env.TRAINER_SCHEDULE.get(env.TRAINER_SCHEDULE.idFromName(`trainer:${trainerId}`));
