import type { Trainer, User } from '../db/schema';
import type { Clock } from './clock';
import type { Bindings, Config } from './config';
import type { Db } from './db';

export interface AuthContext {
  user: User;
  trainer: Trainer | null;
  jti: string;
}

/** A trainer's verified token; until `sessionChecked`, its session row is still to be read. */
export interface TrainerClaim {
  userId: number;
  trainerId: number;
  jti: string;
  sessionChecked: boolean;
}

/** What every handler finds on `c.var`: set once per request by the platform middleware. */
export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    db: Db;
    clock: Clock;
    auth: AuthContext;
    claim: TrainerClaim;
  };
};
