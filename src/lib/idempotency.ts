import { and, eq, gt } from 'drizzle-orm';
import { idempotencyKeys } from '../db/schema';
import type { Db } from './db';
import { ApiError, invalidField } from './problem';
import { addSeconds } from './time';
import { sha256Hex } from './tokens';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface Idempotency {
  scope: string;
  key: string;
  hash: string;
}

/** A JSON string of the value with object keys sorted, so equal bodies hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request's idempotency identity, or null when no Idempotency-Key header was sent. */
export async function idempotencyOf(
  header: string | undefined,
  scope: string,
  body: unknown,
): Promise<Idempotency | null> {
  if (header === undefined) return null;
  const key = header.trim();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw invalidField('Idempotency-Key', 'Use 1–255 visible ASCII characters, e.g. a UUID.');
  }
  const hash = await sha256Hex(canonical(body));
  return { scope, key, hash };
}

/** The stored record for this key within the last 24 h; 422 when it was used with another body. */
export async function findIdempotent(db: Db, idem: Idempotency, nowIso: string) {
  const row = await db
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.scope, idem.scope),
        eq(idempotencyKeys.key, idem.key),
        gt(idempotencyKeys.createdAt, addSeconds(nowIso, -IDEMPOTENCY_TTL_SECONDS)),
      ),
    )
    .get();
  if (row && row.requestHash !== idem.hash) {
    throw new ApiError(422, 'This Idempotency-Key was already used with a different request body.', {
      code: 'idempotency_key_reused',
    });
  }
  return row ?? null;
}
