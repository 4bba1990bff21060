import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// Instants are stored as ISO 8601 UTC text ("2025-01-15T10:00:00.000Z"): they sort and
// compare correctly as strings, read plainly in SQL, and round-trip through JSON unchanged.
const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
const timestamps = {
  createdAt: text('created_at').notNull().default(now),
  updatedAt: text('updated_at').notNull().default(now),
};

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  // Stored trimmed and lower-cased, so the unique index is case-insensitive.
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  firstName: text('first_name').notNull().default(''),
  lastName: text('last_name').notNull().default(''),
  phone: text('phone').notNull().default(''),
  isTrainer: integer('is_trainer', { mode: 'boolean' }).notNull().default(false),
  isClient: integer('is_client', { mode: 'boolean' }).notNull().default(false),
  isStaff: integer('is_staff', { mode: 'boolean' }).notNull().default(false),
  // An inactive user can neither log in nor use a token; staff deactivate instead of deleting.
  isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
  // Set when the user opens the link mailed to them; only then do client records carrying this
  // email become theirs to read (anyone can type anyone's email into a registration form).
  emailVerifiedAt: text('email_verified_at'),
  // Two-factor sign-in (TOTP, RFC 6238). The shared secret is sealed (sealText, purpose "totp");
  // null = off. A secret being enrolled waits in totp_pending_secret until a first code confirms it.
  totpSecret: text('totp_secret'),
  totpPendingSecret: text('totp_pending_secret'),
  // The last 30-second step a code was accepted for: a code (or an earlier one) is never accepted twice.
  totpLastStep: integer('totp_last_step'),
  ...timestamps,
});

/** One-time recovery codes of a user with two-factor sign-in; only the SHA-256 of a code is stored. */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: text('used_at'),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('recovery_codes_user_hash_idx').on(t.userId, t.codeHash)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    jti: text('jti').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull().default(now),
    expiresAt: text('expires_at').notNull(),
    /** The User-Agent of the sign-in, so a person can tell their devices apart (at most 256 characters). */
    userAgent: text('user_agent').notNull().default(''),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

export const trainers = sqliteTable('trainers', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  userId: integer('user_id')
    .notNull()
    .unique()
    .references(() => users.id, { onDelete: 'cascade' }),
  businessName: text('business_name').notNull().default(''),
  slug: text('slug').notNull().unique(),
  timezone: text('timezone').notNull().default('UTC'),
  sessionDurationMinutes: integer('session_duration_minutes').notNull().default(60),
  slotIntervalMinutes: integer('slot_interval_minutes').notNull().default(30),
  bufferMinutes: integer('buffer_minutes').notNull().default(0),
  minNoticeMinutes: integer('min_notice_minutes').notNull().default(120),
  bookingHorizonDays: integer('booking_horizon_days').notNull().default(60),
  lateCancelHours: integer('late_cancel_hours').notNull().default(24),
  autoConfirm: integer('auto_confirm', { mode: 'boolean' }).notNull().default(false),
  // The booking page's look: '#rrggbb' or '' (the default colour), an https photo URL or '', plain text.
  brandColor: text('brand_color').notNull().default(''),
  photoUrl: text('photo_url').notNull().default(''),
  bio: text('bio').notNull().default(''),
  // Whether clients may move their own bookings through the manage link, and until how many hours
  // before the start (null: the trainer's late_cancel_hours).
  allowClientReschedule: integer('allow_client_reschedule', { mode: 'boolean' }).notNull().default(true),
  rescheduleCutoffHours: integer('reschedule_cutoff_hours'),
  // Whether marking a no-show spends the pack credit the booking reserved.
  noShowUsesCredit: integer('no_show_uses_credit', { mode: 'boolean' }).notNull().default(true),
  // Raised by every change of windows, breaks, overrides and services, in the batch of the change:
  // a booking insert is guarded by the version its checks read (and caches can key on it).
  scheduleVersion: integer('schedule_version').notNull().default(0),
  // Raised by triggers (migration occupancy_version_triggers) on every insert and delete of a
  // booking, class session or calendar busy row, and every change of what they occupy: the public
  // availability's cache key holds it beside schedule_version. Booking inserts are NOT guarded by
  // it (they raise it themselves).
  occupancyVersion: integer('occupancy_version').notNull().default(0),
  // How many bookings the trainer has, of any status: kept by the same triggers, in the same
  // statement (migration booking_count), so the bookings list's page mode answers its unfiltered
  // count from this row instead of counting every booking.
  bookingCount: integer('booking_count').notNull().default(0),
  // How many notifications the trainer has, of any kind and status: kept by triggers on
  // notifications (migration notification_count), so the notifications list's page mode answers
  // its unfiltered count from this row instead of counting every message ever planned.
  notificationCount: integer('notification_count').notNull().default(0),
  // Waitlisted places never promoted lapse this many hours before their class starts.
  waitlistCutoffHours: integer('waitlist_cutoff_hours').notNull().default(2),
  // The calendar feed's URL is derived from the trainer id and this generation (lib/tokens.ts
  // feedToken): rotating raises it, and the old URL stops matching at once. Nothing secret stored.
  calendarFeedGeneration: integer('calendar_feed_generation').notNull().default(0),
  ...timestamps,
});

