// The API reference (/api/docs, Scalar's) in a real browser: headless Chromium (the Debian
// `chromium` package) driven by playwright-core against `wrangler dev`, which serves Scalar's
// script as a static asset (wrangler.toml [assets]). At 1280 and 375 px: a group for every tag of
// the OpenAPI document, an operation's request schema, example and curl sample, every request the
// page makes to this origin and answered, and the accessibility script.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, focusRings } from './a11y';
import { hasChromium, launchChromium, noteSkipped } from './chromium';
import { call, ownAddress } from './client';

noteSkipped('test/e2e/docs.e2e.test.ts');

const ARTIFACTS = resolve('test-artifacts');

interface Operation {
  summary: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
}
interface OpenApi {
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, { example?: unknown }>; required?: string[] }> };
}

let browser: Browser;
let doc: OpenApi;

/** What the page asked for, and what went wrong: failed requests, 4xx/5xx answers, console errors (CSP refusals among them). */
function watch(page: Page) {
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { requests, problems };
}

/**
 * axe's findings, less one that Scalar's own markup cannot meet: every response-examples card is
 * a `region` landmark named by its status tabs, so two operations answering the same statuses and
 * descriptions (the bookings list and its /past/ view) make two regions of one name
 * (landmark-unique). Only those cards are let off that one rule; everything in them is checked.
 */
async function axeFindings(page: Page) {
  const findings = await axeViolations(page);
  const isResponseCard = (target: string) =>
    page.locator(target).evaluate((el) => el.matches('.scalar-card[role="region"]'), undefined, { timeout: 2000 });
  const kept = [];
  for (const f of findings) {
    if (f.rule === 'landmark-unique' && (await Promise.all(f.targets.map(isResponseCard))).every(Boolean)) continue;
    kept.push(f);
  }
  return kept;
}

/** Opens /api/docs and waits for Scalar to have rendered the introduction. */
async function open(page: Page) {
  await page.goto(`${inject('baseUrl')}/api/docs`);
  await page.getByRole('heading', { name: 'TrainerHub API', level: 1 }).waitFor();
}

/** The sidebar's navigation (behind "Open Menu" on a narrow screen). */
async function sidebar(page: Page, width: number) {
  if (width < 1000) await page.getByRole('button', { name: 'Open Menu' }).click();
  return page.getByRole('complementary', { name: 'Sidebar for TrainerHub API' });
}

const create = () => doc.paths['/api/bookings']?.post as Operation;

/** Opens the booking create from the sidebar; answers its section of the page. */
async function openBookingCreate(page: Page, width: number) {
  const nav = await sidebar(page, width);
  await nav.getByRole('button', { name: 'Open Group - bookings' }).click();
  await nav.getByText(create().summary, { exact: true }).click();
  const section = page.locator('[id="api-1/tag/bookings/POST/api/bookings"]');
  await section.getByRole('heading', { name: create().summary }).waitFor();
  return section;
}

