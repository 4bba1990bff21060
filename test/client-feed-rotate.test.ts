// A client's calendar feed address can be rotated by their trainer, so a leaked one is revoked:
// POST /api/clients/{id}/calendar-feed/rotate/ answers the new address, the old one is 404 at
// once, the manage page links the new one; another trainer's client is 404 and nothing changes.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { manageToken } from '../src/lib/tokens';
import { api, at, book, futureDay, openapiDocument, type ProblemBody, setupTrainer } from './helpers';

type Urls = { url: string; webcal_url: string };
type Managed = { calendar_feed_url: string; calendar_feed_webcal_url: string };

const feedStatus = async (url: string) => {
  const res = await exports.default.fetch(new Request(`http://example.com${new URL(url).pathname}`));
  await res.arrayBuffer();
  return res.status;
};

/** The manage token of a booking, as its messages carry it (derived from the link's salt). */
async function manageTokenOf(bookingId: number): Promise<string> {
  const row = await env.DB.prepare('SELECT salt FROM booking_links WHERE booking_id = ?')
    .bind(bookingId)
    .first<{ salt: string }>();
  return manageToken(env.JWT_SECRET ?? '', row?.salt ?? '');
}

const generationOf = async (clientId: number) =>
  (
    await env.DB.prepare('SELECT calendar_feed_generation AS g FROM clients WHERE id = ?')
      .bind(clientId)
      .first<{ g: number }>()
  )?.g;

const rotate = (token: string | undefined, clientId: number) =>
  api<Urls & ProblemBody>('POST', `/api/clients/${clientId}/calendar-feed/rotate/`, { token });

describe("rotating a client's calendar feed address", () => {
  it('answers the new address; the old one is 404 at once, the new one 200, and the manage page links it', async () => {
    const t = await setupTrainer();
    const booking = await book(t.token, { client: t.client.id, start_time: at(futureDay(3).date, '10:00') });
    expect(booking.status).toBe(201);
    const manage = `/api/public/bookings/${await manageTokenOf(booking.body.id)}`;
    const before = (await api<Managed>('GET', manage)).body;
    expect(before.calendar_feed_url).toMatch(/\/api\/calendar\/feed\/c\d+\.[A-Za-z0-9_-]{43}\.ics$/);
    expect(await feedStatus(before.calendar_feed_url)).toBe(200);

    const rotated = await rotate(t.token, t.client.id);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual(['url', 'webcal_url']);
    expect(rotated.body.url).toMatch(new RegExp(`/api/calendar/feed/c${t.client.id}\\.[A-Za-z0-9_-]{43}\\.ics$`));
    expect(rotated.body.url).not.toBe(before.calendar_feed_url);
    expect(rotated.body.webcal_url).toBe(rotated.body.url.replace(/^https?:\/\//, 'webcal://'));

    expect(await feedStatus(before.calendar_feed_url)).toBe(404);
    expect(await feedStatus(rotated.body.url)).toBe(200);
    const after = (await api<Managed>('GET', manage)).body;
    expect(after.calendar_feed_url).toBe(rotated.body.url);
    expect(after.calendar_feed_webcal_url).toBe(rotated.body.webcal_url);

    // Again: each rotation revokes the one before.
    const again = await rotate(t.token, t.client.id);
    expect(again.body.url).not.toBe(rotated.body.url);
    expect(await feedStatus(rotated.body.url)).toBe(404);
    expect(await feedStatus(again.body.url)).toBe(200);
    // The trainer's own feed is not touched.
    const own = await api<Urls>('GET', '/api/calendar/feed/', { token: t.token });
    expect(await feedStatus(own.body.url)).toBe(200);
  });

  it("another trainer's client and a missing one are 404, an anonymous caller 401; nothing changes", async () => {
    const a = await setupTrainer();
    const b = await setupTrainer();
    const generation = await generationOf(a.client.id);
    const foreign = await rotate(b.token, a.client.id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.detail).toBe('Client not found.');
    expect((await rotate(b.token, 999_999_999)).status).toBe(404);
    expect((await rotate(undefined, a.client.id)).status).toBe(401);
    expect(await generationOf(a.client.id)).toBe(generation);
  });

  it('is declared in the API document with its 404', () => {
    type Doc = {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown> }>>;
    };
    const route = openapiDocument<Doc>().paths['/api/clients/{id}/calendar-feed/rotate']?.post;
    expect(Object.keys(route?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '404']));
    expect(route?.description).toContain('404');
  });
});
