import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError, type FieldErrors, unauthorized } from '../lib/problem';
import type { BookingOut } from './schemas';

/** A schedule object's answer: plain data, so it crosses Durable Object RPC unchanged. */
export type Outcome =
  | { ok: true; booking: BookingOut; replayed: boolean; notificationIds: number[] }
  | { ok: false; status: ContentfulStatusCode; detail: string; errors?: FieldErrors; code?: string };

/** Errors do not keep their class across RPC: the object hands back the problem as data. */
export const outcomeOfError = (err: ApiError): Outcome => ({
  ok: false,
  status: err.status,
  detail: err.detail,
  ...(err.extra.errors && { errors: err.extra.errors }),
  ...(err.extra.code && { code: err.extra.code }),
});

/** The booking of a successful outcome; a refusal becomes the ApiError it was. */
export function unwrapOutcome(outcome: Outcome): { booking: BookingOut; replayed: boolean; notificationIds: number[] } {
  if (!outcome.ok) {
    if (outcome.status === 401) throw unauthorized(outcome.detail);
    throw new ApiError(outcome.status, outcome.detail, { errors: outcome.errors, code: outcome.code });
  }
  return outcome;
}
