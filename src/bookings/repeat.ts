// A weekly repeat checked against its first occurrence in the trainer's zone, then expanded: the
// one rule a standing series (series/service.ts) and a class's repeat (classes.ts) share.
import {
  addMonths,
  localDate,
  MAX_OCCURRENCES,
  MINUTE_MS,
  type Occurrence,
  weekdayOf,
  weeklyOccurrenceCount,
  weeklyOccurrences,
} from '../lib/calendar';
import { ApiError, type FieldErrors } from '../lib/problem';
import type { ServiceTiming } from '../scheduling/service';
import { type Interval, occupiedSpan } from '../scheduling/slots';

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

/**
 * Each occurrence's verdict: null when `check` accepts it, else the code of the 409 it threw
 * (`nonexistent_local_time` when its wall time does not exist). `check` gets the occupied spans
 * of the occurrences accepted before it, so a repeat can never overlap itself.
 */
export function occurrenceConflicts(
  starts: (number | null)[],
  service: ServiceTiming,
  check: (span: Interval, taken: Interval[]) => void,
): (string | null)[] {
  const taken: Interval[] = [];
  return starts.map((start) => {
    if (start === null) return 'nonexistent_local_time';
    const span = { start, end: start + service.durationMinutes * MINUTE_MS };
    try {
      check(span, taken);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.extra.code) return err.extra.code;
      throw err;
    }
    taken.push(occupiedSpan(span.start, span.end, service));
    return null;
  });
}
