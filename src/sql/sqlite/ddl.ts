import { quoteTableName, type TableName } from '../identifiers';

/** The counter table of the allocator: one row per scope. */
export function sqliteCounterTableDDL(name: TableName): string {
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${quoteTableName(name, '"')} (
  scope TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL CHECK (value >= 0)
) WITHOUT ROWID`;
}

/** The message store's table (`quoted`), its index named after `prefix`. */
export function sqliteMessagesTableDDL(quoted: string, prefix: string): string[] {
  return [
    /* sql */ `CREATE TABLE IF NOT EXISTS ${quoted} (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  client_id TEXT,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (conversation_id, sequence),
  UNIQUE (conversation_id, client_id)
)`,
    /* sql */ `CREATE INDEX IF NOT EXISTS "${prefix}_status" ON ${quoted} (status)`,
  ];
}

/** `ALTER TABLE … ADD COLUMN … INTEGER`: nullable, NULL meaning "not numbered yet". */
export function sqliteSequenceColumnDDL(table: TableName, column: string): string {
  return /* sql */ `ALTER TABLE ${quoteTableName(table, '"')} ADD COLUMN "${column}" INTEGER`;
}

/** SQLite cannot add a constraint to an existing table; a unique index is its equivalent. */
export function sqliteUniqueSequenceDDL(
  table: TableName,
  name: string,
  scope: string,
  sequence: string,
): string {
  // The index name takes the table's schema; the table itself must not be qualified here.
  const index = table.schema === undefined ? `"${name}"` : `"${table.schema}"."${name}"`;
  return /* sql */ `CREATE UNIQUE INDEX IF NOT EXISTS ${index} ON "${table.table}" ("${scope}", "${sequence}")`;
}
