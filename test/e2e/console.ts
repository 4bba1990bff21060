// The staff console's browser tests share these: a trainer with a booking made through the API,
// and a staff user made the operator's way (scripts/admin-create.mjs on the server's database).
import { spawnSync } from 'node:child_process';
import { expect, inject } from 'vitest';
import { call } from './client';

export const PASSWORD = 'a-long-password-1';

/** A Berlin trainer with one client and one pending booking in three days. */
export async function trainerWithBooking(tag: string, business = `Coach ${tag}`) {
  const email = `coach-${tag}@example.com`;
  const reg = await call<{ token: string }>('POST', '/api/users/register/', {
    body: {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
      business_name: business,
      timezone: 'Europe/Berlin',
    },
  });
  expect(reg.status).toBe(201);
  const client = await call<{ id: number }>('POST', '/api/clients/', {
    token: reg.body.token,
    body: { email: `client-${tag}@example.com`, first_name: 'Kai', last_name: 'Client' },
  });
  const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const booking = await call<{ id: number }>('POST', '/api/bookings/', {
    token: reg.body.token,
    body: { client: client.body.id, start_time: `${day}T09:00:00Z`, allow_outside_availability: true },
  });
  expect(booking.status).toBe(201);
  return { email, token: reg.body.token, clientId: client.body.id, bookingId: booking.body.id };
}

export function createStaff(email: string) {
  const run = spawnSync(
    process.execPath,
    ['scripts/admin-create.mjs', '--email', email, '--persist-to', inject('stateDir')],
    { env: { ...process.env, ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' },
  );
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
}