// Booking-page slugs a trainer left (a new slug, or the account deleted), kept by triggers
// (migration 0035): no one else may take one, so old links, embeds and emails never lead a
// client to another business; the trainer who left one may take it back, and the booking page
// and public API follow it to the trainer's current slug. trainer_id is null once they are gone.
export const retiredSlugs = sqliteTable(
  'retired_slugs',
  {
    slug: text('slug').primaryKey(),
    trainerId: integer('trainer_id').references(() => trainers.id, { onDelete: 'set null' }),
    retiredAt: text('retired_at').notNull().default(now),
  },
  (t) => [index('retired_slugs_trainer_idx').on(t.trainerId)],
);

// One row per failed login; the limiter counts rows of one email inside the window.
export const loginAttempts = sqliteTable(
  'login_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    at: text('at').notNull(),
  },
  (t) => [index('login_attempts_email_at_idx').on(t.email, t.at)],
);

export type User = typeof users.$inferSelect;
export type Trainer = typeof trainers.$inferSelect;

export const FITNESS_LEVELS = ['beginner', 'intermediate', 'advanced', 'athlete'] as const;

export const clients = sqliteTable(
  'clients',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    // Lower-cased; a client user is linked to every client record carrying its email.
    email: text('email').notNull(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    // The names as the list sorts them (`sortKey`: no accents, lower case), written with the names.
    firstNameKey: text('first_name_key').notNull().default(''),
    lastNameKey: text('last_name_key').notNull().default(''),
    phone: text('phone').notNull().default(''),
    fitnessLevel: text('fitness_level', { enum: FITNESS_LEVELS }).notNull().default('beginner'),
    goals: text('goals', { mode: 'json' }).$type<string[]>().notNull().default([]),
    preferences: text('preferences', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    notes: text('notes').notNull().default(''),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    // The client's own feed of their sessions with this trainer (as trainers.calendar_feed_generation).
    calendarFeedGeneration: integer('calendar_feed_generation').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('clients_trainer_email_unique').on(t.trainerId, t.email),
    index('clients_trainer_last_name_key_idx').on(t.trainerId, t.lastNameKey),
    index('clients_email_idx').on(t.email),
  ],
);

export const clientNotes = sqliteTable(
  'client_notes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientId: integer('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    content: text('content').notNull(),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [index('client_notes_client_idx').on(t.clientId, t.createdAt)],
);

export type Client = typeof clients.$inferSelect;
export type ClientNote = typeof clientNotes.$inferSelect;

export const availabilitySlots = sqliteTable(
  'availability_slots',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    dayOfWeek: integer('day_of_week').notNull(), // 0 = Monday … 6 = Sunday
    startTime: text('start_time').notNull(), // "HH:MM:SS", trainer's wall clock
    endTime: text('end_time').notNull(), // "HH:MM:SS"; "24:00:00" is the end of the day
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    ...timestamps,
  },
  (t) => [index('availability_slots_trainer_idx').on(t.trainerId, t.dayOfWeek)],
);

export const trainerBreaks = sqliteTable(
  'trainer_breaks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    startDate: text('start_date').notNull(), // "YYYY-MM-DD", inclusive, trainer's zone
    endDate: text('end_date').notNull(), // inclusive
    // Optional wall-clock part of each day in the range ("HH:MM:SS"); both null = whole days.
    startTime: text('start_time'),
    endTime: text('end_time'),
    reason: text('reason').notNull().default(''),
    // iCalendar SEQUENCE of the break's feed events: raised on every change.
    sequence: integer('sequence').notNull().default(0),
    ...timestamps,
  },
  (t) => [index('trainer_breaks_trainer_idx').on(t.trainerId, t.endDate)],
);

