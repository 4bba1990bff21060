import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { createApp } from '../src/app';
import type { CreateBookingCommand } from '../src/bookings/commands';
import { apiDocument } from '../src/system/openapi-document';

export { until } from './until';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * The OpenAPI document, built here in workerd from the app exactly as scripts/build-openapi.mjs
 * builds /api/openapi.json at deploy time (a static asset the test pool cannot serve; e2e fetches it).
 */
export const openapiDocument = <T = Record<string, unknown>>(): T => apiDocument(createApp()) as T;

/** A token signed with the server's own secret: what only the server (or a leaked secret) can make. */
export const signedByServer = (claims: Record<string, unknown>, sub: string, jti: string) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setJti(jti)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(env.JWT_SECRET));

/** Calls the Worker's own fetch handler, as a client would over HTTP. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization ??= `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.com`;

export const PASSWORD = 'correct-horse-42';

export async function registerTrainer(extra: Record<string, unknown> = {}) {
  const email = uniqueEmail('trainer');
  const res = await api<{ token: string; user: { id: number; trainer: { id: number; slug: string } } }>(
    'POST',
    '/api/users/register/',
    { body: { email, password: PASSWORD, password_confirm: PASSWORD, ...extra } },
  );
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, token: res.body.token, user: res.body.user };
}

/** A UTC date `days` from today and its weekday (0 = Monday). */
export function futureDay(days: number): { date: string; weekday: number } {
  const d = new Date(Date.now() + days * 86_400_000);
  return { date: d.toISOString().slice(0, 10), weekday: (d.getUTCDay() + 6) % 7 };
}

export const at = (date: string, time: string) => `${date}T${time}:00.000Z`;

