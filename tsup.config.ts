import { readFile, writeFile } from 'node:fs/promises';
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
    // The `seqline` bin; its #!/usr/bin/env node line is kept by esbuild.
    cli: 'src/cli/index.ts',
    msw: 'src/msw/index.ts',
    // The framework-free client layer seqline/react binds to (types only from @tanstack/query-core).
    client: 'src/client/index.ts',
    react: 'src/react/index.ts',
    // The server-safe part of seqline/react: no "use client", importable from a Server Component.
    query: 'src/react/query.ts',
    // The AI SDK bridge: type-only imports of `ai` (an optional peer), nothing of it at run time.
    ai: 'src/ai/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  treeshake: true,
  target: 'node20',
  splitting: true,
  onSuccess: markClientEntry,
});

/**
 * esbuild drops module directives, so `"use client"` is written back on the
 * React entry only (dist/react.js and dist/react.cjs), for React Server
 * Component apps. Its source map is shifted down one line to match.
 */
async function markClientEntry(): Promise<void> {
  for (const file of ['dist/react.js', 'dist/react.cjs']) {
    const code = await readFile(file, 'utf8');
    if (code.startsWith('"use client"')) continue;
    await writeFile(file, `"use client";\n${code}`);
    const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { mappings: string };
    map.mappings = `;${map.mappings}`;
    await writeFile(`${file}.map`, JSON.stringify(map));
  }
}