/** One local date whose open hours replace the weekly windows; `windows: []` closes the day. */
export const availabilityOverrides = sqliteTable(
  'availability_overrides',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    date: text('date').notNull(), // "YYYY-MM-DD", the trainer's zone
    // [{"start_time": "HH:MM:SS", "end_time": "HH:MM:SS"}], wall clock; "24:00:00" ends the day.
    windows: text('windows', { mode: 'json' })
      .$type<{ start_time: string; end_time: string }[]>()
      .notNull()
      .default([]),
    reason: text('reason').notNull().default(''),
    ...timestamps,
  },
  (t) => [uniqueIndex('availability_overrides_trainer_date_unique').on(t.trainerId, t.date)],
);

export const LOCATION_TYPES = ['in_person', 'video', 'phone', 'client_address'] as const;
export type LocationType = (typeof LOCATION_TYPES)[number];

/** What a trainer sells: its length, buffers, price and where it happens. */
export const services = sqliteTable(
  'services',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    durationMinutes: integer('duration_minutes').notNull(),
    priceCents: integer('price_cents'), // null: no price shown
    currency: text('currency'), // ISO 4217, set with a price
    bufferBeforeMinutes: integer('buffer_before_minutes').notNull().default(0),
    bufferAfterMinutes: integer('buffer_after_minutes').notNull().default(0),
    locationType: text('location_type', { enum: LOCATION_TYPES }).notNull().default('in_person'),
    location: text('location').notNull().default(''),
    videoUrl: text('video_url').notNull().default(''),
    color: text('color').notNull().default(''),
    isPublic: integer('is_public', { mode: 'boolean' }).notNull().default(true),
    position: integer('position').notNull().default(0),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    // Exactly one per trainer: what a booking without `service` is for.
    isDefault: integer('is_default', { mode: 'boolean' }).notNull().default(false),
    // Places per session: 1 is a private session, more makes it a class (scheduled as class_sessions).
    capacity: integer('capacity').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('services_trainer_position_idx').on(t.trainerId, t.position),
    uniqueIndex('services_trainer_default_unique').on(t.trainerId).where(sql`is_default = 1`),
  ],
);

export type Service = typeof services.$inferSelect;
export type AvailabilityOverride = typeof availabilityOverrides.$inferSelect;

/**
 * A standing appointment: the same client, service and local wall-clock time on some weekdays,
 * every `interval_weeks`, for `count` occurrences or until a date. Its occurrences are bookings.
 */
export const bookingSeries = sqliteTable(
  'booking_series',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    clientId: integer('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'restrict' }),
    serviceId: integer('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'restrict' }),
    // The repeat rule as given: weekdays (0 = Monday), interval, count or until.
    weekdays: text('weekdays', { mode: 'json' }).$type<number[]>().notNull(),
    intervalWeeks: integer('interval_weeks').notNull().default(1),
    count: integer('count'),
    until: text('until'), // "YYYY-MM-DD", inclusive, the trainer's zone
    firstStart: text('first_start').notNull(), // the first occurrence's instant
    localTime: text('local_time').notNull(), // "HH:MM:SS", wall clock in `timezone`
    timezone: text('timezone').notNull(), // the trainer's zone when created
    clientPackageId: integer('client_package_id').references(() => clientPackages.id, { onDelete: 'restrict' }),
    notes: text('notes').notNull().default(''),
    cancelledAt: text('cancelled_at'),
    ...timestamps,
  },
  (t) => [index('booking_series_trainer_idx').on(t.trainerId, t.createdAt)],
);

export const CLASS_SESSION_STATUSES = ['scheduled', 'cancelled'] as const;

/**
 * A class on the trainer's calendar: a service with capacity > 1 at a time. It occupies the
 * trainer's time like a booking (its own occupied span); its places are bookings pointing at it.
 */
export const classSessions = sqliteTable(
  'class_sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    serviceId: integer('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'restrict' }),
    startTime: text('start_time').notNull(),
    endTime: text('end_time').notNull(),
    occupiedStart: text('occupied_start').notNull(),
    occupiedEnd: text('occupied_end').notNull(),
    capacity: integer('capacity').notNull(),
    status: text('status', { enum: CLASS_SESSION_STATUSES }).notNull().default('scheduled'),
    cancellationReason: text('cancellation_reason').notNull().default(''),
    cancelledAt: text('cancelled_at'),
    ...timestamps,
  },
  (t) => [index('class_sessions_trainer_start_idx').on(t.trainerId, t.status, t.startTime)],
);

