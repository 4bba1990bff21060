import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodType } from 'zod';
import { currentTrainer, requireAuth, requireTrainer, trainerViewer, viewerOf } from '../lib/auth';
import { isoNow } from '../lib/clock';
import { idempotencyOf, replayHeader } from '../lib/idempotency';
import { authenticated, idParam, jsonBody, jsonResponse, noBody, pageSchema, problems } from '../lib/openapi';
import { pageOf, pageQuery } from '../lib/pagination';
import { type AppEnv, createRouter } from '../lib/router';
import * as z from '../lib/zod';
import * as credits from './credits';
import { refundClientPackage } from './refunds';
import {
  assignBody,
  clientPackageListQuery,
  clientPackageOut,
  ledgerOut,
  type PackageInput,
  packageCreateBody,
  packageListQuery,
  packageOut,
  packagePatchBody,
  refundBody,
} from './schemas';
import * as packages from './service';

const trainerOnly = { tags: ['packages'], security: authenticated, middleware: requireTrainer };
const anyone = { tags: ['packages'], security: authenticated, middleware: requireAuth };
const clientPackagePage = pageSchema(clientPackageOut, 'ClientPackagePage');

const list = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/packages',
  summary: "The trainer's session packages",
  request: { query: packageListQuery },
  responses: { 200: jsonResponse(pageSchema(packageOut, 'PackagePage'), 'A page'), ...problems(400, 401, 403) },
});
const create = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/packages',
  summary: 'Create a session package',
  request: jsonBody(packageCreateBody),
  responses: { 201: jsonResponse(packageOut, 'Created'), ...problems(400, 401, 403) },
});
const detail = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/packages/{id}',
  summary: 'One package',
  request: { params: idParam },
  responses: { 200: jsonResponse(packageOut, 'Found'), ...problems(401, 403, 404) },
});
const update = <B extends ZodType>(method: 'put' | 'patch', body: B) =>
  createRoute({
    ...trainerOnly,
    method,
    path: '/api/packages/{id}',
    summary: method === 'put' ? 'Replace a package' : 'Change a package',
    request: { params: idParam, ...jsonBody(body) },
    responses: { 200: jsonResponse(packageOut, 'Updated'), ...problems(400, 401, 403, 404) },
  });
const put = update('put', packageCreateBody);
const patch = update('patch', packagePatchBody);
const remove = createRoute({
  ...trainerOnly,
  method: 'delete',
  path: '/api/packages/{id}',
  summary: 'Delete a package never sold (deactivate the others)',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...problems(401, 403, 404, 409) },
});
const assign = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/packages/{id}/assign_to_client',
  summary: 'Sell the package to a client (expiry defaults to today + validity_days in the trainer zone)',
  request: { params: idParam, ...jsonBody(assignBody) },
  responses: { 201: jsonResponse(clientPackageOut, 'Sold'), ...problems(400, 401, 403, 404, 409) },
});
const sold = createRoute({
  ...trainerOnly,
  method: 'get',
  path: '/api/packages/{id}/client_packages',
  summary: 'The client packages sold from this package',
  request: { params: idParam, query: clientPackageListQuery },
  responses: { 200: jsonResponse(clientPackagePage, 'A page'), ...problems(400, 401, 403, 404) },
});
const cpList = createRoute({
  ...anyone,
  method: 'get',
  path: '/api/client-packages',
  summary: "Clients' packages with credits (a client user: their own)",
  request: { query: clientPackageListQuery },
  responses: { 200: jsonResponse(clientPackagePage, 'A page'), ...problems(400, 401, 403) },
});
const cpDetail = createRoute({
  ...anyone,
  method: 'get',
  path: '/api/client-packages/{id}',
  summary: 'One client package',
  request: { params: idParam },
  responses: { 200: jsonResponse(clientPackageOut, 'Found'), ...problems(401, 403, 404) },
});
const useSession = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/client-packages/{id}/use_session',
  summary: 'Use one credit (never below zero, never after expiry)',
  description:
    'The answer shows the balance this very use left (`sessions_remaining`), whatever parallel calls did. Send `Idempotency-Key` to make retries safe: the same key for the same client package within 24 h spends nothing more and replays the first answer with `Idempotency-Replayed: true`; the key used for another client package gets 422. No credit left: 409 with `code` package_exhausted or package_expired.',
  request: { params: idParam, headers: z.object({ 'idempotency-key': z.string().optional() }), ...noBody },
  responses: { 200: jsonResponse(clientPackageOut, 'Used'), ...problems(400, 401, 403, 404, 409, 422) },
});
const refund = createRoute({
  ...trainerOnly,
  method: 'post',
  path: '/api/client-packages/{id}/refund',
  summary: 'Refund a pack: record what is paid back and end its credits',
  description:
    'Ends the pack: its remaining credits go to 0 (one ledger row, reason `refunded`) and `amount` is recorded as paid back (TrainerHub moves no money: pay it back as it was paid). Revenue counts the sale on its day and the refund, negative, on the refund’s day. The client gets an email that says what is paid back, the reason given and the credits that end. A conflict answers 409 with `code` package_in_use (a pending or confirmed booking reserves a credit: complete or cancel it first), already_refunded or package_changed (its credits kept changing while it was refunded; try again).',
  request: { params: idParam, ...jsonBody(refundBody) },
  responses: { 200: jsonResponse(clientPackageOut, 'Refunded'), ...problems(400, 401, 403, 404, 409) },
});
const ledger = createRoute({
  ...anyone,
  method: 'get',
  path: '/api/client-packages/{id}/ledger',
  summary: 'Every change of sessions_remaining, newest first',
  request: { params: idParam, query: pageQuery },
  responses: { 200: jsonResponse(pageSchema(ledgerOut, 'PackageLedgerPage'), 'A page'), ...problems(401, 403, 404) },
});

