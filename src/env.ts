import type { Trainer, User } from './db/schema';
import { unavailable } from './lib/problem';

/**
 * The Worker's bindings: what `wrangler types` generates from wrangler.toml (`Env`), plus the
 * secrets, all optional because `npm run dev` and the tests run without most of them.
 */
export type Bindings = Env & {
  JWT_SECRET?: string;
  PADDLE_API_KEY?: string;
  PADDLE_WEBHOOK_SECRET?: string;
  SENDGRID_API_KEY?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
};

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

export type AppEnv = {
  Bindings: Bindings;
  Variables: { requestId: string; auth: AuthContext; claim: TrainerClaim };
};

// Used only when ENVIRONMENT=development (npm run dev), so a fresh clone runs with no secrets.
const DEV_JWT_SECRET = 'trainerhub-dev-only-secret-never-used-in-production';

export function jwtSecret(env: Bindings): string {
  if (env.JWT_SECRET && env.JWT_SECRET.length >= 32) return env.JWT_SECRET;
  if (env.ENVIRONMENT === 'development') return DEV_JWT_SECRET;
  throw unavailable('JWT_SECRET is not configured (set a secret of at least 32 characters).');
}
