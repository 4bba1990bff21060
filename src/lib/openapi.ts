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
