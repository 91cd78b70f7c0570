import { randomUUID } from 'node:crypto';
import type { Message } from '../../core/schemas';
import {
  type AppendResult,
  clientIdConflict,
  type MessageStore,
  MessageStoreError,
  sameMessage,
  turnMessages,
  type ValidAppend,
  validateAppend,
  validateHistoryQuery,
} from '../../server/store/messageStore';
import {
  createSqlAllocator,
  type SqlAllocator,
  type SqlAllocatorOptions,
} from '../createSqlAllocator';
import { sqlDialect } from '../dialects';
import { asOwnError, DEFAULT_TABLE, parseTableName, quoteTableName } from '../identifiers';
import type { MysqlPool } from '../mysql/config';
import type { PostgresPool } from '../postgres/config';
import type { SqliteDatabase } from '../sqlite/config';
import { COLUMNS, type MessageRow, type StoreDialect } from './storeDialect';

interface CommonOptions {
  /**
   * The messages table, optionally schema-qualified. Letters, digits and
   * underscores. It may have columns of your own: seqline names the columns
   * it reads and writes, and leaves the others to their defaults.
   * @default 'seqline_messages'
   */
  table?: string;
  /**
   * The counter table of the sequence allocator (`createSqlAllocator`).
   * @default 'seqline_counters'
   */
  counterTable?: string;
}

/** `createSqlMessageStore` on PostgreSQL: a `pg.Pool`. */
export interface PostgresMessageStoreOptions extends CommonOptions {
  dialect: 'postgres';
  client: PostgresPool;
}

/** `createSqlMessageStore` on MySQL or MariaDB: a `mysql2/promise` Pool. */
export interface MysqlMessageStoreOptions extends CommonOptions {
  dialect: 'mysql';
  client: MysqlPool;
}

/** `createSqlMessageStore` on SQLite: a better-sqlite3 `Database`. */
export interface SqliteMessageStoreOptions extends CommonOptions {
  dialect: 'sqlite';
  client: SqliteDatabase;
}

/** Options of {@link createSqlMessageStore}, by dialect. */
export type SqlMessageStoreOptions =
  | PostgresMessageStoreOptions
  | MysqlMessageStoreOptions
  | SqliteMessageStoreOptions;

/** A `MessageStore` in your SQL database, with its schema. */
export interface SqlMessageStore extends MessageStore {
  /** The allocator numbering the messages, on the same client (its counter table). */
  readonly allocator: SqlAllocator<unknown>;
  /** `CREATE TABLE IF NOT EXISTS` statements for the messages table (the counter table's are `allocator.ddl`). */
  readonly ddl: readonly string[];
  /**
   * Creates both tables if they are missing. Safe on every start. Resolves
   * with the store: `const store = await createSqlMessageStore(…).ensureSchema()`.
   */
  ensureSchema(): Promise<SqlMessageStore>;
}

/** The default messages table. */
export const DEFAULT_MESSAGES_TABLE = 'seqline_messages';

/**
 * Messages in your own database: each append is one transaction that takes
 * the sequences from the counter table (`nextRange(conversationId, 2)` with a
 * reply) and inserts the rows, so numbers follow commit order and a rollback
 * leaves no hole. Idempotent on `(conversation_id, client_id)`, backstopped by
 * unique keys on it and on `(conversation_id, sequence)`.
 *
 * @example
 * import pg from 'pg';
 * import { createSqlMessageStore } from 'seqline/sql';
 *
 * const store = createSqlMessageStore({ dialect: 'postgres', client: new pg.Pool() });
 * await store.ensureSchema();
 * const { message, reply } = await store.append({ conversationId: 'c1', clientId, content: 'Hi', reply: true });
 */
export function createSqlMessageStore(options: SqlMessageStoreOptions): SqlMessageStore {
  const { dialect, name } = asOwnError(
    () => {
      const dialect = sqlDialect(options?.dialect, 'store');
      return {
        dialect,
        name: parseTableName(options.table ?? DEFAULT_MESSAGES_TABLE, dialect.name),
      };
    },
    (message, cause) => new MessageStoreError('INVALID_CONFIG', message, cause),
  );
  const allocator = createSqlAllocator({
    dialect: dialect.name,
    client: options.client,
    table: options.counterTable ?? DEFAULT_TABLE,
  } as SqlAllocatorOptions);
  return build(
    dialect.store(options.client, name.table),
    quoteTableName(name, dialect.quote),
    allocator,
  );
}

// ---------------------------------------------------------------------------

