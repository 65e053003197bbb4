import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Timing assertions need a quiet machine: run files one at a time on CI's 2 cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
