export const TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

/** The shortest JWT_SECRET the Worker uses (lib/config.ts). */
export const MIN_JWT_SECRET_LENGTH = 32;
/**
 * The secret used only when ENVIRONMENT=development (npm run dev) and no JWT_SECRET is set, so a
 * fresh clone runs with no secrets. Here (not in config.ts) so scripts/admin-create.mjs seals with it too.
 */
export const DEV_JWT_SECRET = 'trainerhub-dev-only-secret-never-used-in-production';
const ALG = 'HS256';
// base64url('{"alg":"HS256","typ":"JWT"}'), the protected header of every token signed here.
const JWT_HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';

// The HMAC key of a secret, imported once per isolate rather than on every request.
const keys = new Map<string, Promise<CryptoKey>>();
function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, key);
  }
  return key;
}

export interface TokenClaims {
  jti: string;
  iat: number;
  exp: number;
  expiresAt: string;
}

/** A token's jti and times, chosen before the user id is known so the session row can share a batch. */
export function newTokenClaims(now: string): TokenClaims {
  const iat = Math.floor(Date.parse(now) / 1000);
  const exp = iat + TOKEN_LIFETIME_SECONDS;
  return { jti: crypto.randomUUID(), iat, exp, expiresAt: new Date(exp * 1000).toISOString() };
}

/**
 * A signed session token. `tid` names the trainer the user is (never changes for a user), so a
 * booking can be routed to the trainer's schedule before the session row is read.
 */
export async function signToken(
  secret: string,
  userId: number,
  claims: TokenClaims,
  trainerId: number | null,
): Promise<string> {
  const { jti, iat, exp } = claims;
  const payload = { ...(trainerId === null ? {} : { tid: trainerId }), sub: String(userId), jti, iat, exp };
  const signed = `${JWT_HEADER}.${base64url(utf8.encode(JSON.stringify(payload)))}`;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await keyOf(secret), utf8.encode(signed)));
  return `${signed}.${base64url(mac)}`;
}

export interface VerifiedToken {
  userId: number;
  jti: string;
  trainerId: number | null;
}

/**
 * The token's claims, or null for anything not signed by us with HS256 and unexpired: a JWS in
 * compact form whose header names HS256 (and no `crit` extension), whose HMAC verifies (in
 * constant time, by WebCrypto) and whose `exp` is still ahead (`nbf`, when present, behind).
 */
export async function verifyToken(secret: string, token: string): Promise<VerifiedToken | null> {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, body, mac] = parts as [string, string, string];
  const headerJson = jsonOf(header);
  if (headerJson?.alg !== ALG || 'crit' in headerJson) return null;
  const signature = bytesOf(mac);
  if (!signature) return null;
  const valid = await crypto.subtle.verify('HMAC', await keyOf(secret), signature, utf8.encode(`${header}.${body}`));
  const payload = valid ? jsonOf(body) : null;
  if (!payload) return null;
  const nowS = Math.floor(Date.now() / 1000);
  const { sub, jti, exp, nbf, tid } = payload;
  if (typeof exp !== 'number' || exp <= nowS || (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowS))) {
    return null;
  }
  const userId = Number(sub);
  if (typeof sub !== 'string' || !Number.isSafeInteger(userId) || typeof jti !== 'string') return null;
  return { userId, jti, trainerId: Number.isSafeInteger(tid) ? (tid as number) : null };
}

/** A base64url segment's bytes, or null when it is not strict base64url. */
function bytesOf(segment: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return null;
  return fromBase64url(segment);
}

/** A base64url segment holding a JSON object, parsed; null for anything else. */
function jsonOf(segment: string): Record<string, unknown> | null {
  const bytes = bytesOf(segment);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

// ---- small crypto helpers shared by signed links, manage tokens and webhook checks ----------

const utf8 = new TextEncoder();

export const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export const toHex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

/** HMAC-SHA256 of a text (UTF-8) or raw bytes under `secret`. */
export async function hmacSha256(secret: string, message: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof message === 'string' ? utf8.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign('HMAC', await keyOf(secret), bytes));
}

/** SHA-256 of a text (UTF-8). */
export const sha256 = async (text: string): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)));

export const sha256Hex = async (text: string): Promise<string> => toHex(await sha256(text));

/** Equal bytes, compared in time that does not depend on where they differ (lengths are not secret). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);

/** Equal texts (UTF-8), compared as `sameBytes`. */
export const sameText = (a: string, b: string): boolean => sameBytes(utf8.encode(a), utf8.encode(b));

/** `bytes` random bytes as URL-safe text. */
export const randomToken = (bytes = 32): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** A booking's manage token, derived from its stored salt, so a message can carry it at send time. */
export const manageToken = async (secret: string, salt: string): Promise<string> =>
  base64url(await hmacSha256(secret, `manage:${salt}`));

/**
 * A new manage link from a random salt; only the token's SHA-256 and the salt are stored (a
 * replayed answer derives the token again from its booking's salt).
 */
export async function newManageLink(secret: string): Promise<{ token: string; salt: string; tokenHash: string }> {
  const salt = randomToken();
  const token = await manageToken(secret, salt);
  return { token, salt, tokenHash: await sha256Hex(token) };
}

// ---- calendar feeds and stored secrets ------------------------------------------------------

