import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
// `.js`: with an extension Vite's config loader resolves it (to the .ts) without a warning.
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/support/chromium.js';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const react18 = fileURLToPath(new URL('./test/react18/node_modules', import.meta.url));
/**
 * `seqline` and `seqline/<entry>` by package name, as an app imports them, resolved to the
 * sources (the package's exports would resolve them to dist/): for the docs' code blocks and
 * the examples the React tests run.
 */
const seqlineAliases = [
  { find: /^seqline$/, replacement: src('index.ts') },
  { find: /^seqline\/query$/, replacement: src('react/query.ts') },
  { find: /^seqline\/(\w+)$/, replacement: src('$1/index.ts') },
];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [
            'test/services/**',
            'test/react/**',
            'test/storybook/**',
            'test/e2e/**',
            'test/docs/**',
          ],
        },
      },
      {
        // The same React tests on React 18 (installed aside in test/react18, see its setup.ts).
        // Testing Library and TanStack Query are inlined so their `react` imports take the alias too.
        resolve: {
          alias: [
            ...seqlineAliases,
            { find: /^react(-dom)?(\/.*)?$/, replacement: `${react18}/react$1$2` },
            // Its `main` is CJS, whose require('react-dom') no alias reaches: use its ESM build.
            {
              find: /^@testing-library\/react$/,
              replacement: fileURLToPath(
                new URL(
                  './node_modules/@testing-library/react/dist/@testing-library/react.esm.js',
                  import.meta.url,
                ),
              ),
            },
          ],
        },
        test: {
          name: 'jsdom-react18',
          environment: 'jsdom',
          include: ['test/react/**/*.test.{ts,tsx}'],
          globalSetup: ['test/react18/setup.ts'],
          server: { deps: { inline: ['@testing-library/react', '@tanstack/react-query'] } },
        },
      },
      {
        // seqline/react in a DOM, on the React 19 the package is developed with.
        resolve: { alias: seqlineAliases },
        test: {
          name: 'jsdom',
          environment: 'jsdom',
          include: ['test/react/**/*.test.{ts,tsx}'],
        },
      },
      {
        // The code blocks of README.md and docs/*.md, extracted and run as written (test/docs).
        // `seqline` imports resolve to the source, as the package's exports would to dist/.
        resolve: { alias: seqlineAliases },
        test: {
          name: 'docs',
          environment: 'jsdom',
          include: ['test/docs/**/*.test.ts'],
          testTimeout: 30_000,
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
      {
        // Every story in stories/ as a test (its play function, if any), in Debian's Chromium.
        plugins: [
          storybookTest({ configDir: fileURLToPath(new URL('./.storybook', import.meta.url)) }),
        ],
        test: {
          name: 'storybook',
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        // The built Storybook (storybook-static) in headless Chromium: the race story under all chaos.
        test: {
          name: 'storybook-static',
          environment: 'node',
          include: ['test/storybook/**/*.test.ts'],
          globalSetup: ['test/storybook/buildStorybook.ts'],
          provide: { chromium: { path: CHROMIUM_PATH, args: CHROMIUM_ARGS } },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The demo chat (examples/chat) end to end in headless Debian Chromium, on SQLite, Postgres
        // and Redis + Postgres. globalSetup builds what `npm run demo` serves. One file at a time:
        // each runs a server and a browser.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/e2e/globalSetup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
