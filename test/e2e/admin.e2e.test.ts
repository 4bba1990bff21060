// The staff console in a real browser: headless Chromium (the Debian `chromium` package) driven by
// playwright-core against `wrangler dev`. The staff user is made the operator's way, by
// scripts/admin-create.mjs on the server's local database, which enrols two-factor sign-in: the
// tests read the setup key and recovery codes it prints and compute codes as an app would.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { totpAt } from '../totp';
import { axeViolations } from './a11y';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call } from './client';
import { createStaff, PASSWORD, passwordStep, sendCode, trainerWithBooking } from './console';
import { localSql } from './server';

noteSkipped('test/e2e/admin.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

let browser: Browser;

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
    const { email: trainerEmail, bookingId } = await trainerWithBooking(tag);
    const staffEmail = `staff-${tag}@example.com`;
    const { secret } = createStaff(staffEmail);

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

    await passwordStep(page, staffEmail);
    await sendCode(page, totpAt(secret));
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
  for (const width of [1280, 375]) {
    it(`asks for the code after the password at ${width} px: wrong, reused and recovery codes`, async () => {
      const email = `staff-2fa-${width}-${tag}@example.com`;
      const { secret, recoveryCodes } = createStaff(email);
      // bypassCSP lets the accessibility script (axe) into the page; the console runs no script itself.
      const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-GB', bypassCSP: true });
      const page = await context.newPage();
      const sessionCookie = async () => (await context.cookies()).find((c) => c.name === 'th_admin');

      await passwordStep(page, email);
      // The password alone: the code page, no session.
      expect(await sessionCookie()).toBeUndefined();
      const pending = (await context.cookies()).find((c) => c.name === 'th_admin_2fa');
      expect(pending).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' });
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Two-factor sign-in');
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `admin-2fa-code-${width}.png`);

      await sendCode(page, totpAt(secret, Date.now(), 5));
      expect(new URL(page.url()).pathname).toBe('/admin/login/code');
      expect(await page.getByRole('alert').textContent()).toContain('That code is not right');
      expect(await sessionCookie()).toBeUndefined();
      await shot(page, `admin-2fa-wrong-${width}.png`);

      const code = totpAt(secret);
      await sendCode(page, code);
      await page.waitForURL(/\/admin\/$/);
      expect(await sessionCookie()).toBeDefined();
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/admin\/login$/);

      // The same code again: refused, even within its 30 seconds.
      await passwordStep(page, email);
      await sendCode(page, code);
      expect(new URL(page.url()).pathname).toBe('/admin/login/code');
      expect(await page.getByRole('alert').textContent()).toContain('used already');
      expect(await sessionCookie()).toBeUndefined();

      // A recovery code instead: once.
      await sendCode(page, recoveryCodes[0] ?? '');
      await page.waitForURL(/\/admin\/$/);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/admin\/login$/);
      await passwordStep(page, email);
      await sendCode(page, recoveryCodes[0] ?? '');
      expect(new URL(page.url()).pathname).toBe('/admin/login/code');
      expect(await sessionCookie()).toBeUndefined();
      await context.close();
    });

    it(`enrols an authenticator app from the QR code at ${width} px`, async () => {
      // A staff user who never enrolled (promoted in the database, not by admin:create).
      const email = `staff-enrol-${width}-${tag}@example.com`;
      const reg = await call('POST', '/api/users/register/', {
        body: { email, password: PASSWORD, password_confirm: PASSWORD },
      });
      expect(reg.status).toBe(201);
      localSql(inject('stateDir'), [`UPDATE users SET is_staff = 1 WHERE email = '${email}'`]);

      const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-GB', bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${inject('baseUrl')}/admin/`);
      await page.locator('#email').fill(email);
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/admin\/login\/enrol/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Set up two-factor sign-in');
      // The QR code is shown whole, square, big enough to scan, inside the screen, and named.
      const qr = page.getByRole('img', { name: 'QR code of the setup address, for your authenticator app' });
      const box = await qr.boundingBox();
      expect(box).not.toBeNull();
      expect(Math.round(box?.width ?? 0)).toBe(Math.round(box?.height ?? 0));
      expect(box?.width ?? 0).toBeGreaterThanOrEqual(160);
      expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= width).toBe(true);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `admin-2fa-enrol-${width}.png`);

      // The app scanned it: its code turns two-factor sign-in on and shows the recovery codes.
      const secret = (await page.locator('#totp-secret').textContent()) ?? '';
      await page.locator('#code').fill(totpAt(secret));
      await page.getByRole('button', { name: 'Turn on and continue' }).click();
      await page.waitForLoadState();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your recovery codes');
      expect(await page.locator('#recovery-codes li').count()).toBe(10);
      await context.close();
    });
  }
});
