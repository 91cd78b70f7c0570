import type { MessageRow, StoreDialect } from '../store/storeDialect';
import type { MysqlPool, MysqlPoolConnection } from './config';
import { mysqlMessagesTableDDL } from './ddl';
import { isMysqlUniqueViolation } from './errors';

/** MySQL and MariaDB through mysql2: `?` placeholders, a pooled connection per transaction. */
export function mysqlStoreDialect(pool: MysqlPool, key: string): StoreDialect<MysqlPoolConnection> {
  return {
    name: 'mysql',
    param: () => '?',
    textLength: (expression) => `CHAR_LENGTH(${expression})`,
    ddl: (quoted) => mysqlMessagesTableDDL(quoted, key),
    async transaction(work) {
      const connection = await pool.getConnection();
      let broken = false;
      try {
        await connection.query('START TRANSACTION');
        const result = await work(connection);
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        if (broken && connection.destroy) connection.destroy();
        else connection.release();
      }
    },
    async rows(sql, values, tx) {
      const [rows] = await (tx ?? pool).query(sql, values);
      return Array.isArray(rows) ? (rows as MessageRow[]) : [];
    },
    async run(sql, values, tx) {
      await (tx ?? pool).query(sql, values);
    },
    isClientIdViolation: (error) => isMysqlUniqueViolation(error, `${key}_client_id`),
    allocatorClient: (tx) => tx,
  };
}
