import type { MessageRow, StoreDialect } from '../store/storeDialect';
import type { PostgresPool, PostgresPoolClient } from './config';
import { postgresMessagesTableDDL } from './ddl';
import { isPostgresUniqueViolation } from './errors';

/** PostgreSQL through node-postgres: `$n` placeholders, a pooled client per transaction. */
export function postgresStoreDialect(
  pool: PostgresPool,
  constraint: string,
): StoreDialect<PostgresPoolClient> {
  return {
    name: 'postgres',
    param: (n) => `$${n}`,
    textLength: (expression) => `char_length(${expression}::text)`,
    ddl: (quoted) => postgresMessagesTableDDL(quoted, constraint),
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no pool listener: a backend terminated between two statements
      // would emit an unhandled 'error' and end the process. The next query fails instead.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on?.('error', onError);
      try {
        await client.query({ text: 'BEGIN' });
        const result = await work(client);
        await client.query({ text: 'COMMIT' });
        return result;
      } catch (error) {
        await client.query({ text: 'ROLLBACK' }).catch((rollback: Error) => {
          broken = rollback; // the connection is gone: do not return it to the pool
        });
        throw error;
      } finally {
        client.off?.('error', onError);
        client.release(broken);
      }
    },
    async rows(text, values, tx) {
      return (await (tx ?? pool).query({ text, values })).rows as MessageRow[];
    },
    async run(text, values, tx) {
      await (tx ?? pool).query({ text, values });
    },
    isClientIdViolation: (error) => isPostgresUniqueViolation(error, `${constraint}_client_id`),
    allocatorClient: (tx) => tx,
  };
}
