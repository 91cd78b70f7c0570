/**
 * The docs, run as written: every ```ts and ```tsx block of README.md and
 * docs/**\/*.md is extracted from the markdown and run, unchanged, by this
 * file (vitest project `docs`, jsdom). A snippet that stops working fails
 * here, so the docs cannot drift from the code.
 *
 * Rules for a runnable block (keep them when you add one):
 *
 * 1. ```ts and ```tsx blocks run; any other language (```sh, ```text, a bare
 *    ```) does not. Show TypeScript that cannot run as ```ts only with a skip
 *    (rule 4), and prefer making it runnable.
 * 2. Each block is its own ES module. `seqline` and `seqline/<entry>` resolve to
 *    src/ (vitest.config.ts, project `docs`); other imports resolve from
 *    node_modules as in an app. Top-level await works.
 * 3. A block that calls `it(`, `test(`, `describe(` or `testSequenceAllocator(`
 *    is a test file: import them from 'vitest' (globals are off, as in a
 *    fresh vitest setup), and its tests run as they are. Any other block runs top to bottom inside one
 *    test named after its file and line; a throw fails it.
 * 4. An HTML comment on the line(s) just before the fence changes that:
 *    - `<!-- docs-test: skip: <reason> -->` does not run the block. Say why;
 *      keep skips rare.
 *    - `<!-- docs-test: setup ... -->` is code put before the block, hidden
 *      from readers: the things the prose assumes (`const pool = …`, a
 *      variable, a stub for the user's own function). Keep it short.
 *    - `<!-- docs-test: continues -->` runs the block in the same module as
 *      the previous runnable block of the file (for a snippet that goes on
 *      with the previous one's variables).
 *    - `<!-- docs-test: needs postgres redis -->` runs it only when those
 *      services are reachable (test/support/services.ts: skipped loudly on a
 *      laptop, a failure under CI=true). With postgres, the block's setup
 *      reads `process.env.DOCS_POSTGRES_URL`: a fresh schema of its own (as
 *      search_path), dropped afterwards, so `messages` is the block's table.
 * 5. Blocks run in an empty temporary directory (files they create, such as
 *    `new Database('chat.db')`, land there) with NODE_ENV=test.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { POSTGRES_URL, requireService, type ServiceName } from '../support/services';
import { extractBlocks, type Group, groupBlocks } from './extract';

const root = join(import.meta.dirname, '../..');
const out = join(import.meta.dirname, '.blocks');

const docs = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.md'))
    .sort()
    .map((path) => join(root, 'docs', path)),
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const cwd = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), 'seqline-docs-'));
process.chdir(scratch);
const run = Date.now().toString(36);
const schemas: string[] = [];
afterAll(async () => {
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
  if (schemas.length === 0) return;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

for (const doc of docs) {
  const name = relative(root, doc);
  const groups = groupBlocks(extractBlocks(readFileSync(doc, 'utf8')));
  if (groups.length === 0) continue;
  describe(name, () => {
    for (const group of groups) declare(name, group);
  });
}

function declare(doc: string, group: Group): void {
  const title = `${doc}:${group.line}`;
  if (group.skip !== undefined) {
    it.skip(`${title} (skipped in the markdown: ${group.skip})`, () => {});
    return;
  }
  const file = join(out, `${doc.replaceAll('/', '_')}-L${group.line}.${group.language}`);
  writeFileSync(file, group.code);
  const needs = group.needs as ServiceName[];
  const load = async () => {
    if (needs.includes('postgres')) {
      const schema = `docs_${run}_${schemas.length}`;
      schemas.push(schema);
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
      await pool.query(`CREATE SCHEMA ${schema}`);
      await pool.end();
      process.env.DOCS_POSTGRES_URL = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    }
    await import(/* @vite-ignore */ file);
  };
  if (group.declaresTests) {
    describe(title, async () => {
      if (!(await available(needs))) return void it.skip(`needs ${needs.join(', ')}`, () => {});
      await load();
    });
  } else {
    it(title, async ({ skip }) => {
      if (!(await available(needs))) skip(`needs ${needs.join(', ')}`);
      await load();
    });
  }
}

async function available(needs: ServiceName[]): Promise<boolean> {
  for (const service of needs) if (!(await requireService(service))) return false;
  return true;
}
