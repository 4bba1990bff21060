// Django-compatible PBKDF2-SHA256 hashes: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`.
// 100,000 iterations is the most WebCrypto accepts on deployed Workers. The Node scripts that
// write staff and demo users (scripts/password-hash.mjs) produce the same format with node:crypto;
// test/admin.test.ts checks that this module verifies what they write.
import { randomToken, sameBytes } from './tokens';

export const PBKDF2_ITERATIONS = 100_000;
const ALGORITHM = 'pbkdf2_sha256';
const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

interface StoredHash {
  iterations: number;
  salt: string;
  hash: Uint8Array;
}

const formatHash = ({ iterations, salt, hash }: StoredHash): string =>
  `${ALGORITHM}$${iterations}$${salt}$${toBase64(hash)}`;

/** The parts of a stored hash, or null for anything not in our format. */
function parseHash(stored: string): StoredHash | null {
  const [algorithm, iterText, salt, hashText] = stored.split('$');
  const iterations = Number(iterText);
  if (algorithm !== ALGORITHM || !salt || !hashText || !Number.isInteger(iterations) || iterations < 1) return null;
  try {
    return { iterations, salt, hash: fromBase64(hashText) };
  } catch {
    return null;
  }
}

async function derive(password: string, salt: string, iterations: number, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: encoder.encode(salt), iterations },
    key,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(password: string): Promise<string> {
  // 16 random bytes as URL-safe base64 (22 characters, never `$`). As in Django, the salt's text
  // is what PBKDF2 consumes, so hashes imported from Django verify unchanged.
  const salt = randomToken(16);
  const hash = await derive(password, salt, PBKDF2_ITERATIONS, 32);
  return formatHash({ iterations: PBKDF2_ITERATIONS, salt, hash });
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { iterations, salt, hash } = parsed;
  try {
    return sameBytes(await derive(password, salt, iterations, hash.length), hash);
  } catch (err) {
    // Deployed WebCrypto refuses more than 100,000 iterations (e.g. a newer Django default).
    console.error(
      JSON.stringify({ level: 'error', msg: 'password hash not verifiable here', iterations, err: String(err) }),
    );
    return false;
  }
}

// A well-formed hash whose password nobody knows, verified against when the email is unknown so that an
// unknown email and a wrong password cost the same time.
export const DUMMY_HASH = 'pbkdf2_sha256$100000$bm90LWEtcmVhbC1zYWx0$qQ7x5Gmv2vJ0b6nq1p8d0v9Qm0t8u2yW3s0c1r4e5f8=';

/** The house password rules; each failing rule is one message. */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  if (password.length < 8) problems.push('This password is too short. It must contain at least 8 characters.');
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase())
    problems.push('The password is too similar to the email address.');
  return problems;
}
