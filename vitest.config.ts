import { defineConfig } from 'vitest/config';

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
