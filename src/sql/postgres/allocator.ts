import { fnv1aHex } from '../../core/hash';
import { MAX_SEQUENCE, overflowError } from '../../server/allocator';
import { type AllocatorDialect, CREATE_COUNTER_TABLE, toSequence } from '../allocatorDialect';
import type { PostgresClient, PostgresDialectOptions } from './config';
import { POSTGRES_ERRORS, postgresCode } from './errors';

/**
 * Postgres: one counter row per scope, bumped by a single
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING`. The row lock it takes is held
 * until the surrounding transaction ends, so concurrent allocations on one
 * scope are serialised and a rolled-back allocation is handed out again.
 * Without a caller transaction the statement runs in autocommit on the pool:
 * one round trip, atomic on its own.
 */
export function createPostgresAllocator(
  client: PostgresClient,
  table: string,
  options: PostgresDialectOptions = {},
): AllocatorDialect<PostgresClient> {
  const reserveSql = /* sql */ `INSERT INTO ${table} AS counter (scope, value) VALUES ($1, $2)
ON CONFLICT (scope) DO UPDATE SET value = counter.value + EXCLUDED.value
WHERE counter.value <= ${MAX_SEQUENCE} - EXCLUDED.value
RETURNING value`;
  const currentSql = /* sql */ `SELECT value FROM ${table} WHERE scope = $1`;
  // node-postgres prepares a named statement once per connection. The name is
  // a hash of the text, so two allocators on different tables never clash.
  const prepared = options.preparedStatements ?? true;
  const reserveName = prepared ? `seqline_${fnv1aHex(reserveSql)}` : undefined;
  const currentName = prepared ? `seqline_${fnv1aHex(currentSql)}` : undefined;

  return {
    name: 'postgres',
    async reserve(scope, count, caller) {
      const { rows } = await (caller ?? client).query({
        name: reserveName,
        text: reserveSql,
        values: [scope, count],
      });
      // No row: the WHERE refused to pass MAX_SEQUENCE, and nothing was written.
      if (rows.length === 0) throw overflowError('postgres', scope, count);
      return toSequence('postgres', (rows[0] as { value?: unknown } | undefined)?.value);
    },
    async current(scope, caller) {
      const { rows } = await (caller ?? client).query({
        name: currentName,
        text: currentSql,
        values: [scope],
      });
      const row = rows[0] as { value?: unknown } | undefined;
      return row === undefined ? 0 : toSequence('postgres', row.value);
    },
    async createTable(ddl) {
      try {
        await client.query({ text: ddl });
      } catch (error) {
        // Two processes racing CREATE TABLE IF NOT EXISTS can both pass the
        // existence check; the loser hits a unique violation on the catalog.
        if (postgresCode(error) !== POSTGRES_ERRORS.uniqueViolation) throw error;
      }
    },
    hint: (error) =>
      postgresCode(error) === POSTGRES_ERRORS.undefinedTable
        ? CREATE_COUNTER_TABLE
        : 'check the connection; inside a transaction, roll it back and retry it',
    createTableHint: 'check the permissions',
  };
}
