// The folder-level import graph of controller/src and the cycles in it. `npm run lint` runs
// scripts/check-layers.ts, which uses this; folder-cycles.test.ts tests the cycle finder.
// Only production files count: a *.test.ts or *.testkit.ts file is a leaf nothing imports.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export type FolderGraph = Map<string, Map<string, string[]>>; // from -> to -> example "file -> spec"

// Statements start a line; a dynamic import may sit anywhere. Whole comment lines are blanked
// first (not /* ... */ spans: a string such as '/ui/*' would open one).
const PATTERNS = [
  /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm, // import ... from, export ... from
  /^[ \t]*import\s*['"]([^'"]+)['"]/gm, // import './side-effect.ts'
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('./lazy.ts')
];

/** The import specifiers a TypeScript source names (static, re-export, side-effect and dynamic), in order. */
export function importSpecifiers(source: string): string[] {
  const text = source.replace(/^[ \t]*(?:\/\/|\/\*|\*).*$/gm, '');
  const found: [number, string][] = [];
  for (const re of PATTERNS) for (const m of text.matchAll(re)) found.push([m.index!, m[1]!]);
  return found.sort((a, b) => a[0] - b[0]).map(([, spec]) => spec);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'node_modules' && name !== 'generated') walk(full, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !/\.(test|testkit)\.ts$/.test(name)) out.push(full);
  }
  return out;
}

/** The top-level folder of `root` a file is in ('.' for a file directly in root). */
function folderOf(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : '.';
}

export function folderGraph(root: string): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const file of walk(root)) {
    const from = folderOf(root, file)!;
    if (!graph.has(from)) graph.set(from, new Map());
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const to = folderOf(root, path.resolve(path.dirname(file), spec));
      if (!to || to === from) continue;
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, []);
      edges.get(to)!.push(`${path.relative(root, file)} -> ${spec}`);
    }
  }
  return graph;
}

/**
 * The strongly connected components of more than one folder (Tarjan), each sorted, and for each
 * one cycle through it as a path [a, b, ..., a].
 */
export function findCycles(edges: Map<string, Iterable<string>>): { members: string[]; path: string[] }[] {
  const nodes = new Set<string>();
  for (const [from, tos] of edges) {
    nodes.add(from);
    for (const to of tos) nodes.add(to);
  }
  const succ = (n: string): string[] => [...(edges.get(n) ?? [])].sort();
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of succ(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || succ(v).includes(v)) sccs.push(scc.sort());
    }
  };
  for (const n of [...nodes].sort()) if (!idx.has(n)) strong(n);
  return sccs.map((members) => ({ members, path: cycleThrough(members, succ) })).sort((a, b) => a.members[0]!.localeCompare(b.members[0]!));
}

/** A shortest cycle from the first member back to itself, staying inside the component. */
function cycleThrough(members: string[], succ: (n: string) => string[]): string[] {
  const inside = new Set(members);
  const start = members[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of succ(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const p = [start];
        for (let x: string | undefined = v; x !== undefined && x !== start; x = prev.get(x)) p.unshift(x);
        p.unshift(start);
        return p;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}
