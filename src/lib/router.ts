import { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { type Clock, fixedClock, systemClock } from './clock';
import { configOf } from './config';
import type { AppEnv } from './context';
import { invalid, zodFieldErrors } from './problem';

export type { AppEnv } from './context';

/** Every area's router: zod validation failures become a 400 naming each bad field. */
export const createRouter = () =>
  new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) throw invalid(zodFieldErrors(result.error));
    },
  });

/** `X-Request-Id`: a sane incoming one is echoed, anything else is replaced by a fresh UUID. */
export const requestIds = requestId({
  headerName: 'X-Request-Id',
  limitLength: 128,
  generator: () => crypto.randomUUID(),
});

/**
 * The request's platform: parsed configuration and the clock (the database handle: `d1Session`). In tests
 * (ENVIRONMENT=test only) `X-Test-Now` pins the clock to one instant.
 */
export const platform = createMiddleware<AppEnv>(async (c, next) => {
  const config = configOf(c.env);
  c.set('config', config);
  let clock: Clock = systemClock;
  const pinned = config.environment === 'test' ? c.req.header('X-Test-Now') : undefined;
  if (pinned && !Number.isNaN(Date.parse(pinned))) clock = fixedClock(pinned);
  c.set('clock', clock);
  await next();
});
