import {
  type AllocateOptions,
  assertValidCount,
  assertValidScope,
  type SequenceAllocator,
} from '../server/allocator';
import { SequenceAllocatorError } from '../server/errors';
import {
  DEFAULT_TABLE,
  parseTableName,
  type SqlDialect,
  type SqlDialectName,
  type TableName,
} from './dialect';
import {
  createMysqlDialect,
  type MysqlClient,
  type MysqlDialectOptions,
  mysqlCounterTableDDL,
} from './dialects/mysql';
import {
  createPostgresDialect,
  type PostgresClient,
  type PostgresDialectOptions,
  postgresCounterTableDDL,
} from './dialects/postgres';
import {
  createSqliteDialect,
  type SqliteClient,
  type SqliteDialectOptions,
  sqliteCounterTableDDL,
} from './dialects/sqlite';

/** Per-call options of a SQL allocator. */
export interface SqlAllocateOptions<Client> extends AllocateOptions {
  /**
   * Run the allocation on this client instead of the allocator's own: pass
   * the connection holding your open transaction, and the increment commits
   * or rolls back together with your message insert (a rolled-back number is
   * handed out again, so sequences stay gapless).
   * @default the client the allocator was created with
   */
  client?: Client;
}

/** A `SequenceAllocator` backed by a counter table in a SQL database. */
export interface SqlAllocator<Client> extends SequenceAllocator<SqlAllocateOptions<Client>> {
  /** The dialect chosen at construction. */
  readonly dialect: SqlDialectName;
  /** The counter table's name, as validated at construction. */
  readonly table: string;
  /** `CREATE TABLE IF NOT EXISTS` for the counter table, for your migrations. */
  readonly ddl: string;
  /** Creates the counter table if it is missing. Safe to call on every start. */
  ensureSchema(): Promise<void>;
}

interface CommonOptions {
  /**
   * Counter table, optionally schema-qualified (`app.seqline_counters`).
   * Letters, digits and underscores only; anything else is refused with
   * `INVALID_CONFIG` when the allocator is created.
   * @default 'seqline_counters'
   */
  table?: string;
}

/** `createSqlAllocator` options for PostgreSQL through node-postgres (`pg`). */
export interface PostgresAllocatorOptions extends CommonOptions, PostgresDialectOptions {
  dialect: 'postgres';
  /** A `pg.Pool` (recommended), `pg.Client` or `PoolClient`. */
  client: PostgresClient;
}

/** `createSqlAllocator` options for MySQL or MariaDB through `mysql2/promise`. */
export interface MysqlAllocatorOptions extends CommonOptions, MysqlDialectOptions {
  dialect: 'mysql';
  /** A `mysql2/promise` Pool (recommended) or Connection. */
  client: MysqlClient;
}

/** `createSqlAllocator` options for SQLite through `better-sqlite3`. */
export interface SqliteAllocatorOptions extends CommonOptions, SqliteDialectOptions {
  dialect: 'sqlite';
  /** A better-sqlite3 `Database`. */
  client: SqliteClient;
}

/** Options for {@link createSqlAllocator}, by dialect. */
export type SqlAllocatorOptions =
  | PostgresAllocatorOptions
  | MysqlAllocatorOptions
  | SqliteAllocatorOptions;

/** Any client a SQL allocator accepts. */
export type SqlClient = PostgresClient | MysqlClient | SqliteClient;

/**
 * A sequence allocator over a counter table in your own database: monotonic,
 * gapless, survives restarts and is safe across many app instances
 * (SQLite: across processes on one host). Pass your driver's pool; per call,
 * pass `{ client }` to allocate inside your open transaction.
 *
 * - `postgres`: one `INSERT … ON CONFLICT DO UPDATE … RETURNING` (one round trip).
 * - `mysql` (and MariaDB): `LAST_INSERT_ID(value + n)` upsert, retried on deadlock.
 * - `sqlite`: UPSERT … RETURNING inside `BEGIN IMMEDIATE`, with a busy timeout.
 *
 * @example
 * import pg from 'pg';
 * import { createSqlAllocator } from 'seqline/sql';
 *
 * const pool = new pg.Pool();
 * const sequences = createSqlAllocator({ dialect: 'postgres', client: pool });
 * await sequences.ensureSchema();
 *
 * const client = await pool.connect();
 * try {
 *   await client.query('BEGIN');
 *   const { first, last } = await sequences.nextRange(conversationId, 2, { client });
 *   await client.query('INSERT INTO messages (conversation_id, sequence, role, content) VALUES ($1, $2, $3, $4)', [conversationId, first, 'user', text]);
 *   await client.query('COMMIT'); // the reply later uses `last`
 * } catch (error) {
 *   await client.query('ROLLBACK'); // the numbers are handed out again
 *   throw error;
 * } finally {
 *   client.release();
 * }
 */
