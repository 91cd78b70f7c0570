import {
  type AllocateOptions,
  assertValidCount,
  assertValidScope,
  MAX_SEQUENCE,
  overflowError,
  type SequenceAllocator,
} from './allocator';

/** A `SequenceAllocator` that also lets tests inspect and reset it. */
export interface MemoryAllocator extends SequenceAllocator<AllocateOptions> {
  /** Forget every counter, as a process restart would. */
  clear(): void;
}

/**
 * An in-process allocator: a `Map` of counters. Monotonic and gapless inside
 * one process, but it restarts at 1 when the process does, and two processes
 * hand out the same numbers. Use it for tests, the msw mock, demos and
 * single-process tools; use the SQL or Redis allocator in production.
 *
 * @example
 * const allocator = createMemoryAllocator();
 * await allocator.next('conversation-1'); // 1
 * await allocator.nextRange('conversation-1', 2); // { first: 2, last: 3 }
 */
export function createMemoryAllocator(): MemoryAllocator {
  const counters = new Map<string, number>();

  const reserve = (scope: string, count: number): number => {
    const current = counters.get(scope) ?? 0;
    if (current > MAX_SEQUENCE - count) throw overflowError('memory', scope, count);
    const last = current + count;
    counters.set(scope, last);
    return last;
  };

  return {
    async next(scope) {
      assertValidScope(scope, 'memory');
      return reserve(scope, 1);
    },
    async nextRange(scope, count) {
      assertValidScope(scope, 'memory');
      assertValidCount(count, 'memory');
      const last = reserve(scope, count);
      return { first: last - count + 1, last };
    },
    async current(scope) {
      assertValidScope(scope, 'memory');
      return counters.get(scope) ?? 0;
    },
    clear() {
      counters.clear();
    },
  };
}
