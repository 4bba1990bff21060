// What the booking-page and manage-page browser tests set up through the API: a trainer open every
// day, a visitor's own browser context, public bookings, and times as the pages write them.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { call, ownAddress } from './client';

export const TZ = 'Europe/Berlin';

/** A trainer open every day 06:00–22:00 in `timezone`; its token and public slug. */
export async function openTrainer(name: string, timezone = TZ): Promise<{ token: string; slug: string }> {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const reg = await call<{ token: string; user: { trainer: { slug: string } } }>('POST', '/api/users/register/', {
    headers: ownAddress(),
    body: {
      email: `pages-${tag}@example.com`,
      password: 'a-long-password-1',
      password_confirm: 'a-long-password-1',
      business_name: name,
      timezone,
    },
  });
  expect(reg.status).toBe(201);
  for (let day = 0; day < 7; day++) {
    const res = await call('POST', '/api/availability-slots/', {
      token: reg.body.token,
      body: { day_of_week: day, start_time: '06:00', end_time: '22:00' },
    });
    expect(res.status).toBe(201);
  }
  return { token: reg.body.token, slug: reg.body.user.trainer.slug };
}

export const uniqueEmail = (who: string) =>
  `${who}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;

/** The free starts the public availability offers (of `service` when named), fresh. */
export async function offered(slug: string, service?: number): Promise<string[]> {
  const query = `${service ? `service=${service}&` : ''}_=${Math.random()}`;
  const res = await call<{ days: { slots: { start_time: string }[] }[] }>(
    'GET',
    `/api/public/trainers/${slug}/availability/?${query}`,
    { headers: ownAddress() },
  );
  expect(res.status).toBe(200);
  return res.body.days.flatMap((d) => d.slots.map((s) => s.start_time));
}

/** A public booking made through the API; its manage token and answer. */
export async function book(slug: string, body: Record<string, unknown>) {
  const res = await call<{ manage_url: string; status: string; start_time: string; end_time: string }>(
    'POST',
    `/api/public/trainers/${slug}/bookings/`,
    { headers: ownAddress(), body: { first_name: 'Pat', last_name: 'Page', email: uniqueEmail('pat'), ...body } },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...res.body, token: res.body.manage_url.split('/').pop() ?? '' };
}

let visitors = 0;
/** A visitor in New York (en-GB), with an address of its own for the public API's per-address limits. */
export async function newVisitor(
  browser: Browser,
  width: number,
  options: { bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  visitors += 1;
  const context = await browser.newContext({
    viewport: { width, height: 800 },
    locale: 'en-GB',
    timezoneId: 'America/New_York',
    extraHTTPHeaders: { 'CF-Connecting-IP': `203.0.113.${(Date.now() + visitors) % 250}` },
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  return { context, page, requests };
}

/** A clock time as the pages write it (the visitor's locale, en-GB: a 24-hour clock, two-digit hours) in `zone`. */
export const clock = (iso: string, zone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

/** The id of the focused element ('' for none or the body). */
export const focusedId = (page: Page) =>
  page.evaluate<string>(
    'document.activeElement && document.activeElement !== document.body ? document.activeElement.id : ""',
  );

/** Whether the element is wholly inside the viewport. */
export const inView = (page: Page, selector: string) =>
  page.evaluate<boolean>(`(() => {
    const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  })()`);
