// `npm run seed:demo`: fills the LOCAL D1 database with a demo trainer whose dashboard is alive:
// three services (one a home visit with a buffer after), 30 clients, packs sold in USD and EUR (one expired), two months of bookings in every state,
// consumed credits, TrainerHub subscription payments and the daily metrics of the past days.
// Run it before or while `npm run dev` is running (same local database; pass the same
// `--persist-to <dir>` if you use one). Running it again replaces the demo trainer's data.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Temporal } from 'temporal-polyfill';
import { hashPassword } from './password-hash.mjs';

const EMAIL = 'demo@trainerhub.test';
const PASSWORD = 'demo-trainer-2026';
const SLUG = 'demo-fitness-studio';
const ZONE = 'America/New_York';

const extra = process.argv.slice(2);
const persist = extra.includes('--persist-to') ? ['--persist-to', extra[extra.indexOf('--persist-to') + 1]] : [];

function wrangler(args) {
  // stdin is not a terminal, so wrangler never stops to ask; its per-statement report is shown only on failure.
  const run = spawnSync(process.execPath, ['node_modules/wrangler/bin/wrangler.js', ...args, ...persist], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) {
    process.stdout.write(run.stdout ?? '');
    process.exit(run.status ?? 1);
  }
}

// ---- helpers -------------------------------------------------------------------------------

// A small seeded generator: the demo looks the same on every run (relative to today).
let state = 20260101;
const random = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (items) => items[Math.floor(random() * items.length)];

const lit = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
const iso = (zdt) => new Date(zdt.epochMilliseconds).toISOString();
const localAt = (date, hour) => date.toZonedDateTime({ timeZone: ZONE, plainTime: new Temporal.PlainTime(hour) });
const localDateOf = (isoText) => Temporal.Instant.from(isoText).toZonedDateTimeISO(ZONE).toPlainDate().toString();

const nowMs = Date.now();
const nowIso = new Date(nowMs).toISOString();
const today = Temporal.Now.plainDateISO(ZONE);

const T = `(SELECT id FROM trainers WHERE slug = ${lit(SLUG)})`;
const clientRef = (email) => `(SELECT id FROM clients WHERE trainer_id = ${T} AND email = ${lit(email)})`;
const saleRef = (sale) =>
  `(SELECT id FROM client_packages WHERE client_id = ${clientRef(sale.email)} AND purchased_at = ${lit(sale.purchasedAt)})`;
const bookingRef = (b) => `(SELECT id FROM bookings WHERE trainer_id = ${T} AND start_time = ${lit(b.start)})`;

const sql = [];

// ---- start clean -----------------------------------------------------------------------------

const demoTrainers = `(SELECT t.id FROM trainers t JOIN users u ON u.id = t.user_id WHERE u.email = ${lit(EMAIL)})`;
sql.push(
  `DELETE FROM package_ledger WHERE client_package_id IN (SELECT cp.id FROM client_packages cp JOIN clients c ON c.id = cp.client_id WHERE c.trainer_id IN ${demoTrainers});`,
  `DELETE FROM bookings WHERE trainer_id IN ${demoTrainers};`,
  `DELETE FROM client_packages WHERE client_id IN (SELECT id FROM clients WHERE trainer_id IN ${demoTrainers});`,
  `DELETE FROM users WHERE email = ${lit(EMAIL)};`, // cascades to the trainer and everything it owns
  // The deleted trainer's slug is retired for no one (migration 0035); the demo takes it again.
  `DELETE FROM retired_slugs WHERE slug = ${lit(SLUG)};`,
);

// ---- the trainer -----------------------------------------------------------------------------

sql.push(
  `INSERT INTO users (email, password_hash, first_name, last_name, is_trainer, is_client, is_staff)
   VALUES (${lit(EMAIL)}, ${lit(hashPassword(PASSWORD))}, 'Dana', 'Demo', 1, 0, 0);`,
  `INSERT INTO trainers (user_id, business_name, slug, timezone, auto_confirm)
   VALUES ((SELECT id FROM users WHERE email = ${lit(EMAIL)}), 'Demo Fitness Studio', ${lit(SLUG)}, ${lit(ZONE)}, 0);`,
);
// ---- services: the trainer's default (made by the database when the trainer row is) and two more

