// A weekly repeat checked against its first occurrence in the trainer's zone, then expanded: the
// one rule a standing series (series/service.ts) and a class's repeat (classes.ts) share.
import {
  addMonths,
  localDate,
  MAX_OCCURRENCES,
  type Occurrence,
  weekdayOf,
  weeklyOccurrenceCount,
  weeklyOccurrences,
} from '../lib/calendar';
import type { FieldErrors } from '../lib/problem';

/** A weekly repeat as asked: no weekdays = the first occurrence's; `count` or `until` (the caller checks one of them). */
export interface RepeatAsk {
  weekdays?: number[];
  intervalWeeks: number;
  count?: number;
  until?: string;
}

export interface PlannedRepeat {
  /** `repeat.until` and `repeat.weekdays` problems; none when the repeat is sound. */
  errors: FieldErrors;
  /** The weekdays, unique and in order. */
  weekdays: number[];
  /** Its occurrences (empty while `errors` has any). */
  occurrences: Occurrence[];
}

/**
 * The repeat from `firstStart` in `timeZone`: `until` from the first local date to a year after
 * it, giving at most MAX_OCCURRENCES occurrences (more is refused, never cut); the weekdays
 * include the first occurrence's.
 */
export function planRepeat(firstStart: number, timeZone: string, repeat: RepeatAsk): PlannedRepeat {
  const firstDate = localDate(firstStart, timeZone);
  const first = weekdayOf(firstDate);
  const weekdays = [...new Set(repeat.weekdays ?? [first])].sort((a, b) => a - b);
  const { until } = repeat;
  const errors: FieldErrors = {};
  const lastDate = addMonths(firstDate, 12);
  if (until !== undefined && (until < firstDate || until > lastDate)) {
    errors['repeat.until'] = [`Use a date from ${firstDate} to ${lastDate} (at most a year after the first).`];
  }
  if (!weekdays.includes(first)) {
    errors['repeat.weekdays'] = [
      `The first occurrence falls on weekday ${first} (0 = Monday) in ${timeZone}; include it.`,
    ];
  }
  if (Object.keys(errors).length) return { errors, weekdays, occurrences: [] };
  const rule = {
    weekdays,
    intervalWeeks: repeat.intervalWeeks,
    ...(repeat.count !== undefined ? { count: repeat.count } : { until }),
  };
  const n = repeat.count === undefined ? weeklyOccurrenceCount(firstStart, timeZone, rule) : 0;
  if (n > MAX_OCCURRENCES) {
    errors['repeat.until'] = [
      `Repeating until ${until} gives ${n} occurrences; at most ${MAX_OCCURRENCES} — use an earlier date or count.`,
    ];
    return { errors, weekdays, occurrences: [] };
  }
  return { errors, weekdays, occurrences: weeklyOccurrences(firstStart, timeZone, rule) };
}
