import {
  type AllocateOptions,
  assertValidCount,
  assertValidScope,
  type SequenceAllocator,
} from '../server/allocator';
import { SequenceAllocatorError } from '../server/errors';
import { type AllocatorDialect, backendError } from './allocatorDialect';
import { checkClient, sqlDialect } from './dialects';
import {
  asOwnError,
  DEFAULT_TABLE,
  parseTableName,
  quoteTableName,
  type SqlDialectName,
} from './identifiers';
import type { MysqlClient, MysqlDialectOptions } from './mysql/config';
import type { PostgresClient, PostgresDialectOptions } from './postgres/config';
import type { SqliteClient, SqliteDialectOptions } from './sqlite/config';

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
  const table = options?.table ?? DEFAULT_TABLE;
  const { dialect, ddl } = asOwnError(() => {
    const module = sqlDialect(options?.dialect, 'sql');
    const name = parseTableName(table, module.name);
    checkClient(module, options.client, 'allocator');
    const quoted = quoteTableName(name, module.quote);
    return {
      dialect: module.allocator(options.client, quoted, options) as AllocatorDialect<SqlClient>,
      ddl: module.counterTableDDL(name),
    };
  }, invalidConfig);
  const backend = dialect.name;
  /**
   * Lets seqline's own errors through and wraps a driver's, with the
   * dialect's hint. `what` is built only on failure: allocation is hot.
   */
  const guard = async <T>(
    what: () => string,
    work: () => Promise<T>,
    hint: (e: unknown) => string,
  ) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SequenceAllocatorError) throw error;
      throw backendError(backend, what(), error, hint(error));
    }
  };
  const allocating = (scope: string, caller: SqlClient | undefined, count: number) =>
    guard(
      () => `allocating for scope ${JSON.stringify(scope)}`,
      () => dialect.reserve(scope, count, caller),
      (error) => dialect.hint(error, caller !== undefined),
    );

  return {
    dialect: backend,
    table,
    ddl,
    async next(scope, callOptions) {
      assertValidScope(scope, backend);
      return allocating(scope, callOptions?.client, 1);
    },
    async nextRange(scope, count, callOptions) {
      assertValidScope(scope, backend);
      assertValidCount(count, backend);
      const last = await allocating(scope, callOptions?.client, count);
      return { first: last - count + 1, last };
    },
    async current(scope, callOptions) {
      assertValidScope(scope, backend);
      const caller = callOptions?.client;
      return guard(
        () => `reading the counter for scope ${JSON.stringify(scope)}`,
        () => dialect.current(scope, caller),
        (error) => dialect.hint(error, caller !== undefined),
      );
    },
    ensureSchema() {
      return guard(
        () => 'creating the counter table',
        () => dialect.createTable(ddl),
        () => dialect.createTableHint,
      );
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
  return asOwnError(() => {
    const module = sqlDialect(dialect, 'sql');
    return module.counterTableDDL(parseTableName(table, module.name));
  }, invalidConfig);
}

// ---------------------------------------------------------------------------

function invalidConfig(message: string, options: ErrorOptions): SequenceAllocatorError {
  return new SequenceAllocatorError('INVALID_CONFIG', message, options);
}
