// Every route the API server registers is requested by an in-process test of this folder or of
// web/: a route added without one fails here, naming it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentBundleSource } from '../install/index.ts';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TEST_DIRS = [HERE, path.join(HERE, '../web')];

/** `METHOD /path` for each route of fastify's printed tree, whose lines extend their parent's path. */
function routesOf(tree: string): string[] {
  const stack: Array<{ depth: number; path: string }> = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[└├]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length;
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]?.path ?? '';
    // A wildcard prints as its own segment, without the slash before it.
    const joined = m[2] === '*' && !parent.endsWith('/') ? `${parent}/*` : parent + m[2];
    const full = joined.startsWith('/') ? joined : `/${joined}`;
    stack.push({ depth, path: full });
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) routes.push(`${method} ${full}`);
  }
  return routes;
}

/** A URL of the route in test source: a parameter is any segment or a template expression. */
function urlPattern(route: string): RegExp {
  const url = route.split(' ')[1];
  const body = url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '(?:\\$\\{[^}]*\\}|[^/\'"`?\\s$]+)' : seg === '*' ? '[^\'"`?\\s]*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`['"\`]/?${body.replace(/^\//, '')}['"\`?]`);
}

let h: ApiHarness;
beforeAll(async () => {
  const source = new AgentBundleSource({ template: path.join(HERE, '../install/agent-install.sh'), bundle: '/nonexistent/berth-agent.tar.gz' });
  h = await startApiHarness({}, { source, grpcPort: () => 7171, fingerprint: 'cd'.repeat(32), caPem: undefined, version: '1.2.3' });
});
afterAll(async () => {
  await h.close();
});

describe('the API routes', () => {
  it('reads the printed route tree as full paths', () => {
    const tree = [
      '└── / (GET, HEAD)',
      '    ├── ui (GET, HEAD)',
      '    │   ├── /app.js (GET, HEAD)',
      '    │   └── * (GET, HEAD)',
      '    └── api/v1/bill (GET, HEAD)',
      '        └── s (GET, HEAD)',
    ].join('\n');
    expect(routesOf(tree)).toEqual(['GET /', 'GET /ui', 'GET /ui/app.js', 'GET /ui/*', 'GET /api/v1/bill', 'GET /api/v1/bills']);
  });

  it('are each requested by a test', () => {
    const routes = routesOf(h.app.printRoutes({ commonPrefix: false }));
    expect(routes).toContain('POST /api/v1/reservations/:name/extend');
    expect(routes).toContain('GET /install/agent.sh');
    const sources = TEST_DIRS.flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts') && f !== 'routes-coverage.test.ts')
        .map((f) => readFileSync(path.join(dir, f), 'utf8')),
    ).join('\n');
    expect(routes.filter((r) => !urlPattern(r).test(sources))).toEqual([]);
  });
});
