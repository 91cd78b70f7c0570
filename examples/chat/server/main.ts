/**
 * `npm run demo`: the seqline chat demo on localhost.
 *
 * Options (a flag, or its environment variable):
 * - `--instances N` / `DEMO_INSTANCES` (default 1): run N server processes
 *   behind a round-robin front on the printed URL (see ./cluster.ts). Needs
 *   `DATABASE_URL=postgres://…`: they share nothing but Postgres and the bus.
 * - `--bus memory|redis|postgres` / `DEMO_BUS`: what carries stream events
 *   between instances. Default `memory` for one instance; for several,
 *   `redis` when `REDIS_URL` is set, else `postgres` (LISTEN/NOTIFY).
 * - `PORT` (default 3000; the next free one if taken), `HOST` (default 127.0.0.1)
 * - `--reset`: start from an empty SQLite database (deletes the demo's file)
 *
 * Environment:
 * - `DATABASE_URL`: `postgres://…` or `mysql://…`; default SQLite in `DATA_DIR`
 *   (default: the user's cache directory, see ./dataDir.ts; printed at start)
 * - `REDIS_URL`: allocate sequences in Redis, re-seeded from the database's MAX
 * - `TOKEN_DELAY_MS` (default 45): average delay between assistant tokens
 * - `ON_RESTART`: `resume` (default) or `fail` replies a previous run left unfinished
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createRedisAllocator, createRedisBus } from 'seqline/redis';
import type { MessageBus, SequenceAllocator } from 'seqline/server';
import { createPostgresBus } from 'seqline/sql';
import { type InstanceMessage, runCluster } from './cluster';
import { createChatServer } from './createChatServer';
import { demoDataDir, resetSqliteFile } from './dataDir';
import { createPostgresReplyLease } from './replyLease';
import { createMysqlStore } from './stores/mysql';
import { createPostgresStore } from './stores/postgres';
import { createSqliteStore } from './stores/sqlite';
import type { ChatStore } from './stores/store';

const env = process.env;
const staticDir = fileURLToPath(new URL('../dist/', import.meta.url));

/** Set by the launcher (./cluster.ts) in each instance it starts: `1`, `2`, … */
const instanceName = env.DEMO_INSTANCE;
const url = env.DATABASE_URL ?? '';
const onPostgres = /^postgres(ql)?:\/\//.test(url);
let flags: {
  instances?: string | undefined;
  bus?: string | undefined;
  reset?: boolean | undefined;
};
try {
  flags = parseArgs({
    args: process.argv.slice(2),
    options: { instances: { type: 'string' }, bus: { type: 'string' }, reset: { type: 'boolean' } },
  }).values;
} catch (error) {
  refuse(
    `${(error as Error).message}\nUsage: npm run demo -- [--reset] [--instances N] [--bus memory|redis|postgres]`,
  );
}
if (flags.reset && url) {
  refuse(
    '--reset forgets the SQLite default only; with DATABASE_URL, drop the seqline_demo_* tables yourself.',
  );
}
const instancesText = instanceName ? '1' : (flags.instances ?? env.DEMO_INSTANCES ?? '1');
const instances = Number(instancesText);
if (!/^[0-9]{1,2}$/.test(instancesText) || instances < 1 || instances > 16) {
  refuse(`--instances (DEMO_INSTANCES) must be a number from 1 to 16, got ${instancesText}.`);
}
const busKind =
  flags.bus ?? env.DEMO_BUS ?? (instances > 1 ? (env.REDIS_URL ? 'redis' : 'postgres') : 'memory');
if (busKind !== 'memory' && busKind !== 'redis' && busKind !== 'postgres') {
  refuse(`--bus (DEMO_BUS) is memory, redis or postgres, got ${busKind}.`);
}
if (instances > 1 && !onPostgres) {
  refuse(
    `--instances ${instances} needs a database that every instance reaches on its own: set DATABASE_URL=postgres://user@host:5432/db${url ? ` (got ${url.split(':')[0]}:)` : ''}.
The default SQLite file is not refused for its speed: several processes on one machine can share
it. It is refused because the instances would then meet through one machine's disk, which is
not what several instances are; the bus (LISTEN/NOTIFY) and the claim on each reply (an
advisory lock) are Postgres features. MySQL is not wired up for several instances in this demo.`,
  );
}
if (instances > 1 && busKind === 'memory') {
  refuse('--bus memory cannot carry events from one process to another: use redis or postgres.');
}
if (busKind === 'redis' && !env.REDIS_URL) refuse('--bus redis needs REDIS_URL=redis://host:6379.');
if (busKind === 'postgres' && !onPostgres) {
  refuse('--bus postgres needs DATABASE_URL=postgres://… (the bus lives in that database).');
}
const allocatorName = env.REDIS_URL
  ? 'redis (floor: MAX(sequence))'
  : `sql (${onPostgres ? 'postgres' : /^(mysql|mariadb):/.test(url) ? 'mysql' : 'sqlite'}, in the transaction)`;
