import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// scripts/setup.sh records a PostgreSQL URL here when the local server needs a password.
if (!process.env.BERTH_TEST_PG_URL && existsSync('.berth/test-pg-url')) {
  process.env.BERTH_TEST_PG_URL = readFileSync('.berth/test-pg-url', 'utf8').trim();
}

// Two tiers. `unit` (npm run test:unit) is what a contributor runs without a prepared machine:
// no root, no Docker, no iptables, no network namespaces, no PostgreSQL; SQLite files and
// loopback sockets are fine. A test file that needs more is named *.integration.test.ts and,
// with everything in test/, belongs to `integration`. `npm test` (CI) runs both.
const INTEGRATION = '**/*.integration.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['controller/src/**/*.test.ts', 'agent/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [INTEGRATION, '**/node_modules/**'],
          // Unit files share nothing, so they may use every core; a different maxWorkers needs
          // its own group order, which also keeps them from running beside the integration files.
          maxWorkers: '100%',
          // Nor do they share state through modules, so a worker keeps its module graph from one
          // file to the next. Isolated, every file loaded Fastify, the Prisma client and the
          // schema engine's WebAssembly again: 150 s of CPU for the tier instead of 35 s.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['controller/src/' + INTEGRATION, 'agent/src/' + INTEGRATION, 'test/**/*.test.ts'],
          // They share one Docker engine, the host's iptables and one PostgreSQL server, so files
          // run one at a time.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
