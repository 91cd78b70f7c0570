import type { SqlDialectName } from '../identifiers';

/** A stored row as the drivers return it (snake_case, BIGINT as number, string or bigint). */
export interface MessageRow {
  id: string;
  conversation_id: string;
  sequence: number | string | bigint;
  client_id: string | null;
  role: string;
  content: string;
  status: string;
  error: string | null;
  created_at: string;
}

/** The columns seqline reads and writes; your own extra columns are left alone. */
export const COLUMNS =
  'id, conversation_id, sequence, client_id, role, content, status, error, created_at';

/**
 * What one engine provides to the SQL message store: a transaction on one
 * connection, queries with its placeholders, its DDL and its duplicate-key
 * error. One file per dialect implements it; `createSqlMessageStore` holds
 * the algorithm they share.
 */
export interface StoreDialect<Tx> {
  readonly name: SqlDialectName;
  /** `$1` (Postgres) or `?` (MySQL, SQLite). */
  param(n: number): string;
  /** SQL for the length in characters of `expression` (a column or a placeholder). */
  textLength(expression: string): string;
  /** `CREATE TABLE IF NOT EXISTS` (and indexes) for the messages table. */
  ddl(table: string): string[];
  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs a statement on `tx`, or on the pool without one, and returns its rows. */
  rows(sql: string, values: unknown[], tx?: Tx): Promise<MessageRow[]>;
  /** Runs a statement that returns no rows (an UPDATE). */
  run(sql: string, values: unknown[], tx?: Tx): Promise<void>;
  /** True for the duplicate-key error of the `(conversation_id, client_id)` key. */
  isClientIdViolation(error: unknown): boolean;
  /** The client the counter table's allocator runs on inside `tx`. */
  allocatorClient(tx: Tx): unknown;
}
