// The zod error map: every validation issue becomes a sentence a person understands, never the
// validator's own words. A message a schema gives itself (refine, addIssue, z.email(msg)) wins.

import { DATE, FIELD_SENTENCES, INSTANT, NOT_BLANK, REQUIRED } from './field-messages';
import * as z from './zod';

type Issue = z.core.$ZodRawIssue;
interface CheckDef {
  check?: string;
  format?: string;
  value?: unknown;
  inclusive?: boolean;
}

const WHOLE = new Set(['safeint', 'int32', 'uint32', 'int64', 'uint64']);

/** The field's own name: the last non-numeric path key. */
function fieldName(path: readonly PropertyKey[] | undefined): string {
  for (const key of [...(path ?? [])].reverse()) if (typeof key === 'string') return key;
  return '';
}

interface Bounds {
  whole: boolean;
  min?: number;
  max?: number;
  /** A bound that excludes itself on a number that need not be whole ("greater than 0"). */
  strict?: boolean;
}

/** The number schema's checks: whole or not, and its bounds (exclusive ones made inclusive for whole numbers). */
function numberBounds(issue: Issue): Bounds {
  const schema = (issue.schema ?? issue.inst) as { _zod?: { def?: { checks?: { _zod: { def: CheckDef } }[] } } };
  const defs = (schema?._zod?.def?.checks ?? []).map((c) => c._zod.def);
  const whole = defs.some((d) => d.check === 'number_format' && WHOLE.has(d.format ?? ''));
  const bounds: Bounds = { whole };
  for (const d of defs) {
    if (typeof d.value !== 'number') continue;
    const exclusive = d.inclusive === false;
    if (exclusive && !whole) bounds.strict = true;
    const step = exclusive && whole ? 1 : 0;
    if (d.check === 'greater_than') bounds.min = d.value + step;
    if (d.check === 'less_than') bounds.max = d.value - step;
  }
  return bounds;
}

/** "Enter a whole number from 1 to 1000." from the bounds on the number's schema. */
function numberSentence(issue: Issue): string {
  const { whole, min, max, strict } = numberBounds(issue);
  const what = whole ? 'a whole number' : 'a number';
  if (strict) {
    const parts = [min !== undefined && `greater than ${min}`, max !== undefined && `less than ${max}`];
    return `Enter ${what} ${parts.filter(Boolean).join(' and ')}.`;
  }
  if (min !== undefined && max !== undefined) return `Enter ${what} from ${min} to ${max}.`;
  if (min !== undefined) return `Enter ${what} of at least ${min}.`;
  if (max !== undefined) return `Enter ${what} of at most ${max}.`;
  return `Enter ${what}.`;
}

const TYPE_SENTENCES: Record<string, string> = {
  string: 'Enter text.',
  boolean: 'Choose true or false.',
  array: 'Send a list of values.',
  object: 'Send a group of named values (a JSON object).',
  record: 'Send a group of named values (a JSON object).',
  date: DATE,
};

function typeSentence(issue: Issue & { expected?: string }, field: string): string {
  if (issue.input === undefined) return REQUIRED;
  if (issue.expected === 'number' || issue.expected === 'int' || issue.expected === 'bigint')
    return numberSentence(issue);
  return FIELD_SENTENCES[field] ?? TYPE_SENTENCES[issue.expected ?? ''] ?? 'Enter a valid value.';
}

function sizeSentence(issue: Issue & { origin?: string; minimum?: unknown; maximum?: unknown }, field: string) {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      return numberSentence(issue);
    case 'string':
      if (small && bound <= 1) return FIELD_SENTENCES[field] ?? NOT_BLANK;
      return small ? `Enter at least ${bound} characters.` : `Use at most ${bound} character${bound === 1 ? '' : 's'}.`;
    case 'array':
    case 'set':
      return small ? `Choose at least ${bound} item${bound === 1 ? '' : 's'}.` : `Choose at most ${bound} items.`;
    default:
      return small ? 'This value is too small.' : 'This value is too large.';
  }
}

const FORMAT_SENTENCES: Record<string, string> = {
  email: FIELD_SENTENCES.email ?? '',
  date: DATE,
  datetime: INSTANT,
  time: 'Enter a time like 09:30.',
  url: 'Enter a web address like https://example.com.',
  uuid: 'Enter a valid ID.',
};

const list = (values: readonly unknown[]) => values.map((v) => String(v)).join(', ');

/** The sentence for one issue; never the validator's wording. */
export function humanError(issue: Issue): string {
  const field = fieldName(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return typeSentence(issue, field);
    case 'too_small':
    case 'too_big':
      return sizeSentence(issue, field);
    case 'invalid_format':
      return FORMAT_SENTENCES[issue.format] ?? FIELD_SENTENCES[field] ?? 'Enter a value in the right format.';
    case 'invalid_value':
      if (issue.input === undefined) return REQUIRED;
      return issue.values.length === 1 ? `Enter ${String(issue.values[0])}.` : `Choose one of: ${list(issue.values)}.`;
    case 'unrecognized_keys':
      return `Remove the unknown field${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.join(', ')}.`;
    case 'not_multiple_of':
      return `Enter a multiple of ${String(issue.divisor)}.`;
    case 'invalid_key':
    case 'invalid_element':
      return 'One of the entries is not valid.';
    default:
      return FIELD_SENTENCES[field] ?? 'Enter a valid value.';
  }
}

z.config({ customError: humanError });
