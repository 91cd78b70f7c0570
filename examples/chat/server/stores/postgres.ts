import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { SequenceAllocator } from 'seqline/server';
import { createSqlAllocator, isPostgresUniqueViolation } from 'seqline/sql';
import {
  type ChatStore,
  COUNTERS_TABLE,
  MESSAGES_TABLE,
  type MessageRow,
  pooledReads,
} from './store';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db` */
  url: string;
  /** Allocate through this (Redis) instead of the SQL counter table in the transaction. */
  allocator?: SequenceAllocator;
}

/** PostgreSQL through a `pg.Pool`: each turn is one transaction on one pooled client. */
export function createPostgresStore(options: PostgresStoreOptions): ChatStore {
  const pool = new pg.Pool({ connectionString: options.url, max: 10 });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (error) => console.error('[chat] postgres pool:', error.message));
  const sql = createSqlAllocator({ dialect: 'postgres', client: pool, table: COUNTERS_TABLE });
  const rows = async (text: string, values: unknown[], client: pg.ClientBase | pg.Pool = pool) =>
    (await client.query<MessageRow>(text, values)).rows;

  const { findTurn, ...reads } = pooledReads(rows, (n) => `$${n}`);

  return {
    ...reads,
    engine: 'postgres',
    location: options.url.replace(/\/\/[^@/]*@/, '//…@'),
    async init() {
      await pool.query(/* sql */ `CREATE TABLE IF NOT EXISTS ${MESSAGES_TABLE} (
        id text PRIMARY KEY,
        conversation_id varchar(64) NOT NULL,
        sequence bigint NOT NULL,
        client_id varchar(128),
        role varchar(16) NOT NULL,
        content text NOT NULL,
        status varchar(16) NOT NULL,
        error text,
        reply_to text,
        created_at varchar(40) NOT NULL,
        CONSTRAINT ${MESSAGES_TABLE}_sequence_key UNIQUE (conversation_id, sequence),
        CONSTRAINT ${MESSAGES_TABLE}_client_id_key UNIQUE (conversation_id, client_id)
      )`);
      await pool.query(
        /* sql */ `CREATE INDEX IF NOT EXISTS ${MESSAGES_TABLE}_reply_to ON ${MESSAGES_TABLE} (reply_to)`,
      );
      // Several instances look for unfinished replies every second (to take over a stopped one's).
      await pool.query(
        /* sql */ `CREATE INDEX IF NOT EXISTS ${MESSAGES_TABLE}_unfinished ON ${MESSAGES_TABLE} (status) WHERE status IN ('pending', 'streaming')`,
      );
      await sql.ensureSchema();
    },
    async createTurn(input) {
      const existing = await findTurn(pool, input.conversationId, input.clientId);
      if (existing) return existing;
      const outside = options.allocator
        ? await options.allocator.nextRange(input.conversationId, 2)
        : undefined;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // In the transaction: the counter row stays locked until COMMIT, so numbers follow commit order.
        const { first, last } =
          outside ?? (await sql.nextRange(input.conversationId, 2, { client }));
        const id = randomUUID();
        await client.query(
          /* sql */ `INSERT INTO ${MESSAGES_TABLE} (id, conversation_id, sequence, client_id, role, content, status, reply_to, created_at)
           VALUES ($1, $2, $3, $4, 'user', $5, 'complete', NULL, $7),
                  ($6, $2, $8, NULL, 'assistant', '', 'pending', $1, $7)`,
          [
            id,
            input.conversationId,
            first,
            input.clientId,
            input.content,
            randomUUID(),
            input.createdAt,
            last,
          ],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if (isPostgresUniqueViolation(error, `${MESSAGES_TABLE}_client_id_key`)) {
          // The same clientId committed first on another request: answer with it.
          const raced = await findTurn(pool, input.conversationId, input.clientId);
          if (raced) return raced;
        }
        throw error;
      } finally {
        client.release();
      }
      const stored = (await findTurn(pool, input.conversationId, input.clientId))!;
      return { ...stored, created: true };
    },
    async updateReply(update) {
      await pool.query(
        /* sql */ `UPDATE ${MESSAGES_TABLE} SET content = $2, status = $3, error = $4 WHERE id = $1`,
        [update.messageId, update.content, update.status, update.error ?? null],
      );
    },
    async listConversations() {
      const { rows: found } = await pool.query<{ id: string; messages: string; last: string }>(
        /* sql */ `SELECT conversation_id AS id, COUNT(*) AS messages, MAX(sequence) AS last FROM ${MESSAGES_TABLE} GROUP BY conversation_id ORDER BY MAX(created_at) DESC LIMIT 50`,
      );
      return found.map((r) => ({
        id: r.id,
        messages: Number(r.messages),
        lastSequence: Number(r.last),
      }));
    },
    async maxSequence(conversationId) {
      const { rows: found } = await pool.query<{ max: string }>(
        /* sql */ `SELECT COALESCE(MAX(sequence), 0) AS max FROM ${MESSAGES_TABLE} WHERE conversation_id = $1`,
        [conversationId],
      );
      return Number(found[0]?.max ?? 0);
    },
    async close() {
      await pool.end();
    },
  };
}
