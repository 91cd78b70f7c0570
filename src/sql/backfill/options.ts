import type { MysqlClient } from '../mysql/config';
import type { PostgresClient } from '../postgres/config';
import type { SqliteClient } from '../sqlite/config';

/** Progress after each committed batch, for {@link BackfillOptions.onProgress}. */
export interface BackfillProgress {
  /** Batches committed so far (1-based). */
  batch: number;
  /** Scopes covered by committed batches. */
  scopesDone: number;
  /**
   * Scopes counted before the first batch. A scope created by a live write
   * during the run is covered too, so `scopesDone` can end a little higher.
   */
  scopesTotal: number;
  /** Rows given a sequence so far. */
  rowsUpdated: number;
  /** Milliseconds since the backfill started. */
  elapsedMs: number;
}

/** The statements a backfill runs, as SQL text with the dialect's placeholders. */
export interface BackfillStatements {
  /** `CREATE TABLE IF NOT EXISTS` for the counter table (skipped when `seedCounters` is false). */
  counterTable?: string;
  /** Finds the last scope of the next batch. */
  nextBatch: string;
  /** Locks (creating when missing) the batch's counters; absent on SQLite and when not seeding. */
  lock?: string;
  /** The set-based `ROW_NUMBER()` update, one per batch. */
  number: string;
  /** Raises the batch's counters to MAX(sequence); absent when not seeding. */
  seed?: string;
}

/** What {@link backfillSequences} resolves with. */
export interface BackfillResult {
  /** True when nothing was written: the counts are what a real run would touch. */
  dryRun: boolean;
  /** Scopes (conversations) covered. */
  scopes: number;
  /** Rows given a sequence (dry run: rows that would be). */
  rows: number;
  /** Batches run (dry run: batches a run would take, given no new scopes). */
  batches: number;
  /** Wall time in milliseconds. */
  elapsedMs: number;
  /** The SQL it runs, for review or for a hand-written migration. */
  statements: BackfillStatements;
}

interface CommonOptions {
  /** The messages table, optionally schema-qualified (`app.messages`). */
  table: string;
  /** The column holding the scope (conversation id) that sequences count within. */
  scopeColumn: string;
  /** The column to fill: an integer column, NULL or 0 meaning "not numbered yet". */
  sequenceColumn: string;
  /**
   * Columns that define the order inside a scope, ascending. `idColumn` is
   * appended when missing, so equal timestamps are broken by id and the
   * result is the same on every run.
   * @default ['created_at', 'id']
   */
  orderBy?: readonly string[];
  /**
   * A unique column identifying a row (the primary key), used to join the
   * numbering back onto the table.
   * @default 'id'
   */
  idColumn?: string;
  /**
   * Number only rows whose sequence is NULL or 0, after the scope's highest
   * existing sequence (and its counter), so rows that already have one are
   * never renumbered. `false` renumbers every row 1..n in order; use it only
   * with writes stopped and before `UNIQUE (scope, sequence)` exists.
   * @default true
   */
  onlyMissing?: boolean;
  /**
   * Scopes per batch. Each batch is one transaction, so only its rows (and
   * its scopes' counters) are locked, and only while it runs.
   * @default 500
   */
  batchSize?: number;
  /**
   * Raise the allocator's counters to each scope's MAX(sequence) (never
   * lowering one), and lock them during each batch so live allocations
   * cannot collide with backfilled numbers. Turn off only when the counters
   * live elsewhere (e.g. a Redis allocator with a `floor` callback).
   * @default true
   */
  seedCounters?: boolean;
  /**
   * The allocator's counter table, as given to `createSqlAllocator`. Created
   * if missing.
   * @default 'seqline_counters'
   */
  counterTable?: string;
  /**
   * Write nothing: resolve with the SQL and with the number of scopes and
   * rows a real run would touch.
   * @default false
   */
  dryRun?: boolean;
  /** Called after each committed batch. */
  onProgress?: (progress: BackfillProgress) => void;
}

/** `backfillSequences` options for PostgreSQL through node-postgres. */
export interface PostgresBackfillOptions extends CommonOptions {
  dialect: 'postgres';
  /** A `pg.Pool` (one connection is checked out for the run) or an idle `pg.Client`. */
  client: PostgresClient;
}

/** `backfillSequences` options for MySQL 8 / MariaDB 10.2+ through `mysql2/promise`. */
export interface MysqlBackfillOptions extends CommonOptions {
  dialect: 'mysql';
  /** A `mysql2/promise` Pool (one connection is checked out for the run) or Connection. */
  client: MysqlClient;
}

/** `backfillSequences` options for SQLite 3.33+ through `better-sqlite3`. */
export interface SqliteBackfillOptions extends CommonOptions {
  dialect: 'sqlite';
  /** A better-sqlite3 `Database`, not inside a transaction. */
  client: SqliteClient;
}

/** Options for {@link backfillSequences}, by dialect. */
export type BackfillOptions =
  | PostgresBackfillOptions
  | MysqlBackfillOptions
  | SqliteBackfillOptions;
