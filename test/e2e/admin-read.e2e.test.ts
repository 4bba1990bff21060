// The staff console in Chromium at 1280 and 375 px: a picker finds a trainer by email (and by a
// word two trainers share, through the choose step), the notifications list never makes the page
// scroll sideways, and five console pages pass the accessibility script.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { totpAt } from '../totp';
import { axeViolations, focusRings } from './a11y';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call, ownAddress } from './client';
import { createStaff, PASSWORD, sendCode, trainerWithBooking } from './console';

noteSkipped('test/e2e/admin-read.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let browser: Browser;

/** axe finds nothing, and every focus ring the keyboard reaches is at least 3:1. */
async function accessible(page: Page, name: string) {
  expect(await axeViolations(page), name).toEqual([]);
  const rings = await focusRings(page);
  expect(rings.length, name).toBeGreaterThan(0);
  expect(
    rings.filter((r) => r.ratio < 3),
    name,
  ).toEqual([]);
}

const noSidewaysScroll = (page: Page) =>
  page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

describe.skipIf(!hasChromium)('the staff console reads at a glance, in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const width of [1280, 375]) {
    it(`at ${width} px: the picker flow, the notifications list inside its width, five pages accessible`, async () => {
      const tag = `${run}w${width}`;
      const word = `Pick${tag}`;
      const alpha = await trainerWithBooking(`a${tag}`, `${word} Alpha`);
      const beta = await trainerWithBooking(`b${tag}`, `${word} Beta`);
      // Confirming writes notifications (long recipients and subjects) for the list below.
      expect((await call('POST', `/api/bookings/${alpha.bookingId}/confirm/`, { token: alpha.token })).status).toBe(
        200,
      );
      const staffEmail = `staff-${tag}@example.com`;
      const { secret } = createStaff(staffEmail);
      // A change by staff (through the admin API) for the audit list to show. This code is the
      // current step's; the console below takes the next step's (each code is accepted once).
      const login = await call<{ token: string }>('POST', '/api/users/login/', {
        headers: ownAddress(),
        body: { email: staffEmail, password: PASSWORD, otp: totpAt(secret) },
      });
      const cancelled = await call('PATCH', `/api/admin/bookings/${beta.bookingId}/`, {
        token: login.body.token,
        body: { status: 'cancelled', cancellation_reason: 'Trainer unwell' },
      });
      expect(cancelled.status).toBe(200);

      // bypassCSP only lets the accessibility script inject axe-core: the console itself allows no script.
      const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-GB', bypassCSP: true });
      const page = await context.newPage();
      const base = inject('baseUrl');

      // 1. Sign-in.
      await page.goto(`${base}/admin/login`);
      await accessible(page, 'sign-in');
      await page.locator('#email').fill(staffEmail);
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/admin\/login\/code/);
      await sendCode(page, totpAt(secret, Date.now() + 30_000));
      await page.waitForURL(/\/admin\/$/);

      // 2. The overview: what needs attention, with links.
      expect(await page.getByRole('heading', { name: 'Needs attention' }).count()).toBe(1);
      await accessible(page, 'overview');
      await page.screenshot({ path: resolve(ARTIFACTS, `admin-read-overview-${width}.png`), fullPage: true });

      // The picker: a trainer by email, no id needed.
      await page
        .getByRole('navigation', { name: 'Models' })
        .getByRole('link', { name: 'Bookings', exact: true })
        .click();
      await page.locator('#q-trainer').fill(alpha.email);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/trainer=/);
      const rows = page.locator('table tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain(`${word} Alpha`);
      expect(await page.locator('#q-trainer-help').textContent()).toContain(`Showing ${word} Alpha`);
      // A word both trainers share: choose one, then the list is filtered by it.
      await page.locator('#q-trainer').fill(word);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByRole('heading', { name: 'Choose a trainer' }).waitFor();
      await page.getByRole('link', { name: `${word} Beta` }).click();
      await page.waitForURL(/trainer=\d+/);
      expect(await rows.count()).toBe(1);
      expect(await page.locator(`a[href="/admin/bookings/${beta.bookingId}/"]`).count()).toBe(1);
      // Nobody: the field says so.
      await page.locator('#q-trainer').fill(`nobody-${tag}`);
      await page.getByRole('button', { name: 'Apply' }).click();
      expect(await page.locator('#q-trainer-error').textContent()).toContain(`No trainer matches “nobody-${tag}”`);

      // 3. A list (bookings).
      await page.goto(`${base}/admin/bookings/?search=${tag}`);
      expect(await noSidewaysScroll(page)).toBe(true);
      await accessible(page, 'bookings list');
      await page.screenshot({ path: resolve(ARTIFACTS, `admin-read-bookings-${width}.png`), fullPage: true });

      // 4. A record (a booking).
      await page.goto(`${base}/admin/bookings/${alpha.bookingId}/`);
      expect(await noSidewaysScroll(page)).toBe(true);
      await accessible(page, 'booking detail');
      await page.screenshot({ path: resolve(ARTIFACTS, `admin-read-booking-${width}.png`), fullPage: true });

      // 5. The audit list.
      await page.goto(`${base}/admin/audit-log/?record=${beta.bookingId}&model=bookings`);
      expect(await page.locator('table tbody tr').first().textContent()).toMatch(/status:\s*pending\s*→\s*cancelled/);
      expect(await noSidewaysScroll(page)).toBe(true);
      await accessible(page, 'audit list');
      await page.screenshot({ path: resolve(ARTIFACTS, `admin-read-audit-${width}.png`), fullPage: true });

      // The notifications list scrolls inside its own container, never the page.
      await page.goto(`${base}/admin/notifications/`);
      expect(await page.locator('table tbody tr').count()).toBeGreaterThan(0);
      expect(await noSidewaysScroll(page)).toBe(true);
      await page.screenshot({ path: resolve(ARTIFACTS, `admin-read-notifications-${width}.png`), fullPage: true });
      await context.close();
    });
  }
});