export function createSqlAllocator(options: PostgresAllocatorOptions): SqlAllocator<PostgresClient>;
export function createSqlAllocator(options: MysqlAllocatorOptions): SqlAllocator<MysqlClient>;
export function createSqlAllocator(options: SqliteAllocatorOptions): SqlAllocator<SqliteClient>;
export function createSqlAllocator(options: SqlAllocatorOptions): SqlAllocator<SqlClient>;
export function createSqlAllocator(options: SqlAllocatorOptions): SqlAllocator<SqlClient> {
  const dialect = createDialect(options) as SqlDialect<SqlClient>;
  const backend = dialect.name;
  const table = options.table ?? DEFAULT_TABLE;

  return {
    dialect: backend,
    table,
    ddl: dialect.ddl,
    async next(scope, callOptions) {
      assertValidScope(scope, backend);
      return dialect.reserve(scope, 1, callOptions?.client);
    },
    async nextRange(scope, count, callOptions) {
      assertValidScope(scope, backend);
      assertValidCount(count, backend);
      const last = await dialect.reserve(scope, count, callOptions?.client);
      return { first: last - count + 1, last };
    },
    async current(scope, callOptions) {
      assertValidScope(scope, backend);
      return dialect.current(scope, callOptions?.client);
    },
    ensureSchema() {
      return dialect.ensureSchema();
    },
  };
}

/**
 * The counter table's `CREATE TABLE IF NOT EXISTS` for `dialect`, without
 * building an allocator: for migration files.
 *
 * @example
 * counterTableDDL('postgres'); // CREATE TABLE IF NOT EXISTS "seqline_counters" (…)
 */
export function counterTableDDL(dialect: SqlDialectName, table: string = DEFAULT_TABLE): string {
  const name = parseTableName(table, dialect);
  const ddl: Record<SqlDialectName, (name: TableName) => string> = {
    postgres: postgresCounterTableDDL,
    mysql: mysqlCounterTableDDL,
    sqlite: sqliteCounterTableDDL,
  };
  if (!Object.hasOwn(ddl, dialect)) throw unknownDialect(dialect);
  return ddl[dialect](name);
}

// ---------------------------------------------------------------------------

function createDialect(options: SqlAllocatorOptions): SqlDialect<never> {
  const { dialect } = options ?? {};
  if (dialect !== 'postgres' && dialect !== 'mysql' && dialect !== 'sqlite') {
    throw unknownDialect(dialect);
  }
  const name = parseTableName(options.table ?? DEFAULT_TABLE, dialect);
  switch (options.dialect) {
    case 'postgres':
      requireMethods(options.client, ['query'], 'postgres', 'a pg Pool, Client or PoolClient');
      return createPostgresDialect(options.client, name, options);
    case 'mysql':
      requireMethods(options.client, ['query'], 'mysql', 'a mysql2/promise Pool or Connection');
      return createMysqlDialect(options.client, name, options);
    case 'sqlite':
      requireMethods(
        options.client,
        ['prepare', 'exec', 'pragma'],
        'sqlite',
        'a better-sqlite3 Database',
      );
      return createSqliteDialect(options.client, name, options);
  }
}

function requireMethods(client: unknown, methods: string[], dialect: SqlDialectName, what: string) {
  const missing = methods.filter(
    (method) => typeof (client as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      `[seqline] [${dialect}] client must be ${what} (missing ${missing.join(', ')}); ` +
        (dialect === 'mysql'
          ? 'use the promise API: require("mysql2/promise")'
          : 'pass your open driver object'),
    );
  }
}

function unknownDialect(dialect: unknown): SequenceAllocatorError {
  return new SequenceAllocatorError(
    'INVALID_CONFIG',
    `[seqline] [sql] unknown dialect ${JSON.stringify(dialect)}: use 'postgres', 'mysql' (also MariaDB) or 'sqlite'`,
  );
}
