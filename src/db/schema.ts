import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

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
  ...timestamps,
});

export const sessions = sqliteTable(
  'sessions',
  {
    jti: text('jti').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull().default(now),
    expiresAt: text('expires_at').notNull(),
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
  ...timestamps,
});

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
