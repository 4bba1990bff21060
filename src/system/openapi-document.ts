// The OpenAPI document (/api/openapi.json), built at deploy time: scripts/build-openapi.mjs runs
// `apiDocument(createApp())` under Node and writes it into the static assets (dist/assets), which
// Cloudflare serves without running the Worker. So nothing here is in the Worker's bundle (nor the
// generator of @hono/zod-openapi: see wrangler.toml [alias]); the tests build the same document
// from the same app inside workerd (test/helpers.ts `openapiDocument`).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { FIELD_DOCS, PARAM_DOCS } from '../lib/field-docs';
import type { AppEnv } from '../lib/router';
import { BOOKMARK_DESCRIPTION, BOOKMARK_HEADER, BOOKMARK_PATTERN, MAX_BOOKMARK_LENGTH } from '../lib/sessions';
import { API_TITLE } from './docs';

type Json = Record<string, unknown>;
const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const bookmarkSchema = { type: 'string', maxLength: MAX_BOOKMARK_LENGTH, pattern: BOOKMARK_PATTERN };

const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const refers = (s: Json) =>
  '$ref' in s || [s.anyOf, s.allOf].some((m) => Array.isArray(m) && m.some((x) => '$ref' in x));

/**
 * Every schema property and parameter without a description of its own gets the sentence of its
 * name from `FIELD_DOCS` / `PARAM_DOCS` (fields that mean the same wherever they appear: each
 * sentence ships once). A `$ref` is described by its component, a nested object by itself.
 * Examples are values, left as they are.
 */
function describeFields(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(describeFields);
  if (!isJson(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'examples' || key === 'default') out[key] = value;
    else if (key !== 'properties' || !isJson(value)) out[key] = describeFields(value);
    else {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, p]) => {
          const prop = describeFields(p) as Json;
          const text = FIELD_DOCS[name];
          const fill = text && !prop.description && !refers(prop) && prop.type !== 'object';
          return [name, fill ? { ...prop, description: text } : prop];
        }),
      );
    }
  }
  const text = typeof out.in === 'string' && typeof out.name === 'string' ? PARAM_DOCS[out.name] : undefined;
  if (text && !out.description) out.description = text;
  return out;
}

/**
 * The answers of the middleware every route passes, by status: a malformed `x-d1-bookmark` (or
 * path id) is a 400 on any operation, a body too large or not JSON a 413 or 415 on any that takes
 * one. An operation that documents the status itself keeps its own.
 */
const SHARED_RESPONSES: Record<string, string> = {
  '400': 'Bad Request: a bad field, parameter or header, each named under `errors`.',
  '413': 'Content Too Large: the body is over the limit of its route.',
  '415': 'Unsupported Media Type: the body is not `application/json`.',
};
const sharedResponse = (code: string): Json => ({
  description: SHARED_RESPONSES[code],
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * The document with `x-d1-bookmark` on every operation: one request header parameter and one
 * response header, each a component every operation and every response refers to (the session
 * middleware handles the header for every route, so it is declared here, not route by route); the
 * shared 400, 413 and 415 (`SHARED_RESPONSES`) on each operation that does not document its own;
 * and the shared field descriptions filled in (`describeFields`).
 */
function withBookmarkHeader<D extends { paths?: object; components?: object }>(doc: D): D {
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
            requestBody?: unknown;
          };
          const shared = (op as Json).requestBody ? ['400', '413', '415'] : ['400'];
          const all = { ...responses };
          for (const code of shared) all[code] ??= sharedResponse(code);
          const answered = Object.fromEntries(
            Object.entries(all).map(([code, r]) => [
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
  return describeFields({
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
  }) as D;
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
Booking and series creates and \`use_session\` take \`Idempotency-Key\` (e.g. a UUID): the same key for the same request within 24 h replays the first answer; for another request it is 422 \`idempotency_key_reused\`.

## Rate limits
Some operations are rate limited (sign-up, login, the public API, client bookings, calendar feeds…); each lists its limits under its 429. A 429 carries \`Retry-After\` (seconds).

## x-d1-bookmark
Reads may come from a replica a moment behind. Answers that used the database carry \`x-d1-bookmark\`; send the last one you got back as \`x-d1-bookmark\` to read at least up to it, your own writes included.

## Webhooks
Paddle posts subscription and payment events to \`/api/webhooks/paddle/\`, verified by \`Paddle-Signature\`; each \`event_id\` is applied once.

## Widget
\`<script src="https://<host>/widget.js" data-trainer="<slug>" async></script>\` embeds the booking page \`/book/<slug>\`, which books through \`/api/public/\` and reports \`trainerhub:*\` DOM events.`;

const API_INFO = { title: API_TITLE, version: '0.1.0', description: INTRODUCTION };

/** Every tag of the document with what its operations are for, in the reference's order. */
const API_TAGS = [
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

const OPENAPI_CONFIG = { openapi: '3.1.0', info: API_INFO, tags: API_TAGS };

/** The OpenAPI document of every route of `app` (made by `createApp`), with the headers every operation shares. */
export const apiDocument = (app: OpenAPIHono<AppEnv>) => withBookmarkHeader(app.getOpenAPI31Document(OPENAPI_CONFIG));
