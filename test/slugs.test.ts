// A booking-page slug a trainer leaves stays theirs (retired_slugs, migration 0035): no one else
// can take it and collect their clients' names, emails and phones from old links, embeds and
// emails; those keep reaching the trainer under the new slug.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, futureDay, PASSWORD, type ProblemBody, registerTrainer, setupTrainer, uniqueEmail } from './helpers';

const setSlug = (token: string, slug: string) =>
  api<ProblemBody>('PATCH', '/api/users/profile/', { token, body: { slug } });
const profileOf = (slug: string) =>
  api<{ slug: string; business_name: string }>('GET', `/api/public/trainers/${slug}/`);
const tag = () => crypto.randomUUID().slice(0, 8);

describe('a slug its trainer left', () => {
  it('is refused to anyone else, and old links reach the trainer under the new slug', async () => {
    const alice = await setupTrainer({ settings: { business_name: 'Alice Strength' } });
    const [old, renamed] = [`alice-${tag()}`, `alice-new-${tag()}`];
    expect((await setSlug(alice.token, old)).status).toBe(200);
    expect((await setSlug(alice.token, renamed)).status).toBe(200);

    const mallory = await registerTrainer({ business_name: 'Mallory Gym' });
    const taken = await setSlug(mallory.token, old);
    expect(taken.status).toBe(400);
    expect(taken.body.errors?.slug).toEqual(['This slug is already taken.']);
    expect((await setSlug(mallory.token, old.toUpperCase())).status).toBe(400);

    // The old slug answers as the trainer, with the slug to use now.
    const profile = await profileOf(old);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ slug: renamed, business_name: 'Alice Strength' });
    const day = futureDay(3).date;
    const times = await api<{ days: { slots: unknown[] }[] }>(
      'GET',
      `/api/public/trainers/${old}/availability/?from=${day}&to=${day}`,
    );
    expect(times.status).toBe(200);
    expect(times.body.days[0]?.slots.length).toBeGreaterThan(0);
    const page = await exports.default.fetch(`http://example.com/book/${old}?service=2`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/book/${renamed}?service=2`);
    expect((await api('GET', `/book/${renamed}`)).status).toBe(200);

    // A booking made through the old slug is the trainer's.
    const booked = await api<{ trainer_name: string }>('POST', `/api/public/trainers/${old}/bookings/`, {
      body: { start_time: `${day}T10:00:00.000Z`, first_name: 'Cara', last_name: 'Client', email: uniqueEmail('cara') },
      headers: { 'CF-Connecting-IP': '203.0.113.201' },
    });
    expect(booked.status).toBe(201);
    const row = await env.DB.prepare(
      'SELECT count(*) AS n FROM bookings b JOIN clients c ON c.id = b.client_id WHERE b.trainer_id = ? AND c.first_name = ?',
    )
      .bind(alice.user.trainer.id, 'Cara')
      .first<number>('n');
    expect(row).toBe(1);
  });

  it('the trainer may take it back, and then the other one is theirs', async () => {
    const t = await registerTrainer();
    const other = await registerTrainer();
    const [first, second] = [`coach-${tag()}`, `coach-b-${tag()}`];
    expect((await setSlug(t.token, first)).status).toBe(200);
    expect((await setSlug(t.token, second)).status).toBe(200);
    expect((await setSlug(t.token, first)).status).toBe(200);
    expect((await profileOf(second)).body.slug).toBe(first);
    expect((await setSlug(other.token, second)).status).toBe(400);
    expect((await setSlug(other.token, first)).status).toBe(400); // in use
    const rows = await env.DB.prepare('SELECT slug FROM retired_slugs WHERE trainer_id = ?')
      .bind(t.user.trainer.id)
      .all<{ slug: string }>();
    expect(rows.results.map((r) => r.slug)).toContain(second);
    expect(rows.results.map((r) => r.slug)).not.toContain(first);
  });

  it('a trainer keeps their last five; an older one is free again', async () => {
    const t = await registerTrainer();
    const other = await registerTrainer();
    const base = `renamer-${tag()}`;
    for (let i = 1; i <= 7; i++) expect((await setSlug(t.token, `${base}-${i}`)).status).toBe(200);
    const rows = await env.DB.prepare('SELECT slug FROM retired_slugs WHERE trainer_id = ? ORDER BY slug')
      .bind(t.user.trainer.id)
      .all<{ slug: string }>();
    expect(rows.results.map((r) => r.slug)).toEqual([2, 3, 4, 5, 6].map((i) => `${base}-${i}`));
    expect((await setSlug(other.token, `${base}-1`)).status).toBe(200);
    expect((await setSlug(other.token, `${base}-2`)).status).toBe(400);
    expect((await profileOf(`${base}-2`)).body.slug).toBe(`${base}-7`);
  });

  it("stays retired after the account is deleted: a 404 for visitors, refused to others, skipped by new trainers' slugs", async () => {
    const name = `Gone Gym ${tag()}`;
    const t = await registerTrainer({ business_name: name });
    const slug = t.user.trainer.slug;
    const earlier = `${slug}-before`;
    expect((await setSlug(t.token, earlier)).status).toBe(200);
    expect((await setSlug(t.token, slug)).status).toBe(200);
    const deleted = await api('POST', '/api/users/delete-account/', { token: t.token, body: { password: PASSWORD } });
    expect(deleted.status).toBe(204);

    expect((await profileOf(slug)).status).toBe(404);
    expect((await profileOf(earlier)).status).toBe(404);
    expect((await api('GET', `/book/${slug}`)).status).toBe(404);
    const next = await registerTrainer();
    expect((await setSlug(next.token, slug)).status).toBe(400);
    expect((await setSlug(next.token, earlier)).status).toBe(400);
    const same = await registerTrainer({ business_name: name });
    expect(same.user.trainer.slug).toBe(`${slug}-2`);
    const kept = await env.DB.prepare('SELECT slug, trainer_id FROM retired_slugs WHERE slug IN (?, ?) ORDER BY slug')
      .bind(slug, earlier)
      .all();
    expect(kept.results).toEqual([
      { slug, trainer_id: null },
      { slug: earlier, trainer_id: null },
    ]);
  });
});
