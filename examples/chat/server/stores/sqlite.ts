import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SequenceAllocator } from 'seqline/server';
import { createSqlAllocator, isSqliteUniqueViolation } from 'seqline/sql';
import {
  type ChatStore,
  COUNTERS_TABLE,
  MESSAGES_TABLE,
  type MessageRow,
  type TurnResult,
  toMessage,
} from './store';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file; its folder is created. */
  file: string;
  /** Allocate through this (Redis) instead of the SQL counter table in the transaction. */
  allocator?: SequenceAllocator;
}

/**
 * The default store: one better-sqlite3 file. Turns are serialized through
 * one promise chain, because the connection is shared and a second turn's
 * `BEGIN` must not land inside the first one's transaction.
 */
export function createSqliteStore(options: SqliteStoreOptions): ChatStore {
  mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  const sql = createSqlAllocator({ dialect: 'sqlite', client: db, table: COUNTERS_TABLE });
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };
  const select = (where: string) =>
    /* sql */ `SELECT id, conversation_id, sequence, client_id, role, content, status, error, created_at, reply_to FROM ${MESSAGES_TABLE} ${where}`;

  const findTurn = (conversationId: string, clientId: string): TurnResult | undefined => {
    const row = db
      .prepare(select('WHERE conversation_id = ? AND client_id = ?'))
      .get(conversationId, clientId) as MessageRow | undefined;
    if (!row) return undefined;
    const reply = db.prepare(select('WHERE reply_to = ?')).get(row.id) as MessageRow | undefined;
    return { message: toMessage(row), reply: reply && toMessage(reply), created: false };
  };

  return {
    engine: 'sqlite',
    location: options.file,
    async init() {
      db.exec(/* sql */ `CREATE TABLE IF NOT EXISTS ${MESSAGES_TABLE} (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        client_id TEXT,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        reply_to TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (conversation_id, sequence),
        UNIQUE (conversation_id, client_id)
      )`);
      db.exec(
        /* sql */ `CREATE INDEX IF NOT EXISTS ${MESSAGES_TABLE}_unfinished ON ${MESSAGES_TABLE} (status)`,
      );
      await sql.ensureSchema();
    },
    createTurn(input) {
      return serial(async () => {
        const existing = findTurn(input.conversationId, input.clientId);
        if (existing) return existing;
        // Redis hands out numbers outside the transaction (a rollback leaves a gap, the unique key backstops it).
        const outside = options.allocator
          ? await options.allocator.nextRange(input.conversationId, 2)
          : undefined;
        db.exec('BEGIN IMMEDIATE');
        try {
          // Inside the open transaction: the counter commits or rolls back with the two rows.
          const { first, last } =
            outside ?? (await sql.nextRange(input.conversationId, 2, { client: db }));
          const id = randomUUID();
          const replyId = randomUUID();
          const insert = db.prepare(
            /* sql */ `INSERT INTO ${MESSAGES_TABLE} (id, conversation_id, sequence, client_id, role, content, status, reply_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          insert.run(
            id,
            input.conversationId,
            first,
            input.clientId,
            'user',
            input.content,
            'complete',
            null,
            input.createdAt,
          );
          insert.run(
            replyId,
            input.conversationId,
            last,
            null,
            'assistant',
            '',
            'pending',
            id,
            input.createdAt,
          );
          db.exec('COMMIT');
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          if (isSqliteUniqueViolation(error)) {
            const raced = findTurn(input.conversationId, input.clientId);
            if (raced) return raced;
          }
          throw error;
        }
        const stored = findTurn(input.conversationId, input.clientId)!;
        return { ...stored, created: true };
      });
    },
    async listMessages(conversationId, after, limit) {
      const rows = db
        .prepare(select('WHERE conversation_id = ? AND sequence > ? ORDER BY sequence LIMIT ?'))
        .all(conversationId, after, limit) as MessageRow[];
      return rows.map(toMessage);
    },
    async listMessagesBefore(conversationId, before, limit) {
      const rows = db
        .prepare(
          select('WHERE conversation_id = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?'),
        )
        .all(conversationId, before, limit) as MessageRow[];
      return rows.map(toMessage).reverse();
    },
    async getMessage(id) {
      const row = db.prepare(select('WHERE id = ?')).get(id) as MessageRow | undefined;
      return row && toMessage(row);
    },
    async updateReply(update) {
      db.prepare(
        /* sql */ `UPDATE ${MESSAGES_TABLE} SET content = ?, status = ?, error = ? WHERE id = ?`,
      ).run(update.content, update.status, update.error ?? null, update.messageId);
    },
    async unfinishedReplies() {
      const rows = db
        .prepare(select(`WHERE role = 'assistant' AND status IN ('pending', 'streaming')`))
        .all() as MessageRow[];
      return rows.map((row) => {
        const prompt = row.reply_to
          ? (db.prepare(select('WHERE id = ?')).get(row.reply_to) as MessageRow | undefined)
          : undefined;
        return { reply: toMessage(row), prompt: prompt && toMessage(prompt) };
      });
    },
    async listConversations() {
      const rows = db
        .prepare(
          /* sql */ `SELECT conversation_id AS id, COUNT(*) AS messages, MAX(sequence) AS last FROM ${MESSAGES_TABLE} GROUP BY conversation_id ORDER BY MAX(created_at) DESC LIMIT 50`,
        )
        .all() as { id: string; messages: number; last: number }[];
      return rows.map((r) => ({ id: r.id, messages: r.messages, lastSequence: r.last }));
    },
    async maxSequence(conversationId) {
      const row = db
        .prepare(
          /* sql */ `SELECT COALESCE(MAX(sequence), 0) AS max FROM ${MESSAGES_TABLE} WHERE conversation_id = ?`,
        )
        .get(conversationId) as { max: number };
      return Number(row.max);
    },
    async close() {
      await queue;
      db.close();
    },
  };
}
