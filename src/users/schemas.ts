import { EMAIL, PHONE, TIME_ZONE } from '../lib/field-messages';
import { always, isHttpsUrl } from '../lib/fields';
import { passwordProblems } from '../lib/password';
import { toE164 } from '../lib/phone';
import { multiLine, singleLine, singleLineRefined } from '../lib/text';
import { canonicalTimeZone } from '../lib/time';
import * as z from '../lib/zod';

export const emailField = singleLine()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email(EMAIL))
  .openapi({ example: 'alex@example.com' });

export const phoneField = singleLine()
  .max(40)
  .transform((value, ctx) => {
    if (value.trim() === '') return '';
    const e164 = toE164(value);
    if (!e164) {
      ctx.addIssue({ code: 'custom', message: PHONE });
      return z.NEVER;
    }
    return e164;
  })
  .openapi({ type: 'string', example: '+14155550123' });

/** An IANA zone, stored as the zone database spells it. */
export const timezoneField = singleLine()
  .transform((value, ctx) => {
    const zone = canonicalTimeZone(value);
    if (zone === null) {
      ctx.addIssue({ code: 'custom', message: TIME_ZONE });
      return z.NEVER;
    }
    return zone;
  })
  .openapi({ type: 'string', example: 'America/New_York' });

const nameField = singleLine().trim().max(150);

const SESSION_DURATION =
  "The default service's `duration_minutes` (/api/services/): changing either changes both, in one write.";
const BUFFER =
  "The default service's `buffer_after_minutes` (/api/services/): changing either changes both, in one write.";

const NO_SHOW_USES_CREDIT =
  'Whether marking a booking a no-show spends the package credit it reserved (ledger reason `no_show`); when off, the reservation is released and no credit is used. Default true.';

const WAITLIST_CUTOFF =
  'Waitlisted places in a class that were never promoted lapse this many hours before it starts (they are told); default 2.';