export async function createClient(token: string, extra: Record<string, unknown> = {}) {
  const res = await api<{ id: number; email: string }>('POST', '/api/clients/', {
    token,
    body: { email: uniqueEmail('client'), first_name: 'Casey', last_name: 'Client', ...extra },
  });
  if (res.status !== 201) throw new Error(`client create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A trainer (UTC unless told) open every day for the given hours, with one client. */
export async function setupTrainer(opts: { settings?: Record<string, unknown>; open?: [string, string] } = {}) {
  const trainer = await registerTrainer();
  if (opts.settings) {
    const res = await api('PATCH', '/api/users/profile/', { token: trainer.token, body: opts.settings });
    if (res.status !== 200) throw new Error(`settings failed: ${JSON.stringify(res.body)}`);
  }
  const [start, end] = opts.open ?? ['00:00', '24:00'];
  for (let day = 0; day < 7; day++) {
    const res = await api('POST', '/api/availability-slots/', {
      token: trainer.token,
      body: { day_of_week: day, start_time: start, end_time: end },
    });
    if (res.status !== 201) throw new Error(`slot failed: ${JSON.stringify(res.body)}`);
  }
  const client = await createClient(trainer.token);
  return { ...trainer, client };
}

type TrainerSetup = Awaited<ReturnType<typeof setupTrainer>>;

/** `X-Test-Now` pinned `hours` after the instant `iso`. */
export const nowPlus = (iso: string, hours: number) => ({
  'X-Test-Now': new Date(Date.parse(iso) + hours * 3600_000).toISOString(),
});

/** A package of `sessions` sold to the trainer's client; the client package's id. */
export async function packOf(t: TrainerSetup, sessions: number, price = '300.00') {
  const pkg = await api<{ id: number }>('POST', '/api/packages/', {
    token: t.token,
    body: { name: 'Pack', sessions_count: sessions, price },
  });
  const sold = await api<{ id: number }>('POST', `/api/packages/${pkg.body.id}/assign_to_client/`, {
    token: t.token,
    body: { client_id: t.client.id },
  });
  if (sold.status !== 201) throw new Error(`selling the pack failed: ${sold.status} ${JSON.stringify(sold.body)}`);
  return sold.body.id;
}

/** A booking action (`confirm`, `cancel`, `mark_completed`, `mark_no_show`) by the trainer. */
export const bookingAction = (t: TrainerSetup, id: number, action: string, headers: Record<string, string> = {}) =>
  api<BookingBody & ProblemBody>('POST', `/api/bookings/${id}/${action}/`, { token: t.token, headers });

/** A booking of the trainer's client (`body`: its start and any other field), made and confirmed. */
export async function confirmedBooking(t: TrainerSetup, body: Record<string, unknown>) {
  const made = await book(t.token, { client: t.client.id, ...body });
  if (made.status !== 201) throw new Error(`booking failed: ${made.status} ${JSON.stringify(made.body)}`);
  const confirmed = await bookingAction(t, made.body.id, 'confirm');
  if (confirmed.status !== 200)
    throw new Error(`confirm failed: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return made.body;
}

/** A client package's credits, as the trainer reads them. */
export const packCredits = async (t: TrainerSetup, id: number) =>
  (
    await api<{ sessions_remaining: number; sessions_reserved: number; sessions_available: number }>(
      'GET',
      `/api/client-packages/${id}/`,
      { token: t.token },
    )
  ).body;

export type BookingBody = {
  id: number;
  status: string;
  start_time: string;
  end_time: string;
  client: number;
  trainer: number;
  client_name: string;
  trainer_name: string;
  duration_minutes: number;
  late_cancellation: boolean;
  cancellation_reason: string;
  cancelled_at: string | null;
  is_upcoming: boolean;
  is_past: boolean;
  notes: string;
  client_package: number | null;
};

export type ProblemBody = { status: number; detail: string; code?: string; errors?: Record<string, string[]> };

/** The payload of a token this server signed. */
export const claimsOf = (token: string) =>
  JSON.parse(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as {
    sub: string;
    jti: string;
    tid?: number;
  };

/** The command a trainer's POST /api/bookings/ hands its schedule object, for tests that call the service itself. */
export const trainerBookingCommand = (
  trainerId: number,
  clientId: number,
  startTime: string,
  extra: Partial<CreateBookingCommand> = {},
): CreateBookingCommand => ({
  trainerId,
  client: { id: clientId },
  serviceId: null,
  startTime,
  endTime: null,
  notes: '',
  clientPackageId: null,
  pickPackage: false,
  allowOutsideAvailability: false,
  enforceBookingWindow: false,
  status: 'pending',
  idempotency: null,
  session: null,
  manageLink: null,
  source: 'trainer',
  clientTimezone: '',
  notify: 'none',
  ...extra,
});

export const book = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api<BookingBody & ProblemBody>('POST', '/api/bookings/', { token, body, headers });

/** A D1 statement as the app bound it: its SQL and values. */
export type BoundStatement = { sql: string; args: unknown[] };

/**
 * The app's answer to a GET with `token`, and every statement it bound to D1 (its own sessions
 * included), in order: for checking which statements a request runs and their plans.
 */
export async function fetchRecorded(
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ res: Response; statements: BoundStatement[] }> {
  const statements: BoundStatement[] = [];
  const prepare = (query: string) => {
    const stmt = env.DB.prepare(query);
    return intercept(stmt, {
      bind: (...args: unknown[]) => {
        statements.push({ sql: query, args });
        return stmt.bind(...args);
      },
    });
  };
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } }),
    { ...env, DB: intercept(env.DB, { prepare }) },
    createExecutionContext(),
  );
  return { res, statements };
}

/**
 * `target` with some of its members replaced; everything else is the real object's (methods
 * bound to it, as the runtime's bindings require). The base of every spying or racing binding.
 * A D1 binding's sessions get the same `prepare`/`batch` replacements: the app runs each request
 * in a session (`withSession`), and a spy on the binding must still see its statements.
 */
