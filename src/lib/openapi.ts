import type { ZodType } from 'zod';
import { titleFor } from './problem';
import { describePolicy, type RatePolicy } from './ratelimit';
import { BOOKMARK_DESCRIPTION, BOOKMARK_HEADER, BOOKMARK_PATTERN, MAX_BOOKMARK_LENGTH } from './sessions';
import * as z from './zod';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
    code: z.string().optional(),
    request_id: z.string().optional(),
  })
  .openapi('Problem');

/** A required JSON request body. */
export const jsonBody = <T extends ZodType>(schema: T) => ({
  body: { required: true, content: { 'application/json': { schema } } },
});

export const jsonResponse = <T extends ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/**
 * Problem responses for the given statuses, for the OpenAPI document. A 429 is documented only
 * by `rateLimited(policy)`, from the limits that really apply.
 */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => {
      if (s === 429) throw new Error('Document a 429 with rateLimited(policy), from the limits that apply.');
      return [s, { content: { 'application/problem+json': { schema: problemSchema } }, description: titleFor(s) }];
    }),
  );

/** The 429 of a rate-limited operation: its limits and the Retry-After header. */
export const rateLimited = (policy: RatePolicy) => ({
  429: {
    content: { 'application/problem+json': { schema: problemSchema } },
    description: `${titleFor(429)}: ${describePolicy(policy)}.`,
    headers: {
      'Retry-After': { description: 'Seconds until a request may pass again.', schema: { type: 'integer' as const } },
    },
  },
});

export const authenticated: Record<string, string[]>[] = [{ Bearer: [] }, { Token: [] }];

/** `{id}` in a path: a positive integer, else 400 naming `id`. */
export const idParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});

/** A query flag: true|false|1|0. */
export const boolQuery = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

/** The DRF list envelope around `item`. */
export const pageSchema = <T extends ZodType>(item: T, name: string) =>
  z
    .object({
      count: z.number().int().optional().openapi({
        description: 'How many rows match: always in page mode; in cursor mode only with `count=true`.',
      }),
      next: z.string().nullable(),
      previous: z.string().nullable(),
      results: z.array(item),
    })
    .openapi(name);

type Json = Record<string, unknown>;
const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const bookmarkSchema = { type: 'string', maxLength: MAX_BOOKMARK_LENGTH, pattern: BOOKMARK_PATTERN };

/**
 * The document with `x-d1-bookmark` on every operation: one request header parameter and one
 * response header, each a component every operation and every response refers to (the session
 * middleware handles the header for every route, so it is declared here, not route by route).
 */
export function withBookmarkHeader<D extends { paths?: object; components?: object }>(doc: D): D {
  const ref = { $ref: '#/components/parameters/D1Bookmark' };
  const header = { $ref: '#/components/headers/D1Bookmark' };
  const paths = Object.fromEntries(
    Object.entries((doc.paths ?? {}) as Record<string, Json>).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item).map(([key, op]) => {
          if (!OPERATIONS.includes(key)) return [key, op];
          const { parameters = [], responses = {} } = op as {
            parameters?: unknown[];
            responses?: Record<string, Json>;
          };
          const answered = Object.fromEntries(
            Object.entries(responses).map(([code, r]) => [
              code,
              { ...r, headers: { ...(r.headers as Json | undefined), [BOOKMARK_HEADER]: header } },
            ]),
          );
          return [key, { ...(op as Json), parameters: [...parameters, ref], responses: answered }];
        }),
      ),
    ]),
  );
  const components = (doc.components ?? {}) as Json;
  return {
    ...doc,
    paths,
    components: {
      ...components,
      parameters: {
        ...(components.parameters as Json | undefined),
        D1Bookmark: {
          name: BOOKMARK_HEADER,
          in: 'header',
          required: false,
          description: BOOKMARK_DESCRIPTION,
          schema: bookmarkSchema,
        },
      },
      headers: {
        ...(components.headers as Json | undefined),
        D1Bookmark: {
          description: `${BOOKMARK_DESCRIPTION} Absent when the request did not use the database.`,
          schema: bookmarkSchema,
        },
      },
    },
  };
}

// ---- the document's introduction and tags (rendered by the reference at /api/docs) --------------

