import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { type AppEnv, jwtSecret } from '../env';
import { getDb } from '../lib/db';
import { authenticated, jsonBody, jsonResponse, problems } from '../lib/openapi';
import { requireAuth } from './middleware';
import {
  authOut,
  changePasswordBody,
  loginBody,
  profileOut,
  profileUpdateBody,
  registerBody,
  tokenOut,
} from './schemas';
import * as users from './service';

const tags = ['users'];

const register = createRoute({
  method: 'post',
  path: '/api/users/register',
  tags,
  summary: 'Create an account (trainer by default, or a client with is_client) and sign in',
  request: jsonBody(registerBody),
  responses: { 201: jsonResponse(authOut, 'Registered and signed in'), ...problems(400, 413, 415) },
});

const login = createRoute({
  method: 'post',
  path: '/api/users/login',
  tags,
  summary: 'Exchange email and password for a token',
  request: jsonBody(loginBody),
  responses: { 200: jsonResponse(authOut, 'Signed in'), ...problems(400, 401, 429) },
});

const logout = createRoute({
  method: 'post',
  path: '/api/users/logout',
  tags,
  summary: 'Revoke the token used for this request',
  security: authenticated,
  middleware: requireAuth,
  responses: { 204: { description: 'Signed out' }, ...problems(401) },
});

const profile = createRoute({
  method: 'get',
  path: '/api/users/profile',
  tags,
  summary: 'The signed-in user, with trainer settings for trainers',
  security: authenticated,
  middleware: requireAuth,
  responses: { 200: jsonResponse(profileOut, 'The profile'), ...problems(401) },
});

const updateRoute = (method: 'put' | 'patch') =>
  createRoute({
    method,
    path: '/api/users/profile',
    tags,
    summary: 'Update name, phone and trainer settings (flat or nested under `trainer`)',
    security: authenticated,
    middleware: requireAuth,
    request: jsonBody(profileUpdateBody),
    responses: { 200: jsonResponse(profileOut, 'The updated profile'), ...problems(400, 401) },
  });

const changePassword = createRoute({
  method: 'post',
  path: '/api/users/change-password',
  tags,
  summary: 'Change the password; every other token of the user is revoked',
  security: authenticated,
  middleware: requireAuth,
  request: jsonBody(changePasswordBody),
  responses: { 200: jsonResponse(tokenOut, 'A fresh token'), ...problems(400, 401) },
});

export const usersRouter = new OpenAPIHono<AppEnv>()
  .openapi(register, async (c) => {
    const result = await users.register(getDb(c.env.DB), jwtSecret(c.env), c.req.valid('json'));
    return c.json(result, 201);
  })
  .openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    return c.json(await users.login(getDb(c.env.DB), jwtSecret(c.env), email, password), 200);
  })
  .openapi(logout, async (c) => {
    await users.logout(getDb(c.env.DB), c.get('auth').jti);
    return c.body(null, 204);
  })
  .openapi(profile, async (c) => {
    const { user, trainer } = c.get('auth');
    return c.json(await users.getProfile(getDb(c.env.DB), user, trainer), 200);
  })
  .openapi(updateRoute('put'), async (c) =>
    c.json(await users.updateProfile(getDb(c.env.DB), c.get('auth'), c.req.valid('json')), 200),
  )
  .openapi(updateRoute('patch'), async (c) =>
    c.json(await users.updateProfile(getDb(c.env.DB), c.get('auth'), c.req.valid('json')), 200),
  )
  .openapi(changePassword, async (c) => {
    const { old_password, new_password } = c.req.valid('json');
    const token = await users.changePassword(
      getDb(c.env.DB),
      jwtSecret(c.env),
      c.get('auth'),
      old_password,
      new_password,
    );
    return c.json({ token }, 200);
  });
