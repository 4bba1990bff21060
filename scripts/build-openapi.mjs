// The OpenAPI document, built at deploy time: the app (src/app.ts) bundled for Node with esbuild and
// `apiDocument(createApp())` (src/system/openapi-document.ts) run; scripts/build-widget.mjs writes
// the JSON into the static assets as /api/openapi.json, which Cloudflare serves without running the
// Worker. So the Worker's bundle carries neither the document nor its generator. Called by
// build-widget.mjs (wrangler's [build] for dev and deploy, `npm run typecheck`, the vitest config)
// once the generated modules the app imports exist.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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

/** The OpenAPI document of the app as it is now, as JSON text. */
export async function openapiDocument() {
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
    return JSON.stringify(document);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
