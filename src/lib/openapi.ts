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
