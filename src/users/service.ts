import { and, eq, gt, lt, or, type SQL, sql } from 'drizzle-orm';
import { adminSessions, clients, retiredSlugs, sessions, type Trainer, trainers, type User, users } from '../db/schema';
import type { AuthContext } from '../lib/context';
import { batchSteps, type Db, isUniqueViolation, type Step } from '../lib/db';
import { sortKey } from '../lib/names';
import { DUMMY_HASH, hashPassword, passwordProblems, verifyPassword } from '../lib/password';
import { ApiError, invalid, invalidField, tooManyRequests, unauthorized } from '../lib/problem';
import { clearLoginFailures, reserveLoginAttempt } from '../lib/ratelimit';
import { newTokenClaims, signToken } from '../lib/tokens';
import { defaultFromTrainer } from '../services/service';
import type { ProfileOut, ProfileUpdateInput, RegisterInput, TrainerSettingsInput, UserOut } from './schemas';
import { sessionRow } from './sessions';
import {
  acceptSecondFactor,
  hasTwoFactor,
  invalidOtp,
  otpRequired,
  type SecondFactor,
  withLockout,
} from './two-factor';

export function toUserOut(user: User, trainer: Trainer | null): UserOut {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    phone: user.phone,
    is_trainer: user.isTrainer,
    is_client: user.isClient,
    is_staff: user.isStaff,
    email_verified: user.emailVerifiedAt !== null,
    trainer: trainer && {
      id: trainer.id,
      business_name: trainer.businessName,
      slug: trainer.slug,
      timezone: trainer.timezone,
      session_duration_minutes: trainer.sessionDurationMinutes,
      slot_interval_minutes: trainer.slotIntervalMinutes,
      buffer_minutes: trainer.bufferMinutes,
      min_notice_minutes: trainer.minNoticeMinutes,
      booking_horizon_days: trainer.bookingHorizonDays,
      late_cancel_hours: trainer.lateCancelHours,
      auto_confirm: trainer.autoConfirm,
      brand_color: trainer.brandColor,
      photo_url: trainer.photoUrl,
      bio: trainer.bio,
      allow_client_reschedule: trainer.allowClientReschedule,
      reschedule_cutoff_hours: trainer.rescheduleCutoffHours,
      no_show_uses_credit: trainer.noShowUsesCredit,
      waitlist_cutoff_hours: trainer.waitlistCutoffHours,
    },
  };
}

/** The longest generated slug, so a numeric suffix still fits the 60 a slug may have. */
export const SLUG_MAX = 48;

