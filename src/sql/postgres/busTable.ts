import { MessageBusError } from '../../server/bus/messageBus';
import { parseTableName, quoteTableName, SqlConfigError, type TableName } from '../identifiers';

/**
 * The `CREATE TABLE IF NOT EXISTS` statements of the bus: the events table
 * (one row per published event, pointed to by NOTIFY) and its heads table
 * (each conversation's last position).
 */
export function busTableDDL(table: string | TableName = 'seqline_bus_events'): string {
  const name = typeof table === 'string' ? tableName(table) : table;
  const events = quoteTableName(name, '"');
  const heads = quoteTableName({ ...name, table: `${name.table}_heads` }, '"');
  const index = `"${name.table}_created_at_idx"`;
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${heads} (
  conversation_id text PRIMARY KEY,
  position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${events} (
  conversation_id text NOT NULL,
  position bigint NOT NULL,
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, position)
);
CREATE INDEX IF NOT EXISTS ${index} ON ${events} (created_at)`;
}

/** Validates the table name, and that `<table>_heads` and `<table>_created_at_idx` are identifiers too. */
export function tableName(table: string): TableName {
  try {
    const name = parseTableName(table, 'postgres');
    parseTableName(`${name.table}_created_at_idx`, 'postgres');
    return name;
  } catch (error) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [postgres] invalid table ${JSON.stringify(String(table).slice(0, 100))}: use letters, digits and underscores, at most 48 (schema.table allowed)`,
      { cause: error instanceof SqlConfigError ? error : undefined },
    );
  }
}
