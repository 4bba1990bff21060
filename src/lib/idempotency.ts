import { type SQL, sql } from 'drizzle-orm';
import { idempotencyKeys } from '../db/schema';
import { type Db, statement } from './db';
import { ApiError, invalidField } from './problem';
import { addSeconds } from './time';
import { sha256Hex } from './tokens';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** The creation time a stored record must be newer than to count at `nowIso`. */
export const cutoff = (nowIso: string) => addSeconds(nowIso, -IDEMPOTENCY_TTL_SECONDS);

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

/** A stored answer: the body's hash, and the response (or the resource it created). */
export interface PriorRequest {
  requestHash: string;
  responseBody: string;
  resourceId: number | null;
}

/**
 * The stored record for this key within the last 24 h as one JSON column (NULL when there is
 * none), so the lookup rides in the same D1 statement as the request's other reads.
 */
export const priorColumn = (idem: Idempotency | null, nowIso: string): SQL =>
  idem ? priorSince(idem, cutoff(nowIso)) : sql`NULL`;

/**
 * `priorColumn` with its values as SQL (placeholders of a statement built once): the key and
 * the cut-off (`cutoff(now)`) before which a record no longer counts.
 */
export const priorSince = (idem: { scope: string | SQL; key: string | SQL }, since: string | SQL): SQL =>
  sql`(SELECT json_object('requestHash', request_hash, 'responseBody', response_body, 'resourceId', resource_id)
    FROM ${idempotencyKeys} WHERE scope = ${idem.scope} AND key = ${idem.key} AND created_at > ${since})`;

/** The header a replayed answer carries (`Idempotency-Replayed: true`); none on a first answer. */
export const replayHeader = (replayed: boolean) => (replayed ? { 'Idempotency-Replayed': 'true' } : undefined);

/**
 * Whether the request replays a live stored answer under its key: the same body (another body is
 * `priorOf`'s 422, thrown here). A rate limit lets a replay through: it writes nothing.
 */
export async function isReplay(db: Db, idem: Idempotency | null, nowIso: string): Promise<boolean> {
  if (!idem) return false;
  const column = await statement(db, sql`SELECT ${priorColumn(idem, nowIso)} AS prior`).first<string | null>('prior');
  return priorOf(column, idem) !== null;
}

/** The prior request under this key, parsed; 422 when it was made with another body. */
export function priorOf(column: string | null, idem: Idempotency | null): PriorRequest | null {
  if (!column || !idem) return null;
  const prior = JSON.parse(column) as PriorRequest;
  if (prior.requestHash !== idem.hash) {
    throw new ApiError(422, 'This Idempotency-Key was already used with a different request body.', {
      code: 'idempotency_key_reused',
    });
  }
  return prior;
}

// ---- for writers that run outside a schedule object --------------------------------------
// Two requests with one key may then race: the write itself is guarded by `keyRecorded`, and
// its batch removes only an expired record (a live one is the answer to replay).

/** Deletes this key's record only when it is older than 24 h, so the key may be used afresh. */
export const forgetExpired = (idem: Idempotency, nowIso: string): SQL =>
  sql`DELETE FROM ${idempotencyKeys} WHERE scope = ${idem.scope} AND key = ${idem.key} AND created_at <= ${cutoff(nowIso)}`;

/** True while a record for this key exists (guard a write with `NOT keyRecorded`). */
export const keyRecorded = (idem: Idempotency): SQL =>
  sql`EXISTS (SELECT 1 FROM ${idempotencyKeys} WHERE scope = ${idem.scope} AND key = ${idem.key})`;

/** Records the key (its body still to be saved) for the resource the batch wrote, only if `guard` holds. */
export const rememberKey = (
  idem: Idempotency,
  r: { statusCode: number; resourceId: SQL; guard: SQL; nowIso: string },
): SQL =>
  sql`INSERT INTO ${idempotencyKeys} (scope, key, request_hash, status_code, response_body, resource_id, created_at)
    SELECT ${idem.scope}, ${idem.key}, ${idem.hash}, ${r.statusCode}, '', ${r.resourceId}, ${r.nowIso} WHERE ${r.guard}`;

/**
 * Stores an answer rebuilt by a replay, only while no whole answer (a JSON object with an `id`) is
 * stored: the first one saved stays, so every later replay answers the same.
 */
export const saveResponseOnce = (idem: Idempotency, body: unknown): SQL =>
  sql`UPDATE ${idempotencyKeys} SET response_body = ${JSON.stringify(body)}
    WHERE scope = ${idem.scope} AND key = ${idem.key}
      AND (response_body = '' OR json_extract(response_body, '$.id') IS NULL)`;

/** Stores the first answer under its key, for replays. */
export const saveResponse = (idem: Idempotency, body: unknown): SQL =>
  sql`UPDATE ${idempotencyKeys} SET response_body = ${JSON.stringify(body)}
    WHERE scope = ${idem.scope} AND key = ${idem.key}`;
