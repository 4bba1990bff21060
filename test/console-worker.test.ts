import { getPath } from 'hono/utils/url';
import { describe, expect, it } from 'vitest';
import { CONSOLE_PATH } from '../src/areas';
import { page } from './admin-helpers';
import { api, registerTrainer } from './helpers';

// The API Worker hands every console path to the staff console's Worker (CONSOLE, a real service
// binding to test/worker.ts's ConsoleWorker entrypoint), before any middleware of its own; every
// other path stays with it. Which Worker answered shows in what it knows: only the console has the
// login page and the admin API, only the API Worker the trainer routes.
describe('the staff console Worker behind the API Worker', () => {
  it('answers /admin, /admin/…, /api/admin and /api/admin/…', async () => {
    expect((await page('GET', '/admin/login')).status).toBe(200);
    expect((await page('GET', '/admin')).status).toBe(303); // to the login page
    expect((await api('GET', '/api/admin/bookings')).status).toBe(401);
    expect((await api('GET', '/api/admin')).status).toBe(401);
    expect((await api('GET', '/api/admin/')).status).toBe(401);
  });

  it('gets a percent-encoded console path too, as the console router reads it', async () => {
    const res = await page('GET', '/%61dmin/login');
    expect(res.status).toBe(200);
    expect(res.text).toContain('name="password"');
  });

  it("takes exactly the console's paths, as hono's router reads them", () => {
    const handedOver = (path: string) => CONSOLE_PATH.test(getPath(new Request(`http://example.com${path}`)));
    const consolePaths = ['/admin', '/admin/', '/admin/login', '/admin/bookings/7?x=1', '/api/admin', '/api/admin/'];
    consolePaths.push('/api/admin/bookings', '/%61dmin/login', '/api/adm%69n/users');
    for (const path of consolePaths) expect([path, handedOver(path)]).toEqual([path, true]);
    const apiPaths = [
      '/administrator',
      '/adminx/login',
      '/api/administrators',
      '/api/adminx',
      '/Admin',
      '/api/v1/admin',
    ];
    apiPaths.push('/book/admin', '/?admin', '/health#/admin', '/api/bookings/?q=/admin');
    for (const path of apiPaths) expect([path, handedOver(path)]).toEqual([path, false]);
  });

  it("answers once, with one request id, one set of security and CORS headers: the console's own", async () => {
    const res = await api('GET', '/api/admin/bookings', { headers: { Origin: 'https://app.example.com' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('Vary')).toBe('Origin');
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  });

  it("keeps the API's own routes, and a trainer's token opens no admin route", async () => {
    const { token } = await registerTrainer();
    expect((await api('GET', '/api/bookings/', { token })).status).toBe(200);
    expect((await api('GET', '/api/admin/bookings', { token })).status).toBe(403);
  });
});