export type BookingSeries = typeof bookingSeries.$inferSelect;
export type ClassSession = typeof classSessions.$inferSelect;

export const BOOKING_STATUSES = ['pending', 'confirmed', 'completed', 'cancelled', 'no_show', 'waitlisted'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const bookings = sqliteTable(
  'bookings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    clientId: integer('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'restrict' }),
    // UTC instants, half-open [start, end).
    startTime: text('start_time').notNull(),
    endTime: text('end_time').notNull(),
    // What was booked (null only for rows written before services; the migration fills them).
    serviceId: integer('service_id').references(() => services.id, { onDelete: 'restrict' }),
    // The time the booking keeps from others: [start - buffer before, end + buffer after) of its
    // service when booked. Two active bookings of a trainer never have overlapping occupied spans.
    occupiedStart: text('occupied_start').notNull().default(''),
    occupiedEnd: text('occupied_end').notNull().default(''),
    // An occurrence of a standing series, or a place in a class (which then holds no time of its
    // own: the class session does).
    seriesId: integer('series_id').references(() => bookingSeries.id, { onDelete: 'set null' }),
    classSessionId: integer('class_session_id').references(() => classSessions.id, { onDelete: 'restrict' }),
    status: text('status', { enum: BOOKING_STATUSES }).notNull().default('pending'),
    notes: text('notes').notNull().default(''),
    cancellationReason: text('cancellation_reason').notNull().default(''),
    clientPackageId: integer('client_package_id').references(() => clientPackages.id, { onDelete: 'restrict' }),
    cancelledAt: text('cancelled_at'),
    lateCancellation: integer('late_cancellation', { mode: 'boolean' }).notNull().default(false),
    // iCalendar SEQUENCE: raised on every change of time or status, so calendar apps replace their copy.
    sequence: integer('sequence').notNull().default(0),
    // The client's IANA zone for their messages; '' = the trainer's zone.
    clientTimezone: text('client_timezone').notNull().default(''),
    // Who made it: a public request (the booking page; the expiry cron lapses these) or the trainer.
    source: text('source', { enum: ['trainer', 'public'] })
      .notNull()
      .default('trainer'),
    // A class place that has only ever been on the waitlist (set and cleared by triggers, migration
    // waitlist_only): it counts in no booking figure, waiting or after leaving the waitlist unseated.
    waitlistOnly: integer('waitlist_only', { mode: 'boolean' }).notNull().default(false),
    // Its pack was picked by the email typed on the booking page, by someone who proved nothing:
    // only a completed session spends that credit, never a late cancel or a no-show.
    packByEmail: integer('pack_by_email', { mode: 'boolean' }).notNull().default(false),
    ...timestamps,
  },
  (t) => [
    index('bookings_trainer_start_idx').on(t.trainerId, t.startTime),
    index('bookings_trainer_status_start_idx').on(t.trainerId, t.status, t.startTime),
    // The list's `ordering=created_at` (page and cursor mode): seeks instead of sorting a trainer's history.
    index('bookings_trainer_created_idx').on(t.trainerId, t.createdAt),
    index('bookings_client_start_idx').on(t.clientId, t.startTime),
    index('bookings_service_idx').on(t.serviceId),
    index('bookings_series_idx').on(t.seriesId),
    index('bookings_class_session_idx').on(t.classSessionId, t.status),
    // The console's overview: pending requests nobody answered for a day (a small partial index).
    index('bookings_pending_created_idx').on(t.createdAt).where(sql`status = 'pending'`),
    // One place per client per class session (waitlisted included): 409 already_booked.
    uniqueIndex('bookings_class_client_unique')
      .on(t.classSessionId, t.clientId)
      .where(sql`class_session_id IS NOT NULL AND status IN ('pending', 'confirmed', 'waitlisted')`),
  ],
);

export const sessionPackages = sqliteTable(
  'session_packages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    sessionsCount: integer('sessions_count').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull().default('USD'),
    validityDays: integer('validity_days'),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    ...timestamps,
  },
  (t) => [index('session_packages_trainer_idx').on(t.trainerId)],
);

