import { and, eq, gt, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { LIVE_TRAINER_COLUMNS, liveSessionRows } from '../db/fragments';
import { sessions, type Trainer, trainers, users } from '../db/schema';
import { isoNow } from './clock';
import { jwtSecretOf } from './config';
import type { AppEnv, AuthContext, TrainerClaim } from './context';
import { advanceTo, type Db, Prepared, param, rowReader, SessionClient, sessionDb } from './db';
import { ApiError, forbidden, unauthorized } from './problem';
import { type VerifiedToken, verifyToken } from './tokens';

// Who is asking: the token's check, the session row behind it, and the viewer the data layer
// scopes every read by. The one place authentication lives.

/** The `Authorization: Bearer|Token <jwt>` header → its verified claims, else 401. */
export async function tokenClaims(secret: string, header: string | undefined): Promise<VerifiedToken> {
  if (!header) throw unauthorized();
  const match = /^(?:Token|Bearer)\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized('Invalid authorization header; use "Bearer <token>" or "Token <token>".');
  const claims = await verifyToken(secret, match[1]);
  if (!claims) throw unauthorized('Invalid or expired token.');
  return claims;
}

/** The live session behind verified claims: its user (active) and trainer row, else 401. */
export async function authenticate(db: Db, claims: VerifiedToken, now: string): Promise<AuthContext> {
  const row = await db
    .select()
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(trainers, eq(trainers.userId, users.id))
    .where(and(eq(sessions.jti, claims.jti), eq(sessions.userId, claims.userId), gt(sessions.expiresAt, now)))
    .get();
  if (!row?.users.isActive) throw unauthorized('Invalid or expired token.');
  return { user: row.users, trainer: row.trainers, jti: claims.jti };
}

const claimsOf = (c: Context<AppEnv>) => tokenClaims(jwtSecretOf(c.get('config')), c.req.header('Authorization'));

/**
 * The request's session may read a replica that has not caught up with a login of a moment ago:
 * a signed token whose row is not there is looked up once more on the primary, and the request
 * reads on from there. (A revoked one costs that second look; its signature was checked first.)
 */
function sessionOf(c: Context<AppEnv>, claims: VerifiedToken): Promise<AuthContext> {
  const now = isoNow(c.get('clock'));
  return authenticate(c.get('db'), claims, now).catch(async (err: unknown) => {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
    const primary = new SessionClient(c.env.DB, 'first-primary');
    const found = await authenticate(sessionDb(primary), claims, now);
    advanceTo(c.get('db'), primary.bookmark);
    return found;
  });
}

async function signIn(c: Context<AppEnv>) {
  c.set('auth', await sessionOf(c, await claimsOf(c)));
}

/** Any signed-in user; sets `auth`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  await signIn(c);
  await next();
});

/** A signed-in trainer (one with a `trainers` row); other users get 403. */
export const requireTrainer = createMiddleware<AppEnv>(async (c, next) => {
  await signIn(c);
  if (!c.get('auth').trainer) throw forbidden('Only trainers can use this endpoint.');
  await next();
});

/**
 * A trainer whose session row is checked later, in the first D1 statement the request makes
 * anyway (the booking read inside the trainer's schedule object), which saves a round trip on
 * the hottest write. Here: the token's signature, expiry and trainer claim. A token without
 * the claim gets the full check at once. Sets `claim`; while `claim.sessionChecked` is false the
 * handler must have the session read, and refuse the request with 401, before it writes anything.
 * Two differences from requireTrainer, both harmless: a revoked token with a malformed body gets
 * the 400 (validation runs before the session read), and a token whose trainer row is gone gets
 * 401 rather than 403.
 */
export const requireTrainerClaim = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await claimsOf(c);
  if (claims.trainerId !== null) {
    c.set('claim', { userId: claims.userId, trainerId: claims.trainerId, jti: claims.jti, sessionChecked: false });
  } else {
    const auth = await sessionOf(c, claims);
    if (!auth.trainer) throw forbidden('Only trainers can use this endpoint.');
    c.set('auth', auth);
    c.set('claim', { userId: auth.user.id, trainerId: auth.trainer.id, jti: claims.jti, sessionChecked: true });
  }
  await next();
});

/**
 * Any signed-in user, for reads that check a trainer's session in their own D1 batch
 * (`signedIn`): a token with the trainer claim sets `claim` (its session unchecked) and not
 * `auth`; any other token gets the full check and sets `auth` (and no `claim`).
 */
export const requireAuthClaim = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await claimsOf(c);
  if (claims.trainerId !== null) {
    c.set('claim', { userId: claims.userId, trainerId: claims.trainerId, jti: claims.jti, sessionChecked: false });
  } else {
    c.set('auth', await sessionOf(c, claims));
  }
  await next();
});