/**
 * A calendar feed's token: `t<trainer id>.<mac>` for a trainer's feed, `c<client id>.<mac>` for a
 * client's, the MAC over the owner and its generation. Rotating raises the generation, so every
 * older token stops verifying at once; nothing secret is stored.
 */
export async function feedToken(secret: string, kind: 't' | 'c', id: number, generation: number): Promise<string> {
  return `${kind}${id}.${base64url(await hmacSha256(secret, `calendar-feed:${kind}:${id}:${generation}`))}`;
}

/** The owner a feed token names (not yet verified: compare with `feedToken` of its generation). */
export function feedTokenOwner(token: string): { kind: 't' | 'c'; id: number } | null {
  const m = /^([tc])([1-9]\d{0,15})\.[A-Za-z0-9_-]{43}$/.exec(token);
  if (!m) return null;
  const id = Number(m[2]);
  return Number.isSafeInteger(id) ? { kind: m[1] as 't' | 'c', id } : null;
}

// The AES-GCM key of a purpose, derived from the app secret (HKDF-SHA256), once per isolate.
const aesKeys = new Map<string, Promise<CryptoKey>>();
function aesKeyOf(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\u0000${secret}`;
  let key = aesKeys.get(id);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', utf8.encode(secret), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(purpose) },
          base,
          { name: 'AES-GCM', length: 256 },
          false,
          ['encrypt', 'decrypt'],
        ),
      );
    aesKeys.set(id, key);
  }
  return key;
}

export const fromBase64url = (text: string): Uint8Array =>
  Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** `text` encrypted for storage (AES-256-GCM, a random 96-bit IV): `<iv>.<ciphertext>`, URL-safe. */
export async function sealText(secret: string, purpose: string, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    await aesKeyOf(secret, purpose),
    utf8.encode(text),
  );
  return `${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/** The text `sealText` stored, or null when it was sealed under another secret or altered. */
export async function openText(secret: string, purpose: string, sealed: string): Promise<string | null> {
  const [iv, body] = sealed.split('.');
  if (!iv || !body) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64url(iv) },
      await aesKeyOf(secret, purpose),
      fromBase64url(body),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

// ---- two-factor sign-in: TOTP (RFC 6238) and recovery codes --------------------------------

/** TOTP parameters every authenticator app knows: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_ISSUER = 'TrainerHub';
export const RECOVERY_CODE_COUNT = 10;
/** The sealText purpose of stored TOTP secrets (the Worker and scripts/admin-create.mjs). */
export const TOTP_SEAL_PURPOSE = 'totp';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as otpauth:// URIs carry secrets. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The bytes of a base32 text (case, spaces and padding ignored), or null when it is not base32. */
export function fromBase32(text: string): Uint8Array | null {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) return null;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** A new shared secret: 20 random bytes (the HMAC-SHA-1 key length RFC 4226 recommends), base32. */
export const newTotpSecret = (): string => base32(crypto.getRandomValues(new Uint8Array(20)));

/** The 30-second step an instant falls in (seconds since the Unix epoch / 30). */
export const totpStep = (now: string): number => Math.floor(Date.parse(now) / 1000 / TOTP_STEP_SECONDS);

/** The code of one step (RFC 4226 HOTP over the step counter, dynamic truncation, 6 digits). */
export async function totpCode(secret: string, step: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    fromBase32(secret) ?? new Uint8Array(0),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  const counter = new Uint8Array(8);
  new DataView(counter.buffer).setBigUint64(0, BigInt(step));
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, counter));
  const offset = (mac[19] ?? 0) & 0x0f;
  const binary = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, '0');
}

/**
 * The step a code is right for: the previous, current or next step of `now` (clocks drift and
 * people type slowly), and only a step after `lastStep`, so a code is never accepted twice. The
 * caller must still store the step with a guard (`totp_last_step < step`) in the same statement.
 */
export async function totpMatch(
  secret: string,
  code: string,
  now: string,
  lastStep: number | null,
): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const current = totpStep(now);
  let found: number | null = null;
  for (const step of [current - 1, current, current + 1]) {
    if (lastStep !== null && step <= lastStep) continue;
    // Every candidate is computed and compared, whichever matches, so the time says nothing.
    if (sameText(await totpCode(secret, step), code) && found === null) found = step;
  }
  return found;
}

/** The otpauth:// URI authenticator apps read (from a QR code or typed in): issuer TrainerHub, label the email. */
export function otpauthUri(secret: string, email: string): string {
  const label = `${encodeURIComponent(TOTP_ISSUER)}:${encodeURIComponent(email)}`;
  const query = `secret=${secret}&issuer=${encodeURIComponent(TOTP_ISSUER)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
  return `otpauth://totp/${label}?${query}`;
}

/** Ten one-time recovery codes, `xxxxx-xxxxx` of 50 random bits each (base32, lower case). */
export const newRecoveryCodes = (): string[] =>
  Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const text = base32(crypto.getRandomValues(new Uint8Array(7)))
      .slice(0, 10)
      .toLowerCase();
    return `${text.slice(0, 5)}-${text.slice(5)}`;
  });

/** What is stored of a recovery code: the SHA-256 of its normalised text (case, spaces and dashes ignored). */
export const recoveryCodeHash = (code: string): Promise<string> =>
  sha256Hex(`recovery:${code.replace(/[\s-]/g, '').toLowerCase()}`);
