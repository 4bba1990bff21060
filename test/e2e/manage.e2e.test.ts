// The manage page (/book/manage/{token}) in headless Chromium against `wrangler dev`: moving a
// booking of a service other than the default among its own times (also once the service is
// private), in the zone the client booked in; where focus goes
// when a move fails or succeeds; a cancel whose cost grew since the page opened; and a waitlisted
// place leaving the waitlist. At 375 and 1280 px.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations } from './a11y';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call } from './client';
import { book, clock, focusedId, inView, newVisitor, offered, openTrainer } from './trainer';

noteSkipped('test/e2e/manage.e2e.test.ts');

const DAY = 86_400_000;
let browser: Browser;

describe.skipIf(!hasChromium)('the manage page in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const width of [375, 1280]) {
    it(`moves a 90-minute booking among its own service's times, shown in the zone it was booked in (${width} px)`, async () => {
      const coach = await openTrainer(`Long Lifts ${width}`);
      const long = await call<{ id: number }>('POST', '/api/services/', {
        token: coach.token,
        body: { name: 'Long session', duration_minutes: 90 },
      });
      expect(long.status).toBe(201);
      const first = await offered(coach.slug, long.body.id);
      const start = first.find((t) => Date.parse(t) > Date.now() + 3 * DAY) ?? '';
      // Booked in a zone the page's zone choices do not list by themselves.
      const made = await book(coach.slug, { start_time: start, service: long.body.id, timezone: 'Asia/Singapore' });

      const { context, page, requests } = await newVisitor(browser, width);
      await page.goto(`${inject('baseUrl')}/book/manage/${made.token}`);
      await page.locator('#booking').waitFor();
      await page.getByRole('button', { name: 'Reschedule' }).click();
      await page.locator('#days .day:not([disabled])').first().waitFor();
      // The booking's own times: its manage link's availability (its length and buffers as booked).
      expect(requests.filter((r) => r.includes('/availability/')).at(-1)).toContain(
        `/api/public/bookings/${made.token}/availability/`,
      );
      // "Show times in" shows the zone the times are drawn in.
      expect(await page.locator('#tz').inputValue()).toBe('Asia/Singapore');
      expect(await page.locator('#tz option:checked').textContent()).toBe('Asia/Singapore');

      await page.locator('#days .day:not([disabled])').nth(5).click();
      const shown = await page.locator('#times .slot').evaluateAll((b) => b.map((e) => e.getAttribute('data-start')));
      const own = await call<{ days: { slots: { start_time: string }[] }[] }>(
        'GET',
        `/api/public/bookings/${made.token}/availability/`,
      );
      const fresh = own.body.days.flatMap((d) => d.slots.map((x) => x.start_time));
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.filter((t) => !fresh.includes(t ?? ''))).toEqual([]);
      // The default (60-minute) service offers starts the 90-minute one cannot: they are not shown.
      const defaults = await offered(coach.slug);
      expect(defaults.some((t) => !fresh.includes(t))).toBe(true);

      // The last time of the day, whose 90 minutes still end by the close.
      const last = page.locator('#times .slot').last();
      const chosen = (await last.getAttribute('data-start')) ?? '';
      expect(await last.textContent()).toBe(clock(chosen, 'Asia/Singapore'));
      await last.click();
      const end = new Date(Date.parse(chosen) + 90 * 60_000).toISOString();
      // An end past midnight names its day ("23:30 – Thu 01:00").
      const inSingapore = (iso: string, o: Intl.DateTimeFormatOptions) =>
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Singapore', ...o }).format(new Date(iso));
      const endDay =
        inSingapore(end, { day: 'numeric' }) === inSingapore(chosen, { day: 'numeric' })
          ? ''
          : `${inSingapore(end, { weekday: 'short' })} `;
      expect(await page.locator('#chosen').textContent()).toMatch(
        new RegExp(`– ${endDay}${clock(end, 'Asia/Singapore')}$`),
      );
      await page.getByRole('button', { name: 'Move my booking to this time' }).click();
      await expect.poll(() => page.locator('#status').textContent()).toContain('Your booking is moved to');
      const after = await call<{ start_time: string; end_time: string }>('GET', `/api/public/bookings/${made.token}/`);
      expect(after.body).toMatchObject({ start_time: chosen, end_time: end });

      // A service taken off the booking page: its bookings still move, among their own times.
      const hidden = await call('PATCH', `/api/services/${long.body.id}/`, {
        token: coach.token,
        body: { is_public: false },
      });
      expect(hidden.status).toBe(200);
      await page.reload();
      await page.getByRole('button', { name: 'Reschedule' }).click();
      await page.locator('#days .day:not([disabled])').first().waitFor();
      expect(await page.locator('#times .slot').count()).toBeGreaterThan(0);
      await context.close();
    });

    it(`a move that fails and one that succeeds each take focus to what says so, in view (${width} px)`, async () => {
      const coach = await openTrainer(`Focus Fitness ${width}`);
      const start = (await offered(coach.slug)).find((t) => Date.parse(t) > Date.now() + 3 * DAY) ?? '';
      const made = await book(coach.slug, { start_time: start });
      // The accessibility script needs a context without the page's CSP.
      const { context, page } = await newVisitor(browser, width, { bypassCSP: true });
      await page.goto(`${inject('baseUrl')}/book/manage/${made.token}`);
      await page.locator('#booking').waitFor();
      await page.getByRole('button', { name: 'Reschedule' }).click();
      await page.locator('#days .day:not([disabled])').nth(5).click();
      const slot = page.locator('#times .slot').nth(2);
      const taken = (await slot.getAttribute('data-start')) ?? '';
      await slot.click();
      // Someone else takes that time first.
      await book(coach.slug, { start_time: taken });
      await page.getByRole('button', { name: 'Move my booking to this time' }).click();
      await expect.poll(() => focusedId(page)).toBe('move-alert');
      expect(await page.locator('#move-alert').textContent()).toBe(
        'This time was just taken. Please choose another time.',
      );
      expect(await inView(page, '#move-alert')).toBe(true);
      expect(await page.locator(`#times .slot[data-start="${taken}"]`).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);

      await page.locator('#days .day:not([disabled])').nth(5).click();
      await page.locator('#times .slot').nth(3).click();
      expect(await page.locator('#move-alert').isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Move my booking to this time' }).click();
      await expect.poll(() => focusedId(page)).toBe('status');
      expect(await page.locator('#status').textContent()).toContain('Your booking is moved to');
      expect(await inView(page, '#status')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    });

    it(`times refused after the page opened are explained beside them, focused, with nothing to pick (${width} px)`, async () => {
      const coach = await openTrainer(`Rule Change ${width}`);
      const start = (await offered(coach.slug)).find((t) => Date.parse(t) > Date.now() + 3 * DAY) ?? '';
      const made = await book(coach.slug, { start_time: start });
      const { context, page } = await newVisitor(browser, width);
      await page.goto(`${inject('baseUrl')}/book/manage/${made.token}`);
      await page.locator('#booking').waitFor();
      // The trainer turns online moves off while the client has the page open.
      const off = await call('PATCH', '/api/users/profile/', {
        token: coach.token,
        body: { allow_client_reschedule: false },
      });
      expect(off.status).toBe(200);
      await page.getByRole('button', { name: 'Reschedule' }).click();
      await expect.poll(() => focusedId(page)).toBe('move-alert');
      expect(await page.locator('#move-alert').textContent()).toBe(
        'Your trainer does not allow rescheduling online; please contact them.',
      );
      expect(await inView(page, '#move-alert')).toBe(true);
      expect(await page.locator('#alert').isVisible()).toBe(false);
      expect(await page.locator('#pick').isVisible()).toBe(false);
      await context.close();
    });

    it(`a cancel that came to cost more since the page opened is refused and explained; a stale tab shows the booking as it is (${width} px)`, async () => {
      const coach = await openTrainer(`Fair Terms ${width}`);
      const start = (await offered(coach.slug)).find((t) => Date.parse(t) > Date.now() + 3 * DAY) ?? '';
      const made = await book(coach.slug, { start_time: start });
      const { context, page } = await newVisitor(browser, width);
      await page.goto(`${inject('baseUrl')}/book/manage/${made.token}`);
      await page.locator('#booking').waitFor();
      await page.getByRole('button', { name: 'Cancel booking…' }).click();
      expect(await page.locator('#cancel-note').textContent()).toMatch(/^This is not a late cancellation/);
      // While the page is open, the trainer's late window grows to a week: cancelling is late now.
      const week = await call('PATCH', '/api/users/profile/', { token: coach.token, body: { late_cancel_hours: 168 } });
      expect(week.status).toBe(200);
      await page.getByRole('button', { name: 'Yes, cancel booking' }).click();
      await expect.poll(() => page.locator('#alert').textContent()).toMatch(/^Your booking changed since this page/);
      expect(await page.locator('#cancel-note').textContent()).toMatch(/^This is a late cancellation/);
      const kept = await call<{ status: string }>('GET', `/api/public/bookings/${made.token}/`);
      expect(kept.body.status).not.toBe('cancelled');
      await page.getByRole('button', { name: 'Yes, cancel booking' }).click();
      await expect.poll(() => page.locator('#b-status').textContent()).toBe('Cancelled');
      expect(await page.locator('#status').textContent()).toBe(
        'Your booking is cancelled. It counts as a late cancellation.',
      );

      // A second booking, cancelled in another tab while this one shows it as it was (a day's
      // window again, so it can be moved online).
      await call('PATCH', '/api/users/profile/', { token: coach.token, body: { late_cancel_hours: 24 } });
      const later = (await offered(coach.slug)).find((t) => Date.parse(t) > Date.parse(start)) ?? '';
      const other = await book(coach.slug, { start_time: later });
      await page.goto(`${inject('baseUrl')}/book/manage/${other.token}`);
      await page.locator('#booking').waitFor();
      const elsewhere = await call('POST', `/api/public/bookings/${other.token}/cancel/`, { body: {} });
      expect(elsewhere.status).toBe(200);
      await page.getByRole('button', { name: 'Reschedule' }).click();
      await expect.poll(() => page.locator('#b-status').textContent()).toBe('Cancelled');
      expect(await page.locator('#move-alert').textContent()).toContain('cancelled');
      expect(await page.getByRole('button', { name: 'Cancel booking…' }).isVisible()).toBe(false);
      await context.close();
    });

    it(`days page by two weeks up to the trainer's horizon; a booking far ahead moves among the days around it (${width} px)`, async () => {
      const coach = await openTrainer(`Far Ahead ${width}`);
      const horizon = await call('PATCH', '/api/users/profile/', {
        token: coach.token,
        body: { booking_horizon_days: 40 },
      });
      expect(horizon.status).toBe(200);
      const { context, page } = await newVisitor(browser, width);
      await page.goto(`${inject('baseUrl')}/book/${coach.slug}`);
      await page.locator('#days .day').first().waitFor();
      const firstDates = async () => page.locator('#days .day').first().getAttribute('data-date');
      const today = await firstDates();
      expect(await page.locator('#days-earlier').isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Later days →' }).click();
      await expect.poll(firstDates).not.toBe(today);
      expect(await page.locator('#days-earlier').isDisabled()).toBe(false);
      const second = await firstDates();
      await page.getByRole('button', { name: 'Later days →' }).click();
      await expect.poll(firstDates).not.toBe(second);
      await page.getByRole('button', { name: 'Later days →' }).click();
      // Past 40 days: the API refuses, the days stay, the page says why and offers no later days.
      await expect.poll(() => page.locator('#status').textContent()).toMatch(/at most 40 days ahead/);
      expect(await page.locator('#days-later').isDisabled()).toBe(true);
      expect(await page.locator('#days .day:not([disabled])').count()).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) {
        if (await page.locator('#days-earlier').isDisabled()) break;
        await page.getByRole('button', { name: '← Earlier days' }).click();
        await page.waitForTimeout(300);
      }
      await expect.poll(firstDates).toBe(today);
      expect(await page.locator('#days-earlier').isDisabled()).toBe(true);

      // A booking 30 days ahead: its reschedule opens on the days around it, not on today's two weeks.
      const day30 = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);
      const far = await call<{ days: { slots: { start_time: string }[] }[] }>(
        'GET',
        `/api/public/trainers/${coach.slug}/availability/?from=${day30}&to=${day30}`,
      );
      const start = far.body.days[0]?.slots[2]?.start_time ?? '';
      const made = await book(coach.slug, { start_time: start });
      await page.goto(`${inject('baseUrl')}/book/manage/${made.token}`);
      await page.getByRole('button', { name: 'Reschedule' }).click();
      await page.locator('#days .day:not([disabled])').first().waitFor();
      const dates = await page.locator('#days .day').evaluateAll((b) => b.map((e) => e.getAttribute('data-date')));
      expect(dates).toContain(day30);
      expect(dates).not.toContain(today);
      await context.close();
    });

    it(`a waitlisted place: its position, no calendar file, and "Leave the waitlist" (${width} px)`, async () => {
      const coach = await openTrainer(`Queue Club ${width}`);
      const circuit = await call<{ id: number }>('POST', '/api/services/', {
        token: coach.token,
        body: { name: 'Circuit', duration_minutes: 60, capacity: 2 },
      });
      expect(circuit.status).toBe(201);
      const start = (await offered(coach.slug)).find((t) => Date.parse(t) > Date.now() + 3 * DAY) ?? '';
      const made = await call<{ occurrences: { class_session: number }[] }>('POST', '/api/class-sessions/', {
        token: coach.token,
        body: { service: circuit.body.id, start_time: start },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const classSession = made.body.occurrences[0]?.class_session;
      await book(coach.slug, { class_session: classSession });
      await book(coach.slug, { class_session: classSession });
      const waiting = await book(coach.slug, { class_session: classSession, waitlist: true });
      expect(waiting.status).toBe('waitlisted');

      const { context, page } = await newVisitor(browser, width);
      await page.goto(`${inject('baseUrl')}/book/manage/${waiting.token}`);
      await page.locator('#booking').waitFor();
      expect(await page.locator('#b-status').textContent()).toBe('On the waitlist (position 1)');
      expect(await page.locator('#b-policy').textContent()).toBe('You will get an email if a place opens up.');
      expect(await page.getByRole('link', { name: 'Add to calendar (.ics)' }).isVisible()).toBe(false);
      expect(await page.getByRole('button', { name: 'Reschedule' }).isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Leave the waitlist…' }).click();
      expect(await page.locator('#cancel-h').textContent()).toBe('Leave the waitlist?');
      expect(await page.locator('#cancel-note').textContent()).toBe(
        'You have no place in this class yet, so leaving the waitlist costs nothing.',
      );
      await page.getByRole('button', { name: 'Yes, leave the waitlist' }).click();
      await expect.poll(() => page.locator('#b-status').textContent()).toBe('Cancelled');
      expect(await page.locator('#status').textContent()).toBe('You have left the waitlist.');
      const left = await call<{ status: string; late_cancellation: boolean }>(
        'GET',
        `/api/public/bookings/${waiting.token}/`,
      );
      expect(left.body).toMatchObject({ status: 'cancelled', late_cancellation: false });
      await context.close();
    });
  }
});
