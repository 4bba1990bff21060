import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { listBookings } from '../bookings/queries';
import { bookingOut } from '../bookings/schemas';
import { requireAuth, viewerOf } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { authenticated, idParam, jsonBody, jsonResponse, pageSchema, problems } from '../lib/openapi';
import { listingOf, pageOf, pageQuery } from '../lib/pagination';
import { type AppEnv, createRouter } from '../lib/router';
import { findClient } from '../lib/scope';
import { activePackagesOf } from '../packages/service';
import {
  type ClientInput,
  clientCreateBody,
  clientDetailOut,
  clientListQuery,
  clientOut,
  clientPatchBody,
  noteBody,
  noteOut,
} from './schemas';
import * as clients from './service';

const base = { tags: ['clients'], security: authenticated, middleware: requireAuth };

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/clients',
  summary: "The trainer's clients (a client user: their own records), filtered, searched, ordered, paginated",
  request: { query: clientListQuery },
  responses: {
    200: jsonResponse(pageSchema(clientOut, 'ClientPage'), 'A page of clients'),
    ...problems(400, 401, 403),
  },
});

const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/clients',
  summary: 'Add a client',
  request: jsonBody(clientCreateBody),
  responses: { 201: jsonResponse(clientOut, 'Created'), ...problems(400, 401, 403) },
});

const detail = createRoute({
  ...base,
  method: 'get',
  path: '/api/clients/{id}',
  summary: 'A client with notes, booking counts and packages',
  request: { params: idParam },
  responses: { 200: jsonResponse(clientDetailOut, 'The client'), ...problems(401, 403, 404) },
});

const updateRoute = (method: 'put' | 'patch') =>
  createRoute({
    ...base,
    method,
    path: '/api/clients/{id}',
    summary: method === 'put' ? 'Replace a client (email required)' : 'Change some fields of a client',
    request: { params: idParam, ...jsonBody(method === 'put' ? clientCreateBody : clientPatchBody) },
    responses: { 200: jsonResponse(clientOut, 'Updated'), ...problems(400, 401, 403, 404) },
  });

const remove = createRoute({
  ...base,
  method: 'delete',
  path: '/api/clients/{id}',
  summary: 'Delete a client without bookings or packages (deactivate the others)',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...problems(401, 403, 404, 409) },
});

const addNote = createRoute({
  ...base,
  method: 'post',
  path: '/api/clients/{id}/add_note',
  summary: 'Add a note to a client',
  request: { params: idParam, ...jsonBody(noteBody) },
  responses: { 201: jsonResponse(noteOut, 'Created'), ...problems(400, 401, 403, 404) },
});

const notes = createRoute({
  ...base,
  method: 'get',
  path: '/api/clients/{id}/notes',
  summary: "A client's notes, newest first",
  request: { params: idParam, query: pageQuery },
  responses: {
    200: jsonResponse(pageSchema(noteOut, 'ClientNotePage'), 'A page of notes'),
    ...problems(401, 403, 404),
  },
});

const clientBookings = createRoute({
  ...base,
  method: 'get',
  path: '/api/clients/{id}/bookings',
  summary: "A client's bookings, newest first",
  request: { params: idParam, query: pageQuery },
  responses: {
    200: jsonResponse(pageSchema(bookingOut, 'ClientBookingPage'), 'A page of bookings'),
    ...problems(401, 403, 404),
  },
});

/** PUT and PATCH differ only in which fields the body must carry. */
const saveClient = (c: Context<AppEnv>, id: number, input: ClientInput) =>
  clients.updateClient(c.var.db, viewerOf(c.get('auth')), id, input, isoNow(c.var.clock));

export const clientsRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(listingOf(c.req.url, q, await clients.listClients(c.var.db, viewerOf(c.get('auth')), q)), 200);
  })
  .openapi(create, async (c) =>
    c.json(await clients.createClient(c.var.db, viewerOf(c.get('auth')), c.req.valid('json')), 201),
  )
  .openapi(detail, async (c) => {
    const auth = c.get('auth');
    const db = c.var.db;
    const now = isoNow(c.var.clock);
    const client = await clients.getClientDetail(db, viewerOf(auth), c.req.valid('param').id, now);
    const active = await activePackagesOf(db, client.id, now);
    return c.json({ ...client, packages: active }, 200);
  })
  .openapi(clientBookings, async (c) => {
    const auth = c.get('auth');
    const viewer = viewerOf(auth);
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const db = c.var.db;
    await findClient(db, viewer, id);
    const zone = auth.trainer?.timezone ?? 'UTC';
    const listing = await listBookings(db, viewer, zone, { ...q, client: id }, 'all', isoNow(c.var.clock));
    return c.json(listingOf(c.req.url, q, listing), 200);
  })
  .openapi(updateRoute('put'), async (c) =>
    c.json(await saveClient(c, c.req.valid('param').id, c.req.valid('json')), 200),
  )
  .openapi(updateRoute('patch'), async (c) =>
    c.json(await saveClient(c, c.req.valid('param').id, c.req.valid('json')), 200),
  )
  .openapi(remove, async (c) => {
    await clients.deleteClient(c.var.db, viewerOf(c.get('auth')), c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(addNote, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await clients.addNote(c.var.db, viewerOf(c.get('auth')), id, c.req.valid('json').content), 201);
  })
  .openapi(notes, async (c) => {
    const q = c.req.valid('query');
    const { id } = c.req.valid('param');
    const { count, results } = await clients.listNotes(c.var.db, viewerOf(c.get('auth')), id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  });
