/** The subset of a better-sqlite3 prepared statement that the SQLite dialect calls. */
export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
}

/** The subset of a better-sqlite3 `Database` that the SQLite dialect calls. */
export interface SqliteClient {
  prepare(source: string): SqliteStatement;
  exec(source: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  readonly inTransaction: boolean;
}

/** Options for the SQLite dialect. */
export interface SqliteDialectOptions {
  /**
   * How long a writer waits for another connection's lock, in milliseconds,
   * set with `PRAGMA busy_timeout`. When omitted, the database's own setting
   * is kept (better-sqlite3 defaults to 5000) unless it is 0, in which case
   * 5000 is set, since 0 makes concurrent writers fail at once with SQLITE_BUSY.
   * @default the database's setting, or 5000
   */
  busyTimeout?: number;
}

/** The subset of a better-sqlite3 `Database` the SQLite message store (and its allocator) calls. */
export interface SqliteDatabase extends SqliteClient {
  prepare(source: string): {
    all(...values: unknown[]): unknown[];
    get(...values: unknown[]): unknown;
    run(...values: unknown[]): unknown;
  };
}
