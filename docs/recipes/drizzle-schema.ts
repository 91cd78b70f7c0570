/**
 * Recipe: the messages table in Drizzle (PostgreSQL), with the sequence
 * column, the unique constraint that backstops it, and a send that
 * allocates in the insert's transaction. See docs/recipes/README.md.
 */
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import {
  bigint,
  index,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import pg from 'pg';
import { createSqlAllocator } from 'seqline/sql';

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: varchar('conversation_id', { length: 64 }).notNull(),
    // Server-assigned, per conversation: 1, 2, 3, … Not createdAt, not MAX + 1.
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    // The id the client generated when sending: a retried send is stored once.
    clientId: varchar('client_id', { length: 128 }),
    role: varchar('role', { length: 16, enum: ['user', 'assistant', 'system', 'tool'] }).notNull(),
    content: text('content').notNull(),
    status: varchar('status', { length: 16, enum: ['pending', 'streaming', 'complete', 'failed'] })
      .notNull()
      .default('complete'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6, mode: 'string' })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    // The backstop: two rows can never share a sequence in a conversation.
    unique('messages_conversation_id_sequence_key').on(table.conversationId, table.sequence),
    unique('messages_conversation_id_client_id_key').on(table.conversationId, table.clientId),
    index('messages_conversation_id_created_at_idx').on(table.conversationId, table.createdAt),
  ],
);

export type MessageRow = typeof messages.$inferSelect;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const sequences = createSqlAllocator({ dialect: 'postgres', client: pool });

/** A user message and its (empty) assistant reply, numbered together in one transaction. */
export async function sendTurn(conversationId: string, clientId: string, content: string) {
  const client = await pool.connect();
  const db = drizzle(client);
  try {
    await client.query('BEGIN');
    // On the same client as the inserts: the counter commits or rolls back with them.
    const { first, last } = await sequences.nextRange(conversationId, 2, { client });
    const rows = await db
      .insert(messages)
      .values([
        { conversationId, sequence: first, clientId, role: 'user', content },
        { conversationId, sequence: last, role: 'assistant', content: '', status: 'pending' },
      ])
      .returning();
    await client.query('COMMIT');
    return rows;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** History in the one order: by sequence. */
export function history(conversationId: string): Promise<MessageRow[]> {
  return drizzle(pool)
    .select()
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.sequence));
}
