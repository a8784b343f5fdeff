import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // e2e tests spawn servers and the built CLI; two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
    // Starts the system Postfix once for all workers and provides its ports (or why not).
    globalSetup: ['test/harness/global-setup.ts'],
  },
});
