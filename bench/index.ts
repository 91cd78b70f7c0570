/**
 * `npm run bench [-- name...]` runs every `bench/*.bench.ts` (or only those
 * whose file name contains one of the given names) one after another and
 * prints their tables. Benchmarks are never part of `npm test`: timings on a
 * shared 2-core machine are not stable enough to assert on.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((name) => file.includes(name)))
  .sort();

if (files.length === 0) {
  console.error(
    `no benchmark matches ${filters.join(', ')}; available: ${readdirSync(here).join(', ')}`,
  );
  process.exit(1);
}

for (const file of files) {
  console.log(`\n# ${file}\n`);
  const module = (await import(pathToFileURL(join(here, file)).href)) as {
    default: () => Promise<void>;
  };
  await module.default();
}
