import type { AllocatorDialect } from './allocatorDialect';
import type { BackfillDialect, BackfillPlan } from './backfill/types';
import { SqlConfigError, type SqlDialectName, type TableName } from './identifiers';
import { mysql } from './mysql/dialect';
import { postgres } from './postgres/dialect';
import { sqlite } from './sqlite/dialect';
import type { StoreDialect } from './store/storeDialect';

/**
 * Everything seqline knows about one SQL engine, gathered from its folder
 * (`postgres/`, `mysql/`, `sqlite/`). The allocator, the backfill, the DDL
 * helpers and the message store look a dialect up here, once, by name; a new
 * engine is a new folder plus one line in {@link DIALECTS}.
 */
export interface SqlDialectModule<Client = unknown, StoreClient = unknown> {
  readonly name: SqlDialectName;
  /** The identifier quote: `"` (Postgres, SQLite) or `` ` `` (MySQL). */
  readonly quote: '"' | '`';
  /** The driver object it takes, for the one client-shape check ({@link checkClient}). */
  readonly client: ClientShape;
  /** The allocator's counter table, `CREATE TABLE IF NOT EXISTS`. */
  counterTableDDL(table: TableName): string;
  /** `ALTER TABLE` adding the nullable sequence column (migration step 1). */
  sequenceColumnDDL(table: TableName, column: string): string;
  /** `UNIQUE (scope, sequence)`; `concurrently` is honoured where the engine has it (Postgres). */
  uniqueSequenceDDL(
    table: TableName,
    name: string,
    scope: string,
    sequence: string,
    concurrently: boolean,
  ): string;
  /** The allocator's statements over the validated, quoted counter table. */
  allocator(client: Client, table: string, options: object): AllocatorDialect<Client>;
  /** The backfill's statements and its one-connection session. */
  backfill(client: Client, plan: BackfillPlan): BackfillDialect;
  /** The message store's statements; `prefix` names its constraints and indexes. */
  store(client: StoreClient, prefix: string): StoreDialect<unknown>;
}

/** The methods a dialect's client must have, and how to say so when they are missing. */
export interface ClientShape {
  /** What to pass, as the error says it: `a pg Pool, Client or PoolClient`. */
  readonly what: string;
  /** The methods the allocator calls. */
  readonly allocator: readonly string[];
  /** The methods the backfill calls. */
  readonly backfill: readonly string[];
  /** What to do about a wrong client. */
  readonly hint: string;
}

/** The supported dialects, by name. */
export const DIALECTS: Readonly<Record<SqlDialectName, SqlDialectModule>> = {
  postgres,
  mysql,
  sqlite,
};

/**
 * The dialect called `name`. Throws `SqlConfigError('UNKNOWN_DIALECT')`,
 * whose message starts `[seqline] [<who>]`, for any other value.
 */
export function sqlDialect(name: unknown, who: string): SqlDialectModule {
  if (typeof name !== 'string' || !Object.hasOwn(DIALECTS, name)) {
    throw new SqlConfigError(
      'UNKNOWN_DIALECT',
      `[seqline] [${who}] unknown dialect ${JSON.stringify(name)}: use 'postgres', 'mysql' (also MariaDB) or 'sqlite'`,
    );
  }
  return DIALECTS[name as SqlDialectName];
}

/**
 * Checks that `client` has the methods `use` calls on it, before any SQL
 * runs. Throws `SqlConfigError('INVALID_CLIENT')` naming what is missing.
 */
export function checkClient(
  dialect: SqlDialectModule,
  client: unknown,
  use: 'allocator' | 'backfill',
): void {
  const shape = dialect.client;
  const missing = shape[use].filter(
    (method) => typeof (client as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    const who = use === 'backfill' ? `[backfill] [${dialect.name}]` : `[${dialect.name}]`;
    throw new SqlConfigError(
      'INVALID_CLIENT',
      `[seqline] ${who} client must be ${shape.what} (missing ${missing.join(', ')}); ${shape.hint}`,
    );
  }
}
