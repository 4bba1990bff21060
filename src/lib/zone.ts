// A zone's rules, read from the runtime's Intl: the UTC offset at an instant, the instants a
// wall-clock reading has, and the next transition. The same method as temporal-polyfill (which
// this replaced, ~20 KiB of the gzipped Worker): Intl gives the wall clock of any instant to the
// second, offsets are sampled at the ends of fixed periods (19 days; shorter for the zones whose
// transitions came closer than that) and a change inside a period is found by halving it. Seconds
// throughout: offsets and transitions are whole seconds. Used by lib/calendar.ts only.

const DAY_S = 86_400;
/** Intl is asked about instants in this range (seconds) only, as the polyfill does. */
const [SAMPLE_MIN, SAMPLE_MAX] = [-1e10, 864e10];
/** No zone had a transition before this (1843); past it a search gives up. */
const FIRST_TRANSITION = -4e9;
const SEARCH_AHEAD = 94_867_200; // three years (in seconds): how far a next transition is looked for

/** Zones whose transitions came closer than 19 days, by the last part of their name. */
const PERIOD_DAYS: Record<string, number> = {
  El_Aaiun: 16,
  Tucuman: 12,
  Tirane: 11,
  Riga: 10,
  Simferopol: 9,
  Vienna: 9,
  Tunis: 8,
  Boa_Vista: 6,
  Fortaleza: 6,
  Maceio: 6,
  Noronha: 6,
  Recife: 6,
  Gaza: 6,
  Hebron: 6,
  DeNoronha: 6,
};

/** Days since 1970-01-01 of a proleptic Gregorian date (any year). */
export function epochDayOf(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.floor(d.getTime() / 86_400_000);
}

interface Rules {
  periodS: number;
  /** Wall clock minus UTC at an instant (seconds), straight from Intl. */
  sample(epochS: number): number;
  samples: Map<number, number>;
  /** Per period with a change inside: [last second of the old offset + 1, …] narrowed to the change. */
  splits: Map<number, [number, number]>;
}

const zones = new Map<string, Rules>();

