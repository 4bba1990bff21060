import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type AppEnv, jwtSecret } from '../env';
import { getDb } from '../lib/db';
import { forbidden, unauthorized } from '../lib/problem';
import { authenticate } from './service';

async function signIn(c: Context<AppEnv>) {
  const header = c.req.header('Authorization');
  if (!header) throw unauthorized();
  c.set('auth', await authenticate(getDb(c.env.DB), jwtSecret(c.env), header));
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

/** The signed-in trainer; only after requireTrainer. */
export function currentTrainer(c: Context<AppEnv>) {
  const trainer = c.get('auth').trainer;
  if (!trainer) throw forbidden('Only trainers can use this endpoint.');
  return trainer;
}
