// iCalendar (RFC 5545) text, once: TEXT values escaped (§3.3.11), content lines folded at 75
// octets (§3.1) and ended with CRLF.

const MAX_OCTETS = 75;
const utf8 = new TextEncoder();

/**
 * A TEXT value: backslash, semicolon and comma escaped, every line break (CRLF, CR or LF) as
 * `\n`, any other control character but TAB as a space. A stored CR can never end a line.
 */
export const icalText = (text: string): string =>
  text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n?|\n/g, '\\n')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the controls TEXT may not hold
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ');

/** A UTC instant as an iCalendar DATE-TIME (`20250115T100000Z`). */
export const icalTime = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** One content line folded: at most 75 octets a line, never inside a UTF-8 sequence, CRLF + space between. */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const size = utf8.encode(ch).length;
    // a continuation line starts with the space, which counts towards its 75
    if (octets + size > MAX_OCTETS) {
      parts.push(current);
      current = ' ';
      octets = 1;
    }
    current += ch;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n');
}

/** An iCalendar object from its content lines: each folded, each ended with CRLF. */
export const icalDocument = (lines: string[]): string => lines.map((l) => `${foldLine(l)}\r\n`).join('');
