/**
 * Normalises a phone number to E.164 ("+14155550123"). Spaces, dashes, dots and brackets are
 * dropped and a leading international "00" becomes "+". Without a country code the number is
 * ambiguous, so it is refused (null) rather than guessed.
 */
export function toE164(input: string): string | null {
  let s = input.trim().replace(/[\s\-.()/]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  return /^\+[1-9]\d{6,14}$/.test(s) ? s : null;
}
