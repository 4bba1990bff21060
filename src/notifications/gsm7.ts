// SMS text: the GSM-7 alphabet an SMS is counted in, text made safe for it, and a message fitted
// to one (or two) parts by shortening the business name, never the time or the link.

export const SMS_MAX = 160;
/**
 * Two concatenated parts (153 GSM-7 characters each): an SMS that says where (an address, a video
 * link) may take them, since with the manage link it rarely fits one; the name still shortens first.
 */
export const SMS_TWO_PARTS = 306;

// GSM 03.38 basic set; the extension set costs two characters each.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€';

/** Length in GSM-7 septets, or Infinity when a character is outside GSM-7. */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) n += 1;
    else if (GSM_EXTENDED.includes(ch)) n += 2;
    else return Number.POSITIVE_INFINITY;
  }
  return n;
}

/** Characters GSM-7 lacks that have a plain look-alike (typographic quotes and dashes, letters NFKD keeps). */
const GSM_LOOKALIKES: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u2032': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u2033': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
  '\u2022': '-',
  '\u2026': '...',
  '\u00a0': ' ',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ı: 'i',
  œ: 'oe',
  Œ: 'OE',
};
/** Pictographs (emoji) and the joiners and selectors that build them: left out of an SMS. */
const PICTOGRAPH = /^(?:\p{Extended_Pictographic}|\u200d|\ufe0e|\ufe0f|[\u{1f3fb}-\u{1f3ff}])$/u;

/**
 * Text made GSM-7 safe: accents dropped where GSM has no letter for them, typographic quotes and
 * dashes made plain, emoji left out, anything else becomes "?".
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (GSM_BASIC.includes(ch) || GSM_EXTENDED.includes(ch)) out += ch;
    else if (GSM_LOOKALIKES[ch] !== undefined) out += GSM_LOOKALIKES[ch];
    else {
      // Accents dropped, compatibility forms spelled out (™ as TM) before a pictograph is left out.
      const plain = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      if (plain && [...plain].every((c) => GSM_BASIC.includes(c))) out += plain;
      else if (!PICTOGRAPH.test(ch)) out += '?';
    }
  }
  return out.replace(/ {2,}/g, ' ');
}

/**
 * Shortens `name` (never anything else) until the SMS fits in `max` GSM-7 characters (160 unless
 * told). When not even its first letter fits, the SMS takes two parts rather than lose the name
 * ("in the class with  Thu 3 Dec").
 */
export function fitSms(build: (name: string) => string, name: string, max = SMS_MAX): string {
  const safe = toGsm7(name.trim()).trim() || 'your trainer';
  let candidate = build(safe);
  if (gsm7Length(candidate) <= max) return candidate;
  for (let keep = safe.length - 1; keep >= 1; keep--) {
    candidate = build(`${safe.slice(0, keep).trimEnd()}...`);
    if (gsm7Length(candidate) <= max) return candidate;
  }
  return max < SMS_TWO_PARTS ? fitSms(build, safe, SMS_TWO_PARTS) : build(safe);
}
