// TOTP codes computed for tests, independently of the app's implementation (node:crypto, RFC 6238:
// HMAC-SHA-1, 6 digits, 30-second steps), for the workerd suite and the Chromium tests alike.
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32(bytes: Uint8Array): string {
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += ALPHABET[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

export function fromBase32(text: string): Buffer {
  const bits = [...text.replace(/[\s=]/g, '').toUpperCase()]
    .map((ch) => {
      const i = ALPHABET.indexOf(ch);
      if (i < 0) throw new Error(`not base32: ${text}`);
      return i.toString(2).padStart(5, '0');
    })
    .join('');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The 30-second step of an instant (ms since the epoch, or ISO text). */
export const stepAt = (at: number | string = Date.now()) =>
  Math.floor((typeof at === 'string' ? Date.parse(at) : at) / 30_000);

/** The 6-digit code of a base32 secret for one step (RFC 4226 truncation). */
export function codeForStep(secret: string, step: number, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', fromBase32(secret)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 10 ** digits).padStart(digits, '0');
}

/** The code an authenticator app shows at `at` (now by default), `shift` steps away. */
export const totpAt = (secret: string, at: number | string = Date.now(), shift = 0) =>
  codeForStep(secret, stepAt(at) + shift);

/** The secret of an otpauth:// URI. */
export const secretOfUri = (uri: string) => new URL(uri).searchParams.get('secret') ?? '';
