import { MAX_SEQUENCE, overflowError } from '../../server/allocator';
import { type AllocatorDialect, CREATE_COUNTER_TABLE, toSequence } from '../allocatorDialect';
import type { MysqlClient, MysqlDialectOptions } from './config';
import { MYSQL_ERRORS, mysqlErrno } from './errors';

const { deadlock: DEADLOCK, lockWaitTimeout: LOCK_WAIT_TIMEOUT } = MYSQL_ERRORS;

/**
 * MySQL / MariaDB: one counter row per scope, bumped with
 * `INSERT … VALUES (?, LAST_INSERT_ID(?)) ON DUPLICATE KEY UPDATE value =
 * LAST_INSERT_ID(value + ?)`. `LAST_INSERT_ID(expr)` is per connection, and
 * the server reports it as the statement's `insertId` in the same OK packet,
 * so the new value comes back on the connection that wrote it, in one round
 * trip, with no follow-up `SELECT LAST_INSERT_ID()` and no connection
 * checkout. The insert branch sets it too, so the first use of a scope works.
 */
export function createMysqlAllocator(
  client: MysqlClient,
  table: string,
  options: MysqlDialectOptions = {},
): AllocatorDialect<MysqlClient> {
  const maxAttempts = options.maxAttempts ?? 8;
  const reserveSql = /* sql */ `INSERT INTO ${table} (scope, value) VALUES (?, LAST_INSERT_ID(?))
ON DUPLICATE KEY UPDATE value = IF(value <= ${MAX_SEQUENCE} - ?, LAST_INSERT_ID(value + ?), value + LAST_INSERT_ID(0))`;
  const currentSql = /* sql */ `SELECT value FROM ${table} WHERE scope = ?`;

  return {
    name: 'mysql',
    async reserve(scope, count, caller) {
      const values = [scope, count, count, count];
      let insertId: unknown;
      for (let attempt = 1; ; attempt++) {
        try {
          const [result] = await (caller ?? client).query(reserveSql, values);
          insertId = (result as { insertId?: unknown }).insertId;
          break;
        } catch (error) {
          const errno = mysqlErrno(error);
          const retryable = errno === DEADLOCK || errno === LOCK_WAIT_TIMEOUT;
          if (caller !== undefined || !retryable || attempt >= maxAttempts) throw error;
          await backoff(attempt);
        }
      }
      const last = toSequence('mysql', insertId);
      // 0 is the IF's refusal to pass MAX_SEQUENCE (the row is unchanged); a reservation is never 0.
      if (last === 0) throw overflowError('mysql', scope, count);
      return last;
    },
    async current(scope, caller) {
      const [rows] = await (caller ?? client).query(currentSql, [scope]);
      const row = (rows as { value?: unknown }[])[0];
      return row === undefined ? 0 : toSequence('mysql', row.value);
    },
    async createTable(ddl) {
      await client.query(ddl);
    },
    hint(error, inCallerTransaction) {
      const errno = mysqlErrno(error);
      if (errno === MYSQL_ERRORS.noSuchTable) return CREATE_COUNTER_TABLE;
      if (errno === DEADLOCK && inCallerTransaction) {
        return 'InnoDB rolled back your transaction; retry the whole transaction';
      }
      if (errno === DEADLOCK || errno === LOCK_WAIT_TIMEOUT) {
        return `gave up after ${maxAttempts} attempts; the scope is heavily contended`;
      }
      return 'check the connection';
    },
    createTableHint: 'check the permissions',
  };
}

// ---------------------------------------------------------------------------

/** Full jitter, so retrying connections do not collide again in lockstep. */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
