import { createServer } from 'node:http';
import pg from 'pg';
import { createMessageRoutes, toNodeHandler } from 'seqline/server';
import { createSqlMessageStore } from 'seqline/sql';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL }).on('error', console.error);
const store = await createSqlMessageStore({ dialect: 'postgres', client: pool }).ensureSchema();
const users: Record<string, string> = JSON.parse(process.env.API_TOKENS ?? '{}'); // { "<token>": "alice" }
const routes = createMessageRoutes({
  store,
  // Each user may read and write only the conversations whose id starts with their name.
  authorize: (request, conversationId) => {
    const user = users[request.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''];
    return user ? conversationId.startsWith(`${user}-`) : new Response('Sign in', { status: 401 });
  },
  // Your model goes here: this one echoes, word by word.
  onMessage: async ({ message, writer }) => {
    for (const word of `You said: ${message.content}`.split(' ')) await writer?.append(`${word} `);
    await writer?.complete();
  },
});
export const server = createServer(toNodeHandler(routes.handle)).listen(process.env.PORT ?? 3000);
