import { SequenceAllocatorError } from '../server/errors';
import type { SqlDialectName } from './identifiers';

/**
 * What one SQL engine provides to `createSqlAllocator`: each lives in
 * `<dialect>/allocator.ts` and is chosen once, when the allocator is built.
 * The allocator validates input, turns a reserved block into
 * `{ first, last }`, and wraps every driver error the dialect lets through
 * as `SequenceAllocatorError('BACKEND')` with the dialect's {@link hint}.
 */
export interface AllocatorDialect<Client> {
  /** Engine name, used in error messages: `[seqline] [postgres] …`. */
  readonly name: SqlDialectName;
  /**
   * Atomically adds `count` to the scope's counter (creating it at `count`)
   * and returns the new value: the last sequence of the reserved block. Runs
   * on `client` when given (the caller's open transaction), else on the
   * client the allocator was built with.
   */
  reserve(scope: string, count: number, client?: Client): Promise<number>;
  /** The scope's counter, 0 when it has none. */
  current(scope: string, client?: Client): Promise<number>;
  /** Runs the counter table's `CREATE TABLE IF NOT EXISTS`. Idempotent. */
  createTable(ddl: string): Promise<void>;
  /**
   * What to do about a driver error from `reserve` or `current`;
   * `inCallerTransaction` when it ran on the caller's client.
   */
  hint(error: unknown, inCallerTransaction: boolean): string;
  /** What to do when `createTable` fails. */
  readonly createTableHint: string;
}

/**
 * Wraps a driver error as `SequenceAllocatorError('BACKEND')`, keeping it as
 * `cause`. `hint` says what to do about it.
 */
export function backendError(
  dialect: SqlDialectName,
  what: string,
  cause: unknown,
  hint = 'check the connection and that ensureSchema() has run',
): SequenceAllocatorError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SequenceAllocatorError(
    'BACKEND',
    `[seqline] [${dialect}] ${what} failed: ${reason}; ${hint}`,
    { cause },
  );
}

/** The hint for a driver error that says the counter table does not exist. */
export const CREATE_COUNTER_TABLE =
  'create the counter table first: await allocator.ensureSchema() (or run allocator.ddl in a migration)';

/** Turns a counter read from the driver (number, bigint or numeric string) into a safe integer. */
export function toSequence(dialect: SqlDialectName, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SequenceAllocatorError(
      'BACKEND',
      `[seqline] [${dialect}] the counter table returned ${String(value)}, not a non-negative safe integer; ` +
        'check that the table was created with ensureSchema()',
    );
  }
  return n;
}
