// The OpenAPI document, built at deploy time: the app (src/app.ts) bundled for Node with esbuild,
// `apiDocument(createApp())` (src/system/openapi-document.ts) run, and the JSON written to the static
// assets as /api/openapi.json, which Cloudflare serves without running the Worker. So the Worker's
// bundle carries neither the document nor its generator. Run at the end of scripts/build-widget.mjs
// (wrangler's [build] for dev and deploy, `npm run typecheck`, the vitest config), after the
// generated modules the app imports exist.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist/assets/api/openapi.json');

// `cloudflare:workers` (the schedule object's base class) exists only in workerd; building the
// document defines routes, it never runs an object.
const workerdModules = {
  name: 'workerd-modules',
  setup(b) {
    b.onResolve({ filter: /^cloudflare:/ }, (args) => ({ path: args.path, namespace: 'workerd' }));
    b.onLoad({ filter: /.*/, namespace: 'workerd' }, () => ({
      contents: 'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }',
    }));
  },
};

const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
try {
  const outfile = join(dir, 'document.mjs');
  await build({
    stdin: {
      contents: `import { createApp } from './src/app';
import { apiDocument } from './src/system/openapi-document';
export default apiDocument(createApp());`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    tsconfig: join(root, 'tsconfig.worker.json'),
    plugins: [workerdModules],
    logLevel: 'warning',
  });
  const { default: document } = await import(pathToFileURL(outfile).href);
  const json = JSON.stringify(document);
  let current;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // first build
  }
  if (current !== json) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, json);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
