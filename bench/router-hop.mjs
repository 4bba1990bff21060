// What Cloudflare's asset router costs a request before the Worker runs: the floor Worker's /health
// with its static assets (bench/floor/wrangler.toml [assets], routed worker-first as the app's API)
// against the same Worker without them, both under `wrangler dev`, in alternating rounds.
//   node bench/router-hop.mjs        (ROUTER_ROUNDS=3, BENCH_SECONDS=10 by default)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { execSql, root, serve } from './lib.mjs';

const ROUNDS = Number(process.env.ROUTER_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const cwd = join(root, 'bench/floor');
// The floor's config without its [assets] section (the last one), beside it so `main` resolves.
const BARE = '.wrangler-bare.toml';
const config = readFileSync(join(cwd, 'wrangler.toml'), 'utf8');
const assets = config.indexOf('\n[assets]');
if (assets < 0 || /^\[/m.test(config.slice(assets + 2))) {
  throw new Error('bench/floor/wrangler.toml must end with its [assets] section');
}

const load = (base) =>
  new Promise((resolve, reject) =>
    autocannon({ url: `${base}/health`, duration: DURATION, connections: 4 }, (err, r) =>
      err
        ? reject(err)
        : resolve({ rps: r.requests.average, p50: r.latency.p50, p95: r.latency.p95 ?? r.latency.p97_5 }),
    ),
  );

async function start(extra) {
  const state = mkdtempSync(join(tmpdir(), 'bench-router-'));
  execSql(cwd, state, [], { migrate: true });
  return { ...(await serve(cwd, state, extra)), state };
}

const servers = [];
try {
  writeFileSync(join(cwd, BARE), config.slice(0, assets));
  const routed = await start([]);
  servers.push(routed);
  const bare = await start(['-c', BARE]);
  servers.push(bare);
  await load(routed.base);
  await load(bare.base);
  const rows = [];
  for (let i = 0; i < ROUNDS; i++) {
    const sides = i % 2 ? [routed, bare] : [bare, routed];
    const [first, second] = [await load(sides[0].base), await load(sides[1].base)];
    const [b, r] = i % 2 ? [second, first] : [first, second];
    rows.push({ bare: b, routed: r, ratio: r.rps / b.rps });
  }
  console.log('| round | bare req/s / p50 / p95 ms | with the asset router | router ÷ bare req/s |');
  console.log('|---|---|---|---|');
  rows.forEach(({ bare: b, routed: r, ratio }, i) => {
    const cell = (s) => `${s.rps.toFixed(1)} / ${s.p50} / ${s.p95}`;
    console.log(`| ${i + 1} | ${cell(b)} | ${cell(r)} | ${Math.round(ratio * 100)} % |`);
  });
} finally {
  for (const server of servers) {
    await server.stop().catch(() => {});
    rmSync(server.state, { recursive: true, force: true });
  }
  rmSync(join(cwd, BARE), { force: true });
}
