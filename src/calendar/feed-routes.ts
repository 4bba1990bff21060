// /api/calendar/feed/: the trainer's subscribe address (and its rotation), and the feed itself,
// which calendar apps fetch without an account: the token in the path is the credential; and
// /api/clients/{id}/calendar-feed/rotate: the trainer replaces a client's feed address.
import { createRoute } from '@hono/zod-openapi';
import { currentTrainer, requireTrainer } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, idParam, jsonResponse, noBody, problems, rateLimited } from '../lib/openapi';
import { RATE_POLICIES } from '../lib/ratelimit';
import { createRouter } from '../lib/router';
import * as z from '../lib/zod';
import { FEED_MAX_AGE_SECONDS, rotateClientFeed, rotateTrainerFeed, serveFeed, trainerFeedUrls } from './feed';

const tags = ['calendar'];
const trainerOnly = { security: authenticated, middleware: requireTrainer, tags };

export const feedUrlsOut = z
  .object({
    url: z.string().openapi({ description: 'The feed over https: paste it into "subscribe by URL".' }),
    webcal_url: z.string().openapi({ description: 'The same feed as webcal://, which opens the calendar app.' }),
  })
  .openapi('CalendarFeedUrls');

const show = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/calendar/feed',
  summary: "The trainer's calendar feed address (secret: anyone holding it reads the calendar)",
  responses: { 200: jsonResponse(feedUrlsOut, 'The addresses'), ...problems(401, 403, 503) },
});

const rotate = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/calendar/feed/rotate',
  summary: 'Replace the feed address: the old one answers 404 at once; subscribe again with the new one',
  request: noBody,
  responses: { 200: jsonResponse(feedUrlsOut, 'The new addresses'), ...problems(400, 401, 403, 503) },
});

const rotateClient = createRoute({
  ...trainerOnly,
  tags: ['clients'],
  method: 'post',
  path: '/api/clients/{id}/calendar-feed/rotate',
  summary: "Replace a client's calendar feed address: the old one answers 404 at once",
  description:
    "A client's own feed (their bookings with this trainer, linked from the manage page of a booking the trainer made) is read by whoever holds its address; rotating revokes a leaked one. The client's feed generation is raised: the old address answers 404 at once, the answer is the new one (the same shape as `POST /api/calendar/feed/rotate`), and the manage page links the new one from then on, so the client subscribes again from there or with the address given to them. A client that is not this trainer's answers 404, as a missing one.",
  request: { params: idParam, ...noBody },
  responses: { 200: jsonResponse(feedUrlsOut, 'The new addresses'), ...problems(400, 401, 403, 404, 503) },
});

const FEED_PATH = '/api/calendar/feed/{token}.ics';

/** Documented here; routed below with a pattern, since a path parameter cannot end in ".ics" otherwise. */
const feed = createRoute({
  method: 'get',
  path: FEED_PATH,
  tags,
  summary: 'A calendar feed (iCalendar), for calendar apps to subscribe to',
  description: `A trainer's feed: their pending and confirmed bookings (completed and no-show ones as confirmed), class sessions ("<service> · n/capacity booked") and breaks (whole days as all-day events), from 60 days back to the booking horizon or a year ahead, whichever is later (the trainer may book beyond the horizon); bookings and classes cancelled in the last 30 days as STATUS:CANCELLED. A client's feed (linked from the manage page of a booking the trainer made): their own bookings with that trainer. Each event's UID is stable (a booking's is the one of its .ics) and its DTSTAMP is the row's last change, so the body, and its strong ETag, change only when the data does: send If-None-Match for a 304. Cache-Control: private, max-age=${FEED_MAX_AGE_SECONDS}. An unknown, forged or rotated token is a 404.`,
  request: { params: z.object({ token: z.string().openapi({ description: 'The token of the feed address.' }) }) },
  responses: {
    200: {
      description: 'text/calendar; charset=utf-8, with ETag',
      content: { 'text/calendar': { schema: z.string() } },
    },
    304: { description: 'Not modified: the If-None-Match named the current ETag' },
    ...problems(404, 503),
    ...rateLimited(RATE_POLICIES.calendarFeed),
  },
});

const router = createRouter()
  .openapi(show, async (c) => c.json(await trainerFeedUrls(c.var.db, c.var.config.calendar, currentTrainer(c).id), 200))
  .openapi(rotate, async (c) =>
    c.json(await rotateTrainerFeed(c.var.db, c.var.config.calendar, currentTrainer(c).id), 200),
  )
  .openapi(rotateClient, async (c) =>
    c.json(await rotateClientFeed(c.var.db, c.var.config.calendar, currentTrainer(c).id, c.req.valid('param').id), 200),
  );

router.openAPIRegistry.registerPath(feed);

export const calendarFeedRouter = router.get('/api/calendar/feed/:file{[^/]+\\.ics}', async (c) => {
  const token = c.req.param('file').slice(0, -'.ics'.length);
  const answer = await serveFeed(
    { db: c.var.db, now: isoNow(c.var.clock) },
    c.var.config.calendar,
    token,
    c.req.header('If-None-Match'),
  );
  const headers = { ETag: answer.etag, 'Cache-Control': `private, max-age=${FEED_MAX_AGE_SECONDS}` };
  if (answer.status === 304) return c.body(null, 304, headers);
  return c.body(answer.body, 200, { ...headers, 'Content-Type': 'text/calendar; charset=utf-8' });
});
