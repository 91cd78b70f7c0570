import { BackfillError } from './backfill/BackfillError';
import { mysqlSequenceColumnDDL, mysqlUniqueSequenceDDL } from './backfill/mysql';
import { postgresSequenceColumnDDL, postgresUniqueSequenceDDL } from './backfill/postgres';
import { sqliteSequenceColumnDDL, sqliteUniqueSequenceDDL } from './backfill/sqlite';
import { parseTableName, type SqlDialectName, type TableName } from './dialect';

/** Options for {@link sequenceColumnDDL}. */
export interface SequenceColumnDDLOptions {
  dialect: SqlDialectName;
  /** The messages table, optionally schema-qualified. */
  table: string;
  /** @default 'sequence' */
  sequenceColumn?: string;
}

/** Options for {@link uniqueSequenceDDL}. */
export interface UniqueSequenceDDLOptions extends SequenceColumnDDLOptions {
  /** The scope (conversation id) column. */
  scopeColumn: string;
  /**
   * Constraint (or index) name; name it to narrow `isUniqueViolation` to it.
   * @default `${table}_${scopeColumn}_${sequenceColumn}_key`, cut to 63 characters
   */
  name?: string;
  /**
   * Postgres only: build it as `CREATE UNIQUE INDEX CONCURRENTLY`, which does
   * not block writes while it builds (run it outside a transaction).
   * @default false
   */
  concurrently?: boolean;
}

/**
 * The `ALTER TABLE` adding a nullable integer `sequence` column, NULL meaning
 * "not numbered yet". Step 1 of the migration, before `backfillSequences`.
 *
 * @example
 * sequenceColumnDDL({ dialect: 'postgres', table: 'messages' });
 * // ALTER TABLE "messages" ADD COLUMN IF NOT EXISTS "sequence" bigint
 */
export function sequenceColumnDDL(options: SequenceColumnDDLOptions): string {
  const { dialect, table, sequence } = parse(options);
  const build: Record<SqlDialectName, (table: TableName, column: string) => string> = {
    postgres: postgresSequenceColumnDDL,
    mysql: mysqlSequenceColumnDDL,
    sqlite: sqliteSequenceColumnDDL,
  };
  return build[dialect](table, sequence);
}

/**
 * `UNIQUE (scope, sequence)`, the backstop that makes any duplicate fail
 * loudly. Add it after `backfillSequences` has numbered every row (NULLs do
 * not conflict, so stragglers still to number do not block it).
 *
 * @example
 * uniqueSequenceDDL({ dialect: 'postgres', table: 'messages', scopeColumn: 'conversation_id' });
 * // ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_sequence_key" UNIQUE ("conversation_id", "sequence")
 */
export function uniqueSequenceDDL(options: UniqueSequenceDDLOptions): string {
  const { dialect, table, sequence } = parse(options);
  const scope = identifier(options.scopeColumn, 'scopeColumn');
  const name = identifier(
    options.name ?? `${table.table}_${scope}_${sequence}_key`.slice(0, 63),
    'name',
  );
  switch (dialect) {
    case 'postgres':
      return postgresUniqueSequenceDDL(table, name, scope, sequence, options.concurrently ?? false);
    case 'mysql':
      return mysqlUniqueSequenceDDL(table, name, scope, sequence);
    case 'sqlite':
      return sqliteUniqueSequenceDDL(table, name, scope, sequence);
  }
}

// ---------------------------------------------------------------------------

function parse(options: SequenceColumnDDLOptions) {
  const dialect = options?.dialect;
  if (dialect !== 'postgres' && dialect !== 'mysql' && dialect !== 'sqlite') {
    throw new BackfillError(
      'INVALID_OPTIONS',
      `[seqline] [backfill] unknown dialect ${JSON.stringify(dialect)}: use 'postgres', 'mysql' (also MariaDB) or 'sqlite'`,
    );
  }
  let table: TableName;
  try {
    table = parseTableName(options.table, dialect);
  } catch (error) {
    throw new BackfillError(
      'INVALID_OPTIONS',
      `[seqline] [backfill] invalid table ${JSON.stringify(options.table)}: use letters, digits and underscores, optionally schema.table`,
      { cause: error },
    );
  }
  return {
    dialect,
    table,
    sequence: identifier(options.sequenceColumn ?? 'sequence', 'sequenceColumn'),
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function identifier(value: unknown, option: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new BackfillError(
      'INVALID_OPTIONS',
      `[seqline] [backfill] invalid ${option} ${JSON.stringify(value)}: use letters, digits and underscores, not starting with a digit, at most 63`,
    );
  }
  return value;
}
