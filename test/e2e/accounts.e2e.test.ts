import { describe, expect, it } from 'vitest';
import { call } from './client';

type Auth = { token: string; user: { id: number; email: string; trainer: { slug: string; timezone: string } | null } };

describe('accounts over HTTP against wrangler dev', () => {
  it('register → login → profile → change password → old token 401 → login with the new password', async () => {
    const email = `e2e-${Date.now()}@example.com`;
    const first = 'first-password-1';
    const second = 'second-password-2';

    const weak = await call<{ errors: Record<string, string[]> }>('POST', '/api/users/register/', {
      body: { email, password: 'pass123', password_confirm: 'pass123' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors.password).toEqual(['This password is too short. It must contain at least 8 characters.']);

    const reg = await call<Auth>('POST', '/api/users/register/', {
      body: {
        email,
        password: first,
        password_confirm: first,
        business_name: 'E2E Fitness',
        timezone: 'Europe/Berlin',
      },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user.trainer).toMatchObject({ timezone: 'Europe/Berlin' });
    expect(reg.headers.get('x-request-id')).toBeTruthy();

    const login = await call<Auth>('POST', '/api/users/login/', {
      body: { email: email.toUpperCase(), password: first },
    });
    expect(login.status).toBe(200);

    const profile = await call<Auth['user']>('GET', '/api/users/profile/', { token: login.body.token });
    expect(profile.status).toBe(200);
    expect(profile.body.email).toBe(email);

    const changed = await call<{ token: string }>('POST', '/api/users/change-password/', {
      token: login.body.token,
      body: { old_password: first, new_password: second },
    });
    expect(changed.status).toBe(200);

    expect((await call('GET', '/api/users/profile/', { token: login.body.token })).status).toBe(401);
    expect((await call('GET', '/api/users/profile/', { token: reg.body.token })).status).toBe(401);
    expect((await call('GET', '/api/users/profile/', { token: changed.body.token })).status).toBe(200);
    expect((await call('POST', '/api/users/login/', { body: { email, password: first } })).status).toBe(401);
    const again = await call<Auth>('POST', '/api/users/login/', { body: { email, password: second } });
    expect(again.status).toBe(200);

    expect((await call('POST', '/api/users/logout/', { token: again.body.token })).status).toBe(204);
    expect((await call('GET', '/api/users/profile/', { token: again.body.token })).status).toBe(401);
  });

  it('serves the OpenAPI document and docs page', async () => {
    const doc = await call<{ openapi: string; paths: Record<string, unknown> }>('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/users/register');
  });
});
