// Worker startup: how long workerd takes to load a bundle and answer its first request, beside a
// trivial Worker. `wrangler deploy --dry-run` prints no startup time (the "Worker Startup Time"
// line comes from Cloudflare's API on a real upload), so this measures it locally with the
// workerd that `wrangler dev` runs: a fresh `workerd serve` over one bundle until GET /health has
// answered (workerd's start, the bundle compiled and its top level run, the first request), minus
// the same for a trivial Worker, which leaves workerd's own start out. Every round starts each
// bundle once, in turns (the order flips each round); medians reported.
//
//   node bench/startup.mjs                    # builds the current bundle (wrangler deploy --dry-run)
//   node bench/startup.mjs a/index.js b.js    # compares bundles built before
//   STARTUP_ROUNDS=15 node bench/startup.mjs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serveBundle } from '../scripts/workerd-serve.mjs';
import { root, wrangler } from './lib.mjs';

const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 9);
const TRIVIAL = `export class TrainerSchedule { fetch() { return new Response('ok'); } }
export default { fetch() { return Response.json({ status: 'ok' }); } };`;
// What the app's /health reads from wrangler.toml's [vars]; it sends no query.
const vars = {
  ENVIRONMENT: 'production',
  APP_ORIGIN: 'http://localhost:8787',
  CORS_ORIGINS: '*',
  LOG_REQUESTS: 'false',
};

async function once(script) {
  const served = await serveBundle(script, { vars });
  await served.stop();
  if (served.status !== 200) throw new Error(`/health answered ${served.status}: ${served.body}`);
  return served.ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let paths = process.argv.slice(2);
let tmp;
if (!paths.length) {
  tmp = mkdtempSync(join(tmpdir(), 'startup-'));
  wrangler(['deploy', '--dry-run', '--outdir', tmp]);
  paths = [join(tmp, 'index.js')];
}
const bundles = [
  { name: 'trivial Worker', script: TRIVIAL },
  ...paths.map((p) => ({
    name: tmp ? 'this tree (wrangler deploy --dry-run)' : p.replace(`${root}/`, ''),
    script: readFileSync(p, 'utf8'),
  })),
];
const runs = bundles.map(() => []);
await once(TRIVIAL); // warm the disk cache and workerd's binary
for (let r = 0; r < ROUNDS; r++) {
  const order = bundles.map((_, i) => i);
  if (r % 2) order.reverse();
  for (const i of order) runs[i].push(await once(bundles[i].script));
}
const base = median(runs[0]);
console.log('| bundle | size | gzip | spawn → first /health answered (ms) | minus the trivial Worker (ms) |');
console.log('|---|---:|---:|---:|---:|');
bundles.forEach((b, i) => {
  const m = median(runs[i]);
  console.log(
    `| ${b.name} | ${(Buffer.byteLength(b.script) / 1024).toFixed(0)} KiB | ` +
      `${(gzipSync(b.script).byteLength / 1024).toFixed(0)} KiB | ${m.toFixed(0)} | ${i ? (m - base).toFixed(0) : '—'} |`,
  );
});
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`\n${ROUNDS} rounds, medians; load average ${load}`);
if (tmp) rmSync(tmp, { recursive: true, force: true });