function rulesOf(timeZone: string): Rules {
  let rules = zones.get(timeZone);
  if (rules) return rules;
  // Throws RangeError for a zone the runtime does not know, as Temporal did.
  const format = new Intl.DateTimeFormat('en-u-hc-h23', {
    calendar: 'iso8601',
    timeZone,
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const sample = (epochS: number): number => {
    const p: Record<string, string> = {};
    for (const part of format.formatToParts(epochS * 1000)) p[part.type] = part.value;
    const year = Number(p.year);
    const bce = p.era !== undefined && /^b/i.test(p.era);
    const days = epochDayOf(bce ? 1 - year : year, Number(p.month), Number(p.day));
    return days * DAY_S + Number(p.hour) * 3600 + Number(p.minute) * 60 + Number(p.second) - epochS;
  };
  // One set of rules per zone however it is spelt ("europe/vienna"); names from calendar files
  // reach here too, so the spellings kept are bounded.
  const canonical = format.resolvedOptions().timeZone;
  const name = canonical.split('/').pop() ?? '';
  rules = zones.get(canonical) ?? {
    periodS: DAY_S * (PERIOD_DAYS[name] ?? 19),
    sample,
    samples: new Map(),
    splits: new Map(),
  };
  if (zones.size > 1_000) zones.clear();
  zones.set(canonical, rules);
  zones.set(timeZone, rules);
  return rules;
}

function sampled(rules: Rules, epochS: number): number {
  const at = Math.min(Math.max(epochS, SAMPLE_MIN), SAMPLE_MAX);
  let v = rules.samples.get(at);
  if (v === undefined) {
    v = rules.sample(at);
    if (rules.samples.size > 20_000) rules.samples.clear();
    rules.samples.set(at, v);
  }
  return v;
}

/** The first second of the new offset in a period whose two ends differ (found by halving, kept). */
function changeIn(rules: Rules, start: number, end: number, after: number): number {
  let split = rules.splits.get(start);
  if (!split) {
    split = [start, end];
    while (split[1] - split[0] > 0) {
      const mid = split[0] + Math.floor((split[1] - split[0]) / 2);
      if (rules.sample(mid) === after) split[1] = mid;
      else split[0] = mid + 1;
    }
    if (rules.splits.size > 20_000) rules.splits.clear();
    rules.splits.set(start, split);
  }
  return split[0];
}

/** The period beginning at `start`: its ends as Intl is asked about them, and the offsets there. */
function periodFrom(rules: Rules, start: number) {
  const s = Math.min(Math.max(start, SAMPLE_MIN), SAMPLE_MAX);
  const e = Math.min(start + rules.periodS, SAMPLE_MAX);
  return { s, e, before: sampled(rules, s), after: sampled(rules, e) };
}

/** Wall clock minus UTC (seconds) at an instant (seconds). */
function offsetAtS(rules: Rules, epochS: number): number {
  const { s, e, before, after } = periodFrom(rules, Math.floor(epochS / rules.periodS) * rules.periodS);
  if (before === after) return before;
  return epochS < changeIn(rules, s, e, after) ? before : after;
}

/** Wall clock minus UTC, in milliseconds, at an instant. */
export const offsetMsAt = (epochMs: number, timeZone: string): number =>
  offsetAtS(rulesOf(timeZone), Math.floor(epochMs / 1000)) * 1000;

/**
 * The instants whose wall clock reads `wallMs` (a local reading written as if it were UTC): one,
 * two in a fall-back overlap (earlier first), none in a spring-forward gap.
 */
export function instantsOfWall(wallMs: number, timeZone: string): number[] {
  const rules = rulesOf(timeZone);
  const wallS = Math.floor(wallMs / 1000);
  const sub = wallMs - wallS * 1000;
  const wide0 = offsetAtS(rules, wallS - DAY_S);
  const wide1 = offsetAtS(rules, wallS + DAY_S);
  const [utc0, utc1] = [wallS - wide0, wallS - wide1];
  if (wide0 === wide1) return [utc0 * 1000 + sub];
  const narrow = offsetAtS(rules, utc0);
  if (narrow === offsetAtS(rules, utc1)) return [(wallS - narrow) * 1000 + sub];
  return wide0 > wide1 ? [utc0 * 1000 + sub, utc1 * 1000 + sub] : [];
}

export type Disambiguation = 'compatible' | 'earlier' | 'later';

/**
 * The instant of a wall-clock reading, as Temporal's disambiguation options choose it: in an
 * overlap `later` takes the second showing, the others the first; in a gap `earlier` moves the
 * reading back by the gap's length, the others forward.
 */
export function instantOfWall(wallMs: number, timeZone: string, disambiguation: Disambiguation): number {
  const found = instantsOfWall(wallMs, timeZone);
  if (found.length) return (disambiguation === 'later' ? found[found.length - 1] : found[0]) as number;
  const gapMs = offsetMsAt(wallMs + DAY_S * 1000, timeZone) - offsetMsAt(wallMs - DAY_S * 1000, timeZone);
  if (disambiguation === 'earlier') return instantsOfWall(wallMs - gapMs, timeZone)[0] as number;
  const moved = instantsOfWall(wallMs + gapMs, timeZone);
  return moved[moved.length - 1] as number;
}

/** The first transition strictly after an instant (ms), or null when none comes within three years. */
export function nextTransitionMs(epochMs: number, timeZone: string): number | null {
  const rules = rulesOf(timeZone);
  const from = Math.max(Math.floor(epochMs / 1000) + 1, FIRST_TRANSITION) - 1;
  if (from >= SAMPLE_MAX) return null;
  const limit = Math.max(from, Math.floor(Date.now() / 1000)) + SEARCH_AHEAD;
  for (let start = Math.floor(from / rules.periodS) * rules.periodS; start < limit; start += rules.periodS) {
    const { s, e, before, after } = periodFrom(rules, start);
    if (before === after) continue;
    const change = changeIn(rules, s, e, after);
    if (change > from) return change * 1000;
  }
  return null;
}
