import { defineConfig } from 'tsup';

/**
 * One entry per public subpath. Each is built as ESM (.js) and CJS (.cjs)
 * with its own .d.ts / .d.cts, matching the `exports` map in package.json.
 * Dependencies and peer dependencies stay external; drivers are never
 * imported at run time (adapters type the user's client structurally).
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    server: 'src/server/index.ts',
    sql: 'src/sql/index.ts',
    redis: 'src/redis/index.ts',
    testing: 'src/testing/index.ts',
    msw: 'src/msw/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  treeshake: true,
  target: 'node20',
  splitting: true,
});