/** The services a package's credits may be spent on; none listed = every service. */
export const sessionPackageServices = sqliteTable(
  'session_package_services',
  {
    sessionPackageId: integer('session_package_id')
      .notNull()
      .references(() => sessionPackages.id, { onDelete: 'cascade' }),
    serviceId: integer('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
  },
  (t) => [
    uniqueIndex('session_package_services_unique').on(t.sessionPackageId, t.serviceId),
    index('session_package_services_service_idx').on(t.serviceId),
  ],
);

export const clientPackages = sqliteTable(
  'client_packages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientId: integer('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'restrict' }),
    sessionPackageId: integer('session_package_id')
      .notNull()
      .references(() => sessionPackages.id, { onDelete: 'restrict' }),
    sessionsTotal: integer('sessions_total').notNull(),
    sessionsRemaining: integer('sessions_remaining').notNull(),
    expiryDate: text('expiry_date'), // "YYYY-MM-DD", last valid day in the trainer's zone
    pricePaidCents: integer('price_paid_cents').notNull(),
    currency: text('currency').notNull(),
    purchasedAt: text('purchased_at').notNull().default(now),
    // A refund ends the pack (its credits go to 0): the amount paid back, when, and why. Revenue
    // counts the sale on its day and the refund, negative, on the refund's day.
    refundedCents: integer('refunded_cents'),
    refundedAt: text('refunded_at'),
    refundReason: text('refund_reason').notNull().default(''),
  },
  (t) => [
    index('client_packages_client_idx').on(t.clientId),
    index('client_packages_package_idx').on(t.sessionPackageId),
    index('client_packages_purchased_idx').on(t.purchasedAt),
  ],
);

export const LEDGER_REASONS = ['use_session', 'booking_completed', 'late_cancellation', 'no_show', 'refunded'] as const;

/** Every change of a client package's sessions_remaining, with its reason. */
export const packageLedger = sqliteTable(
  'package_ledger',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientPackageId: integer('client_package_id')
      .notNull()
      .references(() => clientPackages.id, { onDelete: 'cascade' }),
    bookingId: integer('booking_id').references(() => bookings.id, { onDelete: 'set null' }),
    delta: integer('delta').notNull(),
    reason: text('reason', { enum: LEDGER_REASONS }).notNull(),
    at: text('at').notNull().default(now),
    // sessions_remaining right after this change, written in the same statement batch as the
    // change; NULL for rows written before the column existed.
    balanceAfter: integer('balance_after'),
  },
  (t) => [index('package_ledger_package_idx').on(t.clientPackageId, t.at)],
);

/** Stored first responses of create requests sent with an Idempotency-Key (kept 24 h). */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    scope: text('scope').notNull(), // who and what, e.g. "user:5:POST /api/bookings"
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    // The first response; empty until written, when it is rebuilt from resource_id.
    responseBody: text('response_body').notNull().default(''),
    resourceId: integer('resource_id'),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('idempotency_scope_key_unique').on(t.scope, t.key),
    index('idempotency_created_idx').on(t.createdAt),
  ],
);

export type AvailabilitySlot = typeof availabilitySlots.$inferSelect;
export type TrainerBreak = typeof trainerBreaks.$inferSelect;
export type Booking = typeof bookings.$inferSelect;
export type SessionPackage = typeof sessionPackages.$inferSelect;
export type ClientPackage = typeof clientPackages.$inferSelect;

export const NOTIFICATION_KINDS = [
  'booking_confirmed',
  'booking_cancelled',
  'reminder_24h',
  'reminder_1h',
  'payment_receipt',
  'booking_requested',
  'booking_request_received',
  'booking_rescheduled',
  'series_confirmed',
  'series_cancelled',
  'waitlist_promoted',
  'waitlist_expired',
  'waitlist_joined',
  'waitlist_left',
  'class_cancelled',
  'waitlist_class_cancelled',
  'calendar_sync_failing',
  'package_refunded',
] as const;
/** Mails about a user's account, which belong to no trainer. */
export const ACCOUNT_MAIL_KINDS = ['email_verification', 'password_reset'] as const;
export type AccountMailKind = (typeof ACCOUNT_MAIL_KINDS)[number];
/** Every kind an outbox row can have: the trainer's kinds above, and the account mails. */
export const OUTBOX_KINDS = [...NOTIFICATION_KINDS, ...ACCOUNT_MAIL_KINDS] as const;
export const isAccountMail = (kind: (typeof OUTBOX_KINDS)[number]): kind is AccountMailKind =>
  (ACCOUNT_MAIL_KINDS as readonly string[]).includes(kind);
