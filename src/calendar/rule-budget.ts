// A budget on the candidate times ical.js tests while it walks a recurrence rule. Expansion's step
// caps count occurrences, but finding one occurrence can take ical.js any number of candidates:
// RecurIterator.next() loops until a candidate passes the rule's BY* filters, with no limit for
// SECONDLY to WEEKLY rules, so an impossible rule (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) or a
// needle-in-a-haystack one (FREQ=SECONDLY;BYMONTH=2;BYHOUR=9) would spin for minutes of CPU.
import ICAL from 'ical.js';

/**
 * Most candidates one recurring event may use, and one file. A real series needs a few an
 * occurrence (a daily rule a year long: about 400); ical.js tests a candidate in 2-20 µs, so a
 * file costs at most about a second here.
 */
export const MAX_CANDIDATES_PER_SERIES = 10_000;
export const MAX_CANDIDATES = 50_000;

/** Thrown inside ical.js's iterator when a rule has used its candidates. */
export class RuleTooCostly extends Error {}

/** The budget of the expansion running now (expansion is synchronous: one at a time per isolate). */
let budget: { series: number; total: number } | null = null;

// Every candidate ical.js tests passes through check_contracting_rules (the condition of the
// unbounded loop in RecurIterator.next()): counted there, wrapped once for the whole isolate.
// Outside withCandidateBudget (budget null) it behaves as ical.js wrote it.
const recurProto = ICAL.RecurIterator.prototype;
const checkContractingRules = recurProto.check_contracting_rules;
recurProto.check_contracting_rules = function (this: ICAL.RecurIterator) {
  if (budget && (--budget.series < 0 || --budget.total < 0)) throw new RuleTooCostly();
  return checkContractingRules.call(this);
};

/** Runs a synchronous expansion with a fresh budget of MAX_CANDIDATES. */
export function withCandidateBudget<T>(expand: () => T): T {
  budget = { series: MAX_CANDIDATES_PER_SERIES, total: MAX_CANDIDATES };
  try {
    return expand();
  } finally {
    budget = null;
  }
}

/**
 * Walks one series with a fresh MAX_CANDIDATES_PER_SERIES (the file's budget shrinking too):
 * false when it ran out (what the walk gave so far stays), true when it ended by itself.
 */
export function walkWithinBudget(walk: () => void): boolean {
  if (budget) budget.series = MAX_CANDIDATES_PER_SERIES;
  try {
    walk();
    return true;
  } catch (err) {
    if (err instanceof RuleTooCostly) return false;
    throw err;
  }
}