const INTRODUCTION = `JSON over HTTPS; every path answers with or without a trailing slash. The document: [/api/openapi.json](/api/openapi.json).

## Authentication
\`POST /api/users/register/\` or \`/api/users/login/\` answers a \`token\`: send \`Authorization: Bearer <token>\`. It lasts 30 days; \`POST /api/users/logout/\` revokes it, a password change revokes the others. Without a valid token: 401. \`/api/public/\` needs none.

## Errors
\`application/problem+json\` (RFC 9457) with \`detail\` and \`request_id\`. A 400 names every bad field under \`errors\` (\`{"errors": {"email": ["Enter an email address like name@example.com."]}}\`; nested ones dotted). A refusal you can act on has a \`code\` (409 \`booking_overlap\`, \`class_full\`, 403 \`email_unverified\`…), listed by each operation.

## Pagination
Lists answer \`{count, next, previous, results}\` by \`?page=\` and \`?page_size=\` (≤ 100). Bookings, clients and notifications also take \`?cursor=\`: empty for the first page, then follow \`next\` until \`null\`. Cursor pages never repeat or skip a row; \`count\` only with \`?count=true\`.

## Idempotency-Key
Booking creates and \`use_session\` take \`Idempotency-Key\` (e.g. a UUID): the same key for the same request within 24 h replays the first answer; for another request it is 422 \`idempotency_key_reused\`.

## Rate limits
Some operations are rate limited (sign-up, login, the public API, client bookings, calendar feeds…); each lists its limits under its 429. A 429 carries \`Retry-After\` (seconds).

## x-d1-bookmark
Reads may come from a replica a moment behind. Answers that used the database carry \`x-d1-bookmark\`; send the last one you got back as \`x-d1-bookmark\` to read at least up to it, your own writes included.

## Webhooks
Paddle posts subscription and payment events to \`/api/webhooks/paddle/\`, verified by \`Paddle-Signature\`; each \`event_id\` is applied once.

## Widget
\`<script src="https://<host>/widget.js" data-trainer="<slug>" async></script>\` embeds the booking page \`/book/<slug>\`, which books through \`/api/public/\` and reports \`trainerhub:*\` DOM events.`;

export const API_INFO = { title: 'TrainerHub API', version: '0.1.0', description: INTRODUCTION };

/** Every tag of the document with what its operations are for, in the reference's order. */
export const API_TAGS = [
  {
    name: 'users',
    description: 'Accounts: register, log in and out, verify the email, the profile and trainer settings.',
  },
  { name: 'clients', description: "The trainer's client book, with notes." },
  { name: 'services', description: 'What a trainer sells: length, buffers, price and place; one default.' },
  { name: 'availability', description: 'Weekly opening hours and the free slots they leave.' },
  { name: 'availability overrides', description: "A date's own hours, or the date closed." },
  { name: 'breaks', description: 'Time off: whole days, or part of each day.' },
  {
    name: 'bookings',
    description: 'Sessions with clients, never double-booked; confirm, cancel, move, complete, no-show.',
  },
  { name: 'booking-series', description: 'Standing weekly sessions created, confirmed and cancelled as a whole.' },
  { name: 'classes', description: 'Group classes: sessions of a service with capacity, their places and waitlist.' },
  { name: 'packages', description: 'Session packs for sale, the packs clients hold and their credits.' },
  { name: 'calendar', description: "The trainer's calendar feed, and busy time imported from their own calendars." },
  { name: 'analytics', description: 'Dashboard, revenue, booking and client figures.' },
  {
    name: 'notifications',
    description: "The trainer's emails and SMS (to them and their clients); a failed one can be sent again.",
  },
  { name: 'subscriptions', description: "The trainer's TrainerHub subscription through Paddle." },
  { name: 'payments', description: 'Subscription payments and the Paddle webhook.' },
  { name: 'public', description: "No account: a trainer's page, free times, booking, and the manage link." },
  {
    name: 'client account',
    description: 'A signed-in client books, moves and cancels their own sessions and sees their packs.',
  },
  { name: 'admin', description: 'Staff only: every record across trainers, and a few audited changes.' },
  { name: 'system', description: 'Liveness, readiness and the index of the API.' },
];