const busName = {
  memory: 'memory (this process only)',
  redis: 'redis (one Stream per conversation)',
  postgres: 'postgres (LISTEN/NOTIFY, events in seqline_demo_bus_events)',
}[busKind];

if (instances > 1) {
  await runCluster({
    instances,
    bus: busKind === 'redis' ? 'redis' : 'postgres',
    entry: fileURLToPath(import.meta.url),
    port: Number(env.PORT ?? 3000),
    portGiven: env.PORT !== undefined,
    host: env.HOST ?? '127.0.0.1',
    describe: {
      storage: `postgres ${url.replace(/\/\/[^@/]*@/, '//…@')}, shared`,
      bus: busName,
      sequences: allocatorName,
    },
  });
} else {
  await runOne();
}

/** One server process: the whole demo, or one instance of several. */
async function runOne(): Promise<void> {
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
  const withAllocator = allocator ? { allocator } : {};
  if (onPostgres) store = createPostgresStore({ url, ...withAllocator });
  else if (/^(mysql|mariadb):\/\//.test(url))
    store = createMysqlStore({ url: url.replace(/^mariadb:/, 'mysql:'), ...withAllocator });
  else if (url) {
    refuse(`DATABASE_URL must start with postgres:// or mysql://, got ${url.split(':')[0]}:`);
  } else {
    const file = join(demoDataDir(), 'chat.db');
    if (flags.reset) resetSqliteFile(file);
    store = createSqliteStore({ file, ...withAllocator });
  }

  // A shared bus means other instances may share this database: claim each reply before streaming it.
  let bus: MessageBus | undefined;
  let busPool: pg.Pool | undefined;
  if (busKind === 'redis') {
    bus = createRedisBus({
      client: redis!,
      prefix: 'seqline-demo:bus:',
      onError: (error) => console.error('[chat] redis bus:', (error as Error).message),
    });
  } else if (busKind === 'postgres') {
    busPool = new pg.Pool({ connectionString: url, max: 4 });
    busPool.on('error', (error) => console.error('[chat] postgres bus pool:', error.message));
    const postgresBus = createPostgresBus({
      pool: busPool,
      table: 'seqline_demo_bus_events',
      channel: 'seqline_demo_bus',
      onError: (error) => console.error('[chat] postgres bus:', (error as Error).message),
    });
    await postgresBus.ensureSchema();
    bus = postgresBus;
  }
  const lease = bus && onPostgres ? createPostgresReplyLease({ url }) : undefined;

  const chat = createChatServer({
    store,
    ...(bus ? { bus } : {}),
    ...(lease ? { lease } : {}),
    staticDir,
    tokenDelayMs: Number(env.TOKEN_DELAY_MS ?? 45),
    onUnfinished: env.ON_RESTART === 'fail' ? 'fail' : 'resume',
    describe: {
      allocator: allocatorName,
      bus: busKind,
      ...(instanceName ? { instance: instanceName } : {}),
    },
  });

  const host = env.HOST ?? '127.0.0.1';
  let address: string;
  try {
    address = await chat.listen(Number(env.PORT ?? 3000), host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || env.PORT) throw error;
    address = await chat.listen(0, host);
  }
  if (instanceName) {
    // One line in the launcher's output; the launcher prints the banner with the front's URL.
    console.log(`listening on ${address} (pid ${process.pid}, bus ${busKind})`);
    process.send?.({ type: 'listening', url: address } satisfies InstanceMessage);
  } else {
    console.log(`
  seqline chat demo
  storage:    ${store.engine} ${store.location}${store.engine === 'sqlite' ? '\n              (yours alone; npm run demo -- --reset starts it over)' : ''}
  bus:        ${busName}
  sequences:  ${allocatorName}

  ➜  open ${address}   (Ctrl-C to stop)
`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      `\n${signal}: stopping (unfinished replies resume ${lease ? 'on another instance, or ' : ''}on the next start)…`,
    );
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    await chat.close();
    await lease?.close();
    await busPool?.end();
    await redis?.quit();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // The launcher is gone (killed without passing Ctrl-C on): do not stay behind as an orphan.
  if (instanceName) process.on('disconnect', () => void stop('launcher gone'));
}

function refuse(message: string): never {
  console.error(`\n  ${message.replaceAll('\n', '\n  ')}\n`);
  process.exit(2);
}