describe.skipIf(!hasChromium)('the API reference in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    const answer = await call<OpenApi>('GET', '/api/openapi.json');
    expect(answer.status).toBe(200);
    doc = answer.body;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("serves Scalar's script as a static asset of this origin, cached for a year under its versioned name", async () => {
    const page = await fetch(`${inject('baseUrl')}/api/docs`);
    const src = /<script src="(\/api\/docs\/scalar-[\d.]+\.js)">/.exec(await page.text())?.[1];
    expect(src).toBeDefined();
    const asset = await fetch(`${inject('baseUrl')}${src}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await asset.text()).length).toBeGreaterThan(1_000_000);
  });

  it('serves the OpenAPI document as a static asset built at deploy time: JSON, readable from any origin, revalidated', async () => {
    const res = await fetch(`${inject('baseUrl')}/api/openapi.json`, { headers: { Origin: 'https://tools.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${inject('baseUrl')}/api/openapi.json`, { headers: { 'If-None-Match': etag ?? '' } });
    expect(again.status).toBe(304);
    const body = (await res.json()) as OpenApi;
    expect(body).toEqual(doc);
    expect(Object.keys(body.paths).length).toBeGreaterThan(100);
    // with a trailing slash, as every path: a redirect to it
    const slash = await fetch(`${inject('baseUrl')}/api/openapi.json/`, { redirect: 'manual' });
    expect(slash.status).toBe(308);
    expect(new URL(slash.headers.get('location') ?? '', inject('baseUrl')).pathname).toBe('/api/openapi.json');
  });

  it('"Test Request" sends the operation to this origin with the bearer token pasted into the page', async () => {
    const email = `docs-${Date.now().toString(36)}@example.com`;
    const password = 'a-long-password-1';
    const reg = await call<{ token: string }>('POST', '/api/users/register/', {
      body: { email, password, password_confirm: password, business_name: 'Docs Coach', timezone: 'Europe/Berlin' },
      headers: ownAddress(),
    });
    expect(reg.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    const { requests, problems } = watch(page);
    await open(page);
    // The introduction's authentication box: the Bearer scheme is preselected.
    await page.getByPlaceholder('Token').first().fill(reg.body.token);
    const nav = await sidebar(page, 1280);
    const profile = doc.paths['/api/users/profile']?.get as Operation;
    await nav.getByText(profile.summary, { exact: true }).click();
    const section = page.locator('[id="api-1/tag/users/GET/api/users/profile"]');
    await section.getByRole('button', { name: /Test Request/ }).click();
    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/users/profile');
    await page.getByRole('button', { name: /^Send Request/ }).click();
    const request = await sent;
    expect(new URL(request.url()).origin).toBe(new URL(inject('baseUrl')).origin);
    expect(request.headers().authorization).toBe(`Bearer ${reg.body.token}`);
    expect((await request.response())?.status()).toBe(200);
    // The answer is shown in the client: the signed-in user.
    await page.getByRole('dialog').getByText(email).first().waitFor({ timeout: 10_000 });
    expect(requests.filter((u) => new URL(u).origin !== new URL(inject('baseUrl')).origin)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  for (const width of [1280, 375]) {
    it(`at ${width} px: a group per tag, the booking create's schema, example and curl, nothing from another origin`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-GB' });
      const page = await context.newPage();
      const { requests, problems } = watch(page);
      await open(page);

      // Every tag the operations use is a declared tag, and every declared tag is a group.
      const used = new Set(
        Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])),
      );
      const tags = doc.tags.map((t) => t.name);
      expect([...used].filter((t) => !tags.includes(t))).toEqual([]);
      const nav = await sidebar(page, width);
      for (const tag of tags) {
        await expect(
          nav.getByRole('button', { name: new RegExp(`^(Open|Close) Group - ${tag}$`) }).count(),
          tag,
        ).resolves.toBe(1);
      }
      // No way out to Scalar's hosted client (it would be handed the document's address).
      expect(await page.getByRole('link', { name: /Open API Client/ }).count()).toBe(0);
      if (width < 1000) await page.keyboard.press('Escape');

      // The booking create: its body's fields with their types, and a curl sample built from the
      // document's examples (the shell's curl is the default code sample).
      await page.goto(`${inject('baseUrl')}/api/docs`);
      await page.getByRole('heading', { name: 'TrainerHub API', level: 1 }).waitFor();
      const section = await openBookingCreate(page, width);
      const schema = doc.components.schemas.BookingCreate;
      expect(schema?.required).toContain('client');
      for (const field of ['client', 'start_time', 'service', 'allow_outside_availability']) {
        await expect(section.getByText(field, { exact: true }).first().isVisible(), field).resolves.toBe(true);
      }
      const example = String(schema?.properties.start_time?.example);
      expect(example).toMatch(/^\d{4}-\d\d-\d\dT/);
      const sample = section
        .locator('pre, code')
        .filter({ hasText: /^curl / })
        .first();
      await sample.scrollIntoViewIfNeeded();
      expect(await sample.isVisible()).toBe(true);
      const curl = (await sample.textContent()) ?? '';
      expect(curl).toContain(`${inject('baseUrl').replace(/\/$/, '')}/api/bookings`);
      expect(curl).toContain('Authorization: Bearer');
      expect(curl).toContain(`"start_time": "${example}"`);
      await page.screenshot({ path: resolve(ARTIFACTS, `docs-booking-create-${width}.png`) });

      // Only this origin, and everything answered: the page, Scalar's script (a static asset),
      // its icon and the document; nothing failed, no CSP refusal.
      const origin = new URL(inject('baseUrl')).origin;
      expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
      const paths = [
        ...new Set(requests.map((u) => new URL(u).pathname.replace(/scalar-[\d.]+\.js$/, 'scalar-<version>.js'))),
      ];
      expect(paths.sort()).toEqual([
        '/api/docs',
        '/api/docs/icon.svg',
        '/api/docs/scalar-<version>.js',
        '/api/openapi.json',
      ]);
      expect(problems).toEqual([]);
      await context.close();
    });

    it(`at ${width} px: passes the accessibility script (text contrast, labels, headings, lang, focus rings)`, async () => {
      // axe is injected as an inline script, which the page's CSP (scripts from this origin only)
      // refuses: this context bypasses the CSP; the test above holds the page to it.
      const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-GB', bypassCSP: true });
      const page = await context.newPage();
      await open(page);
      expect(await axeFindings(page)).toEqual([]);
      const rings = await focusRings(page, 80);
      expect(rings.length).toBeGreaterThan(5);
      expect(rings.filter((r) => r.ratio < 3)).toEqual([]);
      // An operation open: its parameters, body, code sample and responses.
      await openBookingCreate(page, width);
      expect(await axeFindings(page)).toEqual([]);
      await page.screenshot({ path: resolve(ARTIFACTS, `docs-${width}.png`) });
      await context.close();
    });
  }
});
