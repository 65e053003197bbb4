import { defineConfig } from 'vitest/config';

/**
 * Game days: whole scenarios against real servers, each driven through the CLI in its own processes. They
 * mostly wait on the wall clock (a 5 s partition is 5 s) and their tolerances are tens of milliseconds, so
 * two at a time on CI's 2 cores halves their share of the suite. Everything else (toxics, probe
 * resolution, game days run in the test's own process) asserts tighter timing and runs alone, one file at
 * a time, in a group of its own: the two groups never overlap (`sequence.groupOrder`).
 */
const GAME_DAYS = [
  'test/integration/demo.test.ts',
  'test/integration/scenario/real-store-scenarios.test.ts',
  'test/integration/fixture-redis/sentinel.test.ts',
  'test/integration/fixture-redis/partition.test.ts',
  'test/integration/fixture-postgres/*.test.ts',
];

const shared = { testTimeout: 20_000, hookTimeout: 20_000 };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          ...shared,
          name: 'timing',
          include: ['test/**/*.test.ts'],
          exclude: GAME_DAYS,
          fileParallelism: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'game-days',
          include: GAME_DAYS,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