/** Latin letters and digits of `text` (accents dropped as names sort: "Østberg" → "ostberg"), joined by '-'. */
function slugWords(text: string): string {
  const words = sortKey(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // Cut at the last whole word that fits; a single word longer than the limit is cut inside.
  const cut = words.length <= SLUG_MAX || words[SLUG_MAX] === '-' ? SLUG_MAX : words.lastIndexOf('-', SLUG_MAX);
  return words.slice(0, cut > 0 ? cut : SLUG_MAX).replace(/-+$/, '');
}

/**
 * A new trainer's booking-page slug: from the business name; when that has too few Latin letters
 * (an Arabic, Chinese or Cyrillic name), from the email's local part; "trainer-…" as a last resort.
 * The trainer may set another (`PATCH /api/users/profile/`, `slug`).
 */
export function slugify(businessName: string, email = ''): string {
  const fromName = slugWords(businessName);
  if (fromName.length >= 3) return fromName;
  const fromEmail = slugWords(email.split('@')[0] ?? '');
  if (fromEmail.length >= 3) return fromEmail;
  return `trainer-${fromName || fromEmail || 'new'}`;
}

/**
 * The base slug, or base-2, base-3 … whichever is neither in use nor retired (`retired_slugs`).
 * The taken ones are read by an exact match and a range on the text (`base-` up to `base.`, '.'
 * sorting right after '-'), never a LIKE pattern, which D1 refuses over 50 bytes.
 */
async function freeSlug(db: Db, base: string): Promise<string> {
  const near = (slug: typeof trainers.slug | typeof retiredSlugs.slug) =>
    or(eq(slug, base), and(gt(slug, `${base}-`), lt(slug, `${base}.`)));
  const inUse = db.select({ slug: trainers.slug }).from(trainers).where(near(trainers.slug));
  const retired = db.select({ slug: retiredSlugs.slug }).from(retiredSlugs).where(near(retiredSlugs.slug));
  const taken = new Set((await inUse.unionAll(retired).all()).map((r) => r.slug));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

const userIdOf = (email: string) => sql`(select ${users.id} from ${users} where ${users.email} = ${email})`;

export async function register(
  db: Db,
  secret: string,
  input: RegisterInput,
  now: string,
  userAgent = '',
): Promise<{ user: UserOut; token: string }> {
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get();
  if (existing) throw invalidField('email', 'A user with this email already exists.');

  const isTrainer = input.is_client !== true;
  const passwordHash = await hashPassword(input.password);
  const claims = newTokenClaims(now);
  const baseSlug = slugify(input.business_name ?? '', input.email);

  for (let attempt = 0; ; attempt++) {
    // A concurrent registration may take the slug between our read and the insert; retry
    // once with the next free one, then with a random suffix.
    const slug = attempt < 2 ? await freeSlug(db, baseSlug) : `${baseSlug}-${crypto.randomUUID().slice(0, 6)}`;
    try {
      const insertUser = db
        .insert(users)
        .values({
          email: input.email,
          passwordHash,
          firstName: input.first_name ?? '',
          lastName: input.last_name ?? '',
          phone: input.phone ?? '',
          isTrainer,
          isClient: !isTrainer,
        })
        .returning();
      const insertSession = db.insert(sessions).values(sessionRow(claims, userIdOf(input.email), userAgent));
      let user: User | undefined;
      let trainer: Trainer | null = null;
      if (isTrainer) {
        const insertTrainer = db
          .insert(trainers)
          .values({
            userId: userIdOf(input.email),
            businessName: input.business_name ?? '',
            slug,
            timezone: input.timezone ?? 'UTC',
          })
          .returning();
        const [u, t] = await db.batch([insertUser, insertTrainer, insertSession]);
        user = u[0];
        trainer = t[0] ?? null;
      } else {
        const [u] = await db.batch([insertUser, insertSession]);
        user = u[0];
      }
      if (!user) throw new Error('user insert returned no row');
      return { user: toUserOut(user, trainer), token: await signToken(secret, user.id, claims, trainer?.id ?? null) };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (/users\.email/.test(String(err instanceof Error ? `${err.message} ${String(err.cause)}` : err)))
        throw invalidField('email', 'A user with this email already exists.');
      if (attempt >= 3) throw err;
    }
  }
}

async function loadUser(db: Db, where: ReturnType<typeof eq>) {
  const row = await db.select().from(users).leftJoin(trainers, eq(trainers.userId, users.id)).where(where).get();
  return row ? { user: row.users, trainer: row.trainers } : null;
}

/**
 * Email and password → the active user and their trainer row, or 429/401; shared by the API
 * login and the staff console. The attempt is reserved first (see reserveLoginAttempt) and a
 * failure keeps it, so it counts toward the lockout. An unknown email is checked against a dummy
 * hash, so both failures take the same time; an inactive user fails exactly like a wrong password.
 */
export async function checkCredentials(
  db: Db,
  email: string,
  password: string,
  ip: string | null,
  now: string,
): Promise<{ user: User; trainer: Trainer | null }> {
  const lockedFor = await reserveLoginAttempt(db, email, ip, now);
  if (lockedFor !== null) throw tooManyRequests(lockedFor, 'Too many failed login attempts; try again later.');
  const found = await loadUser(db, eq(users.email, email));
  const ok =
    (await verifyPassword(password, found?.user.passwordHash ?? DUMMY_HASH)) && found !== null && found.user.isActive;
  if (!ok || !found) throw new ApiError(401, 'Unable to log in with the provided credentials.');
  return found;
}

export async function login(
  db: Db,
  secret: string,
  email: string,
  password: string,
  ip: string | null,
  now: string,
  factor: SecondFactor = {},
  userAgent = '',
): Promise<{ user: UserOut; token: string }> {
  const found = await checkCredentials(db, email, password, ip, now);
  // With two-factor sign-in on, the right password alone is no sign-in; a wrong code keeps the
  // attempt checkCredentials reserved, so it counts toward the lockout like a wrong password.
  if (hasTwoFactor(found.user)) {
    if (!factor.otp && !factor.recovery_code) throw otpRequired();
    if (!(await acceptSecondFactor(db, secret, found.user, factor, now))) throw invalidOtp();
  }
  const claims = newTokenClaims(now);
  await db.batch([
    db.insert(sessions).values(sessionRow(claims, found.user.id, userAgent)),
    ...clearLoginFailures(db, email, now),
  ]);
  return {
    user: toUserOut(found.user, found.trainer),
    token: await signToken(secret, found.user.id, claims, found.trainer?.id ?? null),
  };
}

/** `Token <jwt>` or `Bearer <jwt>` → the token's verified claims, or 401. Reads no session row. */
/** The signed-in user behind verified claims, or 401. The session row must still exist. */
export async function logout(db: Db, jti: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.jti, jti));
}

