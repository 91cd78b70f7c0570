import { BackfillError } from './backfill/BackfillError';
import { createMysqlBackfill } from './backfill/mysql';
import { createPostgresBackfill } from './backfill/postgres';
import { createSqliteBackfill } from './backfill/sqlite';
import type { BackfillDialect, BackfillPlan, BackfillSession, ScopeRange } from './backfill/types';
import { checkColumns, OPTION_NAMES, type OptionNames, validate } from './backfill/validate';
import type { SqlDialectName } from './dialect';
import type { MysqlClient } from './dialects/mysql';
import type { PostgresClient } from './dialects/postgres';
import type { SqliteClient } from './dialects/sqlite';

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

/**
 * Fills the per-scope `sequence` column of an existing messages table from
 * its current order (`orderBy`, ties broken by id), one set-based
 * `ROW_NUMBER() OVER (PARTITION BY scope …)` statement per batch of scopes,
 * and seeds the allocator's counters so new messages continue at n + 1.
 *
 * Safe to re-run: a second run changes nothing, and a run that failed half
 * way resumes where it stopped (every committed batch is complete). Safe
 * alongside live writes through a SQL allocator on the same counter table:
 * each batch locks its scopes' counters first.
 *
 * @example
 * import pg from 'pg';
 * import { backfillSequences } from 'seqline/sql';
 *
 * const pool = new pg.Pool();
 * const result = await backfillSequences({
 *   dialect: 'postgres',
 *   client: pool,
 *   table: 'messages',
 *   scopeColumn: 'conversation_id',
 *   sequenceColumn: 'sequence',
 *   orderBy: ['created_at', 'id'],
 *   onProgress: ({ scopesDone, scopesTotal }) => console.log(`${scopesDone}/${scopesTotal}`),
 * });
 * console.log(`${result.rows} rows numbered in ${result.scopes} conversations`);
 */
export function backfillSequences(options: BackfillOptions): Promise<BackfillResult> {
  return runBackfill(options, OPTION_NAMES);
}

/** @internal `backfillSequences`, with errors naming options as `names` says (the CLI's flags). */
export async function runBackfill(
  options: BackfillOptions,
  names: OptionNames,
): Promise<BackfillResult> {
  const started = performance.now();
  const { plan, batchSize, seed, dryRun } = validate(options, names);
  const dialect = createDialect(options, plan);
  const who = `[seqline] [backfill] [${dialect.name}]`;

  let session: BackfillSession;
  try {
    session = await dialect.connect();
  } catch (error) {
    throw new BackfillError(
      'BACKEND',
      `${who} could not connect: ${reason(error)}; check the connection settings and that the database is up`,
      { cause: error },
    );
  }

  const template = dialect.batch({ lo: '…', hi: '…' });
  const statements: BackfillStatements = {
    nextBatch: dialect.nextBatch('…', batchSize).text,
    number: template.number.text,
    ...(seed
      ? {
          counterTable: dialect.counterTableDDL,
          ...(template.lock ? { lock: template.lock.text } : {}),
          seed: template.seed.text,
        }
      : {}),
  };

  const step = async <T>(what: string, work: () => Promise<T>, hint: string): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof BackfillError) throw error;
      throw new BackfillError('BACKEND', `${who} ${what} failed: ${reason(error)}; ${hint}`, {
        cause: error,
      });
    }
  };

  try {
    await step(
      'reading the table definition',
      () => checkColumns(dialect, session, plan, names),
      'check the connection and permissions',
    );

    const totals = await step(
      'counting scopes',
      () => session.one(dialect.count),
      'check the connection',
    );
    const scopesTotal = Number(totals?.scopes ?? 0);

    if (dryRun) {
      const rows = plan.onlyMissing
        ? Number(totals?.rows ?? 0)
        : Number(
            (
              await step(
                'counting rows to renumber',
                () => session.one(dialect.countRenumbered),
                'check the connection',
              )
            )?.rows ?? 0,
          );
      return {
        dryRun: true,
        scopes: scopesTotal,
        rows,
        batches: Math.ceil(scopesTotal / batchSize),
        elapsedMs: performance.now() - started,
        statements,
      };
    }

    if (seed) {
      await step(
        'creating the counter table',
        () => session.run({ text: dialect.counterTableDDL, values: [] }),
        'check the permissions, or create it with counterTableDDL()',
      );
    }

    let lo: unknown;
    let batch = 0;
    let scopesDone = 0;
    let rowsUpdated = 0;
    for (;;) {
      const next = await step(
        'finding the next batch',
        () => session.one(dialect.nextBatch(lo, batchSize)),
        resume(batch),
      );
      if (next === undefined) break;
      const range: ScopeRange = lo === undefined ? { hi: next.scope } : { lo, hi: next.scope };
      const { lock, number, seed: seedQuery } = dialect.batch(range);
      const updated = await step(
        `batch ${batch + 1} (scopes ${describeRange(range)})`,
        () =>
          session.transaction(async () => {
            if (seed && lock) await session.run(lock);
            const rows = await session.run(number);
            if (seed) await session.run(seedQuery);
            return rows;
          }),
        resume(batch),
      );
      batch += 1;
      scopesDone += Number(next.n);
      rowsUpdated += updated;
      lo = next.scope;
      options.onProgress?.({
        batch,
        scopesDone,
        scopesTotal,
        rowsUpdated,
        elapsedMs: performance.now() - started,
      });
    }
    return {
      dryRun: false,
      scopes: scopesDone,
      rows: rowsUpdated,
      batches: batch,
      elapsedMs: performance.now() - started,
      statements,
    };
  } finally {
    await session.release().catch(() => {});
  }
}

// ---------------------------------------------------------------------------

function createDialect(options: BackfillOptions, plan: BackfillPlan): BackfillDialect {
  const required: Record<SqlDialectName, string[]> = {
    postgres: ['query'],
    mysql: ['query'],
    sqlite: ['prepare', 'exec'],
  };
  const missing = required[options.dialect].filter(
    (method) =>
      typeof (options.client as unknown as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new BackfillError(
      'INVALID_OPTIONS',
      `[seqline] [backfill] [${options.dialect}] client is missing ${missing.join(', ')}: pass ${
        {
          postgres: 'a pg Pool or Client',
          mysql: 'a mysql2/promise Pool or Connection (require("mysql2/promise"))',
          sqlite: 'a better-sqlite3 Database',
        }[options.dialect]
      }`,
    );
  }
  switch (options.dialect) {
    case 'postgres':
      return createPostgresBackfill(options.client, plan);
    case 'mysql':
      return createMysqlBackfill(options.client, plan);
    case 'sqlite':
      return createSqliteBackfill(options.client, plan);
  }
}

function resume(batchesDone: number): string {
  return batchesDone === 0
    ? 'nothing was written; fix the cause and run it again'
    : `${batchesDone === 1 ? 'the batch before it is' : `the ${batchesDone} batches before it are`} committed and consistent; fix the cause and run the backfill again to resume`;
}

function describeRange(range: ScopeRange): string {
  const text = (value: unknown) => JSON.stringify(String(value)).slice(0, 60);
  return range.lo === undefined
    ? `up to ${text(range.hi)}`
    : `after ${text(range.lo)} up to ${text(range.hi)}`;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return message || (typeof code === 'string' ? code : 'unknown error');
}
