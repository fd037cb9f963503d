import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, folderGraph, importSpecifiers } from './folder-cycles.ts';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds none in a graph whose layers point one way', () => {
    expect(findCycles(graph({ api: ['services', 'domain'], services: ['domain', 'lib'], domain: [], lib: [] }))).toEqual([]);
  });

  it('reports a two-folder cycle with its path', () => {
    expect(findCycles(graph({ a: ['b'], b: ['a'], c: ['a'] }))).toEqual([{ members: ['a', 'b'], path: ['a', 'b', 'a'] }]);
  });

  it('reports each strongly connected group once, with a shortest cycle through its first member', () => {
    const cycles = findCycles(graph({ a: ['b'], b: ['c', 'x'], c: ['a', 'b'], x: ['y'], y: ['x'], z: [] }));
    expect(cycles).toEqual([
      { members: ['a', 'b', 'c'], path: ['a', 'b', 'c', 'a'] },
      { members: ['x', 'y'], path: ['x', 'y', 'x'] },
    ]);
  });

  it('reports a folder that imports itself only when the graph says so', () => {
    expect(findCycles(graph({ a: ['a'] }))).toEqual([{ members: ['a'], path: ['a', 'a'] }]);
  });
});

describe('importSpecifiers', () => {
  it('reads static, type, re-export, side-effect and dynamic imports, not comments', () => {
    const src = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/index.ts';",
      "import {\n  c,\n  d,\n} from '../c.ts';",
      "export * from './e.ts';",
      "export { f } from './f.ts';",
      "import './g.ts';",
      "const h = await import('../h/h.ts');",
      "// import { no } from './commented.ts';",
      "/* import { no } from './block.ts'; */",
      " * import { no } from './jsdoc.ts';",
      "app.get('/ui/*', page); // a string that looks like a comment's start",
      "export { late } from './late.ts';",
      "import pino from 'pino';",
    ].join('\n');
    expect(importSpecifiers(src)).toEqual(['./a.ts', '../b/index.ts', '../c.ts', './e.ts', './f.ts', './g.ts', '../h/h.ts', './late.ts', 'pino']);
  });
});

describe('folderGraph', () => {
  it('maps file imports to top-level folders, skipping tests and testkits', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'folder-cycles-'));
    for (const dir of ['api', 'domain', 'server']) mkdirSync(path.join(root, dir));
    writeFileSync(path.join(root, 'api/routes.ts'), "import { x } from '../domain/x.ts';\n");
    writeFileSync(path.join(root, 'domain/x.ts'), 'export const x = 1;\n');
    writeFileSync(path.join(root, 'domain/x.test.ts'), "import '../server/start.ts';\n");
    writeFileSync(path.join(root, 'domain/fake.testkit.ts'), "import '../server/start.ts';\n");
    writeFileSync(path.join(root, 'server/start.ts'), "import '../api/routes.ts';\n");
    const g = folderGraph(root);
    expect([...g.get('api')!.keys()]).toEqual(['domain']);
    expect([...g.get('domain')!.keys()]).toEqual([]);
    expect([...g.get('server')!.keys()]).toEqual(['api']);
    expect(findCycles(new Map([...g].map(([k, v]) => [k, [...v.keys()]])))).toEqual([]);
  });
});
