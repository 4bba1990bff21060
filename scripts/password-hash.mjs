// The app's password hash format (src/lib/password.ts, Django's) for the Node scripts:
// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, PBKDF2-SHA256 over the salt's text. The
// scripts cannot import the Worker's TypeScript module, so this is the one Node copy;
// test/admin.test.ts checks that the Worker verifies what it writes.
import { pbkdf2Sync, randomBytes } from 'node:crypto';

export const ITERATIONS = 100_000;

/** @param {string} password */
export function hashPassword(password) {
  const salt = randomBytes(16).toString('base64url');
  const hash = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$${ITERATIONS}$${salt}$${hash}`;
}
