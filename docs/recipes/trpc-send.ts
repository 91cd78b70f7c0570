/**
 * Recipe: sending a message as a tRPC procedure. The prompt and its reply
 * get adjacent sequences from `nextRange(conversationId, 2)` inside the
 * insert's transaction; the procedure is idempotent on `clientId`. See
 * docs/recipes/README.md.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import pg from 'pg';
import { type Message, messageSchema } from 'seqline';
import { createSqlAllocator, isPostgresUniqueViolation } from 'seqline/sql';
import { z } from 'zod';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const sequences = createSqlAllocator({ dialect: 'postgres', client: pool });

const t = initTRPC.context<{ userId: string }>().create();

const sendInput = z.object({
  conversationId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  clientId: z.string().min(1).max(128),
  content: z.string().trim().min(1).max(4000),
  // Only users send through this procedure: assistant and system messages are written by the server.
});

const COLUMNS = `id, conversation_id AS "conversationId", sequence::int, client_id AS "clientId", role, content, status, created_at AS "createdAt"`;

export const chatRouter = t.router({
  send: t.procedure
    .input(sendInput)
    .output(z.object({ message: messageSchema, reply: messageSchema }))
    .mutation(async ({ input }): Promise<{ message: Message; reply: Message }> => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { first, last } = await sequences.nextRange(input.conversationId, 2, { client });
        const { rows } = await client.query<Message>(
          `INSERT INTO messages (conversation_id, sequence, client_id, role, content, status)
           VALUES ($1, $2, $3, 'user', $4, 'complete'), ($1, $5, NULL, 'assistant', '', 'pending')
           RETURNING ${COLUMNS}`,
          [input.conversationId, first, input.clientId, input.content, last],
        );
        await client.query('COMMIT');
        return { message: normalize(rows[0]!), reply: normalize(rows[1]!) };
      } catch (error) {
        await client.query('ROLLBACK');
        if (isPostgresUniqueViolation(error, 'messages_conversation_id_client_id_key')) {
          // A retry of a send that already committed: answer with what is stored.
          const { rows } = await pool.query<Message>(
            `SELECT ${COLUMNS} FROM messages WHERE conversation_id = $1 AND (client_id = $2 OR sequence = (SELECT sequence + 1 FROM messages WHERE conversation_id = $1 AND client_id = $2)) ORDER BY sequence`,
            [input.conversationId, input.clientId],
          );
          if (rows.length === 2)
            return { message: normalize(rows[0]!), reply: normalize(rows[1]!) };
        }
        throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Not stored', cause: error });
      } finally {
        client.release();
      }
    }),
});

export type ChatRouter = typeof chatRouter;

/** pg returns timestamptz as a Date and NULL client ids as null; the wire format wants ISO strings and no key. */
function normalize(row: Message): Message {
  const { clientId, createdAt, ...rest } = row;
  return {
    ...rest,
    createdAt: new Date(createdAt).toISOString(),
    ...(clientId ? { clientId } : {}),
  };
}