sql.push(
  `UPDATE services SET name = 'Personal training', description = 'One-to-one session at the studio.',
     price_cents = 8000, currency = 'USD', location = '120 Atlantic Ave, Brooklyn', color = '#1a56db'
   WHERE trainer_id = ${T} AND is_default = 1;`,
  `INSERT INTO services (trainer_id, name, description, duration_minutes, price_cents, currency, location_type, video_url, color, position)
   VALUES (${T}, 'Check-in', 'A short video call to review your progress.', 30, 4000, 'USD', 'video', 'https://meet.example.com/demo-fitness', '#0e9f6e', 1);`,
  `INSERT INTO services (trainer_id, name, description, duration_minutes, buffer_after_minutes, price_cents, currency, location_type, color, position)
   VALUES (${T}, 'Home assessment', 'Movement screen and a plan, at your place.', 90, 30, 12000, 'USD', 'client_address', '#c27803', 2);`,
);
for (let day = 0; day < 6; day++) {
  sql.push(
    `INSERT INTO availability_slots (trainer_id, day_of_week, start_time, end_time) VALUES (${T}, ${day}, '07:00:00', '19:00:00');`,
  );
}

// ---- 30 clients --------------------------------------------------------------------------------

const FIRST = [
  'Ava',
  'Ben',
  'Chloe',
  'Diego',
  'Emma',
  'Finn',
  'Grace',
  'Hugo',
  'Isla',
  'Jack',
  'Kai',
  'Lena',
  'Mia',
  'Noah',
  'Olivia',
];
const LAST = [
  'Adams',
  'Brown',
  'Chen',
  'Diaz',
  'Evans',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ito',
  'Jones',
  'Khan',
  'Lopez',
  'Martin',
  'Nowak',
  'Olsen',
];
const LEVELS = ['beginner', 'beginner', 'intermediate', 'intermediate', 'advanced', 'athlete'];
const clients = Array.from({ length: 30 }, (_, i) => {
  // Most joined over the past year; the last eight within the past two months.
  const daysAgo = i < 22 ? 60 + Math.floor(random() * 300) : Math.floor(random() * 60);
  return {
    email: `client${String(i + 1).padStart(2, '0')}@demo.trainerhub.test`,
    first: FIRST[i % FIRST.length],
    last: LAST[(i * 7) % LAST.length],
    level: pick(LEVELS),
    active: ![3, 11, 17, 25].includes(i),
    // Never later than now: a client joining "today" joined this morning or yesterday.
    createdAt: [0, 1]
      .map((d) => iso(localAt(today.subtract({ days: daysAgo + d }), 8 + (i % 10))))
      .find((t) => t <= nowIso),
  };
});
for (const c of clients) {
  sql.push(
    `INSERT INTO clients (trainer_id, email, first_name, last_name, first_name_key, last_name_key, fitness_level, is_active, goals, created_at, updated_at)
     VALUES (${T}, ${lit(c.email)}, ${lit(c.first)}, ${lit(c.last)}, lower(${lit(c.first)}), lower(${lit(c.last)}), ${lit(c.level)}, ${c.active ? 1 : 0}, '["Get stronger"]', ${lit(c.createdAt)}, ${lit(c.createdAt)});`,
  );
}

// ---- packages and sales ----------------------------------------------------------------------

