// CPU per request of two builds side by side: what a change buys, measured through the noise of a
// shared machine. Both servers stay up; each scenario runs in short bursts, A and B taking turns
// (which goes first alternates), and each burst's workerd CPU (/proc, the whole process group:
// the Worker, its Durable Objects, local D1 and the cache) is divided by the requests it answered.
// A slow minute lands on both sides; the medians and the B ÷ A ratio of each pair are reported.
// Usage: AB_A=<checkout> AB_B=<checkout> npm run bench:ab   (default A: this checkout; B: the floor)
//        AB_ONLY=<regex> AB_PAIRS=8 AB_SECONDS=3. Never part of npm test.
import { root } from './lib.mjs';
import { FLOOR, side } from './sides.mjs';

const PAIRS = Number(process.env.AB_PAIRS ?? 8);
const SECONDS = Number(process.env.AB_SECONDS ?? 3);
const ONLY = process.env.AB_ONLY ? new RegExp(process.env.AB_ONLY) : null;

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const a = await side(process.env.AB_A ?? root);
const b = await side(process.env.AB_B ?? FLOOR);
const lines = [];
try {
  for (const scenario of Object.keys(a.scenarios).filter((s) => !ONLY || ONLY.test(s))) {
    await a.burst(scenario, SECONDS); // warm up (JIT, caches)
    await b.burst(scenario, SECONDS);
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      const [first, second] = i % 2 ? [b, a] : [a, b];
      const x = await first.burst(scenario, SECONDS);
      const y = await second.burst(scenario, SECONDS);
      pairs.push(i % 2 ? { a: y, b: x } : { a: x, b: y });
    }
    const cpuA = median(pairs.map((p) => p.a.cpu));
    const cpuB = median(pairs.map((p) => p.b.cpu));
    const ratios = pairs.map((p) => p.b.cpu / p.a.cpu);
    const rps = pairs.map((p) => p.b.rps / p.a.rps);
    const line = `${scenario}: CPU per request ${a.name} ${Math.round(cpuA)} µs, ${b.name} ${Math.round(cpuB)} µs; ${b.name} ÷ ${a.name} CPU median ${median(ratios).toFixed(3)} (pairs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), req/s median ${median(rps).toFixed(3)}`;
    console.error(line);
    lines.push(line);
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
}
console.log(lines.join('\n'));
