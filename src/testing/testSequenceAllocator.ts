import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SCOPE_BYTES, type SequenceAllocator } from '../server/allocator';
import { SequenceAllocatorError, type SequenceAllocatorErrorCode } from '../server/errors';

/** Options for {@link testSequenceAllocator}. */
export interface TestSequenceAllocatorOptions<Allocator extends SequenceAllocator<never>> {
  /**
   * Builds the allocator under test. Called once, before the first case. Every
   * case uses its own fresh scope, so a backend shared with other suites (or
   * holding data from earlier runs) is fine.
   */
  create: () => Allocator | Promise<Allocator>;
  /**
   * Called once after the last case, e.g. to end a pool or close a database.
   * @default nothing
   */
  teardown?: (allocator: Allocator) => unknown;
  /**
   * Name shown in the `describe` block.
   * @default 'allocator'
   */
  name?: string;
  /**
   * Whether the backend hands out every number with no holes (memory and SQL
   * allocators do; Redis does not promise it across a failed insert). When
   * true, 500 concurrent `next` calls must give exactly 1..500.
   * @default true
   */
  gapless?: boolean;
  /**
   * How many `next` calls the concurrency case fires at once on one scope.
   * @default 500
   */
  concurrency?: number;
  /**
   * Prefix for the fresh scopes each case allocates from, to find them in
   * the backend afterwards.
   * @default 'seqline-conformance'
   */
  scopePrefix?: string;
}

/**
 * Registers the seqline allocator conformance suite with vitest: the one set
 * of cases every `SequenceAllocator` in seqline passes, and that you can run
 * against your own. Call it at the top level of a test file (or inside a
 * `describe`). It needs `vitest` (an optional peer dependency).
 *
 * Cases: sequences start at 1; `next` is strictly increasing per scope;
 * scopes are independent; `nextRange` is contiguous and continues the
 * counter; concurrent `next` calls on one scope give distinct values (exactly
 * 1..n when `gapless`); `current` agrees (0 for a fresh scope); bad scopes and
 * counts are rejected with `SequenceAllocatorError` (`INVALID_SCOPE` /
 * `INVALID_COUNT`) and change nothing; odd but valid scopes (quotes, SQL,
 * unicode, exactly 255 UTF-8 bytes) work.
 *
 * @example
 * // test/my-allocator.test.ts
 * import { testSequenceAllocator } from 'seqline/testing';
 * import { createMyAllocator } from '../src/myAllocator';
 *
 * testSequenceAllocator({
 *   name: 'my allocator',
 *   create: () => createMyAllocator({ url: process.env.DATABASE_URL }),
 *   teardown: (allocator) => allocator.close(),
 *   gapless: false,
 * });
 */
