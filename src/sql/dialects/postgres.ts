import {
  backendError,
  quoteTableName,
  type SqlDialect,
  type TableName,
  toSequence,
} from '../dialect';

/**
 * The subset of node-postgres that the Postgres dialect calls: a `pg.Pool`,
 * a `pg.Client`, or a `PoolClient` checked out for a transaction all fit.
 */
export interface PostgresClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Undefined table: the counter table has not been created. */
const UNDEFINED_TABLE = '42P01';

/**
 * Postgres: one counter row per scope, bumped by a single
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING`. The row lock it takes is held
 * until the surrounding transaction ends, so concurrent allocations on one
 * scope are serialised and a rolled-back allocation is handed out again.
 * Without a caller transaction the statement runs in autocommit on the pool:
 * one round trip, atomic on its own.
 */
export function createPostgresDialect(
  client: PostgresClient,
  name: TableName,
): SqlDialect<PostgresClient> {
  const table = quoteTableName(name, '"');
  const ddl = postgresCounterTableDDL(name);
  const reserveSql = /* sql */ `INSERT INTO ${table} AS counter (scope, value) VALUES ($1, $2)
ON CONFLICT (scope) DO UPDATE SET value = counter.value + EXCLUDED.value
RETURNING value`;
  const currentSql = /* sql */ `SELECT value FROM ${table} WHERE scope = $1`;

  const fail = (what: string, error: unknown) =>
    backendError(
      'postgres',
      what,
      error,
      (error as { code?: unknown }).code === UNDEFINED_TABLE
        ? `create the counter table first: await allocator.ensureSchema() (or run allocator.ddl in a migration)`
        : 'check the connection; inside a transaction, roll it back and retry it',
    );

  return {
    name: 'postgres',
    ddl,
    async reserve(scope, count, caller) {
      let rows: unknown[];
      try {
        ({ rows } = await (caller ?? client).query(reserveSql, [scope, count]));
      } catch (error) {
        throw fail(`allocating for scope ${JSON.stringify(scope)}`, error);
      }
      return toSequence('postgres', (rows[0] as { value?: unknown } | undefined)?.value);
    },
    async current(scope, caller) {
      let rows: unknown[];
      try {
        ({ rows } = await (caller ?? client).query(currentSql, [scope]));
      } catch (error) {
        throw fail(`reading the counter for scope ${JSON.stringify(scope)}`, error);
      }
      const row = rows[0] as { value?: unknown } | undefined;
      return row === undefined ? 0 : toSequence('postgres', row.value);
    },
    async ensureSchema() {
      try {
        await client.query(ddl);
      } catch (error) {
        // Two processes racing CREATE TABLE IF NOT EXISTS can both pass the
        // existence check; the loser hits a unique violation on the catalog.
        if ((error as { code?: unknown }).code === '23505') return;
        throw backendError(
          'postgres',
          'creating the counter table',
          error,
          'check the permissions',
        );
      }
    },
  };
}

/** The `CREATE TABLE IF NOT EXISTS` statement for the postgres counter table. */
export function postgresCounterTableDDL(name: TableName): string {
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${quoteTableName(name, '"')} (
  scope text PRIMARY KEY,
  value bigint NOT NULL CHECK (value >= 0)
)`;
}
