// The booking page (/book/{slug}) in headless Chromium against `wrangler dev`: a retry after a
// lost answer is the same booking (one Idempotency-Key per booking sent), the confirmation follows
// "Show times in", the browser's Back and Forward between the times and the form, `trainerhub:ready`
// only once the times are shown, and no request for an icon.
// At 375 and 1280 px.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call } from './client';
import { book, clock, newVisitor, openTrainer, uniqueEmail } from './trainer';

noteSkipped('test/e2e/booking-page.e2e.test.ts');

let browser: Browser;
let host: Server;
let hostOrigin = '';

/** Console errors (CSP refusals and failed loads among them) and uncaught errors, frames included. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  return problems;
}

/** A page of another origin that embeds the widget and records the events it raises. */
const embedding = (slug: string) =>
  `${hostOrigin}/?slug=${encodeURIComponent(slug)}&base=${encodeURIComponent(inject('baseUrl'))}`;
const HOST_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Coach's site</title><script>
window.events = [];
['ready', 'error'].forEach(function (t) {
  window.addEventListener('trainerhub:' + t, function (e) { window.events.push(e.type); });
});
var q = new URLSearchParams(location.search);
document.addEventListener('DOMContentLoaded', function () {
  var s = document.createElement('script');
  s.src = q.get('base') + '/widget.js';
  s.setAttribute('data-trainer', q.get('slug'));
  document.body.appendChild(s);
});
</script></head><body><h1>Coach's site</h1></body></html>`;

