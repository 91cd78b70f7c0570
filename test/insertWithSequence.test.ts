import { describe, expect, it } from 'vitest';
import {
  createMemoryAllocator,
  insertWithSequence,
  SequenceAllocatorError,
} from '../src/server/index';

/** A stand-in for a table with UNIQUE (scope, sequence): the numbers already stored. */
function table(stored: number[]) {
  const rows = new Set(stored);
  const duplicate = Object.assign(new Error('duplicate key'), { code: 'DUPLICATE' });
  return {
    rows,
    insert: async (sequence: number) => {
      if (rows.has(sequence)) throw duplicate;
      rows.add(sequence);
      return sequence;
    },
    isUniqueViolation: (error: unknown) => error === duplicate,
  };
}

describe('insertWithSequence', () => {
  it("uses the allocator's own reseed when none is passed", async () => {
    // A counter that lost its state (as a flushed Redis would) behind rows 1..3.
    const memory = createMemoryAllocator();
    let reseeds = 0;
    const allocator = Object.assign(memory, {
      async reseed(scope: string) {
        reseeds++;
        await memory.nextRange(scope, 3);
        return memory.current(scope);
      },
    });
    const { insert, isUniqueViolation } = table([1, 2, 3]);
    const result = await insertWithSequence({ allocator, scope: 's', insert, isUniqueViolation });
    expect(reseeds).toBe(1);
    expect(result).toEqual({ sequence: 5, result: 5, attempts: 2 });
  });

  it('without any reseed, takes the next numbers until one is free', async () => {
    const { insert, isUniqueViolation } = table([1, 2]);
    const result = await insertWithSequence({
      allocator: createMemoryAllocator(),
      scope: 's',
      insert,
      isUniqueViolation,
    });
    expect(result).toEqual({ sequence: 3, result: 3, attempts: 3 });
  });

  it('gives up with a BACKEND error after `attempts` collisions, keeping the cause', async () => {
    const { insert, isUniqueViolation } = table([1, 2, 3]);
    const error = await insertWithSequence({
      allocator: createMemoryAllocator(),
      scope: 's',
      insert,
      isUniqueViolation,
      attempts: 2,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SequenceAllocatorError);
    expect(error).toMatchObject({ code: 'BACKEND', cause: { code: 'DUPLICATE' } });
  });

  it('rethrows any other error at once', async () => {
    const boom = new Error('connection lost');
    await expect(
      insertWithSequence({
        allocator: createMemoryAllocator(),
        scope: 's',
        insert: async () => {
          throw boom;
        },
        isUniqueViolation: () => false,
      }),
    ).rejects.toBe(boom);
  });
});