const PACKAGES = [
  { name: '10-session pack', sessions: 10, cents: 60000, currency: 'USD', validity: 180 },
  { name: '5-session pack', sessions: 5, cents: 32500, currency: 'USD', validity: 90 },
  { name: 'Intro 3-pack (EUR)', sessions: 3, cents: 15000, currency: 'EUR', validity: 45 },
];
for (const p of PACKAGES) {
  sql.push(
    `INSERT INTO session_packages (trainer_id, name, sessions_count, price_cents, currency, validity_days)
     VALUES (${T}, ${lit(p.name)}, ${p.sessions}, ${p.cents}, ${lit(p.currency)}, ${p.validity});`,
  );
}
const sales = [];
clients.forEach((c, i) => {
  // A quarter of the clients pay per session; former clients hold no pack (a sale would make them
  // active again: migration 0033).
  if (i % 4 === 3 || !c.active) return;
  const p = PACKAGES[i % 3];
  // Sold 5–110 days ago, after the client joined; EUR intro packs sold long ago have expired.
  const joined = Temporal.PlainDate.from(localDateOf(c.createdAt));
  let date = today.subtract({ days: 5 + Math.floor(random() * 105) });
  if (Temporal.PlainDate.compare(date, joined) <= 0) date = joined.add({ days: 1 });
  const purchasedAt = iso(localAt(date, 9).add({ minutes: i }));
  if (purchasedAt > nowIso) return;
  sales.push({
    email: c.email,
    pkg: p,
    purchasedAt,
    expiry: date.add({ days: p.validity }).toString(),
    remaining: p.sessions,
    reserved: 0,
  });
});

// ---- two months of bookings --------------------------------------------------------------

const bookings = [];
for (let offset = -45; offset <= 14; offset++) {
  const date = today.add({ days: offset });
  if (date.dayOfWeek === 7) continue; // closed on Sundays
  const hours = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].filter(() => random() < 0.35);
  for (const hour of hours) {
    const start = localAt(date, hour);
    if (offset === 0 && start.epochMilliseconds <= nowMs) continue;
    const client = pick(clients.filter((c) => c.active && c.createdAt < iso(start)));
    if (!client) continue;
    const past = start.epochMilliseconds < nowMs;
    const roll = random();
    let status;
    let late = false;
    if (past) {
      status = roll < 0.78 ? 'completed' : roll < 0.9 ? 'cancelled' : 'confirmed';
      late = status === 'cancelled' && roll < 0.84;
    } else {
      status = roll < 0.6 ? 'confirmed' : roll < 0.9 ? 'pending' : 'cancelled';
    }
    bookings.push({ client, start: iso(start), end: iso(start.add({ hours: 1 })), status, late });
  }
}

// Credits: a booking uses the client's oldest pack bought before it and still valid that day.
const ledger = [];
for (const b of bookings) {
  const day = localDateOf(b.start);
  const sale = sales.find(
    (s) => s.email === b.client.email && s.purchasedAt < b.start && s.expiry >= day && s.remaining - s.reserved > 0,
  );
  if (!sale) continue;
  const consumes = b.status === 'completed' || (b.status === 'cancelled' && b.late);
  const reserves = b.status === 'pending' || b.status === 'confirmed';
  if (!consumes && !reserves) continue;
  b.sale = sale;
  if (consumes) {
    sale.remaining -= 1;
    ledger.push({
      sale,
      booking: b,
      reason: b.status === 'completed' ? 'booking_completed' : 'late_cancellation',
      balanceAfter: sale.remaining,
    });
  } else sale.reserved += 1;
}

for (const s of sales) {
  sql.push(
    `INSERT INTO client_packages (client_id, session_package_id, sessions_total, sessions_remaining, expiry_date, price_paid_cents, currency, purchased_at)
     VALUES (${clientRef(s.email)}, (SELECT id FROM session_packages WHERE trainer_id = ${T} AND name = ${lit(s.pkg.name)}),
       ${s.pkg.sessions}, ${s.remaining}, ${lit(s.expiry)}, ${s.pkg.cents}, ${lit(s.pkg.currency)}, ${lit(s.purchasedAt)});`,
  );
}
for (const b of bookings) {
  // A late cancellation came 3 hours before the start, a timely one 3 days before.
  const cancelledAt =
    b.status === 'cancelled' ? new Date(Date.parse(b.start) - (b.late ? 3 : 72) * 3600_000).toISOString() : null;
  sql.push(
    `INSERT INTO bookings (trainer_id, client_id, start_time, end_time, status, client_package_id, cancelled_at, late_cancellation, cancellation_reason)
     VALUES (${T}, ${clientRef(b.client.email)}, ${lit(b.start)}, ${lit(b.end)}, ${lit(b.status)},
       ${b.sale ? saleRef(b.sale) : 'NULL'}, ${lit(cancelledAt)}, ${b.late ? 1 : 0}, ${lit(b.status === 'cancelled' ? 'Schedule clash' : '')});`,
  );
}
for (const l of ledger) {
  sql.push(
    `INSERT INTO package_ledger (client_package_id, booking_id, delta, reason, at, balance_after)
     VALUES (${saleRef(l.sale)}, ${bookingRef(l.booking)}, -1, ${lit(l.reason)}, ${lit(l.booking.end)}, ${l.balanceAfter});`,
  );
}

