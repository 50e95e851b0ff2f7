import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/setup/build-once.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One test file per core, and at least two: most suites spend their time waiting on the child
    // processes and sockets they start (simulators, `mdec` commands, PostgreSQL, Chromium), so a
    // second file runs in that time. Vitest's own default left one core idle on a two-core machine.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
