import { createMiddleware } from 'hono/factory';
import { type AppEnv, jwtSecret } from '../env';
import { getDb } from '../lib/db';
import { forbidden, unauthorized } from '../lib/problem';
import { authenticate } from './service';

/** Any signed-in user; sets `auth`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('Authorization');
  if (!header) throw unauthorized();
  c.set('auth', await authenticate(getDb(c.env.DB), jwtSecret(c.env), header));
  await next();
});

/** A signed-in trainer (one with a `trainers` row); others get 403. */
export const requireTrainer = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get('auth').trainer) throw forbidden('Only trainers can use this endpoint.');
  await next();
});