/** PUT and PATCH differ only in which fields the body must carry. */
const savePackage = (c: Context<AppEnv>, id: number, input: PackageInput) =>
  packages.updatePackage(c.var.db, currentTrainer(c).id, id, input, isoNow(c.var.clock));

export const packagesRouter = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { count, results } = await packages.listPackages(c.var.db, currentTrainer(c).id, q);
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(create, async (c) =>
    c.json(await packages.createPackage(c.var.db, currentTrainer(c).id, c.req.valid('json')), 201),
  )
  .openapi(detail, async (c) =>
    c.json(
      packages.toPackageOut(await packages.findPackage(c.var.db, currentTrainer(c).id, c.req.valid('param').id)),
      200,
    ),
  )
  .openapi(put, async (c) => c.json(await savePackage(c, c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(patch, async (c) => c.json(await savePackage(c, c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(remove, async (c) => {
    await packages.deletePackage(c.var.db, currentTrainer(c).id, c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(assign, async (c) => {
    const auth = c.get('auth');
    const db = c.var.db;
    const sold = await packages.assignToClient(
      db,
      trainerViewer(auth),
      currentTrainer(c),
      c.req.valid('param').id,
      c.req.valid('json'),
      isoNow(c.var.clock),
    );
    return c.json(sold, 201);
  })
  .openapi(sold, async (c) => {
    const trainer = currentTrainer(c);
    const db = c.var.db;
    const { id } = c.req.valid('param');
    await packages.findPackage(db, trainer.id, id);
    const q = c.req.valid('query');
    const { count, results } = await packages.listClientPackages(
      db,
      trainerViewer(c.get('auth')),
      trainer.timezone,
      q,
      isoNow(c.var.clock),
      id,
    );
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(cpList, async (c) => {
    const auth = c.get('auth');
    const q = c.req.valid('query');
    const zone = auth.trainer?.timezone ?? 'UTC';
    const { count, results } = await packages.listClientPackages(
      c.var.db,
      viewerOf(auth),
      zone,
      q,
      isoNow(c.var.clock),
    );
    return c.json(pageOf(c.req.url, q, count, results), 200);
  })
  .openapi(cpDetail, async (c) =>
    c.json(
      await packages.findClientPackage(c.var.db, viewerOf(c.get('auth')), c.req.valid('param').id, isoNow(c.var.clock)),
      200,
    ),
  )
  .openapi(useSession, async (c) => {
    const viewer = trainerViewer(c.get('auth'));
    const { id } = c.req.valid('param');
    // The request is its target: the key names one use of one client package.
    const idempotency = await idempotencyOf(
      c.req.header('Idempotency-Key'),
      `user:${viewer.userId}:POST /api/client-packages/use_session`,
      { client_package: id },
    );
    const used = await credits.useSession(c.var.db, viewer, currentTrainer(c), id, isoNow(c.var.clock), idempotency);
    return c.json(used.body, 200, replayHeader(used.replayed));
  })
  .openapi(refund, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const viewer = trainerViewer(c.get('auth'));
    const refunded = await refundClientPackage(c.var.db, c.env.NOTIFY_QUEUE, viewer, id, body, isoNow(c.var.clock));
    return c.json(refunded, 200);
  })
  .openapi(ledger, async (c) => {
    const q = c.req.valid('query');
    const { id } = c.req.valid('param');
    const { count, results } = await credits.ledger(c.var.db, viewerOf(c.get('auth')), id, q, isoNow(c.var.clock));
    return c.json(pageOf(c.req.url, q, count, results), 200);
  });
