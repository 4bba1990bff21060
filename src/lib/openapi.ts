import { z } from '@hono/zod-openapi';
import type { ZodType } from 'zod';
import { titleFor } from './problem';

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

/** Problem responses for the given statuses, for the OpenAPI document. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { content: { 'application/problem+json': { schema: problemSchema } }, description: titleFor(s) },
    ]),
  );

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
      count: z.number().int(),
      next: z.string().nullable(),
      previous: z.string().nullable(),
      results: z.array(item),
    })
    .openapi(name);
