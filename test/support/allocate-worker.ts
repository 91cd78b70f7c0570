/**
 * One allocating process for the many-processes tests. Run it as
 *
 *   node --import tsx test/support/allocate-worker.ts <backend> <scope> <count> [target]
 *
 * It connects (one connection of its own), prints `ready`, waits for a line
 * on stdin (so every process starts allocating at the same moment, not
 * staggered by start-up time), calls `next(scope)` `count` times (yielding to
 * the event loop between calls) and
 * prints the numbers as one JSON line: `{"values":[…]}`. Any failure goes to
 * stderr with exit code 1.
 *
 * Backends: memory, postgres, mysql, sqlite (`target` = the database file),
 * redis and node-redis (`target` = URL), redis-cluster and node-redis-cluster
 * (`target` = comma-separated host:port seeds).
 * To add one, add an entry to `backends` below. `spawnAllocateWorkers` runs
 * several at once from a test.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SequenceAllocator } from '../../src/server';
import { MARIADB_URL, POSTGRES_URL, REDIS_URL } from './services';

/** An allocator plus how to disconnect it. */
export interface WorkerBackend {
  allocator: SequenceAllocator;
  close(): Promise<unknown> | unknown;
}

/** Backend name → how a worker process connects to it. `target` is the optional 4th argument. */
export const backends: Record<string, (target: string | undefined) => Promise<WorkerBackend>> = {
  async memory() {
    const { createMemoryAllocator } = await import('../../src/server');
    return { allocator: createMemoryAllocator(), close: () => {} };
  },
  async postgres(target) {
    const { default: pg } = await import('pg');
    const { createSqlAllocator } = await import('../../src/sql');
    const client = new pg.Client({ connectionString: target ?? POSTGRES_URL });
    await client.connect();
    return {
      allocator: createSqlAllocator({
        dialect: 'postgres',
        client,
        table: 'seqline_test_counters',
      }),
      close: () => client.end(),
    };
  },
  async mysql(target) {
    const { default: mysql } = await import('mysql2/promise');
    const { createSqlAllocator } = await import('../../src/sql');
    const client = await mysql.createConnection({ uri: target ?? MARIADB_URL });
    return {
      allocator: createSqlAllocator({ dialect: 'mysql', client, table: 'seqline_test_counters' }),
      close: () => client.end(),
    };
  },
  async sqlite(target) {
    if (!target) throw new Error('sqlite needs the database file as the 4th argument');
    const { default: Database } = await import('better-sqlite3');
    const { createSqlAllocator } = await import('../../src/sql');
    const db = new Database(target, { timeout: 10_000 });
    return {
      allocator: createSqlAllocator({ dialect: 'sqlite', client: db }),
      close: () => db.close(),
    };
  },
  // Redis: `target` is a redis:// URL (default REDIS_URL) or, for the cluster
  // backends, comma-separated host:port seeds. Fresh scopes start at 0 (floor).
  async redis(target) {
    const { Redis } = await import('ioredis');
    const { createRedisAllocator } = await import('../../src/redis');
    const client = new Redis(target ?? REDIS_URL);
    const allocator = createRedisAllocator({ client, prefix: 'seqline-test:', floor: () => 0 });
    return { allocator, close: () => client.quit() };
  },
  async 'node-redis'(target) {
    const { createClient } = await import('redis');
    const { createRedisAllocator } = await import('../../src/redis');
    const client = await createClient({ url: target ?? REDIS_URL }).connect();
    const allocator = createRedisAllocator({ client, prefix: 'seqline-test:', floor: () => 0 });
    return { allocator, close: () => client.close() };
  },
  async 'redis-cluster'(target) {
    const { Cluster } = await import('ioredis');
    const { createRedisAllocator } = await import('../../src/redis');
    const client = new Cluster(clusterSeeds(target));
    const allocator = createRedisAllocator({ client, prefix: 'seqline-test:', floor: () => 0 });
    return { allocator, close: () => client.quit() };
  },
  async 'node-redis-cluster'(target) {
    const { createCluster } = await import('redis');
    const { createRedisAllocator } = await import('../../src/redis');
    const rootNodes = clusterSeeds(target).map(({ host, port }) => ({
      url: `redis://${host}:${port}`,
    }));
    const client = await createCluster({ rootNodes }).connect();
    const allocator = createRedisAllocator({ client, prefix: 'seqline-test:', floor: () => 0 });
    return { allocator, close: () => client.close() };
  },
};

/** Options for {@link spawnAllocateWorkers}. */
export interface SpawnAllocateWorkersOptions {
  backend: string;
  scope: string;
  /** @default 4 */
  processes?: number;
  /** `next` calls per process. @default 250 */
  count?: number;
  target?: string;
}

/**
 * Starts `processes` workers, releases them together once all are connected,
 * and resolves with each one's numbers. Rejects if any worker fails.
 */
export async function spawnAllocateWorkers(
  options: SpawnAllocateWorkersOptions,
): Promise<number[][]> {
  const { backend, scope, processes = 4, count = 250, target } = options;
  const script = fileURLToPath(import.meta.url);
  const args = [
    '--import',
    'tsx',
    script,
    backend,
    scope,
    String(count),
    ...(target ? [target] : []),
  ];
  const children = Array.from({ length: processes }, () => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
    const result = new Promise<number[]>((resolve, reject) => {
      let output = '';
      child.once('exit', (code, signal) => {
        if (code !== 0) reject(new Error(`${backend} worker exited ${code ?? signal}: ${stderr}`));
        else resolve((JSON.parse(output) as { values: number[] }).values);
      });
      ready.then(() => lines.on('line', (line) => (output += line)));
    });
    return { child, ready, result };
  });
  // A worker that dies before `ready` must fail the run, not hang it.
  await Promise.race([
    Promise.all(children.map(({ ready }) => ready)),
    Promise.all(children.map(({ result }) => result)),
  ]);
  for (const { child } of children) child.stdin.end('go\n');
  return Promise.all(children.map(({ result }) => result));
}

// ---------------------------------------------------------------------------

function clusterSeeds(target: string | undefined): { host: string; port: number }[] {
  if (!target)
    throw new Error('the redis cluster backends need host:port[,host:port…] as the 4th argument');
  return target.split(',').map((seed) => {
    const [host = '', port = ''] = seed.split(':');
    return { host, port: Number(port) };
  });
}

async function main(argv: string[]) {
  const [backend = '', scope = '', countText = ''] = argv;
  const connect = backends[backend];
  const count = Number(countText);
  if (!connect || !scope || !Number.isSafeInteger(count)) {
    throw new Error(
      `usage: allocate-worker <${Object.keys(backends).join('|')}> <scope> <count> [target]`,
    );
  }
  const { allocator, close } = await connect(argv[3]);
  process.stdout.write('ready\n');
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    values.push(await allocator.next(scope));
    // Let the other processes in between, as an app doing other work would:
    // SQLite allocates 250 numbers in a few milliseconds, faster than the
    // processes can even be released together, so without this the "race"
    // could run one process after another.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await close();
  process.stdout.write(`${JSON.stringify({ values })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