export const NOTIFICATION_CHANNELS = ['email', 'sms', 'push'] as const;
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed', 'cancelled'] as const;

/** The outbox: one row per message, written in the same batch as the change that causes it. */
export const notifications = sqliteTable(
  'notifications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // Null for account mails (email verification, password reset), which belong to a user, not a trainer.
    trainerId: integer('trainer_id').references(() => trainers.id, { onDelete: 'cascade' }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    bookingId: integer('booking_id').references(() => bookings.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: OUTBOX_KINDS }).notNull(),
    notificationType: text('notification_type', { enum: NOTIFICATION_CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull().default(''),
    message: text('message').notNull(), // plain text (the SMS body, or the email's text part)
    html: text('html').notNull().default(''), // the email's HTML part
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
    // e.g. "booking:42:reminder_24h:email:2025-01-15T10:00:00.000Z": repeating a step never duplicates a message.
    dedupeKey: text('dedupe_key').notNull().unique(),
    attempts: integer('attempts').notNull().default(0),
    providerMessageId: text('provider_message_id'),
    sentAt: text('sent_at'),
    failedReason: text('failed_reason'),
    // A pending row whose deliveries all failed while the provider was down or limiting: the
    // sweeper queues it again from this instant (a new round; delivery.ts `nextRound`).
    retryAt: text('retry_at'),
    // A "rescheduled" message to the client: the time the booking had before the move.
    previousStartTime: text('previous_start_time'),
    previousEndTime: text('previous_end_time'),
    // A series cancellation: the ids (JSON) of the occurrences the client knew of, the ones it lists.
    listed: text('listed'),
    ...timestamps,
  },
  (t) => [
    index('notifications_status_created_idx').on(t.status, t.createdAt),
    index('notifications_trainer_created_idx').on(t.trainerId, t.createdAt),
    index('notifications_booking_idx').on(t.bookingId),
    index('notifications_user_idx').on(t.userId),
  ],
);

export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'paused', 'canceled'] as const;

/** The trainer's own TrainerHub subscription, mirrored from Paddle Billing. */
export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .unique()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    paddleSubscriptionId: text('paddle_subscription_id').unique(),
    paddleCustomerId: text('paddle_customer_id'),
    status: text('status').notNull(), // Paddle's spelling
    priceId: text('price_id'),
    nextBillingDate: text('next_billing_date'), // YYYY-MM-DD, UTC
    scheduledCancelAt: text('scheduled_cancel_at'),
    lastEventAt: text('last_event_at'), // occurred_at of the newest event applied
    ...timestamps,
  },
  // The console's overview counts past-due subscriptions.
  (t) => [index('subscriptions_status_idx').on(t.status)],
);

export const PAYMENT_STATUSES = ['completed', 'pending', 'failed', 'refunded'] as const;

export const payments = sqliteTable(
  'payments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    subscriptionId: integer('subscription_id').references(() => subscriptions.id, { onDelete: 'set null' }),
    paddleTransactionId: text('paddle_transaction_id').notNull().unique(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    errorCode: text('error_code'),
    // What Paddle refunded of it: the sum of its `payment_refunds`, at most the amount; `refunded` once it all was.
    refundedCents: integer('refunded_cents').notNull().default(0),
    ...timestamps,
  },
  (t) => [index('payments_trainer_created_idx').on(t.trainerId, t.createdAt)],
);

/**
 * Each approved Paddle refund (an adjustment), once by its id, however many events carry it. Kept
 * by transaction id, so one that arrives before its payment is stored counts once the payment is.
 */
