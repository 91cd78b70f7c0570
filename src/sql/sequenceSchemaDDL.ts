import { invalidOptions } from './backfill/validate';
import { sqlDialect } from './dialects';
import { asOwnError, parseIdentifier, parseTableName, type SqlDialectName } from './identifiers';

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
  return asOwnError(() => {
    const { dialect, table, sequence } = parse(options);
    return dialect.sequenceColumnDDL(table, sequence);
  }, invalidOptions);
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
  return asOwnError(() => {
    const { dialect, table, sequence } = parse(options);
    const scope = parseIdentifier(options.scopeColumn, 'backfill', 'scopeColumn');
    const name = parseIdentifier(
      options.name ?? `${table.table}_${scope}_${sequence}_key`.slice(0, 63),
      'backfill',
      'name',
    );
    return dialect.uniqueSequenceDDL(table, name, scope, sequence, options.concurrently ?? false);
  }, invalidOptions);
}

// ---------------------------------------------------------------------------

function parse(options: SequenceColumnDDLOptions) {
  const dialect = sqlDialect(options?.dialect, 'backfill');
  return {
    dialect,
    table: parseTableName(options.table, 'backfill', 'table'),
    sequence: parseIdentifier(options.sequenceColumn ?? 'sequence', 'backfill', 'sequenceColumn'),
  };
}
