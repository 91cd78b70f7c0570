import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/services/**', 'test/react/**'],
        },
      },
      {
        // seqline/react in a DOM, on the React 19 the package is developed with.
        test: {
          name: 'jsdom',
          environment: 'jsdom',
          include: ['test/react/**/*.test.{ts,tsx}'],
        },
      },
      {
        // Suites against the real PostgreSQL, MariaDB and Redis (and SQLite files).
        // One file at a time: they share the engines and spawn child processes.
        test: {
          name: 'services',
          environment: 'node',
          include: ['test/services/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
