// The staff console's browser tests share these: a trainer with a booking made through the API,
// and a staff user made the operator's way (scripts/admin-create.mjs on the server's database,
// which enrols two-factor sign-in: the tests read the setup key and recovery codes it prints), and
// the two steps of the console's sign-in.
import type { Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { call } from './client';
import { whileBusy } from './server';

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

/** A staff user made by admin:create; its TOTP setup key and recovery codes, read from what it prints. */
export function createStaff(email: string) {
  const run = whileBusy(['scripts/admin-create.mjs', '--email', email, '--persist-to', inject('stateDir')], {
    ...process.env,
    ADMIN_PASSWORD: PASSWORD,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  const secret = /setup key: ([A-Z2-7]{32})/.exec(run.stdout)?.[1] ?? '';
  const uri = /(otpauth:\/\/totp\/\S+)/.exec(run.stdout)?.[1] ?? '';
  expect(new URL(uri).searchParams.get('secret')).toBe(secret);
  expect(decodeURIComponent(uri)).toContain(`TrainerHub:${email}`);
  const recoveryCodes = [...run.stdout.matchAll(/^ {2}([a-z2-7]{5}-[a-z2-7]{5})$/gm)].map((m) => m[1] ?? '');
  expect(recoveryCodes).toHaveLength(10);
  // The QR code, in the terminal's block characters.
  expect(run.stdout).toMatch(/[█▀▄]{20}/);
  return { secret, recoveryCodes };
}

/** The password page, then the code page: lands on the code page and leaves the code to the caller. */
export async function passwordStep(page: Page, email: string) {
  await page.goto(`${inject('baseUrl')}/admin/`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/admin\/login\/code/);
}

export async function sendCode(page: Page, code: string) {
  await page.locator('#code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForLoadState();
}