export const paymentRefunds = sqliteTable(
  'payment_refunds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    paddleAdjustmentId: text('paddle_adjustment_id').notNull().unique(),
    paddleTransactionId: text('paddle_transaction_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [index('payment_refunds_transaction_idx').on(t.paddleTransactionId)],
);

/**
 * Every verified Paddle webhook, once: a repeated event_id changes nothing. An event that needs a
 * row not stored yet (a refund before its transaction) is parked: `processed_at` stays NULL and
 * `waiting_for` names what it waits for (the Paddle transaction id); the batch that stores that
 * row applies it and sets `processed_at`.
 */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventId: text('event_id').notNull().unique(),
    eventType: text('event_type').notNull(),
    occurredAt: text('occurred_at').notNull(),
    payload: text('payload').notNull(),
    processedAt: text('processed_at'),
    error: text('error'),
    waitingFor: text('waiting_for'),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [
    index('webhook_events_type_idx').on(t.eventType, t.occurredAt),
    index('webhook_events_waiting_idx').on(t.waitingFor),
    // The console's overview: events that matched nothing (processed with an error note).
    index('webhook_events_error_idx').on(t.occurredAt).where(sql`error IS NOT NULL`),
  ],
);

/**
 * A trainer's bookings of one ended local month in numbers (analytics/booking-months.ts), so the
 * all-time figures add up ~12 rows a year instead of reading every booking. `range_start` /
 * `range_end` are the month's UTC bounds. A row is only ever exact: the triggers of migration
 * booking_month_stats_triggers delete the row of the month a booking's start falls in (before
 * and after the change) whenever a booking is inserted, deleted, or changes status, start,
 * late flag or trainer, in the same transaction; the hourly cron writes missing rows again in
 * one INSERT … SELECT each. `grid` is JSON {"<%w> <%H>": n}: bookings neither cancelled nor
 * waitlisted by local weekday (SQLite's %w, 0 = Sunday) and hour.
 */
export const bookingMonthStats = sqliteTable(
  'booking_month_stats',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    month: text('month').notNull(), // "YYYY-MM", the trainer's local month
    rangeStart: text('range_start').notNull(),
    rangeEnd: text('range_end').notNull(),
    total: integer('total').notNull(), // every booking, waitlisted places included
    pending: integer('pending').notNull(),
    confirmed: integer('confirmed').notNull(),
    completed: integer('completed').notNull(),
    cancelled: integer('cancelled').notNull(),
    noShow: integer('no_show').notNull(),
    waitlisted: integer('waitlisted').notNull(),
    late: integer('late').notNull(),
    grid: text('grid').notNull().default('{}'),
    computedAt: text('computed_at').notNull(),
  },
  (t) => [
    uniqueIndex('booking_month_stats_trainer_month_unique').on(t.trainerId, t.month),
    index('booking_month_stats_trainer_range_idx').on(t.trainerId, t.rangeStart),
  ],
);

export type Notification = typeof notifications.$inferSelect;
export type Subscription = typeof subscriptions.$inferSelect;
export type Payment = typeof payments.$inferSelect;

/**
 * One row per trainer and local day, written by the hourly rollup once the trainer's day
 * has ended. `revenue_cents` is that day's package sales less its refunds in `currency`, the trainer's main
 * currency at the day's end (sales in other currencies are in the live endpoints).
 */
export const dashboardMetrics = sqliteTable(
  'dashboard_metrics',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    date: text('date').notNull(), // "YYYY-MM-DD", the trainer's local day
    bookingsCount: integer('bookings_count').notNull().default(0),
    completedBookings: integer('completed_bookings').notNull().default(0),
    cancelledBookings: integer('cancelled_bookings').notNull().default(0),
    revenueCents: integer('revenue_cents').notNull().default(0),
    currency: text('currency').notNull().default('USD'),
    newClients: integer('new_clients').notNull().default(0),
    activeClients: integer('active_clients').notNull().default(0),
    ...timestamps,
  },
  (t) => [uniqueIndex('dashboard_metrics_trainer_date_unique').on(t.trainerId, t.date)],
);

export type DashboardMetric = typeof dashboardMetrics.$inferSelect;

/**
 * The public manage link of a booking: only the SHA-256 of its token is stored, for lookup. The
 * token is HMAC(secret, "manage:" + salt) (lib/tokens.ts manageToken), so a message can carry it
 * at send time; rows from before the salt ('') keep working but cannot be put in messages.
 */
export const bookingLinks = sqliteTable(
  'booking_links',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    bookingId: integer('booking_id')
      .notNull()
      .references(() => bookings.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    salt: text('salt').notNull().default(''),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [index('booking_links_booking_idx').on(t.bookingId)],
);

/** One row per counted request; a sliding-window limiter counts a key's rows inside its window. */
export const rateLimitHits = sqliteTable(
  'rate_limit_hits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(), // e.g. "public-booking:ip:203.0.113.9"
    at: text('at').notNull(),
  },
  (t) => [index('rate_limit_hits_key_at_idx').on(t.key, t.at)],
);

