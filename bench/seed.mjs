// The rows bench/run.mjs and bench/profile.mjs seed: the same for the app and the floor where both have them.
import { djangoHash } from './lib.mjs';

export const PASSWORD = 'bench-password-1';

// ---- seed data (same rows for the app and the floor) -------------------------------------

export const DAY = 86_400_000;
export const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
export const iso = (ms) => new Date(ms).toISOString();
export const date = (ms) => iso(ms).slice(0, 10);

// Trainer 1: 8 weekly windows, 3 breaks, 2,000 bookings (range). Trainer 2: 10,000 bookings
// (list). Trainer 3: always open (creates). Trainers 4–11: always open (parallel creates).
// App only: trainers 12 and 13 are trainer 1's copies (windows, breaks, 2,000 bookings); 13 also
// has a connected calendar with 500 busy blocks inside the 31-day range (calendar busy time).
export const TRAINERS = 11;
export const BUSY_TRAINERS = [12, 13];
export const BUSY_BLOCKS = 500;
function bookingRows(trainer, count, startMs, stepMs, minutes) {
  const rows = [];
  for (let i = 0; i < count; i++) {
    const s = startMs + i * stepMs;
    rows.push(
      `(${trainer}, ${trainer}, '${iso(s)}', '${iso(s + minutes * 60_000)}', '${i % 7 === 0 ? 'cancelled' : i % 3 === 0 ? 'confirmed' : 'pending'}')`,
    );
  }
  return rows;
}
function chunks(rows, table, cols) {
  const out = [];
  for (let i = 0; i < rows.length; i += 400)
    out.push(`INSERT INTO ${table} (${cols}) VALUES ${rows.slice(i, i + 400).join(',\n')};`);
  return out;
}
/** Trainer 1's schedule for `trainer`: Mon–Fri 07–12 and 13–19, 3 break days, 2,000 bookings over ±60 days. */
function rangeTrainer(trainer) {
  const windows = [];
  for (let d = 0; d < 5; d++) {
    windows.push(`(${trainer}, ${d}, '07:00:00', '12:00:00')`, `(${trainer}, ${d}, '13:00:00', '19:00:00')`);
  }
  const breaks = [0, 1, 2].map(
    (k) => `(${trainer}, '${date(today + (5 + k * 9) * DAY)}', '${date(today + (5 + k * 9) * DAY)}')`,
  );
  // Every ~86 minutes (the range reads ~500 of them).
  const bookings = bookingRows(trainer, 2000, today - 60 * DAY, Math.floor((120 * DAY) / 2000), 45);
  return { windows, breaks, bookings };
}
export function sharedSeed() {
  const one = rangeTrainer(1);
  const windows = [...one.windows];
  for (let d = 0; d < 7; d++) {
    for (let t = 3; t <= TRAINERS; t++) windows.push(`(${t}, ${d}, '00:00:00', '24:00:00')`);
  }
  const b2 = bookingRows(2, 10_000, today - 200 * DAY, Math.floor((400 * DAY) / 10_000), 30);
  return [
    ...chunks(windows, 'availability_slots', 'trainer_id, day_of_week, start_time, end_time'),
    ...chunks(one.breaks, 'trainer_breaks', 'trainer_id, start_date, end_date'),
    ...chunks([...one.bookings, ...b2], 'bookings', 'trainer_id, client_id, start_time, end_time, status'),
  ];
}
/**
 * The busy-time trainers (app only): copies of trainer 1, and for the last one a calendar
 * connection with BUSY_BLOCKS blocks of 10 minutes spread evenly over the 31-day range, as a sync
 * would store them.
 */
function busySeed() {
  const copies = BUSY_TRAINERS.map(rangeTrainer);
  const withBusy = BUSY_TRAINERS[BUSY_TRAINERS.length - 1];
  const step = Math.floor((31 * DAY) / BUSY_BLOCKS);
  const blocks = Array.from({ length: BUSY_BLOCKS }, (_, i) => {
    const s = today + DAY + i * step;
    return `(${withBusy}, 1, '${iso(s)}', '${iso(s + 10 * 60_000)}')`;
  });
  return [
    ...chunks(
      copies.flatMap((c) => c.windows),
      'availability_slots',
      'trainer_id, day_of_week, start_time, end_time',
    ),
    ...chunks(
      copies.flatMap((c) => c.breaks),
      'trainer_breaks',
      'trainer_id, start_date, end_date',
    ),
    ...chunks(
      copies.flatMap((c) => c.bookings),
      'bookings',
      'trainer_id, client_id, start_time, end_time, status',
    ),
    `INSERT INTO calendar_connections (id, trainer_id, name, url_ciphertext, url_hint, url_hash)
      VALUES (1, ${withBusy}, 'Personal', 'sealed', 'calendar.example …abc123', 'bench');`,
    ...chunks(blocks, 'calendar_busy', 'trainer_id, connection_id, start_time, end_time'),
  ];
}
/** The floor Worker's rows: the shared ones and the trainer row its cached read finds by slug (trainer 1's rows, as bench-12 has). */
export const floorSeed = () => [...sharedSeed(), "INSERT INTO trainers (id, slug) VALUES (1, 'floor-1');"];

export function appSeed() {
  const users = [];
  const trainers = [];
  const clients = [];
  const hash = djangoHash(PASSWORD);
  for (const t of [...Array.from({ length: TRAINERS }, (_, i) => i + 1), ...BUSY_TRAINERS]) {
    users.push(`(${t}, 'bench${t}@example.com', '${hash}', 1)`);
    trainers.push(`(${t}, ${t}, 'Bench ${t}', 'bench-${t}', 'UTC', 0)`);
    clients.push(`(${t}, ${t}, 'client${t}@example.com', 'Client', '${t}')`);
  }
  // Trainer 2 (10,000 bookings) also has 1,000 clients, for the analytics figures.
  for (let i = 0; i < 999; i++) clients.push(`(${100 + i}, 2, 'member${i}@example.com', 'Member', '${i}')`);
  return [
    `INSERT INTO users (id, email, password_hash, is_trainer) VALUES ${users.join(',')};`,
    `INSERT INTO trainers (id, user_id, business_name, slug, timezone, min_notice_minutes) VALUES ${trainers.join(',')};`,
    ...chunks(clients, 'clients', 'id, trainer_id, email, first_name, last_name'),
    ...sharedSeed(),
    ...busySeed(),
  ];
}
