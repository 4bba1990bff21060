import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
// Installs the zod error map: every field error below is a sentence written for people.
import './field-errors';

/** Field name → messages, as in DRF: `{"email": ["Enter a valid email address."]}`. */
export type FieldErrors = Record<string, string[]>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const titleFor = (status: number): string => TITLES[status] ?? 'Error';

/**
 * An error a service may throw; the app turns it into an RFC 9457 problem response.
 * Services stay free of HTTP types: they pick a status and words, nothing else.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly extra: { errors?: FieldErrors; code?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

/** The detail of every 400 that names its fields. */
export const INVALID_DETAIL = 'Some fields need correcting.';
export const invalid = (errors: FieldErrors, detail = INVALID_DETAIL) => new ApiError(400, detail, { errors });
export const invalidField = (field: string, message: string) => invalid({ [field]: [message] });
export const unauthorized = (detail = 'Authentication credentials were not provided.') =>
  new ApiError(401, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="api"' } });
export const forbidden = (detail = 'You do not have permission to perform this action.') => new ApiError(403, detail);
export const notFound = (detail = 'Not found.') => new ApiError(404, detail);
export const conflict = (detail: string, code?: string) => new ApiError(409, detail, { code });
export const tooManyRequests = (retryAfterSeconds: number, detail = 'Too many requests.') =>
  new ApiError(429, detail, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });
export const unavailable = (detail: string) => new ApiError(503, detail);

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldErrors;
  code?: string;
  request_id?: string;
}

export function problemBody(
  status: number,
  detail: string,
  extra: { errors?: FieldErrors; code?: string; requestId?: string } = {},
): ProblemBody {
  const body: ProblemBody = { type: 'about:blank', title: titleFor(status), status, detail };
  if (extra.errors) body.errors = extra.errors;
  if (extra.code) body.code = extra.code;
  if (extra.requestId) body.request_id = extra.requestId;
  return body;
}

export function problemResponse(
  status: number,
  detail: string,
  extra: { errors?: FieldErrors; code?: string; requestId?: string; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(problemBody(status, detail, extra)), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...extra.headers },
  });
}

const UNKNOWN_FIELD = 'This operation does not accept this field: remove it.';

/**
 * Zod issues → field errors keyed by dotted path ("trainer.timezone"); root issues under
 * `non_field_errors`. The messages come from the error map in field-errors.ts; a field the body's
 * schema does not know (request bodies are strict objects) is named on its own.
 */
export function zodFieldErrors(error: ZodError): FieldErrors {
  // No prototype: a field named `toString`, `constructor` or `__proto__` is a key like any other.
  const errors: FieldErrors = Object.create(null);
  const add = (path: readonly PropertyKey[], message: string) => {
    const key = path.length ? path.map(String).join('.') : 'non_field_errors';
    errors[key] = [...(Object.hasOwn(errors, key) ? (errors[key] as string[]) : []), message];
  };
  for (const issue of error.issues) {
    // A body names only the fields the operation accepts: each other one is named as a bad field.
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) add([...issue.path, k], UNKNOWN_FIELD);
    else add(issue.path, issue.message);
  }
  return errors;
}
