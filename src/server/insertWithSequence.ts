import type { AllocateOptions, SequenceAllocator } from './allocator';
import { SequenceAllocatorError } from './errors';

/** Options for {@link insertWithSequence}. */
export interface InsertWithSequenceOptions<T, Options extends AllocateOptions = AllocateOptions> {
  /** Where the sequence comes from. */
  allocator: SequenceAllocator<Options>;
  /** The scope (conversation id) to allocate in. */
  scope: string;
  /**
   * Inserts the row with the given sequence and resolves with whatever you
   * need back. It runs again, with a fresh sequence, after a unique
   * violation; inside a Postgres transaction, wrap it in a SAVEPOINT, since
   * the failed insert aborts the transaction.
   */
  insert: (sequence: number) => Promise<T>;
  /**
   * Whether an error from `insert` is the `UNIQUE (scope, sequence)`
   * backstop firing. Use a recogniser from `seqline/sql`, ideally narrowed
   * to that constraint: a duplicate on another key (an idempotency
   * `client_id`) must not be retried with a new number.
   *
   * @example
   * isUniqueViolation: (error) => isPostgresUniqueViolation(error, 'messages_conversation_id_sequence_key')
   */
  isUniqueViolation: (error: unknown) => boolean;
  /**
   * Called after a unique violation, before the next attempt: bring the
   * allocator's counter back above what is stored. Without one, the retry
   * just takes the next number, which is enough when the counter is merely
   * behind by a few.
   * @default the allocator's own `reseed(scope)` when it has one (the Redis
   * allocator re-seeds from its `floor`), else nothing
   */
  reseed?: (scope: string, error: unknown) => unknown;
  /**
   * How many sequences to try before giving up.
   * @default 5
   */
  attempts?: number;
  /** Passed to `allocator.next`, e.g. `{ client }` for a SQL allocator. */
  allocateOptions?: Options;
}

/** What {@link insertWithSequence} resolves with. */
export interface InsertWithSequenceResult<T> {
  /** The sequence the row was stored with. */
  sequence: number;
  /** What `insert` resolved with. */
  result: T;
  /** How many attempts it took (1 when nothing collided). */
  attempts: number;
}

/**
 * Allocates a sequence and runs your insert with it; if the insert hits the
 * `UNIQUE (scope, sequence)` backstop (a counter that lost its state, e.g. a
 * flushed Redis, re-issued a number already stored), re-seeds and retries with
 * a fresh sequence. Any other error is rethrown at once.
 *
 * @example
 * import { insertWithSequence } from 'seqline/server';
 * import { isPostgresUniqueViolation } from 'seqline/sql';
 *
 * const { sequence } = await insertWithSequence({
 *   allocator,
 *   scope: conversationId,
 *   insert: (sequence) =>
 *     pool.query('INSERT INTO messages (conversation_id, sequence, content) VALUES ($1, $2, $3)', [conversationId, sequence, text]),
 *   isUniqueViolation: (error) => isPostgresUniqueViolation(error, 'messages_conversation_id_sequence_key'),
 * });
 */
export async function insertWithSequence<T, Options extends AllocateOptions = AllocateOptions>(
  options: InsertWithSequenceOptions<T, Options>,
): Promise<InsertWithSequenceResult<T>> {
  const { allocator, scope, insert, isUniqueViolation, allocateOptions } = options;
  const reseed = options.reseed ?? ownReseed(allocator);
  const attempts = options.attempts ?? 5;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      `[seqline] [insertWithSequence] attempts must be a positive integer, got ${String(attempts)}`,
    );
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const sequence = await allocator.next(scope, allocateOptions);
    try {
      return { sequence, result: await insert(sequence), attempts: attempt };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      lastError = error;
      if (attempt < attempts) await reseed?.(scope, error);
    }
  }
  throw new SequenceAllocatorError(
    'BACKEND',
    `[seqline] [insertWithSequence] sequence for scope ${JSON.stringify(scope)} was already taken ` +
      `${attempts} times in a row; pass a reseed that restores the counter from MAX(sequence), or raise attempts`,
    { cause: lastError },
  );
}

// ---------------------------------------------------------------------------

/** An allocator that can restore its counter from the database (e.g. the Redis allocator). */
interface Reseedable {
  reseed(scope: string): unknown;
}

function ownReseed(allocator: object): ((scope: string) => unknown) | undefined {
  const candidate = allocator as Partial<Reseedable>;
  return typeof candidate.reseed === 'function'
    ? (scope) => (candidate as Reseedable).reseed(scope)
    : undefined;
}