function build<Tx>(
  dialect: StoreDialect<Tx>,
  table: string,
  allocator: SqlAllocator<never>,
): SqlMessageStore {
  const p = dialect.param;
  const select = (where: string) => /* sql */ `SELECT ${COLUMNS} FROM ${table} WHERE ${where}`;
  const ddl = dialect.ddl(table);
  const insertSql = /* sql */ `INSERT INTO ${table} (${COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(p).join(', ')})`;
  const backend = (what: string, cause: unknown) =>
    cause instanceof MessageStoreError
      ? cause
      : new MessageStoreError(
          'BACKEND',
          `[seqline] [${dialect.name}] ${what} failed: ${cause instanceof Error ? cause.message : String(cause)}; check the connection and that ensureSchema() has run`,
          { cause },
        );

  /** The message stored for this clientId, and the reply reserved right after it. */
  const findTurn = async (input: ValidAppend, tx?: Tx): Promise<AppendResult | undefined> => {
    const [row] = await dialect.rows(
      select(`conversation_id = ${p(1)} AND client_id = ${p(2)}`),
      [input.conversationId, input.clientId],
      tx,
    );
    if (!row) return undefined;
    const message = toMessage(row);
    if (!sameMessage(message, input)) throw clientIdConflict(input);
    const [next] = await dialect.rows(
      select(`conversation_id = ${p(1)} AND sequence = ${p(2)}`),
      [input.conversationId, message.sequence! + 1],
      tx,
    );
    // Only a reply stored without a clientId is this message's reserved placeholder.
    const reply =
      next && next.role === 'assistant' && next.client_id === null ? toMessage(next) : undefined;
    return { message, ...(input.reply && reply ? { reply } : {}), created: false };
  };

  const insert = async (input: ValidAppend): Promise<AppendResult> =>
    dialect.transaction(async (tx) => {
      const range = await allocator.nextRange(input.conversationId, input.reply ? 2 : 1, {
        client: dialect.allocatorClient(tx) as never,
      });
      const { message, reply } = turnMessages(input, range, randomUUID);
      await dialect.run(insertSql, rowValues(message), tx);
      if (!reply) return { message, created: true };
      await dialect.run(insertSql, rowValues(reply), tx);
      return { message, reply, created: true };
    });

  const store: SqlMessageStore = {
    allocator,
    ddl,
    async ensureSchema() {
      try {
        for (const statement of ddl) await dialect.run(statement, []);
      } catch (error) {
        throw backend('ensureSchema()', error);
      }
      await allocator.ensureSchema();
      return store;
    },
    async append(raw) {
      const input = validateAppend(raw);
      try {
        if (input.clientId !== null) {
          const found = await findTurn(input);
          if (found) return found;
        }
        return await insert(input);
      } catch (error) {
        // The same clientId committed first on another connection: answer with it.
        if (input.clientId !== null && dialect.isClientIdViolation(error)) {
          const raced = await findTurn(input).catch((e: unknown) => {
            throw backend('append()', e);
          });
          if (raced) return raced;
        }
        throw backend('append()', error);
      }
    },
    async list(conversationId, query) {
      const { after, before, limit } = validateHistoryQuery(query);
      try {
        if (after !== undefined) {
          const rows = await dialect.rows(
            select(
              `conversation_id = ${p(1)} AND sequence > ${p(2)} ORDER BY sequence LIMIT ${Number(limit)}`,
            ),
            [conversationId, after],
          );
          return rows.map(toMessage);
        }
        // The newest `limit` below `before` (or of all), read descending and turned around.
        const rows = await dialect.rows(
          before === undefined
            ? select(`conversation_id = ${p(1)} ORDER BY sequence DESC LIMIT ${Number(limit)}`)
            : select(
                `conversation_id = ${p(1)} AND sequence < ${p(2)} ORDER BY sequence DESC LIMIT ${Number(limit)}`,
              ),
          before === undefined ? [conversationId] : [conversationId, before],
        );
        return rows.map(toMessage).reverse();
      } catch (error) {
        throw backend('list()', error);
      }
    },
    async get(conversationId, messageId) {
      try {
        const [row] = await dialect.rows(select(`conversation_id = ${p(1)} AND id = ${p(2)}`), [
          conversationId,
          messageId,
        ]);
        return row && toMessage(row);
      } catch (error) {
        throw backend('get()', error);
      }
    },
    async updateReply(update) {
      const length = dialect.textLength;
      // One statement: a final status is never left, content never gets shorter.
      const sql = /* sql */ `UPDATE ${table} SET
  content = CASE WHEN ${length(p(1))} >= ${length('content')} THEN ${p(2)} ELSE content END,
  status = ${p(3)},
  error = ${p(4)}
WHERE id = ${p(5)} AND conversation_id = ${p(6)} AND status NOT IN ('complete', 'failed')`;
      try {
        await dialect.run(sql, [
          update.content,
          update.content,
          update.status,
          update.status === 'failed' ? (update.error ?? null) : null,
          update.messageId,
          update.conversationId,
        ]);
      } catch (error) {
        throw backend('updateReply()', error);
      }
    },
    async unfinished(options = {}) {
      const limit = options.limit ?? 1000;
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new MessageStoreError(
          'INVALID_INPUT',
          '[seqline] [store] unfinished() limit must be a positive integer',
        );
      try {
        const rows = await dialect.rows(
          select(
            `role = 'assistant' AND status IN ('pending', 'streaming') ORDER BY created_at LIMIT ${Number(limit)}`,
          ),
          [],
        );
        return rows.map(toMessage);
      } catch (error) {
        throw backend('unfinished()', error);
      }
    },
  };
  return store;
}

function rowValues(message: Message): unknown[] {
  return [
    message.id,
    message.conversationId,
    message.sequence,
    message.clientId ?? null,
    message.role,
    message.content,
    message.status,
    message.error ?? null,
    message.createdAt,
  ];
}

/** A row as a wire `Message` (drivers return BIGINT as numbers, strings or bigints). */
function toMessage(row: MessageRow): Message {
  return {
    id: String(row.id),
    conversationId: String(row.conversation_id),
    sequence: Number(row.sequence),
    createdAt: String(row.created_at),
    ...(row.client_id === null || row.client_id === undefined ? {} : { clientId: row.client_id }),
    role: row.role as Message['role'],
    content: row.content,
    status: row.status as Message['status'],
    ...(row.error === null || row.error === undefined ? {} : { error: row.error }),
  };
}
