import { fileURLToPath } from 'node:url';
import type { StorybookConfig } from '@storybook/react-vite';

const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

const config: StorybookConfig = {
  framework: '@storybook/react-vite',
  stories: ['../stories/**/*.mdx', '../stories/**/*.stories.tsx'],
  addons: ['@storybook/addon-docs', '@storybook/addon-vitest'],
  // msw's service worker (`npx msw init public --save`), served at /mockServiceWorker.js.
  staticDirs: ['../public'],
  core: { disableTelemetry: true },
  async viteFinal(viteConfig, { configType }) {
    // Stories import the package as users do (`seqline/react`), built from source: no `npm run build` first.
    const alias = [
      { find: /^seqline$/, replacement: src('index.ts') },
      { find: /^seqline\/(react|msw|server)$/, replacement: src('$1/index.ts') },
    ];
    const existing = viteConfig.resolve?.alias;
    return {
      ...viteConfig,
      // `build-storybook --quiet` means quiet: Vite's per-chunk size table is 60 lines of noise.
      ...(configType === 'PRODUCTION' ? { logLevel: 'warn' as const } : {}),
      build: {
        ...viteConfig.build,
        // Storybook's own bundles are large; nothing here ships to users.
        chunkSizeWarningLimit: 4000,
        rolldownOptions: {
          ...viteConfig.build?.rolldownOptions,
          onwarn(warning, warn) {
            // TanStack Query's "use client" lines: meaningless in a client-only bundle.
            if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
          },
        },
      },
      resolve: {
        ...viteConfig.resolve,
        alias: [
          ...alias,
          ...(Array.isArray(existing)
            ? existing
            : Object.entries(existing ?? {}).map(([find, replacement]) => ({
                find,
                replacement: replacement as string,
              }))),
        ],
      },
    };
  },
};

export default config;
