import type { SqlDialectName, TableName } from '../identifiers';

/** A statement with its bound values, in the dialect's placeholder style. */
export interface Query {
  text: string;
  values: unknown[];
}

/**
 * The half-open range of scopes one batch covers: `lo < scope <= hi`, with no
 * lower bound on the first batch. Bounds are scope values exactly as the
 * driver returned them, so they compare with the column's own type and
 * collation.
 */
export interface ScopeRange {
  lo?: unknown;
  hi: unknown;
}

/** Validated, unquoted identifiers and switches a dialect builds its SQL from. */
export interface BackfillPlan {
  table: TableName;
  counterTable: TableName;
  scopeColumn: string;
  sequenceColumn: string;
  idColumn: string;
  /** Sort columns, always ending with `idColumn` so the order is total. */
  orderBy: string[];
  onlyMissing: boolean;
}

/** One connection, held for the whole backfill. */
export interface BackfillSession {
  /** Runs a query and resolves with its first row (or undefined). */
  one(query: Query): Promise<Record<string, unknown> | undefined>;
  /** Runs a write and resolves with the number of rows it changed. */
  run(query: Query): Promise<number>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Gives the connection back (to the pool, if it came from one). */
  release(): Promise<void>;
}

/** The SQL of one batch, built once per range. */
export interface BatchStatements {
  /**
   * Takes the row lock on (creating when missing) the counter of every scope
   * in the range, so a live allocation on one of them waits for the batch
   * to commit instead of handing out a number the batch is about to use.
   * Absent where the transaction already excludes every other writer
   * (SQLite's `BEGIN IMMEDIATE`).
   */
  lock?: Query;
  /** The set-based `ROW_NUMBER()` update. */
  number: Query;
  /** Raises each counter in the range to its scope's MAX(sequence), never lowering it. */
  seed: Query;
}

/** What one engine contributes to a backfill, in `<dialect>/backfill.ts`. */
export interface BackfillDialect {
  readonly name: SqlDialectName;
  /** Whether the engine compares column names case-sensitively (quoted Postgres names do). */
  readonly caseSensitiveColumns: boolean;
  /** Checks out one connection (from a pool) or wraps the one given. */
  connect(): Promise<BackfillSession>;
  /** The table's column names, or undefined when the table does not exist. */
  describe: Query;
  /** `{ scopes, rows }`: distinct scopes, and rows still to number (onlyMissing) or all rows. */
  count: Query;
  /** Rows a renumbering run would change (`sequence` differs from its rank): a dry run's count. */
  countRenumbered: Query;
  /** `{ scope, n }`: the last scope of the next batch of `size` scopes after `lo`, and how many it holds. */
  nextBatch(lo: unknown, size: number): Query;
  batch(range: ScopeRange): BatchStatements;
}
