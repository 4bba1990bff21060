import type { ZodType } from 'zod';
import { titleFor } from './problem';
import { describePolicy, type RatePolicy } from './ratelimit';
import * as z from './zod';

export const problemSchema = z
  .object({
    type: z.string().openapi({ description: 'Always about:blank: `status` and `code` say what kind.' }),
    title: z.string().openapi({ description: "The HTTP status's short title." }),
    status: z.number().int().openapi({ description: 'The HTTP status code.' }),
    detail: z.string().openapi({ description: 'What went wrong, as a sentence for people.' }),
    errors: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .openapi({ description: 'Each bad field (dotted path) with its messages; every bad field is named.' }),
    code: z.string().optional().openapi({ description: 'A stable machine-readable reason, e.g. booking_overlap.' }),
    request_id: z.string().optional().openapi({ description: "The request's X-Request-Id, for support." }),
  })
  .openapi('Problem', { description: 'An RFC 9457 problem: every error answer.' });

/**
 * The body of an operation that takes no fields: none, or `{}`. Any field sent is a 400 naming it
 * (a `{"sessions": 3}` to use_session must not quietly use one), as for every other body.
 */
export const noBody = {
  body: {
    required: false,
    content: {
      'application/json': {
        schema: z
          .strictObject({})
          .openapi('NoFields', { description: 'This operation takes no fields: send no body, or {}.' }),
      },
    },
  },
};

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

/**
 * A whole number as a query or path parameter carries it: decimal digits only, then checked as
 * `schema` says. z.coerce would also read "1e3", "0x10", "5e0" and " 7", each a typo the caller
 * should hear about (400) rather than a different number silently used.
 */
export const digits = <T extends z.ZodNumber>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), schema);

/** `{id}` in a path: a positive integer, else 400 naming `id`. */
export const idParam = z.object({
  id: digits(z.number().int().positive()).openapi({
    param: { name: 'id', in: 'path', description: 'The id of the record the path names.' },
    example: 1,
  }),
});

/** A query flag: true|false|1|0. */
export const boolQuery = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

const PAGE_NEXT = 'The URL of the next page (every other query parameter kept); null on the last.';
const PAGE_PREVIOUS = 'The URL of the previous page; null on the first, and always in cursor mode.';

/** The DRF list envelope around `item`. */
export const pageSchema = <T extends ZodType>(item: T, name: string) =>
  z
    .object({
      count: z.number().int().optional().openapi({
        description: 'How many rows match: always in page mode; in cursor mode only with `count=true`.',
      }),
      next: z.string().nullable().openapi({ description: PAGE_NEXT }),
      previous: z.string().nullable().openapi({ description: PAGE_PREVIOUS }),
      results: z.array(item).openapi({ description: "This page's rows." }),
    })
    .openapi(name);
