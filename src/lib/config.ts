import { ApiError, type FieldErrors } from './problem';
import { DEV_JWT_SECRET, MIN_JWT_SECRET_LENGTH } from './tokens';
import * as z from './zod';

/**
 * The Worker's bindings: what `wrangler types` generates from wrangler.toml (`Env`), plus the
 * secrets, all optional because `npm run dev` and the tests run without most of them.
 * Only the platform reads these raw strings; everything else reads the parsed `Config`.
 */
export type Bindings = Env & {
  NOTIFY_PROVIDER?: string;
  JWT_SECRET?: string;
  PADDLE_API_KEY?: string;
  PADDLE_WEBHOOK_SECRET?: string;
  SENDGRID_API_KEY?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
};

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => v?.trim() || fallback);
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined);
/** A whole number ≥ 0; unset or blank → the default. */
const count = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v?.trim()) return fallback;
      const n = Number(v);
      if (Number.isSafeInteger(n) && n >= 0) return n;
      ctx.addIssue({ code: 'custom', message: `must be a whole number ≥ 0 (got "${v}")` });
      return z.NEVER;
    });
/** A whole number of hours ≥ 1; unset or blank → the default. */
const hours = (fallback: number) => count(fallback).refine((n) => n >= 1, 'must be a whole number of hours ≥ 1');
const list = z
  .string()
  .optional()
  .transform((v) =>
    String(v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
const origin = (fallback: string) =>
  text(fallback).refine((v) => /^https?:\/\/[^/\s]+\/?$/.test(v), 'must be an origin such as https://example.com');

type Settings = {
  ENVIRONMENT: string;
  APP_ORIGIN: string;
  JWT_SECRET?: string | undefined;
  NOTIFY_PROVIDER?: 'log' | 'live' | undefined;
  SMS_FROM: string;
  SENDGRID_API_KEY?: string | undefined;
  TWILIO_ACCOUNT_SID?: string | undefined;
  TWILIO_AUTH_TOKEN?: string | undefined;
  PADDLE_ENVIRONMENT: string;
  PADDLE_API_BASE: string;
  PADDLE_API_KEY?: string | undefined;
  PADDLE_WEBHOOK_SECRET: string[];
  PADDLE_PRICE_ID: string;
  PADDLE_PRICE_IDS: string[];
  PADDLE_CLIENT_TOKEN: string;
};

export { MIN_JWT_SECRET_LENGTH };

/** NOTIFY_PROVIDER left unset: `live` in production (a deploy must really send), `log` elsewhere. */
const providerOf = (environment: string, chosen: 'log' | 'live' | undefined): 'log' | 'live' =>
  chosen ?? (environment === 'production' ? 'live' : 'log');

/**
 * What keeps this deployment from being ready, by setting: secrets missing or too short,
 * providers without credentials, the `log` provider or a plain-http origin in production, half
 * a Paddle setup. Only names and reasons: never a value.
 */
function unsafeSettings(e: Settings): FieldErrors {
  const errors: FieldErrors = {};
  const add = (name: string, reason: string) => {
    errors[name] = [...(errors[name] ?? []), reason];
  };
  const production = e.ENVIRONMENT === 'production';
  if (e.ENVIRONMENT !== 'development') {
    if (!e.JWT_SECRET) add('JWT_SECRET', 'is not set: every signed-in request answers 503.');
    else if (e.JWT_SECRET.length < MIN_JWT_SECRET_LENGTH)
      add('JWT_SECRET', `is shorter than ${MIN_JWT_SECRET_LENGTH} characters.`);
  }
  if (production && !e.APP_ORIGIN.startsWith('https://'))
    add('APP_ORIGIN', 'must be an https:// origin in production (mailed links point to it).');
  const provider = providerOf(e.ENVIRONMENT, e.NOTIFY_PROVIDER);
  if (production && provider === 'log')
    add('NOTIFY_PROVIDER', 'is log in production: messages would be recorded as sent and never sent (use live).');
  if (provider === 'live') {
    const needs = 'is not set while NOTIFY_PROVIDER is live: those messages fail.';
    if (!e.SENDGRID_API_KEY) add('SENDGRID_API_KEY', needs);
    if (!e.TWILIO_ACCOUNT_SID) add('TWILIO_ACCOUNT_SID', needs);
    if (!e.TWILIO_AUTH_TOKEN) add('TWILIO_AUTH_TOKEN', needs);
    if (!e.SMS_FROM) add('SMS_FROM', needs);
  }
  const paddleUsed = Boolean(
    e.PADDLE_API_KEY || e.PADDLE_WEBHOOK_SECRET.length || e.PADDLE_PRICE_ID || e.PADDLE_CLIENT_TOKEN,
  );
  if (paddleUsed) {
    const needs = 'is not set while Paddle is configured.';
    if (!e.PADDLE_API_KEY) add('PADDLE_API_KEY', needs);
    if (!e.PADDLE_WEBHOOK_SECRET.length) add('PADDLE_WEBHOOK_SECRET', needs);
    const live = e.PADDLE_ENVIRONMENT === 'production';
    if (live ? e.PADDLE_API_BASE.includes('sandbox') : /^https:\/\/api\.paddle\.com\/?$/.test(e.PADDLE_API_BASE))
      add('PADDLE_API_BASE', `does not match PADDLE_ENVIRONMENT=${e.PADDLE_ENVIRONMENT}.`);
  }
  return errors;
}

/** The JWT key, or undefined when none is usable (authenticated calls then answer 503). */
const usableJwtSecret = (e: { JWT_SECRET?: string | undefined; ENVIRONMENT: string }): string | undefined =>
  e.JWT_SECRET && e.JWT_SECRET.length >= MIN_JWT_SECRET_LENGTH
    ? e.JWT_SECRET
    : e.ENVIRONMENT === 'development'
      ? DEV_JWT_SECRET
      : undefined;

const configSchema = z
  .object({
    ENVIRONMENT: z.enum(['production', 'development', 'test', 'staging']).default('production'),
    APP_ORIGIN: origin('http://localhost:8787'),
    CORS_ORIGINS: list,
    LOG_REQUESTS: z.enum(['true', 'false']).default('true'),
    JWT_SECRET: optionalSecret,
    // Unset or blank: `live` in production, `log` elsewhere (providerOf).
    NOTIFY_PROVIDER: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim() || undefined : v),
      z.enum(['log', 'live']).optional(),
    ),
    EMAIL_FROM: text('TrainerHub <bookings@example.com>'),
    SMS_FROM: text(''),
    SENDGRID_API_BASE: text('https://api.sendgrid.com'),
    TWILIO_API_BASE: text('https://api.twilio.com'),
    SENDGRID_API_KEY: optionalSecret,
    TWILIO_ACCOUNT_SID: optionalSecret,
    TWILIO_AUTH_TOKEN: optionalSecret,
    NOTIFY_RETRY_BASE_SECONDS: count(30),
    NOTIFY_PROVIDER_TIMEOUT_SECONDS: count(10),
    SMS_DAILY_LIMIT_PER_TRAINER: count(200),
    PENDING_HOLD_HOURS: hours(24),
    PADDLE_ENVIRONMENT: z.enum(['sandbox', 'production']).default('sandbox'),
    PADDLE_API_BASE: text('https://sandbox-api.paddle.com'),
    PADDLE_PRICE_ID: text(''),
    PADDLE_PRICE_IDS: list,
    PADDLE_CLIENT_TOKEN: text(''),
    PADDLE_WEBHOOK_TOLERANCE_S: count(300),
    PADDLE_API_KEY: optionalSecret,
    PADDLE_WEBHOOK_SECRET: list,
  })
  .transform((e) => ({
    environment: e.ENVIRONMENT,
    appOrigin: e.APP_ORIGIN.replace(/\/$/, ''),
    corsOrigins: e.CORS_ORIGINS,
    logRequests: e.LOG_REQUESTS === 'true' && e.ENVIRONMENT !== 'test',
    /** The JWT key, or undefined when none is usable (authenticated calls then answer 503). */
    jwtSecret: usableJwtSecret(e),
    notify: {
      provider: providerOf(e.ENVIRONMENT, e.NOTIFY_PROVIDER),
      quiet: e.ENVIRONMENT === 'test',
      emailFrom: e.EMAIL_FROM,
      /** Client messages carry the booking's manage link: this origin, a token derived with the JWT key. */
      appOrigin: e.APP_ORIGIN.replace(/\/$/, ''),
      linkSecret: usableJwtSecret(e),
      smsFrom: e.SMS_FROM,
      sendgrid: { baseUrl: e.SENDGRID_API_BASE, apiKey: e.SENDGRID_API_KEY },
      twilio: { baseUrl: e.TWILIO_API_BASE, accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN },
      retryBaseSeconds: e.NOTIFY_RETRY_BASE_SECONDS || 30,
      /** How long a provider may take to answer a send before it counts as a retryable failure. */
      providerTimeoutSeconds: e.NOTIFY_PROVIDER_TIMEOUT_SECONDS || 10,
      smsDailyLimitPerTrainer: e.SMS_DAILY_LIMIT_PER_TRAINER,
    },
    bookings: {
      /** How long an unconfirmed public request holds its slot before the cron expires it. */
      pendingHoldHours: e.PENDING_HOLD_HOURS,
    },
    calendar: {
      /** Links in feeds point here; a connection to this origin's own feed is refused. */
      appOrigin: e.APP_ORIGIN.replace(/\/$/, ''),
      /** Signs feed URLs and seals stored calendar addresses (undefined: those calls answer 503). */
      secret: usableJwtSecret(e),
      /** Development only: plain http:// and local hosts are accepted as calendar addresses. */
      allowPlainUrls: e.ENVIRONMENT === 'development',
    },
    paddle: {
      environment: e.PADDLE_ENVIRONMENT,
      apiBase: e.PADDLE_API_BASE,
      apiKey: e.PADDLE_API_KEY,
      priceId: e.PADDLE_PRICE_ID,
      /** The prices a checkout may name: the default and PADDLE_PRICE_IDS. */
      priceIds: [e.PADDLE_PRICE_ID, ...e.PADDLE_PRICE_IDS].filter(Boolean),
      clientToken: e.PADDLE_CLIENT_TOKEN,
      webhookSecrets: e.PADDLE_WEBHOOK_SECRET,
      webhookToleranceSeconds: e.PADDLE_WEBHOOK_TOLERANCE_S,
    },
    /** Missing or unsafe settings, by name (never a value): GET /health/ready lists them. */
    unsafe: unsafeSettings(e),
  }));

