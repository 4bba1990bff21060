// Paddle Billing at the edges: the webhook signature check and a small REST client over `fetch`
// (Paddle's node SDK does not target workerd). No database and no Hono here.

import { ApiError } from '../lib/problem';
import { toUtcInstant } from '../lib/time';
import { hmacSha256, sameBytes, toHex } from '../lib/tokens';
import * as z from '../lib/zod';

/**
 * The tag that vouches for `custom_data.trainer_id`: Paddle.js opens checkouts in browsers with a
 * public token, so anyone could name any trainer; only checkouts this server opened carry a tag.
 */
export async function trainerRef(secret: string, trainerId: number): Promise<string> {
  return toHex((await hmacSha256(secret, `paddle-trainer:${trainerId}`)).slice(0, 16));
}

const PADDLE_TIMEOUT_MS = 10_000;

// ---- webhook signatures ----------------------------------------------------------------

/** `ts=…;h1=…[;h1=…]` → the timestamp and every h1; null when the header is unusable. */
export function parseSignatureHeader(header: string | null | undefined): { ts: string; h1: string[] } | null {
  if (!header) return null;
  let ts: string | undefined;
  const h1: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'ts') ts = value;
    else if (key === 'h1') h1.push(value);
  }
  if (ts === undefined || !/^\d{1,12}$/.test(ts) || h1.length === 0) return null;
  return { ts, h1 };
}

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export interface VerifyInput {
  header: string | null | undefined;
  /** The request body exactly as received; re-serialized JSON does not verify. */
  rawBody: ArrayBuffer | Uint8Array | string;
  secrets: string[];
  nowSeconds: number;
  toleranceSeconds: number;
}

/**
 * Paddle's scheme: h1 = hex HMAC-SHA256(secret, ts + ":" + raw body). Valid when `ts` is within the
 * tolerance of now (either direction) and any h1 matches under any secret; compared in constant time.
 */
export async function verifyPaddleSignature(input: VerifyInput): Promise<boolean> {
  const parsed = parseSignatureHeader(input.header);
  if (!parsed || input.secrets.length === 0) return false;
  if (Math.abs(input.nowSeconds - Number(parsed.ts)) > input.toleranceSeconds) return false;
  const body =
    typeof input.rawBody === 'string'
      ? encoder.encode(input.rawBody)
      : input.rawBody instanceof Uint8Array
        ? input.rawBody
        : new Uint8Array(input.rawBody);
  const prefix = encoder.encode(`${parsed.ts}:`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  const candidates = parsed.h1.map(hexToBytes).filter((b): b is Uint8Array => b !== null);
  let matched = false;
  for (const secret of input.secrets) {
    const expected = await hmacSha256(secret, message);
    // Every candidate is compared, so the time taken does not tell which one (if any) matched.
    for (const candidate of candidates) {
      if (sameBytes(expected, candidate)) matched = true;
    }
  }
  return matched;
}

// ---- Paddle's formats ------------------------------------------------------------------

const PADDLE_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * A Paddle timestamp as a UTC instant with exactly six fractional digits ("…09:15:02.481907Z"),
 * so that Paddle's microsecond order survives a plain string comparison in SQL. Null when invalid.
 */
export function paddleInstant(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = PADDLE_INSTANT.exec(text);
  if (m?.[1] && !Number.isNaN(Date.parse(text))) return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
  const utc = toUtcInstant(text);
  return utc ? `${utc.slice(0, -1)}000Z` : null;
}

/** The UTC calendar date of a Paddle timestamp ("2025-04-03"). */
export const paddleDate = (text: string | null | undefined): string | null => paddleInstant(text)?.slice(0, 10) ?? null;

/** Paddle amounts are strings in the currency's minor units ("2900"). */
export function minorUnits(text: string | null | undefined): number | null {
  // A completed or failed charge is never negative: money back comes as an adjustment.
  if (!text || !/^\d{1,12}$/.test(text)) return null;
  return Number(text);
}

// ---- REST client -----------------------------------------------------------------------

export interface PaddleApi {
  apiBase: string;
  apiKey: string;
}

/** Paddle answered with an error or not at all: the caller sees 502 with Paddle's own words. */
export class PaddleError extends ApiError {
  constructor(
    readonly paddleStatus: number,
    readonly paddleCode: string | null,
    readonly paddleDetail: string,
    detail: string,
  ) {
    super(502, detail, { code: 'paddle_error' });
  }
}

const paddleErrorBody = z.object({
  error: z.object({ code: z.string().optional(), detail: z.string().optional() }),
});

/** Calls Paddle's API and returns the JSON answer checked against `schema`. */
export async function paddleRequest<T extends z.ZodType>(
  api: PaddleApi,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body: unknown,
  schema: T,
): Promise<z.infer<T>> {
  let res: Response;
  try {
    res = await fetch(`${api.apiBase.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${api.apiKey}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(PADDLE_TIMEOUT_MS),
    });
  } catch (err) {
    throw new PaddleError(0, null, String(err), 'Paddle could not be reached; nothing was changed. Try again later.');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    const problem = paddleErrorBody.safeParse(json);
    const code = problem.success ? (problem.data.error.code ?? null) : null;
    const detail = problem.success ? (problem.data.error.detail ?? '') : '';
    if (res.status >= 500 || !detail) {
      throw new PaddleError(
        res.status,
        code,
        detail,
        `Paddle is unavailable (HTTP ${res.status}); nothing was changed. Try again later.`,
      );
    }
    throw new PaddleError(res.status, code, detail, `Paddle refused the request: ${detail}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new PaddleError(res.status, null, '', 'Paddle sent an answer this server does not understand.');
  }
  return parsed.data;
}
