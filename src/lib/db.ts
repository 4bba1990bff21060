import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../db/schema';

export const getDb = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof getDb>;

/** True when D1 refused a write because of a UNIQUE constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  return /UNIQUE constraint failed/i.test(text);
}
