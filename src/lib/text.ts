// Text hygiene, once: the zod fields every request schema builds its text on, and the
// sanitiser for values stored before they were checked (email subjects, headers).
import * as z from './zod';

// The patterns name control characters on purpose: they are what the fields refuse.
// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) count as control
// characters: "a\u202Eb" shows as text other than what it holds ("Trojan source"). Right-to-left
// text needs none of them; the marks U+200E and U+200F stay allowed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: C0 controls, DEL and bidi controls are what is refused
const SINGLE_LINE = /^[^\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: every control but TAB, LF and CR is refused
const MULTI_LINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: runs of control characters are replaced
const CONTROL_RUN = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]+/g;

export const SINGLE_LINE_MESSAGE = 'This field must be a single line without control characters.';
export const MULTI_LINE_MESSAGE = 'This field may hold line breaks and tabs but no other control characters.';

/**
 * A one-line text field: any C0 control character (line breaks and TAB included) or DEL is a
 * 400 naming the field. Chain `.trim()`, `.max()` … after it; the check sees the raw input.
 */
export const singleLine = () => z.string().regex(SINGLE_LINE, SINGLE_LINE_MESSAGE);

/**
 * `singleLine()` for a field with a `pattern` of its own: the same check as a refinement, so
 * the OpenAPI document keeps the field's pattern (it holds only one).
 */
export const singleLineRefined = () => z.string().refine((v) => SINGLE_LINE.test(v), SINGLE_LINE_MESSAGE);

/**
 * A multi-line text field (notes, descriptions): keeps TAB and line breaks, CRLF and a bare CR
 * become LF, any other control character is a 400 naming the field.
 */
export const multiLine = () =>
  z
    .string()
    .regex(MULTI_LINE, MULTI_LINE_MESSAGE)
    .overwrite((v) => v.replace(/\r\n?/g, '\n'));

/** `text` on one line: every run of control characters becomes one space, runs of spaces one space. */
export const oneLine = (text: string): string => text.replace(CONTROL_RUN, ' ').replace(/ {2,}/g, ' ').trim();
