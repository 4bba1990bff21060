import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError, type FieldErrors, unauthorized } from '../lib/problem';
import type { BookingOut } from './schemas';

/** A schedule object's answer: plain data, so it crosses Durable Object RPC unchanged. */
export type Outcome =
  | { ok: true; booking: BookingOut; replayed: boolean; notificationIds: number[] }
  | { ok: false; status: ContentfulStatusCode; detail: string; errors?: FieldErrors; code?: string };

/** A refusal of any schedule-object command, as data. */
export type Refusal = Extract<Outcome, { ok: false }>;

/** Errors do not keep their class across RPC: the object hands back the problem as data. */
export const outcomeOfError = (err: ApiError): Refusal => ({
  ok: false,
  status: err.status,
  detail: err.detail,
  ...(err.extra.errors && { errors: err.extra.errors }),
  ...(err.extra.code && { code: err.extra.code }),
});

/** A refusal becomes the ApiError it was; anything else is the answer. */
export function unwrapResult<T extends { ok: true }>(result: T | Refusal): T {
  if (result.ok) return result;
  if (result.status === 401) throw unauthorized(result.detail);
  throw new ApiError(result.status, result.detail, { errors: result.errors, code: result.code });
}

/** The booking of a successful outcome; a refusal becomes the ApiError it was. */
export function unwrapOutcome(outcome: Outcome): { booking: BookingOut; replayed: boolean; notificationIds: number[] } {
  if (!outcome.ok) {
    if (outcome.status === 401) throw unauthorized(outcome.detail);
    throw new ApiError(outcome.status, outcome.detail, { errors: outcome.errors, code: outcome.code });
  }
  return outcome;
}