/** The claim's trainer row, found only through a live session: the session check of `signedIn`. */
const liveTrainer = new Prepared<{ jti: string; userId: number; now: string; trainerId: number }>(
  () =>
    sql`SELECT ${LIVE_TRAINER_COLUMNS} FROM ${liveSessionRows({
      jti: param('jti'),
      userId: param('userId'),
      now: param('now'),
      trainerId: param('trainerId'),
    })}`,
);
const readTrainer = rowReader(trainers);

/**
 * Tokens this isolate found revoked or expired, refused without a query for a minute. A signed-in
 * read checks the session in the batch of its reads, so a logged-out token that keeps asking would
 * cost a whole read each time (a separate session read cost two indexed lookups). Only a refusal the
 * primary confirmed is kept (a session too new for the replica is looked up there first), and the
 * minute bounds how long a reactivated user's old token waits. At most REFUSED_MAX, oldest out first.
 */
const refused = new Map<string, number>();
const REFUSED_MS = 60_000;
const REFUSED_MAX = 1_000;

function refusedRecently(jti: string, nowMs: number): boolean {
  const until = refused.get(jti);
  if (until === undefined) return false;
  if (until > nowMs) return true;
  refused.delete(jti);
  return false;
}

function refuse(jti: string, nowMs: number): never {
  refused.delete(jti);
  refused.set(jti, nowMs + REFUSED_MS);
  const oldest = refused.size > REFUSED_MAX ? refused.keys().next().value : undefined;
  if (oldest !== undefined) refused.delete(oldest);
  throw unauthorized('Invalid or expired token.');
}

/**
 * A trainer's reads and the check of their session in ONE D1 batch (one round trip): the first
 * statement finds the claim's trainer row only through the token's session row (that jti and
 * user, unexpired, an active user who is that trainer); `reads` (scoped by the claim's trainer
 * id) run beside it, and nothing they return is used unless it found the row: else 401, the
 * answer authenticate gives. As in sessionOf, a session not yet on the replica is looked up once
 * on the primary; found there, the request reads on from the primary's bookmark and the batch
 * runs again (so `reads` makes its statements anew on each call).
 */
export async function signedIn(
  db: Db,
  claim: TrainerClaim,
  now: string,
  reads: () => D1PreparedStatement[],
): Promise<{ trainer: Trainer; results: D1Result<Record<string, unknown>>[] }> {
  const nowMs = Date.parse(now);
  if (refusedRecently(claim.jti, nowMs)) throw unauthorized('Invalid or expired token.');
  const values = { jti: claim.jti, userId: claim.userId, now, trainerId: claim.trainerId };
  const run = () => db.$client.batch<Record<string, unknown>>([liveTrainer.bind(db, values), ...reads()]);
  let [check, ...results] = await run();
  if (!check?.results[0] && db.$client instanceof SessionClient) {
    const primary = db.$client.primary();
    if (await liveTrainer.bind(sessionDb(primary), values).first()) {
      advanceTo(db, primary.bookmark);
      [check, ...results] = await run();
    }
  }
  const row = check?.results[0];
  if (!row) refuse(claim.jti, nowMs);
  return { trainer: readTrainer(row), results };
}

/** The signed-in trainer; only after requireTrainer. */
export function currentTrainer(c: Context<AppEnv>) {
  const trainer = c.get('auth').trainer;
  if (!trainer) throw forbidden('Only trainers can use this endpoint.');
  return trainer;
}

/**
 * Who is asking, as the data layer needs it: a trainer sees and changes their own rows; a
 * client user reads the rows of every client record that carries their email.
 */
export type Viewer =
  | { kind: 'trainer'; trainerId: number; userId: number }
  | { kind: 'client'; email: string; userId: number };

export function viewerOf(auth: AuthContext): Viewer {
  if (auth.trainer) return { kind: 'trainer', trainerId: auth.trainer.id, userId: auth.user.id };
  if (auth.user.isClient) {
    // Client records are matched by email: only a verified owner of that address may read them.
    if (!auth.user.emailVerifiedAt) {
      throw new ApiError(
        403,
        'Confirm your email address first: open the link we mailed you (POST /api/users/resend-verification/ sends it again).',
        {
          code: 'email_unverified',
        },
      );
    }
    return { kind: 'client', email: auth.user.email, userId: auth.user.id };
  }
  throw forbidden('Only trainers and clients can use this endpoint.');
}

/** The trainer behind a write; client users may only read. */
export function trainerIdOf(viewer: Viewer): number {
  if (viewer.kind !== 'trainer') throw forbidden('Only trainers can change this.');
  return viewer.trainerId;
}

export type TrainerViewer = Extract<Viewer, { kind: 'trainer' }>;

/** The viewer of a route behind requireTrainer. */
export function trainerViewer(auth: AuthContext): TrainerViewer {
  if (!auth.trainer) throw forbidden('Only trainers can use this endpoint.');
  return { kind: 'trainer', trainerId: auth.trainer.id, userId: auth.user.id };
}
