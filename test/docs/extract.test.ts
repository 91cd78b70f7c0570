/** The rules of test/docs/docs.test.ts: which blocks run, and what the comments do. */
import { describe, expect, it } from 'vitest';
import { extractBlocks, groupBlocks } from './extract';

const md = (...lines: string[]) => lines.join('\n');

describe('extractBlocks', () => {
  it('takes ts and tsx blocks, with their line, and leaves other languages alone', () => {
    const blocks = extractBlocks(
      md(
        '# Title',
        '```sh',
        'npm test',
        '```',
        '',
        '```ts',
        'const a = 1;',
        '```',
        '```tsx',
        '<b />',
        '```',
      ),
    );
    expect(blocks.map((b) => [b.line, b.language, b.code])).toEqual([
      [6, 'ts', 'const a = 1;'],
      [9, 'tsx', '<b />'],
    ]);
  });

  it('reads setup (over several lines), needs and skip from the comments just before the fence', () => {
    const [block] = extractBlocks(
      md(
        '<!-- docs-test: needs postgres redis -->',
        '<!-- docs-test: setup',
        'const pool = makePool();',
        '-->',
        '<!-- docs-test: skip: it needs a browser -->',
        '```ts',
        'pool.end();',
        '```',
      ),
    );
    expect(block).toMatchObject({
      needs: ['postgres', 'redis'],
      setup: 'const pool = makePool();',
      skip: 'it needs a browser',
      continues: false,
    });
  });

  it('forgets comments that prose separates from the fence', () => {
    const [block] = extractBlocks(
      md('<!-- docs-test: skip: stale -->', 'Some prose.', '```ts', 'run();', '```'),
    );
    expect(block!.skip).toBeUndefined();
  });

  it('refuses a skip without a reason, an unknown comment or service, and comments on a block that never runs', () => {
    expect(() => extractBlocks(md('<!-- docs-test: skip -->', '```ts', 'x', '```'))).toThrow(
      /a skip must say why/,
    );
    expect(() => extractBlocks(md('<!-- docs-test: ignore -->', '```ts', 'x', '```'))).toThrow(
      /unknown docs-test comment/,
    );
    expect(() => extractBlocks(md('<!-- docs-test: continues -->', '```sh', 'x', '```'))).toThrow(
      /never runs/,
    );
    expect(() =>
      extractBlocks(md('<!-- docs-test: needs postgress -->', '```ts', 'x', '```')),
    ).toThrow(/needs postgress: name postgres, mariadb, redis/);
  });
});

describe('groupBlocks', () => {
  it('joins a continuing block to the one before it, and spots blocks that declare tests', () => {
    const groups = groupBlocks(
      extractBlocks(
        md(
          '```ts',
          'const server = 1;',
          '```',
          '<!-- docs-test: continues -->',
          '```tsx',
          "it('uses it', () => {});",
          '```',
          '```ts',
          'const x = /a/.test("a");',
          '```',
        ),
      ),
    );
    expect(groups).toHaveLength(2);
    expect(groups[0]).toMatchObject({ line: 1, language: 'tsx', declaresTests: true });
    expect(groups[0]!.code).toContain('const server = 1;');
    expect(groups[0]!.code).toContain("it('uses it'");
    // `.test(` of a RegExp is not a test declaration.
    expect(groups[1]).toMatchObject({ line: 8, declaresTests: false });
  });
});
