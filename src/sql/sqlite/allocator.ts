import { MAX_SEQUENCE, overflowError } from '../../server/allocator';
import { SequenceAllocatorError } from '../../server/errors';
import { type AllocatorDialect, CREATE_COUNTER_TABLE, toSequence } from '../allocatorDialect';
import type { SqliteClient, SqliteDialectOptions, SqliteStatement } from './config';
import { isSqliteNoSuchTable, SQLITE_ERRORS } from './errors';

/**
 * SQLite (better-sqlite3): `INSERT … ON CONFLICT DO UPDATE … RETURNING`
 * inside `BEGIN IMMEDIATE`, which takes the write lock up front so a
 * concurrent writer waits out the busy timeout instead of failing on a lock
 * upgrade. Inside the caller's open transaction it runs there instead (open
 * it with `BEGIN IMMEDIATE` or `db.transaction(fn).immediate()` for the same
 * reason). better-sqlite3 is synchronous; the results are still Promises.
 */
export function createSqliteAllocator(
  db: SqliteClient,
  table: string,
  options: SqliteDialectOptions = {},
): AllocatorDialect<SqliteClient> {
  const reserveSql = /* sql */ `INSERT INTO ${table} (scope, value) VALUES (?, ?)
ON CONFLICT (scope) DO UPDATE SET value = value + excluded.value
WHERE value <= ${MAX_SEQUENCE} - excluded.value
RETURNING value`;
  const currentSql = /* sql */ `SELECT value FROM ${table} WHERE scope = ?`;

  setBusyTimeout(db, options.busyTimeout);

  // Statements are prepared on first use: the table may not exist yet when
  // the allocator is built, and preparing against a missing table throws.
  const prepared = new Map<SqliteClient, Statements>();
  const statements = (target: SqliteClient): Statements => {
    let found = prepared.get(target);
    if (!found) {
      found = {
        begin: target.prepare(/* sql */ 'BEGIN IMMEDIATE'),
        commit: target.prepare(/* sql */ 'COMMIT'),
        rollback: target.prepare(/* sql */ 'ROLLBACK'),
        reserve: target.prepare(reserveSql),
        current: target.prepare(currentSql),
      };
      prepared.set(target, found);
    }
    return found;
  };

  const reserveSync = (scope: string, count: number, target: SqliteClient): number => {
    const s = statements(target);
    // No row: the WHERE refused to pass MAX_SEQUENCE, and nothing was written.
    const reserveRow = () => {
      const row = s.reserve.get(scope, count);
      if (row === undefined) throw overflowError('sqlite', scope, count);
      return rowValue(row);
    };
    if (target.inTransaction) return toSequence('sqlite', reserveRow());
    s.begin.run();
    try {
      const value = reserveRow();
      s.commit.run();
      return toSequence('sqlite', value);
    } catch (error) {
      if (target.inTransaction) s.rollback.run();
      throw error;
    }
  };

  return {
    name: 'sqlite',
    async reserve(scope, count, caller) {
      return reserveSync(scope, count, caller ?? db);
    },
    async current(scope, caller) {
      const row = statements(caller ?? db).current.get(scope);
      return row === undefined ? 0 : toSequence('sqlite', rowValue(row));
    },
    async createTable(ddl) {
      db.exec(ddl);
    },
    hint: (error) =>
      isSqliteNoSuchTable(error)
        ? CREATE_COUNTER_TABLE
        : (error as { code?: unknown }).code === SQLITE_ERRORS.busy
          ? 'another connection held the write lock past the busy timeout; raise busyTimeout or shorten write transactions'
          : 'check the database file',
    createTableHint: 'check that the file is writable',
  };
}

// ---------------------------------------------------------------------------

interface Statements {
  begin: SqliteStatement;
  commit: SqliteStatement;
  rollback: SqliteStatement;
  reserve: SqliteStatement;
  current: SqliteStatement;
}

function rowValue(row: unknown): unknown {
  return (row as { value?: unknown } | undefined)?.value;
}

function setBusyTimeout(db: SqliteClient, busyTimeout: number | undefined): void {
  if (busyTimeout !== undefined && (!Number.isSafeInteger(busyTimeout) || busyTimeout < 0)) {
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      `[seqline] [sqlite] busyTimeout must be a non-negative integer of milliseconds, got ${String(busyTimeout)}`,
    );
  }
  const timeout =
    busyTimeout ?? (Number(db.pragma('busy_timeout', { simple: true })) > 0 ? undefined : 5000);
  // The value is a validated integer: PRAGMA takes no bound parameters.
  if (timeout !== undefined) db.pragma(`busy_timeout = ${timeout}`);
}
