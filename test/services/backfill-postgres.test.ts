import pg from 'pg';
import { describe } from 'vitest';
import { describeBackfill } from '../support/backfill-suite';
import { POSTGRES_URL, requireService } from '../support/services';

const online = await requireService('postgres');
const dollars = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

describe.runIf(online)('postgres', () => {
  describeBackfill('PostgreSQL (pg.Pool)', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    pool.on('error', () => {});
    return {
      dialect: 'postgres',
      client: pool,
      target: POSTGRES_URL,
      async exec(sql, values = []) {
        await pool.query(dollars(sql), values);
      },
      async rows(sql, values = []) {
        return (await pool.query(dollars(sql), values)).rows;
      },
      createMessages: (table) =>
        `CREATE TABLE ${table} (id bigint PRIMARY KEY, conversation_id text NOT NULL, created_at timestamp(6) NOT NULL)`,
      async dyingClient(kill) {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        client.on('error', () => {});
        await client.connect();
        const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        let numbering = 0;
        return {
          // Not a Pool (no totalCount): the backfill runs on this one connection.
          client: {
            async query(config: { text: string; values?: unknown[] }) {
              if (/row_number\(\)/i.test(config.text) && /\bUPDATE\b/.test(config.text)) {
                numbering += 1;
                // The server ends the backend mid-transaction, as a crash or failover would.
                if (numbering === kill) await pool.query('SELECT pg_terminate_backend($1)', [pid]);
              }
              return client.query(config);
            },
          },
          close: () => client.end().catch(() => {}),
        };
      },
      close: () => pool.end(),
    };
  });
});
