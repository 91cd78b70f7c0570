/**
 * The one server module every route imports: the pool, the message store and
 * the bus, and the routes built on them.
 *
 * `next dev` evaluates this module again for each route that imports it and on
 * every save. The pool and the bus must not be duplicated: a send published on
 * one bus would never reach a stream subscribed to another (the replies would
 * stay empty, with no error). So they live on `globalThis`, one per process;
 * the store and the routes hold no state and are rebuilt with each evaluation,
 * so an edit to `onMessage` takes effect at once.
 */
import { getTableName } from 'drizzle-orm';
import pg from 'pg';
import { createMemoryBus, createMessageRoutes, type MessageBus } from 'seqline/server';
import { createSqlMessageStore } from 'seqline/sql';
import { counters, messages } from '../db/schema';
import { mayAccess, sessionUser } from './session';

interface Shared {
  pool: pg.Pool;
  /** One process: the memory bus. Several instances: createRedisBus or createPostgresBus. */
  bus: MessageBus;
  /** The tables, created once per process (store.ddl is the migration, if you prefer one). */
  schema?: Promise<void>;
}

const global = globalThis as typeof globalThis & { seqlineShared?: Shared };
global.seqlineShared ??= {
  // An idle client's error (a restarted database) is logged, not a crash.
  pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }).on('error', console.error),
  bus: createMemoryBus(),
};
const shared = global.seqlineShared;

export const store = createSqlMessageStore({
  dialect: 'postgres',
  client: shared.pool,
  // The Drizzle tables of db/schema.ts.
  table: getTableName(messages),
  counterTable: getTableName(counters),
});

/** Resolves once both tables exist; a failure is retried by the next request. */
export async function schemaReady(): Promise<void> {
  shared.schema ??= store.ensureSchema().then(
    () => undefined,
    (error: unknown) => {
      shared.schema = undefined;
      throw error;
    },
  );
  await shared.schema;
}

export const routes = createMessageRoutes({
  store,
  bus: shared.bus,
  authorize: (request, conversationId) =>
    mayAccess(sessionUser(request.headers.get('cookie')), conversationId),
  // A scripted assistant: your model goes here, writing through `writer`.
  onMessage: async ({ message, writer }) => {
    if (!writer) return;
    try {
      await writer.start();
      for (const [i, word] of `Echo: ${message.content}`.split(' ').entries()) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await writer.append(i === 0 ? word : ` ${word}`);
      }
      await writer.complete();
    } catch (error) {
      await writer.fail('The assistant failed; try again.');
      throw error; // to onError
    }
  },
  // Failures (a database down, a throwing onMessage) land in the server log.
  onError: (error) => console.error('[seqline]', error),
});