export function intercept<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(real, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value = Reflect.get(real, prop, real);
      if (prop === 'withSession' && typeof value === 'function') {
        const { prepare, batch } = overrides as Partial<D1Database>;
        return (start?: string) =>
          intercept((value as D1Database['withSession']).call(real, start), {
            ...(prepare && { prepare }),
            ...(batch && { batch }),
          });
      }
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
}

/** The queue binding, counting sendBatch calls. */
export function countingQueue(queue: Queue): { queue: Queue; sendBatchCalls: () => number } {
  let n = 0;
  const sendBatch: Queue['sendBatch'] = (messages, options) => {
    n += 1;
    return queue.sendBatch(messages, options);
  };
  return { queue: intercept(queue, { sendBatch }), sendBatchCalls: () => n };
}

/**
 * The real D1 binding, counting round trips: every statement run on its own, and every batch
 * as one. Used to hold query-count promises ("at most N D1 queries").
 */
export function countingD1(db: D1Database): { db: D1Database; count: () => number } {
  let n = 0;
  const executes = new Set(['run', 'all', 'first', 'raw']);
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrapStatement(target.bind(...args));
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (executes.has(String(prop))) n += 1;
        return value.bind(target);
      },
    });
  const batch: D1Database['batch'] = (statements) => {
    n += 1;
    return db.batch(statements);
  };
  return { db: intercept(db, { prepare: (query: string) => wrapStatement(db.prepare(query)), batch }), count: () => n };
}

/** D1 round trips (a batch is one, authentication included) of one authenticated GET through the app. */
export async function roundTripsOf(path: string, token: string): Promise<number> {
  const counted = countingD1(env.DB);
  const res = await createApp().fetch(
    new Request(`http://example.com${path}`, { headers: { Authorization: `Bearer ${token}` } }),
    { ...env, DB: counted.db },
    createExecutionContext(),
  );
  expect(res.status, path).toBe(200);
  return counted.count();
}

/**
 * Opens the email-verification link the way the mailed link would: the token is minted with
 * the test secret, as the queue consumer mints it for the email.
 */
export async function verifyEmailOf(userId: number, email: string) {
  const { verificationToken } = await import('../src/users/verification');
  const token = await verificationToken(env.JWT_SECRET ?? '', userId, email, Date.now());
  const res = await api('GET', `/api/users/verify-email/?token=${encodeURIComponent(token)}`);
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A client user account (`is_client`), its email verified unless told; `phone` on its profile if given. */
export async function clientUser(opts: { email?: string; verified?: boolean; phone?: string } = {}) {
  const email = opts.email ?? uniqueEmail('member');
  const res = await api<{ token: string; user: { id: number } }>('POST', '/api/users/register/', {
    body: {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
      is_client: true,
      first_name: 'Mia',
      last_name: 'Member',
      ...(opts.phone && { phone: opts.phone }),
    },
  });
  if (res.status !== 201) throw new Error(`client registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (opts.verified !== false) await verifyEmailOf(res.body.user.id, email);
  return { email, token: res.body.token, id: res.body.user.id };
}

/**
 * The real D1 binding; after each booking read (the statement that reads the schedule version)
 * returns, `afterRead(n)` runs against the real database, n counting reads from 0.
 */
export function changingAfterRead(afterRead: (n: number) => Promise<void>): { db: D1Database; reads: () => number } {
  let reads = 0;
  const watch = (stmt: D1PreparedStatement): D1PreparedStatement =>
    intercept(stmt, {
      bind: (...values: unknown[]) => watch(stmt.bind(...values)),
      first: (async (column?: string) => {
        const row = column === undefined ? await stmt.first() : await stmt.first(column);
        await afterRead(reads++);
        return row;
      }) as D1PreparedStatement['first'],
    });
  const prepare = (query: string) => {
    const stmt = env.DB.prepare(query);
    return query.includes('AS schedule_version') && query.includes('AS signed_in') ? watch(stmt) : stmt;
  };
  return { db: intercept(env.DB, { prepare }), reads: () => reads };
}
