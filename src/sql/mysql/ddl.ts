import { quoteTableName, type TableName } from '../identifiers';

/**
 * The counter table of the allocator. The scope column is VARBINARY so
 * scopes compare byte for byte (no case-folding, no PAD SPACE) and the
 * 255-byte limit matches seqline's.
 */
export function mysqlCounterTableDDL(name: TableName): string {
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${quoteTableName(name, '`')} (
  scope VARBINARY(255) NOT NULL PRIMARY KEY,
  value BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB`;
}

/** The message store's table (`quoted`), its keys named after `prefix`. */
export function mysqlMessagesTableDDL(quoted: string, prefix: string): string[] {
  return [
    /* sql */ `CREATE TABLE IF NOT EXISTS ${quoted} (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  conversation_id VARCHAR(255) NOT NULL,
  sequence BIGINT NOT NULL,
  client_id VARCHAR(255) NULL,
  role VARCHAR(16) NOT NULL,
  content MEDIUMTEXT NOT NULL,
  status VARCHAR(16) NOT NULL,
  error TEXT NULL,
  created_at VARCHAR(40) NOT NULL,
  UNIQUE KEY ${prefix}_sequence (conversation_id, sequence),
  UNIQUE KEY ${prefix}_client_id (conversation_id, client_id),
  KEY ${prefix}_status (status)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  ];
}

/** `ALTER TABLE … ADD COLUMN … BIGINT NULL` (MySQL 8 has no ADD COLUMN IF NOT EXISTS). */
export function mysqlSequenceColumnDDL(table: TableName, column: string): string {
  return /* sql */ `ALTER TABLE ${quoteTableName(table, '`')} ADD COLUMN \`${column}\` BIGINT NULL`;
}

/** `UNIQUE (scope, sequence)`: InnoDB builds it online, with writes still allowed. */
export function mysqlUniqueSequenceDDL(
  table: TableName,
  name: string,
  scope: string,
  sequence: string,
): string {
  return /* sql */ `ALTER TABLE ${quoteTableName(table, '`')} ADD CONSTRAINT \`${name}\` UNIQUE (\`${scope}\`, \`${sequence}\`)`;
}
