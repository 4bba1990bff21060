// Group classes on the booking page, in headless Chromium against `wrangler dev`: the class
// sessions the public availability lists show beside the private times ("Bootcamp · 5 places
// left", "Join the waitlist", "full"), and choosing one posts `class_session` (and `waitlist`).
// Class sessions and their places are written with SQL into the dev server's local D1 (the
// seats already held); the places the page asks for are booked by the server for real.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call, ownAddress } from './client';
import { localSql } from './server';

noteSkipped('test/e2e/classes.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');
const TZ = 'Europe/Berlin';
let browser: Browser;

/** Statements run on the dev server's local D1. */
const sql = (statements: string[]) => localSql(inject('stateDir'), statements);

/** The local date in Berlin `days` from now. */
const berlinDate = (days: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    Date.now() + days * 86_400_000,
  );

/** A Berlin trainer open 06:00–22:00 every day, with a "Bootcamp" class service (capacity set with SQL). */
async function classTrainer() {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const reg = await call<{ token: string; user: { trainer: { slug: string } } }>('POST', '/api/users/register/', {
    headers: ownAddress(),
    body: {
      email: `classes-${tag}@example.com`,
      password: 'a-long-password-1',
      password_confirm: 'a-long-password-1',
      business_name: 'Group Gym',
      timezone: TZ,
    },
  });
  expect(reg.status).toBe(201);
  const token = reg.body.token;
  for (let day = 0; day < 7; day++) {
    const res = await call('POST', '/api/availability-slots/', {
      token,
      body: { day_of_week: day, start_time: '06:00', end_time: '22:00' },
    });
    expect(res.status).toBe(201);
  }
  const service = await call<{ id: number }>('POST', '/api/services/', {
    token,
    body: { name: 'Bootcamp', duration_minutes: 60 },
  });
  expect(service.status).toBe(201);
  return { token, slug: reg.body.user.trainer.slug, bootcamp: service.body.id };
}

/** A class session at `start` (UTC) with `capacity` seats and `held` confirmed places, each its own client. */
function classWithPlaces(slug: string, serviceId: number, start: string, capacity: number, held: number): string[] {
  const end = new Date(Date.parse(start) + 3_600_000).toISOString();
  const trainer = `(SELECT id FROM trainers WHERE slug = '${slug}')`;
  const session = `(SELECT id FROM class_sessions WHERE trainer_id = ${trainer} AND start_time = '${start}')`;
  const out = [
    `INSERT INTO class_sessions (trainer_id, service_id, start_time, end_time, occupied_start, occupied_end, capacity)
     VALUES (${trainer}, ${serviceId}, '${start}', '${end}', '${start}', '${end}', ${capacity})`,
  ];
  for (let i = 0; i < held; i++) {
    const email = `place-${i}-${start.replace(/\W/g, '')}-${slug}@example.com`;
    out.push(
      `INSERT INTO clients (trainer_id, email, first_name, last_name) VALUES (${trainer}, '${email}', 'Pat', 'Place')`,
      `INSERT INTO bookings (trainer_id, client_id, service_id, class_session_id, start_time, end_time, occupied_start,
         occupied_end, status, source)
       VALUES (${trainer}, (SELECT id FROM clients WHERE trainer_id = ${trainer} AND email = '${email}'), ${serviceId},
         ${session}, '${start}', '${end}', '${start}', '${end}', 'confirmed', 'public')`,
    );
  }
  return out;
}

const labels = (page: Page) => page.locator('#times .class-offer .class-label').allTextContents();