export type Config = z.output<typeof configSchema>;
export type NotifyConfig = Config['notify'];
export type PaddleConfig = Config['paddle'];
export type BookingsConfig = Config['bookings'];
export type CalendarConfig = Config['calendar'];

/** Thrown when a setting is malformed; names each one (values of secrets are never shown). */
export class ConfigError extends ApiError {
  constructor(
    readonly problems: string[],
    errors?: FieldErrors,
  ) {
    super(503, `This server is misconfigured: ${problems.join('; ')}.`, errors ? { errors } : {});
  }
}

// A binding object lives as long as its isolate (tests build others): parse each one once.
const parsed = new WeakMap<object, Config>();

export function configOf(env: Bindings): Config {
  let config = parsed.get(env);
  if (!config) {
    const result = configSchema.safeParse(env);
    if (!result.success) {
      const errors: FieldErrors = {};
      for (const i of result.error.issues) {
        const name = i.path.join('.');
        errors[name] = [...(errors[name] ?? []), i.message];
      }
      throw new ConfigError(
        result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`),
        errors,
      );
    }
    config = result.data;
    parsed.set(env, config);
  }
  return config;
}

/** The JWT key, or a 503 that says how to set one. */
export function jwtSecretOf(config: Config): string {
  if (config.jwtSecret) return config.jwtSecret;
  throw new ApiError(503, 'JWT_SECRET is not configured (set a secret of at least 32 characters).');
}
