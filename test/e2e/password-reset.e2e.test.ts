// The account pages mails link to, as their owner lives them, in headless Chromium against
// `wrangler dev`: a forgotten password (ask for the link, open it from the "mail", the log
// provider's line in wrangler's log, type a new password, sign in with it) and the email
// confirmation after registering. At 375 and 1280 px, with the accessibility script.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, focusRings } from './a11y';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call, mailedLink, ownAddress, until } from './client';

noteSkipped('test/e2e/password-reset.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');
const OLD = 'the-old-password-1';

/** Page problems: console errors (CSP refusals among them), uncaught errors, 5xx answers. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 400/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${r.status()} ${r.url()}`);
  });
  return problems;
}

let browser: Browser;

describe.skipIf(!hasChromium)('the password-reset page in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const width of [375, 1280]) {
    it(`at ${width} px: mailed link → page → new password → sign in; the used link is refused`, async () => {
      const email = `reset-${width}-${Date.now().toString(36)}@example.com`;
      const reg = await call<{ token: string }>('POST', '/api/users/register/', {
        headers: ownAddress(),
        body: { email, password: OLD, password_confirm: OLD, business_name: `Reset ${width}` },
      });
      expect(reg.status).toBe(201);
      expect((await call('POST', '/api/users/password-reset/', { body: { email } })).status).toBe(202);
      const link = await until(
        async () => mailedLink(email, '/account/reset-password#token='),
        (l) => l !== null,
      );
      expect(link).not.toBeNull();
      const url = new URL(link ?? '');
      const here = `${inject('baseUrl')}${url.pathname}${url.hash}`;

      // The accessibility script needs its own context: the page's CSP lets no injected script in.
      const checked = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
      const a11y = await checked.newPage();
      await a11y.goto(here);
      await a11y.fill('#f-new_password', 'a-new-password-22');
      await a11y.fill('#f-repeat', 'a-new-password-23');
      await a11y.click('#submit');
      await expect.poll(() => a11y.textContent('#e-repeat')).toBe('The two passwords do not match.');
      expect(await axeViolations(a11y)).toEqual([]);
      expect((await focusRings(a11y)).filter((r) => r.ratio < 3)).toEqual([]);
      await checked.close();

      const page = await browser.newPage({ viewport: { width, height: 800 } });
      const problems = watch(page);
      await page.goto(here);
      // The token left the address bar and the history.
      await until(
        async () => page.url(),
        (u) => !u.includes('#'),
      );
      expect(page.url()).not.toContain('token');
      await page.locator('#f-new_password').waitFor();
      // A password the API refuses: its rule, under the field.
      await page.fill('#f-new_password', '123456789');
      await page.fill('#f-repeat', '123456789');
      await page.click('#submit');
      await expect.poll(() => page.textContent('#e-new_password')).toBe('This password is entirely numeric.');
      expect(await page.getAttribute('#f-new_password', 'aria-invalid')).toBe('true');
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);

      await page.fill('#f-new_password', 'a-new-password-22');
      await page.fill('#f-repeat', 'a-new-password-22');
      // A double click changes the password once; the second click is ignored while the first is out.
      await page.dblclick('#submit');
      await page.locator('#done').waitFor();
      expect(await page.isVisible('#reset')).toBe(false);
      expect(await page.isVisible('#alert')).toBe(false);
      await page.screenshot({ path: resolve(ARTIFACTS, `password-reset-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);

      expect((await call('GET', '/api/users/profile/', { token: reg.body.token })).status).toBe(401);
      expect((await call('POST', '/api/users/login/', { body: { email, password: OLD } })).status).toBe(401);
      const login = await call('POST', '/api/users/login/', { body: { email, password: 'a-new-password-22' } });
      expect(login.status).toBe(200);

      // The same link again: the page says it is used up, and shows no form.
      const again = await browser.newPage({ viewport: { width, height: 800 } });
      await again.goto(here);
      await again.fill('#f-new_password', 'a-third-password-33');
      await again.fill('#f-repeat', 'a-third-password-33');
      await again.click('#submit');
      await expect.poll(() => again.textContent('#alert')).toMatch(/invalid, used or expired/);
      expect(await again.isVisible('#reset')).toBe(false);
      // Without a token: told so, no form.
      await again.goto(`${inject('baseUrl')}${url.pathname}`);
      await expect.poll(() => again.textContent('#alert')).toMatch(/link is incomplete/);
      expect(await again.isVisible('#reset')).toBe(false);
      await page.close();
      await again.close();
    });
  }
});

describe.skipIf(!hasChromium)('the email-confirmation page in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const width of [375, 1280]) {
    it(`at ${width} px: the mailed link confirms the address and says so; a spoiled link says what to do`, async () => {
      const email = `verify-${width}-${Date.now().toString(36)}@example.com`;
      const reg = await call<{ token: string }>('POST', '/api/users/register/', {
        headers: ownAddress(),
        body: { email, password: OLD, password_confirm: OLD, business_name: `Verify ${width}` },
      });
      expect(reg.status).toBe(201);
      const link = await until(
        async () => mailedLink(email, '/account/verify-email#token='),
        (l) => l !== null,
      );
      const url = new URL(link ?? '');
      const here = `${inject('baseUrl')}${url.pathname}${url.hash}`;

      const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(here);
      await page.locator('#done').waitFor();
      expect(await page.textContent('#done-text')).toBe(`Your email address ${email} is confirmed.`);
      expect(page.url()).not.toContain('token');
      expect(await axeViolations(page)).toEqual([]);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: resolve(ARTIFACTS, `verify-email-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
      const profile = await call<{ email_verified: boolean }>('GET', '/api/users/profile/', { token: reg.body.token });
      expect(profile.body.email_verified).toBe(true);

      // A link cut short or tampered with: no confirmation, and what to do instead (from another
      // page first: a change of the fragment alone would not load the page again).
      await page.goto('about:blank');
      await page.goto(`${here.slice(0, -4)}AAAA`);
      await expect.poll(() => page.textContent('#alert')).toMatch(/invalid or has expired; ask for a new one/);
      expect(await page.isVisible('#done')).toBe(false);
      await page.goto('about:blank');
      await page.goto(`${inject('baseUrl')}${url.pathname}`);
      await expect.poll(() => page.textContent('#alert')).toMatch(/link is incomplete/);
      await context.close();
    });
  }
});