// ---- the trainer's own TrainerHub subscription (Paddle) -------------------------------------------

sql.push(
  `INSERT INTO subscriptions (trainer_id, paddle_subscription_id, paddle_customer_id, status, next_billing_date)
   VALUES (${T}, 'sub_demo_${SLUG}', 'ctm_demo_${SLUG}', 'active', ${lit(today.add({ months: 1 }).with({ day: 1 }).toString())});`,
);
for (let m = 2; m >= 0; m--) {
  const at = iso(localAt(today.with({ day: 1 }).subtract({ months: m }), 10));
  if (at > nowIso) continue;
  sql.push(
    `INSERT INTO payments (trainer_id, subscription_id, paddle_transaction_id, amount_cents, currency, status, created_at, updated_at)
     VALUES (${T}, (SELECT id FROM subscriptions WHERE trainer_id = ${T}), 'txn_demo_${SLUG}_${m}', 2900, 'USD', 'completed', ${lit(at)}, ${lit(at)});`,
  );
}

// ---- daily metrics of the past days (the hourly rollup writes them from now on) --------------------
// The same definitions as rollupDashboardMetrics in src/analytics/service.ts.

const sortedSales = [...sales].sort((a, b) => (a.purchasedAt < b.purchasedAt ? -1 : 1));
for (let offset = -45; offset <= -1; offset++) {
  const date = today.add({ days: offset });
  const start = iso(date.toZonedDateTime(ZONE));
  const end = iso(date.add({ days: 1 }).toZonedDateTime(ZONE));
  const inDay = (t) => t >= start && t < end;
  const day = bookings.filter((b) => inDay(b.start));
  const currency = sortedSales.filter((s) => s.purchasedAt < end).at(-1)?.pkg.currency ?? 'USD';
  const revenue = sales
    .filter((s) => inDay(s.purchasedAt) && s.pkg.currency === currency)
    .reduce((n, s) => n + s.pkg.cents, 0);
  sql.push(
    `INSERT INTO dashboard_metrics (trainer_id, date, bookings_count, completed_bookings, cancelled_bookings, revenue_cents, currency, new_clients, active_clients, created_at, updated_at)
     VALUES (${T}, ${lit(date.toString())}, ${day.length}, ${day.filter((b) => b.status === 'completed').length},
       ${day.filter((b) => b.status === 'cancelled').length}, ${revenue}, ${lit(currency)},
       ${clients.filter((c) => inDay(c.createdAt)).length}, ${clients.filter((c) => c.active && c.createdAt < end).length},
       ${lit(end)}, ${lit(end)});`,
  );
}

// ---- run -----------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'trainerhub-seed-'));
const file = join(dir, 'seed-demo.sql');
writeFileSync(file, `${sql.join('\n')}\n`);
try {
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local']);
  wrangler(['d1', 'execute', 'DB', '--local', '--file', file]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const counts = (status) => bookings.filter((b) => b.status === status).length;
console.log(`
Demo data is in the local database (${ZONE}):
  30 clients, ${sales.length} packs sold (USD and EUR), ${bookings.length} bookings over two months
  (${counts('completed')} completed, ${counts('confirmed')} confirmed, ${counts('pending')} pending, ${counts('cancelled')} cancelled).

Sign in (npm run dev, then):
  email:    ${EMAIL}
  password: ${PASSWORD}

  curl -s -X POST http://localhost:8787/api/users/login/ -H 'Content-Type: application/json' \\
    -d '{"email":"${EMAIL}","password":"${PASSWORD}"}'
  curl -s http://localhost:8787/api/analytics/dashboard/ -H 'Authorization: Bearer <token>'
`);