describe.skipIf(!hasChromium)('group classes on the booking page', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('class buttons beside the private times; a class posts class_session, a full one joins the waitlist (375 and 1280 px)', async () => {
    const coach = await classTrainer();
    // Day A has no open hours (only classes); day B is open and has a full class still taking a waitlist.
    const dayA = berlinDate(3);
    const dayB = berlinDate(8);
    const closed = await call('POST', '/api/availability-overrides/', {
      token: coach.token,
      body: { date: dayA, windows: [] },
    });
    expect(closed.status).toBe(201);
    sql([
      `UPDATE services SET capacity = 12 WHERE id = ${coach.bootcamp}`,
      // The waitlist closes 5 days before a class: open on day B, closed on day A.
      `UPDATE trainers SET waitlist_cutoff_hours = 120 WHERE slug = '${coach.slug}'`,
      ...classWithPlaces(coach.slug, coach.bootcamp, `${dayA}T17:00:00.000Z`, 8, 3),
      ...classWithPlaces(coach.slug, coach.bootcamp, `${dayA}T18:00:00.000Z`, 2, 1),
      ...classWithPlaces(coach.slug, coach.bootcamp, `${dayA}T19:00:00.000Z`, 1, 1),
      ...classWithPlaces(coach.slug, coach.bootcamp, `${dayB}T17:00:00.000Z`, 2, 2),
    ]);
    const listed = await call<{ days: { date: string; classes: { class_session: number }[] }[] }>(
      'GET',
      `/api/public/trainers/${coach.slug}/availability/?_=${Date.now()}`,
    );
    const idsOn = (date: string) =>
      listed.body.days.find((d) => d.date === date)?.classes.map((c) => c.class_session) ?? [];
    expect(idsOn(dayA)).toHaveLength(3);
    expect(idsOn(dayB)).toHaveLength(1);

    for (const [round, width] of [375, 1280].entries()) {
      // Each round books a place of the first class and joins the full one's waitlist for real.
      const left = 5 - round;
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        locale: 'en-GB',
        timezoneId: TZ,
        extraHTTPHeaders: { 'CF-Connecting-IP': `203.0.113.${(Date.now() + width) % 250}` },
      });
      const page = await context.newPage();
      const posted: Record<string, unknown>[] = [];
      // The real server answers; the test keeps what the page sent.
      page.on('request', (req) => {
        if (req.method() === 'POST' && /\/api\/public\/trainers\/[^/]+\/bookings\/$/.test(req.url()))
          posted.push(req.postDataJSON() as Record<string, unknown>);
      });
      await page.goto(`${inject('baseUrl')}/book/${coach.slug}`);
      await page.locator('.day:not([disabled])').first().waitFor();

      // A day with only classes can be chosen; its button counts them.
      const buttonA = page.locator(`.day[data-date="${dayA}"]`);
      expect(await buttonA.isDisabled()).toBe(false);
      expect(await buttonA.locator('small').textContent()).toBe('3 classes');
      await buttonA.click();
      expect(await labels(page)).toEqual([
        `Bootcamp · ${left} places left`,
        'Bootcamp · 1 place left',
        'Bootcamp · full',
      ]);
      expect(await page.locator('#times .class-offer .class-time').allTextContents()).toEqual([
        '18:00',
        '19:00',
        '20:00',
      ]);
      expect(await page.locator('#times .slot').count()).toBe(0);
      // Full with the waitlist closed: nothing to click.
      expect(await page.locator('#times .class-offer').nth(2).isDisabled()).toBe(true);
      expect(await page.locator('#times .class-offer').nth(0).getAttribute('data-class-session')).toBe(
        String(idsOn(dayA)[0]),
      );
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      await page.screenshot({ path: resolve(ARTIFACTS, `classes-${width}.png`), fullPage: true });

      // A place: the same form, the class named above it; the body names the class session, no service.
      await page.getByRole('button', { name: new RegExp(`Bootcamp · ${left} places left`) }).click();
      expect(await page.locator('#chosen-service').textContent()).toBe('Bootcamp');
      expect(await page.locator('#submit').textContent()).toBe('Confirm booking');
      await page.locator('#f-first_name').fill('Cleo');
      await page.locator('#f-last_name').fill('Class');
      await page.locator('#f-email').fill(`cleo-${width}@example.com`);
      await page.locator('#submit').click();
      await expect.poll(() => page.locator('#done').isVisible()).toBe(true);
      expect(posted[0]).toMatchObject({ class_session: idsOn(dayA)[0] });
      // The class's time applies: the API refuses a start_time beside class_session.
      expect(posted[0]).not.toHaveProperty('start_time');
      expect(posted[0]).not.toHaveProperty('service');
      expect(posted[0]).not.toHaveProperty('waitlist');
      expect(await page.locator('#done-h').textContent()).toBe('Booking requested');
      expect(await page.locator('#done-ics').isVisible()).toBe(true);

      // A full class still taking names, with the keyboard: the class button is the times' tab stop.
      await page.locator('#again').click();
      await page.locator(`.day[data-date="${dayB}"]`).click();
      expect(await labels(page)).toEqual(['Bootcamp · Join the waitlist']);
      expect(await page.locator(`.day[data-date="${dayB}"] small`).allTextContents()).toEqual([
        expect.stringMatching(/^\d+ times$/),
        '1 class',
      ]);
      // Its name is the words shown, lines apart (label in name).
      const named = page.getByRole('button', { name: /^\w{3} \d{1,2} \w{3} \d+ times 1 class$/ });
      expect(await page.locator(`.day[data-date="${dayB}"]`).and(named).count()).toBe(1);
      expect(await page.locator('#times .slot').count()).toBeGreaterThan(0);
      await page.locator(`.day[data-date="${dayB}"]`).focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.className')).toBe('class-offer');
      await page.keyboard.press('Enter');
      expect(await page.locator('#submit').textContent()).toBe('Join the waitlist');
      await page.locator('#submit').click();
      await expect.poll(() => page.locator('#done').isVisible()).toBe(true);
      expect(posted[1]).toMatchObject({ class_session: idsOn(dayB)[0], waitlist: true });
      expect(posted[1]).not.toHaveProperty('service');
      expect(await page.locator('#done-h').textContent()).toBe(`You're on the waitlist (position ${round + 1})`);
      expect(await page.locator('#done-ics').isVisible()).toBe(false);
      await page.screenshot({ path: resolve(ARTIFACTS, `classes-waitlist-${width}.png`), fullPage: true });
      await context.close();
    }
  });
});
