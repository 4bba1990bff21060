// CPU time of a calendar sync's expansion: busyFromIcs (src/calendar/expand.ts, bundled for Node
// with esbuild) over a generated 2,000-event calendar with 50 weekly recurring series, a VTIMEZONE,
// EXDATEs and moved occurrences, three years of history as real exports carry.
// Usage: node bench/calendar-sync.mjs [runs]   (prints the figures for bench/RESULTS.md)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.argv[2] ?? 15);
const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'calendar-bench-'));
const outfile = join(dir, 'expand.mjs');
await build({
  entryPoints: [join(root, 'src/calendar/expand.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile,
  logLevel: 'silent',
});
const { busyFromIcs } = await import(pathToFileURL(outfile).href);
rmSync(dir, { recursive: true });

const pad = (n) => String(n).padStart(2, '0');
/** A local wall time as iCalendar text: 20270310T090000. */
const local = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}00`;
};
const LONDON = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/London',
  'X-LIC-LOCATION:Europe/London',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0000',
  'TZOFFSETTO:+0100',
  'TZNAME:BST',
  'DTSTART:19700329T010000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0000',
  'TZNAME:GMT',
  'DTSTART:19701025T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

/** 1,950 single events (three years back to a year ahead) and 50 weekly series with EXDATEs and an override each. */
function calendar() {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'X-WR-TIMEZONE:Europe/London', ...LONDON];
  const event = (uid, props) =>
    lines.push(
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20261201T120000Z',
      `SUMMARY:Event ${uid}`,
      ...props,
      'END:VEVENT',
    );
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 1950; i++) {
    const day = NOW - 3 * 365 * DAY + Math.floor(random() * 4 * 365) * DAY;
    const start = day - (day % DAY) + (7 + Math.floor(random() * 12)) * 3_600_000;
    const tz = 'TZID=Europe/London';
    const props = [
      `DTSTART;${tz}:${local(start)}`,
      `DTEND;${tz}:${local(start + (30 + Math.floor(random() * 4) * 30) * 60_000)}`,
    ];
    if (i % 40 === 0) props.push('TRANSP:TRANSPARENT');
    event(`single-${i}@bench.example`, props);
  }
  for (let s = 0; s < 50; s++) {
    const first = NOW - Math.floor(random() * 3 * 365) * DAY;
    const start = first - (first % DAY) + (8 + (s % 10)) * 3_600_000;
    const until = s % 3 === 0 ? `;UNTIL=${local(NOW + 200 * DAY)}Z` : '';
    const ex = [1, 2, 3].map((k) => local(start + (k * 7 + Math.floor(random() * 50) * 7) * DAY));
    const uid = `series-${s}@bench.example`;
    event(uid, [
      `DTSTART;TZID=Europe/London:${local(start)}`,
      `DTEND;TZID=Europe/London:${local(start + 3_600_000)}`,
      `RRULE:FREQ=WEEKLY${until}`,
      `EXDATE;TZID=Europe/London:${ex.join(',')}`,
    ]);
    const moved = start + Math.floor((NOW + 14 * DAY - start) / (7 * DAY)) * 7 * DAY;
    event(uid, [
      `RECURRENCE-ID;TZID=Europe/London:${local(moved)}`,
      `DTSTART;TZID=Europe/London:${local(moved + DAY + 2 * 3_600_000)}`,
      `DTEND;TZID=Europe/London:${local(moved + DAY + 3 * 3_600_000)}`,
    ]);
  }
  lines.push('END:VCALENDAR');
  return lines.join('\r\n');
}

const ics = calendar();
const cpuMs = (f) => {
  const before = process.cpuUsage();
  const result = f();
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, result };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`calendar: ${(ics.length / 1024).toFixed(0)} KB, 2,000 events (50 weekly series), Node ${process.version}`);
for (const horizon of [60, 365]) {
  const opts = {
    from: new Date(NOW - DAY).toISOString(),
    to: new Date(NOW + (horizon + 1) * DAY).toISOString(),
    zone: 'Europe/London',
    ownHost: 'trainerhub.example',
  };
  const runs = [];
  let blocks = 0;
  for (let i = 0; i < RUNS; i++) {
    const { ms, result } = cpuMs(() => busyFromIcs(ics, opts));
    runs.push(ms);
    blocks = result.length;
  }
  console.log(
    `horizon ${horizon} days: ${blocks} blocks; CPU ms first run ${runs[0].toFixed(1)}, then median ${median(runs.slice(1)).toFixed(1)}, min ${Math.min(...runs.slice(1)).toFixed(1)}, max ${Math.max(...runs.slice(1)).toFixed(1)} (${RUNS - 1} runs)`,
  );
}

// The most a hostile feed can make one sync walk: rules that never end, each capped (MAX_STEPS_PER_SERIES),
// all of them together capped (MAX_STEPS).
const hostile = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//bench//EN',
  ...Array.from({ length: 20 }, (_, i) => [
    'BEGIN:VEVENT',
    `UID:spam-${i}@bench.example`,
    'DTSTAMP:20261201T120000Z',
    `DTSTART:${local(NOW - DAY + i * 60_000)}Z`,
    `DTEND:${local(NOW - DAY + i * 60_000 + 5 * 60_000)}Z`,
    'RRULE:FREQ=MINUTELY;INTERVAL=7',
    'END:VEVENT',
  ]).flat(),
  'END:VCALENDAR',
].join('\r\n');
const hostileRuns = [];
let hostileBlocks = 0;
for (let i = 0; i < 5; i++) {
  const { ms, result } = cpuMs(() =>
    busyFromIcs(hostile, {
      from: new Date(NOW - DAY).toISOString(),
      to: new Date(NOW + 366 * DAY).toISOString(),
      zone: 'UTC',
      ownHost: 'trainerhub.example',
    }),
  );
  hostileRuns.push(ms);
  hostileBlocks = result.length;
}
console.log(
  `hostile (20 endless MINUTELY rules): ${hostileBlocks} blocks; CPU ms median ${median(hostileRuns).toFixed(1)}, max ${Math.max(...hostileRuns).toFixed(1)} (5 runs)`,
);

// Rules no date ever passes (and ical.js would spin on for minutes): each walk is cut by the candidate
// budget (rule-budget.ts: MAX_CANDIDATES_PER_SERIES, MAX_CANDIDATES a file), with a VTIMEZONE, the costliest case.
const impossible = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//bench//EN',
  ...LONDON,
  ...Array.from({ length: 30 }, (_, i) => [
    'BEGIN:VEVENT',
    `UID:never-${i}@bench.example`,
    'DTSTAMP:20261201T120000Z',
    `DTSTART;TZID=Europe/London:${local(NOW - DAY + i * 60_000)}`,
    `DTEND;TZID=Europe/London:${local(NOW - DAY + i * 60_000 + 5 * 60_000)}`,
    `RRULE:FREQ=${['DAILY', 'HOURLY', 'MINUTELY'][i % 3]};BYMONTH=2;BYMONTHDAY=30`,
    'END:VEVENT',
  ]).flat(),
  'END:VCALENDAR',
].join('\r\n');
const impossibleRuns = [];
for (let i = 0; i < 5; i++) {
  const { ms } = cpuMs(() =>
    busyFromIcs(impossible, {
      from: new Date(NOW - DAY).toISOString(),
      to: new Date(NOW + 366 * DAY).toISOString(),
      zone: 'UTC',
      ownHost: 'trainerhub.example',
    }),
  );
  impossibleRuns.push(ms);
}
console.log(
  `hostile (30 impossible DAILY/HOURLY/MINUTELY rules, VTIMEZONE): CPU ms median ${median(impossibleRuns).toFixed(1)}, max ${Math.max(...impossibleRuns).toFixed(1)} (5 runs)`,
);
