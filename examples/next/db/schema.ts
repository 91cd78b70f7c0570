/**
 * The tables `createSqlMessageStore` reads and writes, declared in Drizzle, so
 * the app can query history with Drizzle too and drizzle-kit knows both
 * tables. They match `store.ddl` and `store.allocator.ddl` column for column;
 * add columns of your own freely (the store names the columns it uses).
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, unique, varchar } from 'drizzle-orm/pg-core';

export const messages = pgTable(
  'seqline_messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    // Server-assigned per conversation, 1, 2, 3…: the one order. Never createdAt.
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    // The sender's idempotency key; null on assistant replies (the wire format allows null).
    clientId: text('client_id'),
    role: varchar('role', { length: 16 })
      .$type<'user' | 'assistant' | 'system' | 'tool'>()
      .notNull(),
    content: text('content').notNull(),
    status: varchar('status', { length: 16 })
      .$type<'pending' | 'streaming' | 'complete' | 'failed'>()
      .notNull(),
    error: text('error'),
    // An ISO 8601 string, as on the wire.
    createdAt: varchar('created_at', { length: 40 }).notNull(),
  },
  (table) => [
    unique('seqline_messages_sequence').on(table.conversationId, table.sequence),
    unique('seqline_messages_client_id').on(table.conversationId, table.clientId),
    // Replies left unfinished (store.unfinished()).
    index('seqline_messages_unfinished')
      .on(table.createdAt)
      .where(sql`status IN ('pending', 'streaming')`),
  ],
);

/** The sequence allocator's counters: one row per conversation, its last sequence. */
export const counters = pgTable(
  'seqline_counters',
  {
    scope: text('scope').primaryKey(),
    value: bigint('value', { mode: 'number' }).notNull(),
  },
  (table) => [check('seqline_counters_value_check', sql`${table.value} >= 0`)],
);