/** Every session of a user ends, API tokens and staff console sessions alike (only `when` it holds, if given). */
export const endSessions = (db: Db, userId: number, when: SQL = sql`1`) => [
  db.delete(sessions).where(and(eq(sessions.userId, userId), when)),
  db.delete(adminSessions).where(and(eq(adminSessions.userId, userId), when)),
];

export async function changePassword(
  db: Db,
  secret: string,
  auth: AuthContext,
  oldPassword: string,
  newPassword: string,
  ip: string | null,
  now: string,
  userAgent = '',
): Promise<string> {
  const errors: Record<string, string[]> = {};
  // Under the login lockout: a stolen token must not be a way to guess the password without limit.
  if (!(await withLockout(db, auth.user.email, ip, now, () => verifyPassword(oldPassword, auth.user.passwordHash))))
    errors.old_password = ['Your old password was entered incorrectly.'];
  const problems = passwordProblems(newPassword, auth.user.email);
  if (problems.length) errors.new_password = problems;
  if (Object.keys(errors).length) throw invalid(errors);

  const claims = newTokenClaims(now);
  // One batch: the new hash, every old session gone, the new session in.
  await db.batch([
    db
      .update(users)
      .set({ passwordHash: await hashPassword(newPassword), updatedAt: now })
      .where(eq(users.id, auth.user.id)),
    ...endSessions(db, auth.user.id),
    db.insert(sessions).values(sessionRow(claims, auth.user.id, userAgent)),
  ]);
  return signToken(secret, auth.user.id, claims, auth.trainer?.id ?? null);
}

const TRAINER_COLUMNS = {
  business_name: 'businessName',
  slug: 'slug',
  timezone: 'timezone',
  session_duration_minutes: 'sessionDurationMinutes',
  slot_interval_minutes: 'slotIntervalMinutes',
  buffer_minutes: 'bufferMinutes',
  min_notice_minutes: 'minNoticeMinutes',
  booking_horizon_days: 'bookingHorizonDays',
  late_cancel_hours: 'lateCancelHours',
  auto_confirm: 'autoConfirm',
  brand_color: 'brandColor',
  photo_url: 'photoUrl',
  bio: 'bio',
  allow_client_reschedule: 'allowClientReschedule',
  reschedule_cutoff_hours: 'rescheduleCutoffHours',
  no_show_uses_credit: 'noShowUsesCredit',
  waitlist_cutoff_hours: 'waitlistCutoffHours',
} as const satisfies Record<keyof TrainerSettingsInput, keyof Trainer>;

