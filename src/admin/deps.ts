import { scheduleOf } from '../bookings/schedule-object';
import type { Clock } from '../lib/clock';
import { isoNow } from '../lib/clock';
import type { Bindings } from '../lib/config';
import type { Db } from '../lib/db';
import type { Deps } from './service';

/** What the admin services get from a request (JSON API or console): never the whole environment. */
export const adminDeps = (c: { var: { db: Db; clock: Clock }; env: Bindings }): Deps => ({
  db: c.var.db,
  now: isoNow(c.var.clock),
  queue: c.env.NOTIFY_QUEUE,
  schedule: (trainerId) => scheduleOf(c.env.TRAINER_SCHEDULE, trainerId, c.var.db),
});
