/**
 * `npm run demo`: the seqline chat demo on localhost.
 *
 * Environment:
 * - `PORT` (default 3000; the next free one if taken), `HOST` (default 127.0.0.1)
 * - `DATABASE_URL`: `postgres://…` or `mysql://…`; default SQLite in `DATA_DIR`
 *   (default `<tmp>/seqline-chat-demo`)
 * - `REDIS_URL`: allocate sequences in Redis, re-seeded from the database's MAX
 * - `TOKEN_DELAY_MS` (default 45): average delay between assistant tokens
 * - `ON_RESTART`: `resume` (default) or `fail` replies a previous run left unfinished
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRedisAllocator } from 'seqline/redis';
import type { SequenceAllocator } from 'seqline/server';
import { createChatServer } from './createChatServer';
import { createMysqlStore } from './stores/mysql';
import { createPostgresStore } from './stores/postgres';
import { createSqliteStore } from './stores/sqlite';
import type { ChatStore } from './stores/store';

const env = process.env;
const staticDir = fileURLToPath(new URL('../dist/', import.meta.url));

let redis: Redis | undefined;
let allocator: SequenceAllocator | undefined;
// The floor reads the store, which is built with the allocator: bound once both exist.
let store: ChatStore | undefined;
if (env.REDIS_URL) {
  redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
  await redis.connect();
  allocator = createRedisAllocator({
    client: redis,
    prefix: 'seqline-demo:seq:',
    floor: (conversationId) => store!.maxSequence(conversationId),
  });
}
const url = env.DATABASE_URL ?? '';
const withAllocator = allocator ? { allocator } : {};
if (/^postgres(ql)?:\/\//.test(url)) store = createPostgresStore({ url, ...withAllocator });
else if (/^(mysql|mariadb):\/\//.test(url))
  store = createMysqlStore({ url: url.replace(/^mariadb:/, 'mysql:'), ...withAllocator });
else if (url) {
  console.error(`DATABASE_URL must start with postgres:// or mysql://, got ${url.split(':')[0]}:`);
  process.exit(2);
} else {
  store = createSqliteStore({
    file: join(env.DATA_DIR ?? join(tmpdir(), 'seqline-chat-demo'), 'chat.db'),
    ...withAllocator,
  });
}

const allocatorName = redis
  ? 'redis (floor: MAX(sequence))'
  : `sql (${store.engine}, in the transaction)`;
const chat = createChatServer({
  store,
  staticDir,
  tokenDelayMs: Number(env.TOKEN_DELAY_MS ?? 45),
  onUnfinished: env.ON_RESTART === 'fail' ? 'fail' : 'resume',
  describe: { allocator: allocatorName },
});

const host = env.HOST ?? '127.0.0.1';
let address: string;
try {
  address = await chat.listen(Number(env.PORT ?? 3000), host);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || env.PORT) throw error;
  address = await chat.listen(0, host);
}
console.log(`
  seqline chat demo
  storage:    ${store.engine} ${store.location}
  sequences:  ${allocatorName}

  ➜  open ${address}   (Ctrl-C to stop)
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping (unfinished replies resume on the next start)…`);
  const force = setTimeout(() => process.exit(1), 5000);
  force.unref();
  await chat.close();
  await redis?.quit();
  console.log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
