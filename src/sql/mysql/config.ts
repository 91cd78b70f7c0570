/**
 * The subset of mysql2/promise that the MySQL dialect calls: a `Pool`, a
 * `PoolConnection` or a `Connection` all fit.
 */
export interface MysqlClient {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

/** Options for the MySQL / MariaDB dialect. */
export interface MysqlDialectOptions {
  /**
   * Attempts for one allocation when InnoDB reports a deadlock (1213) or a
   * lock wait timeout (1205), e.g. when several connections create the same
   * scope's row at once. Only allocations on the allocator's own client are
   * retried: a deadlock rolls back a caller's whole transaction, so that one
   * must be retried by the caller.
   * @default 8
   */
  maxAttempts?: number;
}

/** The subset of a `mysql2/promise` Pool the MySQL message store calls. */
export interface MysqlPool {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  getConnection(): Promise<MysqlPoolConnection>;
}

/** A connection checked out of the pool for a transaction. */
export interface MysqlPoolConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  release(): void;
  destroy?(): void;
}
