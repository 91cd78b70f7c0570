import type { MessageRow, StoreDialect } from '../store/storeDialect';
import type { SqliteDatabase } from './config';
import { sqliteMessagesTableDDL } from './ddl';
import { isSqliteUniqueViolation } from './errors';

/**
 * SQLite through better-sqlite3: one connection, so transactions are
 * serialised through a promise chain (a second `BEGIN` must not land inside
 * the first one's transaction), each `BEGIN IMMEDIATE` to take the write
 * lock up front.
 */
export function sqliteStoreDialect(
  db: SqliteDatabase,
  table: string,
): StoreDialect<SqliteDatabase> {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };
  return {
    name: 'sqlite',
    param: () => '?',
    textLength: (expression) => `length(${expression})`,
    ddl: (quoted) => sqliteMessagesTableDDL(quoted, table),
    transaction: (work) =>
      serial(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(db);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
    // Outside a transaction, reads and single writes wait for the one in progress.
    rows: (sql, values, tx) => {
      const run = async () => db.prepare(sql).all(...values) as MessageRow[];
      return tx ? run() : serial(run);
    },
    run: (sql, values, tx) => {
      const run = async () => {
        db.prepare(sql).run(...values);
      };
      return tx ? run() : serial(run);
    },
    isClientIdViolation: (error) =>
      isSqliteUniqueViolation(error, `${table}.conversation_id, ${table}.client_id`),
    allocatorClient: (tx) => tx,
  };
}
