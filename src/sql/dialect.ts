import { SequenceAllocatorError } from '../server/errors';

/** The SQL engines `createSqlAllocator` supports. `mysql` also covers MariaDB. */
export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite';

/**
 * What one SQL engine has to provide. Each dialect lives in its own file under
 * `dialects/` and is chosen once, when the allocator is built; the allocator
 * itself validates input and turns a reserved block into `{ first, last }`.
 */
export interface SqlDialect<Client> {
  /** Engine name, used in error messages: `[seqline] [postgres] …`. */
  readonly name: SqlDialectName;
  /** The `CREATE TABLE IF NOT EXISTS` statement for the counter table. */
  readonly ddl: string;
  /**
   * Atomically adds `count` to the scope's counter (creating it at `count`)
   * and returns the new value: the last sequence of the reserved block. Runs
   * on `client` when given (the caller's open transaction), else on the
   * client the allocator was built with.
   */
  reserve(scope: string, count: number, client?: Client): Promise<number>;
  /** The scope's counter, 0 when it has none. */
  current(scope: string, client?: Client): Promise<number>;
  /** Runs `ddl`. Idempotent. */
  ensureSchema(): Promise<void>;
}

/** A validated table name, split into an optional schema and the table. */
export interface TableName {
  schema?: string;
  table: string;
}

/** Table name used when none is given. */
export const DEFAULT_TABLE = 'seqline_counters';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a counter-table name (`table` or `schema.table`). Identifiers
 * cannot be bound as parameters, so anything that is not a plain identifier
 * is refused here, at construction, before any SQL runs.
 */
export function parseTableName(name: unknown, dialect: SqlDialectName): TableName {
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 100)) : typeof name;
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      `[seqline] [${dialect}] invalid table name ${shown}: use letters, digits and underscores ` +
        `(not starting with a digit, at most 63 each), optionally schema-qualified as schema.table`,
    );
  }
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { table: parts[0]! };
}

/** Quotes a validated table name with the dialect's identifier quote. */
export function quoteTableName(name: TableName, quote: '"' | '`'): string {
  const q = (identifier: string) => `${quote}${identifier}${quote}`;
  return name.schema === undefined ? q(name.table) : `${q(name.schema)}.${q(name.table)}`;
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
    {
      cause,
    },
  );
}

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
