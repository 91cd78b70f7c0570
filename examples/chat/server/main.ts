/**
 * `npm run demo`: the seqline chat demo on localhost.
 *
 * Options (a flag, or its environment variable):
 * - `--instances N` / `DEMO_INSTANCES` (default 1): run N server processes
 *   behind a round-robin front on the printed URL (see ./cluster.ts). Needs
 *   `DATABASE_URL=postgres://…`: they share nothing but Postgres and the bus.
 * - `--bus memory|redis|postgres` / `DEMO_BUS`: what carries stream events
 *   between instances. Default `redis` when `REDIS_URL` is set, else
 *   `memory` for one instance and `postgres` (LISTEN/NOTIFY) for several.
 * - `PORT` (default 3000; the next free one if taken), `HOST` (default 127.0.0.1)
 * - `--reset`: start from an empty SQLite database (deletes the demo's file)
 *
 * Environment:
 * - `DATABASE_URL`: `postgres://…` or `mysql://…`; default SQLite in `DATA_DIR`
 *   (default: the user's cache directory, see ./dataDir.ts; printed at start).
 *   Messages are stored by seqline's `createSqlMessageStore`, numbered by its
 *   counter table in the same transaction.
 * - `REDIS_URL`: the Redis bus (the default bus when it is set)
 * - `TOKEN_DELAY_MS` (default 45): average delay between assistant tokens
 * - `ON_RESTART`: `resume` (default) or `fail` replies a previous run left unfinished
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createRedisBus } from 'seqline/redis';
import type { MessageBus } from 'seqline/server';
import { createPostgresBus, createSqlMessageStore, type SqlMessageStore } from 'seqline/sql';
import { type InstanceMessage, runCluster } from './cluster';
import { createChatServer } from './createChatServer';
import { demoDataDir, resetSqliteFile } from './dataDir';
import { createPostgresReplyLease } from './replyLease';

const env = process.env;
/**
 * The demo's table prefix: `seqline_chat_messages` and `seqline_chat_counters`.
 * Earlier demos wrote `seqline_demo_*` tables of their own schema; those are
 * left as they are (never read, never dropped), so an old database file starts
 * cleanly with an empty history.
 */
const TABLE = 'seqline_chat_';
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
    `--reset forgets the SQLite default only; with DATABASE_URL, drop the ${TABLE}* tables yourself.`,
  );
}
const instancesText = instanceName ? '1' : (flags.instances ?? env.DEMO_INSTANCES ?? '1');
const instances = Number(instancesText);
if (!/^[0-9]{1,2}$/.test(instancesText) || instances < 1 || instances > 16) {
  refuse(`--instances (DEMO_INSTANCES) must be a number from 1 to 16, got ${instancesText}.`);
}
const busKind =
  flags.bus ?? env.DEMO_BUS ?? (env.REDIS_URL ? 'redis' : instances > 1 ? 'postgres' : 'memory');
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
const engine = onPostgres ? 'postgres' : /^(mysql|mariadb):\/\//.test(url) ? 'mysql' : 'sqlite';
if (url && engine === 'sqlite') {
  refuse(`DATABASE_URL must start with postgres:// or mysql://, got ${url.split(':')[0]}:`);
}
const allocatorName = `sql (${engine}, ${TABLE}counters, in the transaction)`;
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
  const { store, location, listConversations, close } = await openStore();
  let bus: MessageBus | undefined;
  let busPool: pg.Pool | undefined;
  let redis: Redis | undefined;
  if (busKind === 'redis') {
    redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: 2, lazyConnect: true });
    await redis.connect();
    bus = createRedisBus({
      client: redis,
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
  // Several instances share this database: each claims a reply before streaming it.
  const lease = instanceName ? createPostgresReplyLease({ url }) : undefined;

  const chat = createChatServer({
    store,
    listConversations,
    ...(bus ? { bus } : {}),
    ...(lease ? { lease } : {}),
    staticDir,
    tokenDelayMs: Number(env.TOKEN_DELAY_MS ?? 45),
    onUnfinished: env.ON_RESTART === 'fail' ? 'fail' : 'resume',
    describe: {
      engine,
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
  storage:    ${engine} ${location}${engine === 'sqlite' ? '\n              (yours alone; npm run demo -- --reset starts it over)' : ''}
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
    await close();
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

/**
 * seqline's SQL message store on the chosen engine, and the one query the demo
 * adds: the sidebar's list of conversations. (The library has no such list on
 * purpose: in a real app it belongs to the app's own per-user model.)
 */
async function openStore(): Promise<{
  store: SqlMessageStore;
  location: string;
  listConversations: () => Promise<{ id: string }[]>;
  close: () => Promise<void>;
}> {
  const names = { table: `${TABLE}messages`, counterTable: `${TABLE}counters` };
  const listSql = /* sql */ `SELECT conversation_id AS id FROM ${names.table} GROUP BY conversation_id ORDER BY MAX(created_at) DESC LIMIT 50`;
  let opened: Awaited<ReturnType<typeof openStore>>;
  const location = url.replace(/\/\/[^@/]*@/, '//…@');
  if (engine === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client losing its connection must not crash the process.
    pool.on('error', (error) => console.error('[chat] postgres pool:', error.message));
    opened = {
      store: createSqlMessageStore({ dialect: 'postgres', client: pool, ...names }),
      location,
      listConversations: async () => (await pool.query<{ id: string }>(listSql)).rows,
      close: () => pool.end(),
    };
  } else if (engine === 'mysql') {
    const pool = mysql.createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: 10 });
    opened = {
      store: createSqlMessageStore({ dialect: 'mysql', client: pool, ...names }),
      location,
      listConversations: async () => (await pool.query(listSql))[0] as { id: string }[],
      close: () => pool.end(),
    };
  } else {
    const file = join(demoDataDir(), 'chat.db');
    if (flags.reset) resetSqliteFile(file);
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    opened = {
      store: createSqlMessageStore({ dialect: 'sqlite', client: db, ...names }),
      location: file,
      listConversations: async () => db.prepare(listSql).all() as { id: string }[],
      close: async () => void db.close(),
    };
  }
  await opened.store.ensureSchema();
  return opened;
}

function refuse(message: string): never {
  console.error(`\n  ${message.replaceAll('\n', '\n  ')}\n`);
  process.exit(2);
}
