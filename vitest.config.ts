import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// scripts/setup.sh records a PostgreSQL URL here when the local server needs a password.
if (!process.env.BERTH_TEST_PG_URL && existsSync('.berth/test-pg-url')) {
  process.env.BERTH_TEST_PG_URL = readFileSync('.berth/test-pg-url', 'utf8').trim();
}

// Integration tests share one Docker engine and the host's iptables, so files run one at a time;
// unit tests are fast enough that this costs little.
export default defineConfig({
  test: {
    include: ['controller/src/**/*.test.ts', 'agent/src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
