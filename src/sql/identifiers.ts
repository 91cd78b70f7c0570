import { CodedSeqlineError } from '../core/errors';

/** The SQL engines seqline supports. `mysql` also covers MariaDB. */
export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite';

/** A validated table name, split into an optional schema and the table. */
export interface TableName {
  schema?: string;
  table: string;
}

/** Counter table used when none is given. */
export const DEFAULT_TABLE = 'seqline_counters';

/** What was wrong with a SQL configuration, before any SQL ran. */
export type SqlConfigErrorCode =
  /** A table or column name that is not a plain identifier. */
  | 'INVALID_IDENTIFIER'
  /** A `dialect` other than `postgres`, `mysql` or `sqlite`. */
  | 'UNKNOWN_DIALECT'
  /** A client that lacks the methods its dialect calls. */
  | 'INVALID_CLIENT';

/**
 * The checks every SQL entry point shares (identifiers, dialect, client)
 * throw this; each entry point re-throws it as its own error class with the
 * same message (see {@link asOwnError}), keeping it as `cause`.
 */
export class SqlConfigError extends CodedSeqlineError<SqlConfigErrorCode> {
  override name = 'SqlConfigError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a table name (`table` or `schema.table`). Identifiers cannot be
 * bound as parameters, so anything that is not a plain identifier is refused
 * here, at construction, before any SQL runs. `who` names the caller in the
 * message (`[seqline] [postgres] invalid table name …`), `what` the option.
 */
export function parseTableName(name: unknown, who: string, what = 'table name'): TableName {
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new SqlConfigError(
      'INVALID_IDENTIFIER',
      `[seqline] [${who}] invalid ${what} ${shown(name)}: use letters, digits and underscores ` +
        `(not starting with a digit, at most 63 each), optionally schema-qualified as schema.table`,
    );
  }
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { table: parts[0]! };
}

/** Validates one unqualified identifier (a column, constraint or index name). */
export function parseIdentifier(name: unknown, who: string, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new SqlConfigError(
      'INVALID_IDENTIFIER',
      `[seqline] [${who}] invalid ${what} ${shown(name)}: use letters, digits and underscores ` +
        '(not starting with a digit, at most 63)',
    );
  }
  return name;
}

/** Quotes a validated table name with the dialect's identifier quote. */
export function quoteTableName(name: TableName, quote: '"' | '`'): string {
  const q = (identifier: string) => `${quote}${identifier}${quote}`;
  return name.schema === undefined ? q(name.table) : `${q(name.schema)}.${q(name.table)}`;
}

/**
 * Runs `check`, re-throwing a {@link SqlConfigError} as the caller's own
 * error class (`SequenceAllocatorError`, `BackfillError`, …) with the same
 * message, so each public function keeps throwing the class it documents.
 */
export function asOwnError<T>(
  check: () => T,
  own: (message: string, options: ErrorOptions) => Error,
): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof SqlConfigError) throw own(error.message, { cause: error });
    throw error;
  }
}

// ---------------------------------------------------------------------------

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : typeof value;
}
