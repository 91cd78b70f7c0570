/**
 * One app instance storing rows through Redis, for the Redis suites that
 * insert into a real PostgreSQL table with UNIQUE (scope, sequence) while
 * they break Redis underneath. `startInsertWorker` runs it as a child
 * process:
 *
 *   SEQLINE_WORKER='<InsertWorkerConfig JSON>' node --import tsx test/support/redis-insert-worker.ts
 *
 * The worker has its own Redis client (one server or a cluster, ioredis or
 * node-redis) and pg pool, and runs `loops` concurrent request handlers that
 * store `count` rows in all through `insertWithSequence`, with
 * floor = SELECT MAX(sequence). It prints one JSON line, an
 * {@link InsertWorkerReport}; any failure goes to stderr with exit code 1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface InsertWorkerConfig {
  /** Names the worker in errors (and in the `worker` column). */
  id: number;
  driver: 'ioredis' | 'node-redis';
  /** One server by URL, or a cluster by comma-separated `host:port` seeds. */
  redis: { url: string } | { clusterSeeds: string };
  postgresUrl: string;
  table: string;
  /** The UNIQUE (scope, sequence) constraint: only its violations are retried. */
  constraint: string;
  /** Counter key prefix; the allocator's default when omitted. */
  prefix?: string;
  /** Also store `id` in the table's `worker` column. */
  workerColumn?: boolean;
  /**
   * At least 2. Even-numbered rows go to `scopes[0]` (the hot scope), the
   * others spread over the rest, offset by `id`.
   */
  scopes: string[];
  /** Rows this worker stores. */
  count: number;
  /** Concurrent request handlers. */
  loops: number;
  /** Pause after each stored row. */
  pauseMs: number;
  /** Up to this long, a handler holds its number before storing it (validation, a model call). */
  holdMs: number;
  /**
   * Ride out Redis being down (a restart): ignore the client's `error`
   * events while it reconnects, and, like an app retrying the request, retry
   * a BACKEND allocation error every 25 ms (up to 200 times). Otherwise any
   * error fails the worker.
   */
  retryWhileRedisDown?: boolean;
}

export interface InsertWorkerReport {
  inserted: number;
  /** insertWithSequence attempts beyond the first (UNIQUE violations it re-seeded past). */
  retries: number;
  /** BACKEND errors ridden out (`retryWhileRedisDown`). */
  backendErrors: number;
  floorCalls: number;
}

const running = new Set<ChildProcess>();

/** Starts a worker process; `result` rejects if it fails, or is killed after 50 s. */
export function startInsertWorker(config: InsertWorkerConfig): {
  result: Promise<InsertWorkerReport>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, SEQLINE_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const result = new Promise<InsertWorkerReport>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as InsertWorkerReport);
      else
        reject(
          new Error(`worker ${config.id} (${config.driver}) exited ${code ?? signal}: ${stderr}`),
        );
    });
  });
  return { result };
}

/** SIGKILLs every worker still running; for `afterAll`. */
export function killInsertWorkers(): void {
  for (const child of running) child.kill('SIGKILL');
}

// ---------------------------------------------------------------------------

async function main(cfg: InsertWorkerConfig): Promise<void> {
  const { createRedisAllocator } = await import('../../src/redis');
  const { insertWithSequence, SequenceAllocatorError } = await import('../../src/server');
  const { isPostgresUniqueViolation } = await import('../../src/sql');
  const { default: pg } = await import('pg');
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const onError = cfg.retryWhileRedisDown ? () => {} : undefined;

  const { client, close } = await connect(cfg.driver, cfg.redis, onError);
  const pool = new pg.Pool({ connectionString: cfg.postgresUrl, max: cfg.loops });
  const stats: InsertWorkerReport = { inserted: 0, retries: 0, backendErrors: 0, floorCalls: 0 };
  const allocator = createRedisAllocator({
    client,
    prefix: cfg.prefix,
    floor: async (scope) => {
      stats.floorCalls++;
      const { rows } = await pool.query<{ max: number | null }>(
        `SELECT MAX(sequence) AS max FROM ${cfg.table} WHERE scope = $1`,
        [scope],
      );
      return rows[0]!.max;
    },
  });
  const insert = cfg.workerColumn
    ? (scope: string, sequence: number) =>
        pool.query(`INSERT INTO ${cfg.table} (scope, sequence, worker) VALUES ($1, $2, $3)`, [
          scope,
          sequence,
          cfg.id,
        ])
    : (scope: string, sequence: number) =>
        pool.query(`INSERT INTO ${cfg.table} (scope, sequence) VALUES ($1, $2)`, [scope, sequence]);

  let next = 0;
  const handler = async () => {
    for (let i = next++; i < cfg.count; i = next++) {
      const spread = cfg.scopes.length - 1;
      const scope = i % 2 === 0 ? cfg.scopes[0]! : cfg.scopes[1 + ((i + cfg.id * 13) % spread)]!;
      for (let attempt = 1; ; attempt++) {
        try {
          const { attempts } = await insertWithSequence({
            allocator,
            scope,
            insert: async (sequence) => {
              await sleep(Math.random() * cfg.holdMs);
              return insert(scope, sequence);
            },
            isUniqueViolation: (error) => isPostgresUniqueViolation(error, cfg.constraint),
            reseed: (s) => allocator.reseed(s),
          });
          stats.retries += attempts - 1;
          stats.inserted++;
          break;
        } catch (error) {
          const redisDown =
            error instanceof SequenceAllocatorError &&
            error.code === 'BACKEND' &&
            error.message.startsWith('[seqline] [redis]');
          if (!cfg.retryWhileRedisDown || !redisDown || attempt >= 200) throw error;
          stats.backendErrors++;
          await sleep(25);
        }
      }
      await sleep(cfg.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: cfg.loops }, handler));
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  await pool.end();
  await close();
}

/** A Redis client of `driver` for one server or a cluster, and how to disconnect it. */
async function connect(
  driver: InsertWorkerConfig['driver'],
  redis: InsertWorkerConfig['redis'],
  onError: (() => void) | undefined,
) {
  if ('url' in redis) {
    if (driver === 'ioredis') {
      const { Redis } = await import('ioredis');
      const client = new Redis(redis.url);
      if (onError) client.on('error', onError);
      return { client, close: () => client.disconnect() };
    }
    const { createClient } = await import('redis');
    const client = createClient({ url: redis.url });
    if (onError) client.on('error', onError);
    await client.connect();
    return { client, close: () => client.destroy() };
  }
  const nodes = redis.clusterSeeds.split(',').map((seed) => {
    const [host = '', port = ''] = seed.split(':');
    return { host, port: Number(port) };
  });
  if (driver === 'ioredis') {
    const { Cluster } = await import('ioredis');
    const client = new Cluster(nodes);
    if (onError) client.on('error', onError);
    return { client, close: () => client.disconnect() };
  }
  const { createCluster } = await import('redis');
  const rootNodes = nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` }));
  const cluster = createCluster({ rootNodes });
  if (onError) cluster.on('error', onError);
  const client = await cluster.connect();
  return { client, close: () => client.destroy() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // On success the process ends by itself once the clients are closed.
  main(JSON.parse(process.env.SEQLINE_WORKER ?? '') as InsertWorkerConfig).catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