/** Every change staff make through the admin API or console, written in the batch of the change. */
export const adminAuditLog = sqliteTable(
  'admin_audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    staffUserId: integer('staff_user_id').references(() => users.id, { onDelete: 'set null' }),
    model: text('model').notNull(), // the admin model's name, e.g. "bookings"
    recordId: integer('record_id').notNull(),
    action: text('action').notNull(), // update, delete, confirm, cancel, mark_completed, reschedule, retry
    // {"field": {"before": …, "after": …}}
    changes: text('changes', { mode: 'json' }).$type<Record<string, { before: unknown; after: unknown }>>().notNull(),
    at: text('at').notNull().default(now),
  },
  (t) => [
    index('admin_audit_log_record_idx').on(t.model, t.recordId, t.at),
    index('admin_audit_log_staff_idx').on(t.staffUserId, t.at),
    index('admin_audit_log_at_idx').on(t.at),
  ],
);

/** Staff console sign-ins (a cookie on /admin only); only the SHA-256 of the cookie's token is stored. */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull().default(now),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [index('admin_sessions_user_idx').on(t.userId), index('admin_sessions_expires_idx').on(t.expiresAt)],
);

export type AdminAuditEntry = typeof adminAuditLog.$inferSelect;

/** Where busy time comes from: a secret iCalendar address today; an API connector (Google, Microsoft) later. */
export const CALENDAR_PROVIDERS = ['ics'] as const;

/** A trainer's own calendar whose busy time blocks bookings. */
export const calendarConnections = sqliteTable(
  'calendar_connections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: CALENDAR_PROVIDERS }).notNull().default('ics'),
    name: text('name').notNull(),
    // The address is a secret: stored encrypted (AES-GCM, lib/tokens.ts), shown only as its hint
    // ("calendar.google.com …a1b2c3"); its SHA-256 finds the same address twice.
    urlCiphertext: text('url_ciphertext').notNull(),
    urlHint: text('url_hint').notNull(),
    urlHash: text('url_hash').notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    // The last answer's validators, sent back as If-None-Match / If-Modified-Since.
    etag: text('etag'),
    lastModified: text('last_modified'),
    lastAttemptAt: text('last_attempt_at'),
    lastSyncedAt: text('last_synced_at'),
    lastError: text('last_error'),
    // Failed syncs in a row; the trainer is told once when it reaches 3 (failing_since names the streak).
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    failingSince: text('failing_since'),
    busyCount: integer('busy_count').notNull().default(0),
    // What the stored busy rows were expanded for: "<trainer zone>|<window end, UTC instant>". The
    // validators above are sent only while it still covers the window a sync needs now (a 304 then
    // keeps rows that are still whole); otherwise the calendar is fetched and expanded again.
    expandedFor: text('expanded_for'),
    ...timestamps,
  },
  (t) => [
    index('calendar_connections_trainer_idx').on(t.trainerId),
    index('calendar_connections_due_idx').on(t.isActive, t.lastAttemptAt),
    // The console's overview: connections in a failing streak.
    index('calendar_connections_failing_idx').on(t.failingSince).where(sql`failing_since IS NOT NULL`),
  ],
);

/**
 * Busy time imported from a connection: UTC instants, half-open [start, end), never longer than
 * MAX_BUSY_MINUTES (longer events are stored as consecutive pieces), so an overlap query can bound
 * its index scan by start_time as it does for bookings. Replaced whole by each successful sync.
 */
export const calendarBusy = sqliteTable(
  'calendar_busy',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trainerId: integer('trainer_id')
      .notNull()
      .references(() => trainers.id, { onDelete: 'cascade' }),
    connectionId: integer('connection_id')
      .notNull()
      .references(() => calendarConnections.id, { onDelete: 'cascade' }),
    startTime: text('start_time').notNull(),
    endTime: text('end_time').notNull(),
  },
  (t) => [
    index('calendar_busy_trainer_start_idx').on(t.trainerId, t.startTime),
    index('calendar_busy_connection_idx').on(t.connectionId),
  ],
);

export type CalendarConnection = typeof calendarConnections.$inferSelect;
