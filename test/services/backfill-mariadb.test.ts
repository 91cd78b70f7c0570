import mysql from 'mysql2/promise';
import { describe } from 'vitest';
import { describeBackfill } from '../support/backfill-suite';
import { MARIADB_URL, requireService } from '../support/services';

const online = await requireService('mariadb');

describe.runIf(online)('mariadb', () => {
  describeBackfill('MariaDB (mysql2 Pool)', async () => {
    const pool = mysql.createPool({ uri: MARIADB_URL, connectionLimit: 4 });
    return {
      dialect: 'mysql',
      client: pool,
      target: MARIADB_URL,
      async exec(sql, values = []) {
        await pool.query(sql, values);
      },
      async rows(sql, values = []) {
        return (await pool.query(sql, values))[0] as never[];
      },
      createMessages: (table) =>
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, conversation_id VARCHAR(64) NOT NULL, created_at DATETIME(6) NOT NULL) ENGINE=InnoDB`,
      async dyingClient(kill) {
        const connection = await mysql.createConnection({ uri: MARIADB_URL });
        connection.on('error', () => {});
        let numbering = 0;
        return {
          // Not a Pool (no getConnection): the backfill runs on this one connection.
          client: {
            async query(sql: string, values?: unknown[]) {
              if (/ROW_NUMBER\(\)/.test(sql) && /^UPDATE\b/.test(sql)) {
                numbering += 1;
                // The server ends the connection mid-transaction, as a crash or failover would.
                if (numbering === kill) await pool.query(`KILL ${connection.threadId}`);
              }
              return connection.query(sql, values);
            },
          },
          close: () => connection.end().catch(() => {}),
        };
      },
      close: () => pool.end(),
    };
  });
});
