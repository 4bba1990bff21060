// What each Worker serves. The API Worker (./index.ts) mounts API_AREAS and hands every console
// path to the staff console's Worker (src/admin/worker.ts, wrangler.console.toml) over its CONSOLE
// service binding; ./app.ts mounts both, as one app, for the OpenAPI document and the tests.
import { analyticsRouter } from './analytics/routes';
import { classSessionsRouter } from './bookings/class-routes';
import { bookingsRouter } from './bookings/routes';
import { calendarConnectionsRouter } from './calendar/connection-routes';
import { calendarFeedRouter } from './calendar/feed-routes';
import { calendarSyncRouter } from './calendar/sync-routes';
import { clientPortalRouter } from './client-portal/routes';
import { clientsRouter } from './clients/routes';
import { notificationsRouter } from './notifications/routes';
import { packagesRouter } from './packages/routes';
import { paymentsRouter } from './payments/routes';
import { publicRouter } from './public/routes';
import { schedulingRouter } from './scheduling/routes';
import { seriesRouter } from './series/routes';
import { servicesRouter } from './services/routes';
import { systemRouter } from './system/routes';
import { usersRouter } from './users/routes';
import { widgetRouter } from './widget/routes';

/** The API Worker's routers, in mounting order. */
export const API_AREAS = [
  systemRouter,
  usersRouter,
  clientsRouter,
  schedulingRouter,
  bookingsRouter,
  seriesRouter,
  classSessionsRouter,
  clientPortalRouter,
  calendarFeedRouter,
  packagesRouter,
  servicesRouter,
  calendarConnectionsRouter,
  analyticsRouter,
  notificationsRouter,
  calendarSyncRouter,
  paymentsRouter,
  publicRouter,
  widgetRouter,
];

/**
 * The staff console's paths: its pages (/admin, /admin/...) and the admin API (/api/admin, /api/admin/...),
 * matched on the request's path as hono's router reads it (`getPath`: percent-decoded), so that a path
 * the console's routers would answer never stays here.
 */
export const CONSOLE_PATH = /^\/(?:api\/)?admin(?:\/|$)/;
