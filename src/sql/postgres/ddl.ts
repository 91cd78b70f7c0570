import { quoteTableName, type TableName } from '../identifiers';

/** The counter table of the allocator: one row per scope. */
export function postgresCounterTableDDL(name: TableName): string {
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${quoteTableName(name, '"')} (
  scope text PRIMARY KEY,
  value bigint NOT NULL CHECK (value >= 0)
)`;
}

/** The message store's table (`quoted`), its constraints and indexes named after `prefix`. */
export function postgresMessagesTableDDL(quoted: string, prefix: string): string[] {
  return [
    /* sql */ `CREATE TABLE IF NOT EXISTS ${quoted} (
  id text PRIMARY KEY,
  conversation_id text NOT NULL,
  sequence bigint NOT NULL,
  client_id text,
  role varchar(16) NOT NULL,
  content text NOT NULL,
  status varchar(16) NOT NULL,
  error text,
  created_at varchar(40) NOT NULL,
  CONSTRAINT ${prefix}_sequence UNIQUE (conversation_id, sequence),
  CONSTRAINT ${prefix}_client_id UNIQUE (conversation_id, client_id)
)`,
    /* sql */ `CREATE INDEX IF NOT EXISTS ${prefix}_unfinished ON ${quoted} (created_at) WHERE status IN ('pending', 'streaming')`,
  ];
}

/** `ALTER TABLE … ADD COLUMN IF NOT EXISTS … bigint`: nullable, NULL meaning "not numbered yet". */
export function postgresSequenceColumnDDL(table: TableName, column: string): string {
  return /* sql */ `ALTER TABLE ${quoteTableName(table, '"')} ADD COLUMN IF NOT EXISTS "${column}" bigint`;
}

/**
 * `UNIQUE (scope, sequence)`. With `concurrently`, a unique index built
 * without blocking writes (it cannot run inside a transaction); it is as good
 * a backstop, and its violations carry the index name as `constraint`.
 */
export function postgresUniqueSequenceDDL(
  table: TableName,
  name: string,
  scope: string,
  sequence: string,
  concurrently: boolean,
): string {
  const target = quoteTableName(table, '"');
  const on = `${target} ("${scope}", "${sequence}")`;
  return concurrently
    ? /* sql */ `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "${name}" ON ${on}`
    : /* sql */ `ALTER TABLE ${target} ADD CONSTRAINT "${name}" UNIQUE ("${scope}", "${sequence}")`;
}