describe.skipIf(!hasChromium)('the booking page in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    host = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(HOST_PAGE);
    });
    await new Promise<void>((done) => host.listen(0, '127.0.0.1', done));
    hostOrigin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => host?.close(done));
  });

  for (const width of [375, 1280]) {
    it(`a retry after a lost answer is the same booking; a changed booking gets a new key; the confirmation follows the zone (${width} px)`, async () => {
      const coach = await openTrainer(`Retry Room ${width}`);
      const { context, page } = await newVisitor(browser, width);
      const keys: string[] = [];
      // What happens to each booking request in turn: answered but lost, lost unsent, or passed on.
      const fates: ('lost' | 'unsent')[] = ['lost'];
      await context.route(/\/bookings\/$/, async (route) => {
        keys.push((await route.request().headerValue('idempotency-key')) ?? '');
        const fate = fates.shift();
        if (fate === 'lost') await route.fetch();
        if (fate) return route.abort('failed');
        return route.continue();
      });
      await page.goto(`${inject('baseUrl')}/book/${coach.slug}`);
      await page.locator('.day:not([disabled])').nth(3).click();
      const slot = page.locator('#times .slot').first();
      const start = (await slot.getAttribute('data-start')) ?? '';
      await slot.click();
      await page.locator('#f-first_name').fill('Rita');
      await page.locator('#f-last_name').fill('Retry');
      await page.locator('#f-email').fill(uniqueEmail('rita'));
      await page.locator('#submit').click();
      // The booking was made, its answer lost: the visitor sends it again, unchanged.
      await expect.poll(() => page.locator('#form-error').textContent()).toContain('No connection');
      await page.locator('#submit').click();
      await expect.poll(() => page.locator('#done').isVisible()).toBe(true);
      expect(await page.locator('#done-h').textContent()).toBe('Booking requested');
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
      const mine = await call<{ results: { start_time: string }[] }>('GET', '/api/bookings/', { token: coach.token });
      expect(mine.body.results.map((b) => b.start_time)).toEqual([start]);

      // "Show times in" redraws the confirmation's time.
      const end = new Date(Date.parse(start) + 3_600_000).toISOString();
      expect(await page.locator('#done-when').textContent()).toMatch(
        new RegExp(`– ${clock(end, 'America/New_York')}$`),
      );
      await page.locator('#tz').selectOption('Asia/Tokyo');
      expect(await page.locator('#done-when').textContent()).toMatch(
        new RegExp(`${clock(start, 'Asia/Tokyo')} – ${clock(end, 'Asia/Tokyo')}$`),
      );

      // Another booking: lost before it was sent, then changed (notes added): a new key, booked.
      fates.push('unsent');
      await page.locator('#again').click();
      await page.locator('.day:not([disabled])').nth(4).click();
      await page.locator('#times .slot').first().click();
      await page.locator('#submit').click();
      await expect.poll(() => page.locator('#form-error').textContent()).toContain('No connection');
      await page.locator('#f-notes').fill('Knee injury last year.');
      await page.locator('#submit').click();
      await expect.poll(() => page.locator('#done').isVisible()).toBe(true);
      expect(keys).toHaveLength(4);
      expect(new Set(keys).size).toBe(3);
      expect(keys[3]).not.toBe(keys[2]);
      await context.close();
    });

    it(`the browser's Back and Forward move between the times and the form, never out of the page (${width} px)`, async () => {
      const coach = await openTrainer(`Back Button Gym ${width}`);
      const { context, page } = await newVisitor(browser, width);
      const url = `${inject('baseUrl')}/book/${coach.slug}`;
      await page.goto(url);
      const visible = async () =>
        Object.fromEntries(
          await Promise.all(['#pick', '#form', '#done'].map(async (id) => [id, await page.locator(id).isVisible()])),
        );
      const slot = page.locator('#times .slot').nth(1);
      const start = (await slot.getAttribute('data-start')) ?? '';
      await slot.click();
      await page.locator('#f-first_name').fill('Bea');
      await page.goBack();
      await expect.poll(visible).toEqual({ '#pick': true, '#form': false, '#done': false });
      expect(page.url()).toBe(url);
      expect(await page.locator(`#times .slot[data-start="${start}"]`).getAttribute('aria-pressed')).toBe('true');
      // Forward returns to the form as it was; "Change" is Back.
      await page.goForward();
      await expect.poll(visible).toEqual({ '#pick': false, '#form': true, '#done': false });
      expect(await page.locator('#f-first_name').inputValue()).toBe('Bea');
      await page.locator('#change').click();
      await expect.poll(visible).toEqual({ '#pick': true, '#form': false, '#done': false });
      await page.goForward();
      await expect.poll(visible).toEqual({ '#pick': false, '#form': true, '#done': false });
      await page.locator('#f-last_name').fill('Back');
      await page.locator('#f-email').fill(uniqueEmail('bea'));
      await page.locator('#submit').click();
      await expect.poll(visible).toEqual({ '#pick': false, '#form': false, '#done': true });
      // Back from the confirmation shows the times again (the booked one gone), not the form.
      await page.goBack();
      await expect.poll(visible).toEqual({ '#pick': true, '#form': false, '#done': false });
      expect(page.url()).toBe(url);
      await expect.poll(() => page.locator(`#times .slot[data-start="${start}"]`).count()).toBe(0);
      // A second booking after "Book another": one Back from its confirmation shows the times too.
      const second = (await page.locator('#times .slot').first().getAttribute('data-start')) ?? '';
      await page.locator('#times .slot').first().click();
      await page.locator('#submit').click();
      await expect.poll(visible).toEqual({ '#pick': false, '#form': false, '#done': true });
      await page.locator('#again').click();
      // The fresh times, without the one just booked (the same body again would be a replay of it).
      await expect.poll(() => page.locator(`#times .slot[data-start="${second}"]`).count()).toBe(0);
      await page.locator('#times .slot').first().click();
      await page.locator('#submit').click();
      await expect.poll(visible).toEqual({ '#pick': false, '#form': false, '#done': true });
      await page.goBack();
      await expect.poll(visible).toEqual({ '#pick': true, '#form': false, '#done': false });
      expect(page.url()).toBe(url);
      const mine = await call<{ count: number }>('GET', '/api/bookings/', { token: coach.token });
      expect(mine.body.count).toBe(3);
      await context.close();
    });

    it(`embedded: ready once the times show, never after times that failed to load (${width} px)`, async () => {
      const coach = await openTrainer(`Ready Rooms ${width}`);
      const ok = await newVisitor(browser, width);
      await ok.page.goto(embedding(coach.slug));
      await ok.page.frameLocator('.trainerhub-widget iframe').locator('.slot').first().waitFor();
      await expect.poll(() => ok.page.evaluate<string[]>('window.events')).toEqual(['trainerhub:ready']);
      await ok.context.close();

      const failing = await newVisitor(browser, width);
      await failing.context.route(/\/availability\//, (route) =>
        route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }),
      );
      await failing.page.goto(embedding(coach.slug));
      const frame = failing.page.frameLocator('.trainerhub-widget iframe');
      await expect.poll(() => frame.locator('#alert').textContent()).toContain('could not be loaded');
      await expect.poll(() => failing.page.evaluate<string[]>('window.events')).toContain('trainerhub:error');
      await failing.page.waitForTimeout(300);
      expect(await failing.page.evaluate<string[]>('window.events')).toEqual(['trainerhub:error']);
      await failing.context.close();
    });

    it(`the booking and manage pages name their icon: no 404 for /favicon.ico, no CSP refusal (${width} px)`, async () => {
      const coach = await openTrainer(`Icon Gym ${width}`);
      // A browser of its own: one that already asked this origin for an icon may not ask again.
      const fresh = await launchChromium();
      const { context, page } = await newVisitor(fresh, width);
      const problems = watch(page);
      await page.goto(`${inject('baseUrl')}/book/${coach.slug}`);
      const slot = page.locator('.slot').first();
      const start = (await slot.getAttribute('data-start')) ?? '';
      const made = await book(coach.slug, { start_time: start });
      await page.goto(`${inject('baseUrl')}/book/manage/${made.token}`);
      await page.locator('#booking').waitFor();
      // The browser's own request for an icon is not a page request: its 404 shows in the console.
      await page.waitForTimeout(500);
      expect(problems).toEqual([]);
      await context.close();
      await fresh.close();
    });
  }
});