const SLOT_RULE_COLUMNS = ['timezone', 'slotIntervalMinutes', 'minNoticeMinutes', 'bookingHorizonDays'] as const;

/** The user, plus the client records (one per trainer) that carry the user's email. */
export async function getProfile(db: Db, user: User, trainer: Trainer | null): Promise<ProfileOut> {
  const clientOf =
    user.isClient && user.emailVerifiedAt
      ? await db
          .select({
            client_id: clients.id,
            trainer_id: trainers.id,
            business_name: trainers.businessName,
            slug: trainers.slug,
            is_active: clients.isActive,
          })
          .from(clients)
          .innerJoin(trainers, eq(trainers.id, clients.trainerId))
          .where(eq(clients.email, user.email))
          .orderBy(clients.id)
          .all()
      : [];
  return { ...toUserOut(user, trainer), client_of: clientOf };
}

const NO_BUSINESS = 'A client account has no business settings: leave this out.';

export async function updateProfile(
  db: Db,
  auth: AuthContext,
  input: ProfileUpdateInput,
  now: string,
): Promise<ProfileOut> {
  const userSet: Partial<User> = {};
  if (input.first_name !== undefined) userSet.firstName = input.first_name;
  if (input.last_name !== undefined) userSet.lastName = input.last_name;
  if (input.phone !== undefined) userSet.phone = input.phone;

  // Flat and nested trainer settings both work; nested wins when both name a field.
  const trainerSet: Partial<Trainer> = {};
  const notTrainer: Record<string, string[]> = {};
  for (const [field, column] of Object.entries(TRAINER_COLUMNS) as [keyof TrainerSettingsInput, keyof Trainer][]) {
    // `null` is a value (reschedule_cutoff_hours: null clears it), so only an absent nested field falls back.
    const nested = input.trainer?.[field];
    const value = nested !== undefined ? nested : input[field];
    if (value !== undefined) Object.assign(trainerSet, { [column]: value });
    if (input[field] !== undefined) notTrainer[field] = [NO_BUSINESS];
    if (nested !== undefined) notTrainer[`trainer.${field}`] = [NO_BUSINESS];
  }
  // A client account has no business settings: naming one changes nothing, so it is refused by name.
  if (!auth.trainer && (Object.keys(notTrainer).length || input.trainer !== undefined))
    throw invalid(Object.keys(notTrainer).length ? notTrainer : { trainer: [NO_BUSINESS] });

  const writes: Step[] = [];
  if (Object.keys(userSet).length)
    writes.push(
      db
        .update(users)
        .set({ ...userSet, updatedAt: now })
        .where(eq(users.id, auth.user.id)),
    );
  // Settings the slot rules read change what a booking's checks decided: raise the schedule version
  // (as a window's change does), so a booking checked against the old ones is written against none.
  const slotRules = SLOT_RULE_COLUMNS.some((column) => trainerSet[column] !== undefined);
  if (auth.trainer && Object.keys(trainerSet).length)
    writes.push(
      db
        .update(trainers)
        .set({
          ...trainerSet,
          ...(slotRules && { scheduleVersion: sql`${trainers.scheduleVersion} + 1` }),
          updatedAt: now,
        })
        .where(eq(trainers.id, auth.trainer.id)),
      // The session length and buffer are the default service's: it follows in the same batch.
      ...defaultFromTrainer(db, auth.trainer.id, trainerSet, now),
    );
  if (writes.length) {
    try {
      await batchSteps(db, writes);
    } catch (err) {
      // Named as it was sent: nested (`trainer.slug`) wins when both are.
      const slugField = input.trainer?.slug !== undefined ? 'trainer.slug' : 'slug';
      if (isUniqueViolation(err)) throw invalidField(slugField, 'This slug is already taken.');
      throw err;
    }
  }
  const fresh = await loadUser(db, eq(users.id, auth.user.id));
  if (!fresh) throw unauthorized('Invalid or expired token.');
  return getProfile(db, fresh.user, fresh.trainer);
}
