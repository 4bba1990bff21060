// Dependency house rules: the module rules of .dependency-cruiser.cjs, plus no cycle between the
// top-level parts of src (each folder src/<area> and each root file like src/app.ts is one node).
// dependency-cruiser's own `circular` works per module, so folder cycles are found here over its
// result. Usage: node scripts/check-deps.mjs [root]   (root defaults to the current folder)
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { cruise } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs');

/** src/bookings/service.ts -> src/bookings; src/app.ts stays src/app.ts. */
const partOf = (path) => path.split('/').slice(0, 2).join('/');

/** Folder-level edges, each with the file imports behind it: Map<from, Map<to, string[]>>. */
function folderGraph(modules) {
  const graph = new Map();
  for (const m of modules) {
    if (!m.source.startsWith('src/')) continue;
    const from = partOf(m.source);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const d of m.dependencies) {
      const to = partOf(d.resolved);
      if (!d.resolved.startsWith('src/') || to === from) continue;
      const edges = graph.get(from);
      const typeOnly = d.dependencyTypes.includes('type-only') ? ' (type only)' : '';
      edges.set(to, [...(edges.get(to) ?? []), `${m.source} → ${d.resolved}${typeOnly}`]);
    }
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const found = [];
  const visit = (v) => {
    index.set(v, index.size);
    low.set(v, index.get(v));
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = stack.splice(stack.indexOf(v));
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** The shortest way from `start` back to itself inside the component, e.g. [a, b, a]. */
function shortestLoop(graph, members, start) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v)?.keys() ?? []) {
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        // written from its alphabetically first folder, so the same loop found twice reads the same
        const first = path.indexOf([...path].sort()[0]);
        const rotated = [...path.slice(first), ...path.slice(0, first)];
        return [...rotated, rotated[0]];
      }
      if (!members.has(w) || previous.has(w)) continue;
      previous.set(w, v);
      queue.push(w);
    }
  }
  return [];
}

function describeCycle(graph, component) {
  const members = new Set(component);
  const loops = new Set(component.map((f) => shortestLoop(graph, members, f).join(' → ')));
  const lines = [`✖ folder cycle between ${component.join(', ')}`, '  shortest loops:'];
  lines.push(...[...loops].map((l) => `    ${l}`), '  imports between them:');
  for (const from of component) {
    for (const [to, files] of [...graph.get(from)].sort()) {
      if (!members.has(to)) continue;
      lines.push(`    ${from} → ${to}`, ...files.map((f) => `        ${f}`));
    }
  }
  return lines.join('\n');
}

/** Every violation as a readable block; none means the tree keeps the rules. */
export async function checkDependencies(root) {
  const { output } = await cruise(['src'], {
    ...config.options,
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
  });
  const ruleViolations = output.summary.violations.map(
    (v) =>
      `✖ ${v.rule.name}: ${v.from} → ${v.to}\n    ${config.forbidden.find((r) => r.name === v.rule.name)?.comment}`,
  );
  const graph = folderGraph(output.modules);
  return [...ruleViolations, ...cycles(graph).map((c) => describeCycle(graph, c))];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = await checkDependencies(resolve(process.argv[2] ?? '.'));
  if (problems.length > 0) {
    console.error(`${problems.join('\n\n')}\n\n${problems.length} dependency rule violation(s).`);
    process.exitCode = 1;
  } else console.log('dependency rules: ok');
}
