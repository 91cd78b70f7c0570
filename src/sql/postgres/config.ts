/**
 * The subset of node-postgres that the Postgres dialect calls: a `pg.Pool`,
 * a `pg.Client`, or a `PoolClient` checked out for a transaction all fit.
 */
export interface PostgresClient {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
}

/** Options for the Postgres dialect. */
export interface PostgresDialectOptions {
  /**
   * Send the allocation statements as named prepared statements, so each
   * connection parses and plans them once instead of on every call. Turn it
   * off behind a pooler that cannot track prepared statements (PgBouncer
   * before 1.21 in transaction mode) or when something runs `DISCARD ALL` /
   * `DEALLOCATE` on connections node-postgres keeps: it remembers what it
   * prepared and would get "prepared statement … does not exist".
   * @default true
   */
  preparedStatements?: boolean;
}

/** The subset of a node-postgres `Pool` the Postgres message store calls. */
export interface PostgresPool {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  connect(): Promise<PostgresPoolClient>;
}

/** A client checked out of the pool for a transaction. */
export interface PostgresPoolClient {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}
