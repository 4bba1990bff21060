import { createRoute } from '@hono/zod-openapi';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { authenticated, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { pageOf } from '../lib/pagination';
import { createRouter } from '../lib/router';
import {
  bookingStatsOut,
  clientStatsOut,
  dashboardOut,
  dateRangeQuery,
  metricListQuery,
  metricOut,
  revenueOut,
  revenueQuery,
} from './schemas';
import * as analytics from './service';

const trainerOnly = { tags: ['analytics'], security: authenticated, middleware: requireTrainer };

const list = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/analytics',
  summary: 'Stored daily metrics (one row per local day, written by the hourly rollup), newest first',
  request: { query: metricListQuery },
  responses: {
    200: jsonResponse(pageSchema(metricOut, 'DailyMetricsPage'), 'A page'),
    ...problems(400, 401, 403),
  },
});
const dashboard = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/analytics/dashboard',
  summary: "The business at a glance; months are the trainer's local months",
  responses: { 200: jsonResponse(dashboardOut, 'The dashboard'), ...problems(401, 403) },
});
const revenue = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/analytics/revenue',
  summary: 'Package sales of one week, month or year, with a series per day (per month for a year)',
  request: { query: revenueQuery },
  responses: { 200: jsonResponse(revenueOut, 'The report'), ...problems(400, 401, 403) },
});
const bookingStats = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/analytics/bookings-stats',
  summary: 'Bookings by status, local weekday and local hour (default: all time)',
  request: { query: dateRangeQuery },
  responses: { 200: jsonResponse(bookingStatsOut, 'The statistics'), ...problems(400, 401, 403) },
});
const clientStats = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/analytics/client-stats',
  summary: 'The client book: activity, fitness levels, new clients per month',
  responses: { 200: jsonResponse(clientStatsOut, 'The statistics'), ...problems(401, 403) },
});

export const analyticsRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await analytics.listMetrics(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(dashboard, async (c) => c.json(await analytics.dashboard(c.var.db, currentTrainer(c), c.var.clock()), 200))
  .openapi(revenue, async (c) =>
    c.json(await analytics.revenueReport(c.var.db, currentTrainer(c), c.req.valid('query'), c.var.clock()), 200),
  )
  .openapi(bookingStats, async (c) =>
    c.json(await analytics.bookingStats(c.var.db, currentTrainer(c), c.req.valid('query')), 200),
  )
  .openapi(clientStats, async (c) =>
    c.json(await analytics.clientStats(c.var.db, currentTrainer(c), c.var.clock()), 200),
  );