export function testSequenceAllocator<Allocator extends SequenceAllocator<never>>(
  options: TestSequenceAllocatorOptions<Allocator>,
): void {
  const { name = 'allocator', gapless = true, concurrency = 500 } = options;
  const prefix = options.scopePrefix ?? 'seqline-conformance';
  // Options are backend-specific; the suite only ever uses the defaults.
  let allocator: SequenceAllocator;
  let created: Allocator | undefined;
  const fresh = (label: string) => `${prefix}:${label}:${randomUUID()}`;

  describe(`${name}: SequenceAllocator conformance`, () => {
    beforeAll(async () => {
      created = await options.create();
      allocator = created as unknown as SequenceAllocator;
    });
    afterAll(async () => {
      if (created !== undefined) await options.teardown?.(created);
    });

    it('starts a fresh scope at 1, and current is 0 before that', async () => {
      const scope = fresh('start');
      expect(await allocator.current(scope)).toBe(0);
      expect(await allocator.next(scope)).toBe(1);
      expect(await allocator.current(scope)).toBe(1);
    });

    it('next is strictly increasing within a scope (by exactly 1 when gapless)', async () => {
      const scope = fresh('increasing');
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) seen.push(await allocator.next(scope));
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
      if (gapless) expect(seen).toEqual(range(1, 20));
      expect(await allocator.current(scope)).toBe(seen.at(-1));
    });

    it('keeps scopes independent', async () => {
      const a = fresh('independent-a');
      const b = fresh('independent-b');
      expect(await allocator.next(a)).toBe(1);
      expect(await allocator.next(a)).toBe(2);
      expect(await allocator.next(a)).toBe(3);
      expect(await allocator.next(b)).toBe(1);
      expect(await allocator.current(a)).toBe(3);
      expect(await allocator.current(b)).toBe(1);
      // Scopes that differ only by case or a trailing space are different conversations.
      expect(await allocator.next(a.toUpperCase())).toBe(1);
      expect(await allocator.next(`${a} `)).toBe(1);
      expect(await allocator.current(a)).toBe(3);
    });

    it('nextRange reserves a contiguous block that continues the counter', async () => {
      const scope = fresh('range');
      expect(await allocator.nextRange(scope, 2)).toEqual({ first: 1, last: 2 });
      expect(await allocator.next(scope)).toBe(3);
      expect(await allocator.nextRange(scope, 1)).toEqual({ first: 4, last: 4 });
      expect(await allocator.nextRange(scope, 1000)).toEqual({ first: 5, last: 1004 });
      expect(await allocator.current(scope)).toBe(1004);
      expect(await allocator.next(scope)).toBe(1005);
    });

    it(`gives ${concurrency} concurrent next calls on one scope ${concurrency} distinct values`, async () => {
      const scope = fresh('concurrent');
      const values = await Promise.all(
        Array.from({ length: concurrency }, () => allocator.next(scope)),
      );
      expect(new Set(values).size).toBe(concurrency);
      for (const value of values) expect(Number.isSafeInteger(value) && value >= 1).toBe(true);
      if (gapless) expect([...values].sort((x, y) => x - y)).toEqual(range(1, concurrency));
      expect(await allocator.current(scope)).toBe(Math.max(...values));
    });

    it('never overlaps concurrent nextRange and next calls on one scope', async () => {
      const scope = fresh('concurrent-range');
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? allocator.nextRange(scope, 3)
            : allocator.next(scope).then((n) => ({ first: n, last: n })),
        ),
      );
      const all = results.flatMap(({ first, last }) => {
        expect(last - first).toBeLessThanOrEqual(2);
        return range(first, last);
      });
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(25 * 3 + 25);
      if (gapless) expect([...all].sort((x, y) => x - y)).toEqual(range(1, all.length));
    });

    it('rejects bad scopes with INVALID_SCOPE before touching the backend', async () => {
      const valid = padToBytes(fresh('too-long'), MAX_SCOPE_BYTES);
      const bad: unknown[] = [
        '',
        `${valid}x`,
        'é'.repeat(128), // 256 UTF-8 bytes but only 128 characters
        'x'.repeat(10_000),
        'a\0b', // NUL: Postgres text cannot hold it, so it must never reach the backend
        '\0',
        undefined,
        null,
        42,
        {},
        ['a'],
      ];
      for (const scope of bad) {
        await expectCode(allocator.next(scope as string), 'INVALID_SCOPE');
        await expectCode(allocator.nextRange(scope as string, 2), 'INVALID_SCOPE');
        await expectCode(allocator.current(scope as string), 'INVALID_SCOPE');
      }
      // A backend that silently truncated to its column width would have bumped this one.
      expect(await allocator.current(valid)).toBe(0);
    });

    it('rejects bad nextRange counts with INVALID_COUNT and leaves the counter alone', async () => {
      const scope = fresh('bad-count');
      expect(await allocator.next(scope)).toBe(1);
      for (const count of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '2', null]) {
        await expectCode(allocator.nextRange(scope, count as number), 'INVALID_COUNT');
      }
      expect(await allocator.current(scope)).toBe(1);
      expect(await allocator.next(scope)).toBe(2);
    });

    it('refuses to pass Number.MAX_SAFE_INTEGER with OVERFLOW, before any write', async () => {
      const max = Number.MAX_SAFE_INTEGER;
      const scope = fresh('overflow');
      expect(await allocator.nextRange(scope, max - 1)).toEqual({ first: 1, last: max - 1 });
      await expectCode(allocator.nextRange(scope, 2), 'OVERFLOW');
      await expectCode(allocator.nextRange(scope, max), 'OVERFLOW');
      expect(await allocator.current(scope)).toBe(max - 1);
      // The last safe integer is still handed out, once.
      expect(await allocator.next(scope)).toBe(max);
      await expectCode(allocator.next(scope), 'OVERFLOW');
      await expectCode(allocator.next(scope), 'OVERFLOW');
      expect(await allocator.current(scope)).toBe(max);
    });

    it('accepts odd but valid scopes: quotes, SQL, unicode, exactly 255 bytes', async () => {
      const id = randomUUID();
      const scopes = [
        `it's "quoted" \`${id}\``,
        `'; drop table x; -- ${id}`,
        `${id}\\'); DELETE FROM counters; --`,
        `💬 conversación ${id} 日本語`,
        `${id} %_*?[]{}\\n\t`,
        padToBytes(`${prefix}:${id}:`, MAX_SCOPE_BYTES),
        `${padToBytes(`${prefix}:${id}:`, MAX_SCOPE_BYTES - 4)}😀`, // 255 bytes ending in a 4-byte character
      ];
      for (const scope of scopes) {
        expect(new TextEncoder().encode(scope).length).toBeLessThanOrEqual(MAX_SCOPE_BYTES);
        expect(await allocator.current(scope)).toBe(0);
        expect(await allocator.next(scope)).toBe(1);
        expect(await allocator.nextRange(scope, 2)).toEqual({ first: 2, last: 3 });
        expect(await allocator.current(scope)).toBe(3);
      }
      // Each scope kept its own counter: none was folded into another.
      for (const scope of scopes) expect(await allocator.next(scope)).toBe(4);
    });
  });
}

// ---------------------------------------------------------------------------

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Pads an ASCII string with 'x' to exactly `bytes` UTF-8 bytes. */
function padToBytes(text: string, bytes: number): string {
  const length = new TextEncoder().encode(text).length;
  if (length > bytes) throw new Error(`[seqline] [testing] ${text} is already over ${bytes} bytes`);
  return text + 'x'.repeat(bytes - length);
}

async function expectCode(promise: Promise<unknown>, code: SequenceAllocatorErrorCode) {
  const error = await promise.then(
    (value) => new Error(`expected ${code}, but the call resolved with ${JSON.stringify(value)}`),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SequenceAllocatorError);
  expect((error as SequenceAllocatorError).code).toBe(code);
  expect((error as SequenceAllocatorError).message).toMatch(/^\[seqline\] \[/);
}
