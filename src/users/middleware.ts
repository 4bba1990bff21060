import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type AppEnv, jwtSecret } from '../env';
import { getDb } from '../lib/db';
import { forbidden } from '../lib/problem';
import { authenticate, tokenClaims } from './service';

async function signIn(c: Context<AppEnv>) {
  const claims = await tokenClaims(jwtSecret(c.env), c.req.header('Authorization'));
  c.set('auth', await authenticate(getDb(c.env.DB), claims));
}

/** Any signed-in user; sets `auth`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  await signIn(c);
  await next();
});

/** A signed-in trainer (one with a `trainers` row); other users get 403. */
export const requireTrainer = createMiddleware<AppEnv>(async (c, next) => {
  await signIn(c);
  if (!c.get('auth').trainer) throw forbidden('Only trainers can use this endpoint.');
  await next();
});

/**
 * A trainer whose session row is checked later, in the first D1 statement the request makes
 * anyway (the booking read inside the trainer's schedule object), which saves a round trip on
 * the hottest write. Here: the token's signature, expiry and trainer claim. A token without
 * the claim gets the full check at once. Sets `claim`; while `claim.sessionChecked` is false the
 * handler must have the session read, and refuse the request with 401, before it writes anything.
 * Two differences from requireTrainer, both harmless: a revoked token with a malformed body gets
 * the 400 (validation runs before the session read), and a token whose trainer row is gone gets
 * 401 rather than 403.
 */
export const requireTrainerClaim = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await tokenClaims(jwtSecret(c.env), c.req.header('Authorization'));
  if (claims.trainerId !== null) {
    c.set('claim', { userId: claims.userId, trainerId: claims.trainerId, jti: claims.jti, sessionChecked: false });
  } else {
    const auth = await authenticate(getDb(c.env.DB), claims);
    if (!auth.trainer) throw forbidden('Only trainers can use this endpoint.');
    c.set('auth', auth);
    c.set('claim', { userId: auth.user.id, trainerId: auth.trainer.id, jti: claims.jti, sessionChecked: true });
  }
  await next();
});

/** The signed-in trainer; only after requireTrainer. */
export function currentTrainer(c: Context<AppEnv>) {
  const trainer = c.get('auth').trainer;
  if (!trainer) throw forbidden('Only trainers can use this endpoint.');
  return trainer;
}
