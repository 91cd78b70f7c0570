import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { SequenceAllocator } from 'seqline/server';
import { createSqlAllocator, isMysqlUniqueViolation } from 'seqline/sql';
import {
  type ChatStore,
  COUNTERS_TABLE,
  MESSAGES_TABLE,
  type MessageRow,
  pooledReads,
  type TurnResult,
} from './store';

/** Options of {@link createMysqlStore}. */
export interface MysqlStoreOptions {
  /** `mysql://user:password@host:3306/db` (MySQL 8 or MariaDB 10.5+). */
  url: string;
  /** Allocate through this (Redis) instead of the SQL counter table in the transaction. */
  allocator?: SequenceAllocator;
}

type Queryable = Pick<mysql.Pool, 'query'> | mysql.PoolConnection;

/** MySQL / MariaDB through a `mysql2/promise` pool; a deadlocked turn is retried whole. */
export function createMysqlStore(options: MysqlStoreOptions): ChatStore {
  const pool = mysql.createPool({ uri: options.url, connectionLimit: 10 });
  const sql = createSqlAllocator({ dialect: 'mysql', client: pool, table: COUNTERS_TABLE });
  const rows = async (text: string, values: unknown[], client: Queryable = pool) =>
    (await client.query(text, values))[0] as MessageRow[];

  const { findTurn, ...reads } = pooledReads(rows, () => '?');

  const attempt = async (
    input: Parameters<ChatStore['createTurn']>[0],
  ): Promise<TurnResult | undefined> => {
    const outside = options.allocator
      ? await options.allocator.nextRange(input.conversationId, 2)
      : undefined;
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const { first, last } =
        outside ?? (await sql.nextRange(input.conversationId, 2, { client: connection }));
      const id = randomUUID();
      await connection.query(
        /* sql */ `INSERT INTO ${MESSAGES_TABLE} (id, conversation_id, sequence, client_id, role, content, status, reply_to, created_at)
         VALUES (?, ?, ?, ?, 'user', ?, 'complete', NULL, ?), (?, ?, ?, NULL, 'assistant', '', 'pending', ?, ?)`,
        [
          id,
          input.conversationId,
          first,
          input.clientId,
          input.content,
          input.createdAt,
          randomUUID(),
          input.conversationId,
          last,
          id,
          input.createdAt,
        ],
      );
      await connection.commit();
      return undefined;
    } catch (error) {
      await connection.rollback().catch(() => {});
      if (isMysqlUniqueViolation(error, 'client_key')) {
        const raced = await findTurn(pool, input.conversationId, input.clientId);
        if (raced) return raced;
      }
      throw error;
    } finally {
      connection.release();
    }
  };

  return {
    ...reads,
    engine: 'mysql',
    location: options.url.replace(/\/\/[^@/]*@/, '//…@'),
    async init() {
      await pool.query(/* sql */ `CREATE TABLE IF NOT EXISTS ${MESSAGES_TABLE} (
        id VARCHAR(36) PRIMARY KEY,
        conversation_id VARCHAR(64) NOT NULL,
        sequence BIGINT NOT NULL,
        client_id VARCHAR(128) NULL,
        role VARCHAR(16) NOT NULL,
        content MEDIUMTEXT NOT NULL,
        status VARCHAR(16) NOT NULL,
        error TEXT NULL,
        reply_to VARCHAR(36) NULL,
        created_at VARCHAR(40) NOT NULL,
        UNIQUE KEY sequence_key (conversation_id, sequence),
        UNIQUE KEY client_key (conversation_id, client_id),
        KEY reply_to_key (reply_to)
      )`);
      await sql.ensureSchema();
    },
    async createTurn(input) {
      const existing = await findTurn(pool, input.conversationId, input.clientId);
      if (existing) return existing;
      for (let tries = 1; ; tries++) {
        try {
          const raced = await attempt(input);
          if (raced) return raced;
          break;
        } catch (error) {
          // InnoDB rolled the whole transaction back on a deadlock or lock timeout: run it again.
          const errno = (error as { errno?: number }).errno;
          if ((errno === 1213 || errno === 1205) && tries < 5) continue;
          throw error;
        }
      }
      const stored = (await findTurn(pool, input.conversationId, input.clientId))!;
      return { ...stored, created: true };
    },
    async updateReply(update) {
      await pool.query(
        /* sql */ `UPDATE ${MESSAGES_TABLE} SET content = ?, status = ?, error = ? WHERE id = ?`,
        [update.content, update.status, update.error ?? null, update.messageId],
      );
    },
    async listConversations() {
      const [found] = (await pool.query(
        /* sql */ `SELECT conversation_id AS id, COUNT(*) AS messages, MAX(sequence) AS last FROM ${MESSAGES_TABLE} GROUP BY conversation_id ORDER BY MAX(created_at) DESC LIMIT 50`,
      )) as unknown as [{ id: string; messages: number; last: number | string }[]];
      return found.map((r) => ({
        id: r.id,
        messages: Number(r.messages),
        lastSequence: Number(r.last),
      }));
    },
    async maxSequence(conversationId) {
      const [found] = (await pool.query(
        /* sql */ `SELECT COALESCE(MAX(sequence), 0) AS max FROM ${MESSAGES_TABLE} WHERE conversation_id = ?`,
        [conversationId],
      )) as unknown as [{ max: number | string }[]];
      return Number(found[0]?.max ?? 0);
    },
    async close() {
      await pool.end();
    },
  };
}
