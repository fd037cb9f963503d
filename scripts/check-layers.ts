// `npm run lint` step: fails when the top-level folders of controller/src import each other in a
// cycle, and prints each cycle with the files that make its edges. Layers point one way; see
// controller/src/README.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCycles, folderGraph } from './folder-cycles.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'controller/src');

// Known edges allowed to close a cycle, in one place, each with why. Keep it empty when you can.
const ALLOWED_EDGES: Record<string, string> = {};

const graph = folderGraph(SRC);
const edges = new Map<string, string[]>();
for (const [from, tos] of graph)
  edges.set(
    from,
    [...tos.keys()].filter((to) => !(`${from} -> ${to}` in ALLOWED_EDGES)),
  );
const cycles = findCycles(edges);
if (process.argv.includes('--graph')) {
  for (const [from, tos] of [...graph].sort()) console.log(`${from}: ${[...tos.keys()].sort().join(' ')}`);
}
// server/ is the composition root: only the entry points import it.
const ROOT_IMPORTERS = new Set(['cli', 'dev']);
for (const [from, tos] of graph) {
  if (tos.has('server') && !ROOT_IMPORTERS.has(from) && !(`${from} -> server` in ALLOWED_EDGES)) {
    console.error(`check-layers: ${from}/ imports the composition root server/: ${tos.get('server')!.join('; ')}`);
    process.exitCode = 1;
  }
}
for (const edge of Object.keys(ALLOWED_EDGES)) {
  const [from, to] = edge.split(' -> ') as [string, string];
  if (!graph.get(from)?.has(to)) {
    console.error(`check-layers: allowed edge ${edge} no longer exists; remove it from ALLOWED_EDGES`);
    process.exitCode = 1;
  }
}
if (cycles.length === 0) {
  console.log(
    `check-layers: no folder import cycle in controller/src (${graph.size} folders; allowed edges: ${Object.keys(ALLOWED_EDGES).join(', ') || 'none'})`,
  );
} else {
  for (const { members, path: cycle } of cycles) {
    console.error(`check-layers: folder import cycle among ${members.join(', ')}`);
    console.error(`  ${cycle.join(' -> ')}`);
    for (let i = 0; i + 1 < cycle.length; i++) {
      const examples = graph.get(cycle[i]!)!.get(cycle[i + 1]!)!;
      console.error(`    ${cycle[i]} -> ${cycle[i + 1]}: ${examples.slice(0, 3).join('; ')}${examples.length > 3 ? ` (+${examples.length - 3})` : ''}`);
    }
  }
  process.exitCode = 1;
}