/** Trainer settings a trainer may change; the bounds are the product's. */
export const trainerSettingsFields = {
  business_name: singleLine().trim().max(200),
  slug: singleLineRefined()
    .trim()
    .toLowerCase()
    .min(3)
    .max(60)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lowercase letters, digits and single dashes.'),
  timezone: timezoneField,
  session_duration_minutes: z.number().int().min(5).max(720).openapi({ description: SESSION_DURATION }),
  slot_interval_minutes: z.number().int().min(5).max(240),
  buffer_minutes: z.number().int().min(0).max(240).openapi({ description: BUFFER }),
  min_notice_minutes: z.number().int().min(0).max(43_200),
  booking_horizon_days: z.number().int().min(1).max(365),
  late_cancel_hours: z.number().int().min(0).max(168),
  auto_confirm: z.boolean(),
  brand_color: singleLineRefined()
    .regex(/^(#[0-9a-fA-F]{6})?$/, 'Enter a colour as # and six hex digits, like #1e6fd9, or leave it empty.')
    .transform((v) => v.toLowerCase())
    .openapi({ example: '#1e6fd9', description: "The booking page's colour, `#rrggbb`; '' for the default." }),
  photo_url: singleLine()
    .trim()
    .max(500)
    .refine((v) => v === '' || isHttpsUrl(v), 'Enter a photo address starting with https://, or leave it empty.')
    .openapi({ example: 'https://example.com/me.jpg', description: "An https photo URL; '' for none." }),
  bio: multiLine()
    .trim()
    .max(500, 'Keep the bio to 500 characters or fewer.')
    .openapi({ description: 'Plain text shown on the booking page; line breaks are kept.' }),
  allow_client_reschedule: z.boolean(),
  reschedule_cutoff_hours: z.number().int().min(0).max(168).nullable().openapi({
    description: 'Clients may reschedule until this many hours before the start; null: late_cancel_hours.',
  }),
  no_show_uses_credit: z.boolean().openapi({
    description: NO_SHOW_USES_CREDIT,
  }),
  waitlist_cutoff_hours: z.number().int().min(0).max(168).openapi({ description: WAITLIST_CUTOFF }),
};

const trainerSettingsSchema = z.strictObject(trainerSettingsFields).partial();
export type TrainerSettingsInput = z.infer<typeof trainerSettingsSchema>;

export const registerBody = z
  .strictObject({
    email: emailField,
    password: z.string().max(128),
    password_confirm: z.string().max(128),
    first_name: nameField.optional(),
    last_name: nameField.optional(),
    phone: phoneField.optional(),
    is_client: z.boolean().optional(),
    business_name: trainerSettingsFields.business_name.optional(),
    timezone: timezoneField.optional(),
  })
  .superRefine((v, ctx) => {
    // A client account has no business: its name and zone would be dropped, so they are refused by name.
    for (const field of ['business_name', 'timezone'] as const)
      if (v.is_client === true && v[field] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'A client account has no business settings: leave this out.',
        });
    if (typeof v.password !== 'string') return;
    const email = typeof v.email === 'string' ? v.email : '';
    for (const message of passwordProblems(v.password, email))
      ctx.addIssue({ code: 'custom', path: ['password'], message });
    if (typeof v.password_confirm === 'string' && v.password !== v.password_confirm)
      ctx.addIssue({ code: 'custom', path: ['password_confirm'], message: 'Passwords do not match.' });
  }, always)
  .openapi('RegisterRequest');
export type RegisterInput = z.infer<typeof registerBody>;

export const loginBody = z
  .object({ email: singleLine().trim().toLowerCase().min(1).max(254), password: z.string().min(1).max(128) })
  .openapi('LoginRequest');

export const passwordResetBody = z.strictObject({ email: emailField }).openapi('PasswordResetRequest');

/**
 * A new password's own rules, checked in the body only when another field has already failed: the
 * handler, which then never runs, checks it with the account's email beside the old password or
 * the link. So one 400 names every bad field, and a body otherwise sound is judged once, whole.
 */
const newPasswordToo = [
  (v: { new_password?: unknown }, ctx: z.RefinementCtx) => {
    if (typeof v.new_password !== 'string') return;
    for (const message of passwordProblems(v.new_password, ''))
      ctx.addIssue({ code: 'custom', path: ['new_password'], message });
  },
  { when: (p: { value: unknown; issues: unknown[] }) => always.when(p) && p.issues.length > 0 },
] as const;

export const passwordResetConfirmBody = z
  .strictObject({
    token: z.string().min(1).max(300).openapi({ description: 'The `token` of the mailed link (after `#token=`).' }),
    new_password: z.string().max(128),
  })
  .superRefine(...newPasswordToo)
  .openapi('PasswordResetConfirmRequest');

export const changePasswordBody = z
  .strictObject({ old_password: z.string().min(1).max(128), new_password: z.string().max(128) })
  .superRefine(...newPasswordToo)
  .openapi('ChangePasswordRequest');

export const profileUpdateBody = z
  .strictObject({
    first_name: nameField,
    last_name: nameField,
    phone: phoneField,
    ...trainerSettingsFields,
    trainer: trainerSettingsSchema
      .optional()
      .openapi({ description: 'The trainer settings, nested (the same as sent flat).' }),
  })
  .partial()
  .openapi('ProfileUpdateRequest', {
    description:
      'Trainer settings may be sent flat or nested under `trainer`. Email, roles and ids are no fields of it: a body naming one is refused (400 naming each), as is a trainer setting sent by a client account.',
  });
export type ProfileUpdateInput = z.infer<typeof profileUpdateBody>;

export const trainerOut = z
  .object({
    id: z.number().int(),
    business_name: z.string(),
    slug: z.string().openapi({
      description: '/book/{slug}: from the business name, else the email’s local part.',
    }),
    timezone: z.string(),
    session_duration_minutes: z.number().int().openapi({ description: SESSION_DURATION }),
    slot_interval_minutes: z.number().int(),
    buffer_minutes: z.number().int().openapi({ description: BUFFER }),
    min_notice_minutes: z.number().int(),
    booking_horizon_days: z.number().int(),
    late_cancel_hours: z.number().int(),
    auto_confirm: z.boolean(),
    brand_color: z.string(),
    photo_url: z.string(),
    bio: z.string(),
    allow_client_reschedule: z.boolean(),
    reschedule_cutoff_hours: z.number().int().nullable(),
    no_show_uses_credit: z.boolean().openapi({ description: NO_SHOW_USES_CREDIT }),
    waitlist_cutoff_hours: z.number().int().openapi({ description: WAITLIST_CUTOFF }),
  })
  .openapi('TrainerProfile');

export const userOut = z
  .object({
    id: z.number().int(),
    email: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    phone: z.string(),
    is_trainer: z.boolean(),
    is_client: z.boolean(),
    is_staff: z.boolean(),
    email_verified: z.boolean(),
    trainer: trainerOut
      .nullable()
      .openapi({ description: "The trainer's profile and settings; null for a user who is not a trainer." }),
  })
  .openapi('User');
export type UserOut = z.infer<typeof userOut>;

export const profileOut = userOut
  .extend({
    client_of: z
      .array(
        z.object({
          client_id: z.number().int(),
          trainer_id: z.number().int(),
          business_name: z.string(),
          slug: z.string(),
          is_active: z.boolean(),
        }),
      )
      .openapi({ description: "The client records carrying this user's email, one per trainer." }),
  })
  .openapi('Profile');
export type ProfileOut = z.infer<typeof profileOut>;

export const authOut = z
  .object({ token: z.string(), user: userOut.openapi({ description: 'The signed-in user.' }) })
  .openapi('AuthResponse');
export const tokenOut = z.object({ token: z.string() }).openapi('TokenResponse');

export const sessionOut = z
  .object({
    id: z
      .string()
      .openapi({ description: "The session's id (its token's `jti`): `DELETE` it to sign that device out." }),
    created_at: z
      .string()
      .openapi({ description: 'When the token was issued (sign-in, registration or password change).' }),
    expires_at: z
      .string()
      .openapi({ description: 'When the token stops working by itself (30 days after it was issued).' }),
    user_agent: z
      .string()
      .openapi({ description: 'The User-Agent of that sign-in, as sent (at most 256 characters).' }),
    current: z.boolean().openapi({ description: 'The session of the token of this request.' }),
  })
  .openapi('Session');
export type SessionOut = z.infer<typeof sessionOut>;
