// The staff console in a real browser: headless Chromium (the Debian `chromium` package) driven by
// playwright-core against `wrangler dev`. The staff user is made the operator's way, by
// scripts/admin-create.mjs on the server's local database.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call } from './client';

noteSkipped('test/e2e/admin.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');
const PASSWORD = 'a-long-password-1';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

let browser: Browser;

/** A Berlin trainer with one client and one pending booking in three days. */
async function trainerWithBooking() {
  const email = `coach-${tag}@example.com`;
  const reg = await call<{ token: string }>('POST', '/api/users/register/', {
    body: {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
      business_name: `Coach ${tag}`,
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
  return { email, bookingId: booking.body.id };
}

function createStaff(email: string) {
  const run = spawnSync(
    process.execPath,
    ['scripts/admin-create.mjs', '--email', email, '--persist-to', inject('stateDir')],
    { env: { ...process.env, ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' },
  );
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
}

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(ARTIFACTS, name), fullPage: true });

describe.skipIf(!hasChromium)('the staff console in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('logs in, finds a trainer by email, cancels its booking with a reason, and finds that in the audit log', async () => {
    const { email: trainerEmail, bookingId } = await trainerWithBooking();
    const staffEmail = `staff-${tag}@example.com`;
    createStaff(staffEmail);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    const failed: string[] = [];
    // A CSP refusal shows as a console error; a server error as a response.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) failed.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 500) failed.push(`${r.status()} ${r.url()}`);
    });

    await page.goto(`${inject('baseUrl')}/admin/`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.locator('#email').fill(staffEmail);
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/admin\/$/);
    const cookie = (await context.cookies()).find((c) => c.name === 'th_admin');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' });

    // The first Tab reaches the skip link; the sidebar leads to the trainers.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toContain('Skip');
    await page.getByRole('navigation', { name: 'Models' }).getByRole('link', { name: 'Trainers', exact: true }).click();
    await page.locator('#q-search').fill(trainerEmail);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/search=/);
    const rows = page.locator('table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(trainerEmail);
    await shot(page, 'admin-trainers-list-1280.png');

    await rows.first().locator('a').first().click();
    await page.waitForURL(/\/admin\/trainers\/\d+\/$/);
    await page.locator(`a[href="/admin/bookings/${bookingId}/"]`).first().click();
    await page.waitForURL(new RegExp(`/admin/bookings/${bookingId}/$`));
    expect(await page.locator('dl.record').textContent()).toMatch(/UTC.*(CET|CEST)/s);

    // Issue 22: a cancel is its own form, made from its confirmation page.
    await page.locator('#f-cancellation_reason').fill('Trainer unwell');
    await page.getByRole('button', { name: 'Cancel booking…' }).click();
    await page.getByRole('button', { name: 'Yes, cancel booking' }).click();
    await page.waitForURL(/saved=1/);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Saved.');
    expect(await page.locator('dl.record').textContent()).toContain('Trainer unwell');
    await shot(page, 'admin-booking-detail-1280.png');

    await page.getByRole('navigation', { name: 'Models' }).getByRole('link', { name: 'Audit log' }).click();
    await page.locator('#q-model').selectOption('bookings');
    await page.locator('#q-record').fill(String(bookingId));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/record=/);
    const entry = page.locator('table tbody tr').first();
    expect(await entry.textContent()).toContain('cancel');
    expect(await entry.textContent()).toContain(staffEmail);
    await entry.locator('a').first().click();
    expect(await page.locator('dl.record').textContent()).toContain('Trainer unwell');

    // On a phone the sidebar wraps above the content and nothing overflows the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${inject('baseUrl')}/admin/bookings/?search=${tag}`);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot(page, 'admin-bookings-list-390.png');
    expect(failed).toEqual([]);
    await context.close();
  });
});
