// Staff changing a booking in Chromium, at 1280 and 375 px: a move typed in the trainer's zone
// with the date-time input and a cancel with a reason, each through its confirmation page.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { totpAt } from '../totp';
import { axeViolations } from './a11y';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call } from './client';
import { createStaff, PASSWORD, sendCode } from './console';

noteSkipped('test/e2e/admin-change.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const staffEmail = `staff-change-${tag}@example.com`;

let browser: Browser;
let secret = '';

/** A Berlin trainer with one client and one pending booking at 09:00 UTC in `days` days. */
async function bookingIn(days: number, n: number) {
  const reg = await call<{ token: string }>('POST', '/api/users/register/', {
    body: {
      email: `coach-change-${n}-${tag}@example.com`,
      password: PASSWORD,
      password_confirm: PASSWORD,
      business_name: `Change ${n} ${tag}`,
      timezone: 'Europe/Berlin',
    },
  });
  expect(reg.status).toBe(201);
  const client = await call<{ id: number }>('POST', '/api/clients/', {
    token: reg.body.token,
    body: { email: `client-change-${n}-${tag}@example.com`, first_name: 'Kai', last_name: 'Client' },
  });
  const day = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const booking = await call<{ id: number }>('POST', '/api/bookings/', {
    token: reg.body.token,
    body: { client: client.body.id, start_time: `${day}T09:00:00Z`, allow_outside_availability: true },
  });
  expect(booking.status).toBe(201);
  return booking.body.id;
}

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(ARTIFACTS, name), fullPage: true });
const fits = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

describe.skipIf(!hasChromium)('staff change a booking in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    secret = createStaff(staffEmail).secret;
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const [width, height] of [
    [1280, 900],
    [375, 812],
  ] as const) {
    it(`at ${width} px: moves a booking with the date-time input, then cancels it with a reason`, async () => {
      const bookingId = await bookingIn(width === 1280 ? 4 : 5, width);
      // bypassCSP only lets the accessibility script in; the console's own pages need no script.
      const context = await browser.newContext({ viewport: { width, height }, locale: 'en-GB', bypassCSP: true });
      const page = await context.newPage();
      const failed: string[] = [];
      page.on('response', (r) => {
        if (r.status() >= 500) failed.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${inject('baseUrl')}/admin/login`);
      await page.locator('#email').fill(staffEmail);
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/admin\/login\/code/);
      // One staff user signs in at both widths: the current step's code, then the next one's (a code
      // is accepted once). The previous step's code fell out of the window on a slow machine.
      await sendCode(page, totpAt(secret, Date.now(), width === 1280 ? 0 : 1));
      await page.waitForURL(/\/admin\/$/);

      await page.goto(`${inject('baseUrl')}/admin/bookings/${bookingId}/`);
      // Only what a pending booking allows; the start as a date-time in the trainer's zone, named.
      await expect(page.getByRole('button', { name: 'Confirm booking…' }).count()).resolves.toBe(1);
      await expect(page.getByRole('button', { name: 'Mark completed…' }).count()).resolves.toBe(0);
      const start = page.getByLabel('New start (Europe/Berlin)');
      expect(await start.getAttribute('type')).toBe('datetime-local');
      const current = await start.inputValue();
      expect(current).toMatch(/T1[01]:00$/); // 09:00 UTC is 10:00 or 11:00 in Berlin
      expect(await fits(page)).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `admin-booking-actions-${width}.png`);

      const newLocal = `${current.slice(0, 10)}T14:30`;
      await start.fill(newLocal);
      // The trainer keeps no weekly hours: the move is outside them, as the booking was.
      await page.getByLabel("Allow outside the trainer's hours").selectOption('true');
      await page.getByRole('button', { name: 'Review the move…' }).click();
      await page.waitForURL(/\/time$/);
      await expect(page.locator('h1').textContent()).resolves.toBe(`Move booking #${bookingId}?`);
      const review = (await page.locator('main').textContent()) ?? '';
      expect(review).toContain('Nothing has changed yet');
      expect(review).toMatch(/14:30 CES?T/);
      expect(await fits(page)).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `admin-booking-move-confirm-${width}.png`);
      await page.getByRole('button', { name: 'Yes, move it' }).click();
      await page.waitForURL(/saved=1/);
      expect(await page.getByLabel('New start (Europe/Berlin)').inputValue()).toBe(newLocal);

      await page.getByLabel('Reason for cancelling').fill('Trainer unwell');
      await page.getByRole('button', { name: 'Cancel booking…' }).click();
      await page.waitForURL(/\/status$/);
      const consequences = (await page.locator('ul.consequences').textContent()) ?? '';
      expect(consequences).toContain('Not a late cancellation');
      // A trainer's booking nobody confirmed was never announced: its cancel tells the client nothing.
      expect(consequences).toContain('No message is sent to the client.');
      expect(consequences).toContain('Reason given: “Trainer unwell”');
      expect(await fits(page)).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `admin-booking-cancel-confirm-${width}.png`);
      await page.getByRole('button', { name: 'Yes, cancel booking' }).click();
      await page.waitForURL(/saved=1/);
      const record = (await page.locator('dl.record').textContent()) ?? '';
      expect(record).toContain('cancelled');
      expect(record).toContain('Trainer unwell');
      await expect(page.getByRole('button', { name: 'Cancel booking…' }).count()).resolves.toBe(0);
      expect(failed).toEqual([]);
      await context.close();
    });
  }
});
