/**
 * Redis Cluster: a 3-master cluster this file starts on free loopback ports
 * (cluster-enabled redis-server ×3, `redis-cli --cluster create`), driven
 * through ioredis `Cluster` and node-redis `createCluster`. It proves the
 * `{scope}` hash tag (even for scopes containing braces) and the Lua script
 * work where users outgrow one Redis: the conformance suite, keys spread
 * over every master, 4 processes racing on one hot scope, and 4 processes
 * inserting into a UNIQUE Postgres table over many scopes through a
 * FLUSHALL of every master.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import pg from 'pg';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterKey, createRedisAllocator } from '../../src/redis';
import { testSequenceAllocator } from '../../src/testing';
import { spawnAllocateWorkers } from '../support/allocate-worker';
import { POSTGRES_URL, requireService } from '../support/services';

const ready = (await requireService('redis')) && (await requireService('postgres'));
const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const PREFIX = 'seqline-test:';

describe.runIf(ready)('redis allocator on a 3-node Redis Cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqline-redis-cluster-'));
  const servers: ChildProcess[] = [];
  const closers: (() => unknown)[] = [];
  let ports: number[] = [];
  let seeds = '';

  const ioredisCluster = () => {
    const client = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    closers.push(() => client.disconnect());
    return client;
  };
  const nodeRedisCluster = async () => {
    const rootNodes = ports.map((port) => ({ url: `redis://127.0.0.1:${port}` }));
    const client = await createCluster({ rootNodes }).connect();
    closers.push(() => client.destroy());
    return client;
  };

  beforeAll(async () => {
    ports = await freeClusterPorts(3);
    seeds = ports.map((port) => `127.0.0.1:${port}`).join(',');
    for (const port of ports) servers.push(await startClusterNode(port, dir));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...seeds.split(','),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitForClusterOk(ports);
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await Promise.all(servers.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  });

  testSequenceAllocator({
    name: 'redis cluster (ioredis Cluster)',
    create: () => createRedisAllocator({ client: ioredisCluster(), floor: () => 0 }),
    gapless: false,
  });
  testSequenceAllocator({
    name: 'redis cluster (node-redis createCluster)',
    create: async () => createRedisAllocator({ client: await nodeRedisCluster(), floor: () => 0 }),
    gapless: false,
  });

  it('hashes each counter key by its {scope} tag, also for scopes containing braces', async () => {
    const scopes = ['plain', 'a}b', '{x}', '}{', '%7D', `{${randomUUID()}`];
    for (const scope of scopes) {
      const key = counterKey(PREFIX, scope);
      // Everything between the prefix and the closing brace must be the tag Redis hashes.
      const tag = key.slice(`${PREFIX}{`.length, -1);
      expect(tag).not.toMatch(/[{}]/);
      const [keySlot, tagSlot] = await Promise.all(
        [key, tag].map(async (text) => (await cli(ports[0]!, 'CLUSTER', 'KEYSLOT', text)).trim()),
      );
      expect(keySlot, scope).toBe(tagSlot);
    }
  });

  it('spreads 300 scopes over every master, through both drivers on the same counters', async () => {
    const io = createRedisAllocator({ client: ioredisCluster(), floor: () => 0 });
    const nodeRedis = createRedisAllocator({ client: await nodeRedisCluster(), floor: () => 0 });
    const tag = randomUUID();
    const scopes = Array.from({ length: 300 }, (_, i) => `spread:${tag}:${i}`);
    const first = await Promise.all(scopes.map((scope) => io.nextRange(scope, 2)));
    const second = await Promise.all(scopes.map((scope) => nodeRedis.next(scope)));
    expect(first).toEqual(scopes.map(() => ({ first: 1, last: 2 })));
    expect(second).toEqual(scopes.map(() => 3));
    for (const port of ports) {
      const keys = (await cli(port, '--scan', '--pattern', `seqline:seq:{spread:${tag}:*`))
        .split('\n')
        .filter(Boolean);
      // Roughly a third each; every master owns some, so routing really happened.
      expect(keys.length, `keys on :${port}`).toBeGreaterThan(50);
    }
  });

  for (const backend of ['redis-cluster', 'node-redis-cluster'] as const) {
    it(`${backend}: 4 processes × 250 on one hot scope give exactly 1..1000`, async () => {
      const perProcess = await spawnAllocateWorkers({
        backend,
        scope: `hot:${randomUUID()}`,
        processes: 4,
        count: 250,
        target: seeds,
      });
      const all = perProcess.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    });
  }

  describe('4 processes inserting into a UNIQUE Postgres table across a FLUSHALL of every master', () => {
    const table = `seqline_redis_cluster_${randomBytes(4).toString('hex')}`;
    const constraint = `${table}_scope_sequence_key`;
    let pool: pg.Pool;
    beforeAll(async () => {
      pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
      await pool.query(/* sql */ `CREATE TABLE ${table} (
        scope text NOT NULL,
        sequence integer NOT NULL CHECK (sequence > 0),
        CONSTRAINT ${constraint} UNIQUE (scope, sequence))`);
    });
    afterAll(async () => {
      await pool?.query(/* sql */ `DROP TABLE IF EXISTS ${table}`);
      await pool?.end();
    });

    it('every insert succeeds and no (scope, sequence) is stored twice', async () => {
      const run = randomUUID();
      // Half the traffic on one hot scope, the rest over 40 scopes (some with braces) on all slots.
      const scopes = [
        `hot:${run}`,
        ...Array.from({ length: 40 }, (_, i) =>
          i % 5 === 0 ? `{odd}${i}:${run}` : `s${i}:${run}`,
        ),
      ];
      const perWorker = 250;
      const total = 4 * perWorker;
      const children = Array.from({ length: 4 }, (_, id) =>
        startInsertWorker({
          root,
          id,
          driver: id % 2 === 0 ? 'ioredis' : 'node-redis',
          seeds,
          postgresUrl: POSTGRES_URL,
          table,
          constraint,
          scopes,
          count: perWorker,
          loops: 4,
          pauseMs: 4,
          holdMs: 8,
        }),
      );
      let failed = false;
      for (const child of children) child.result.catch(() => (failed = true));
      const countRows = async () =>
        Number((await pool.query(/* sql */ `SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
      let rowsAtFlush = await countRows();
      for (let i = 0; i < 8000 && rowsAtFlush < total / 2 && !failed; i++) {
        await sleep(5);
        rowsAtFlush = await countRows();
      }
      await Promise.all(ports.map((port) => cli(port, 'FLUSHALL')));
      const reports = await Promise.all(children.map((child) => child.result));
      console.log(
        `[redis cluster] rows at FLUSHALL: ${rowsAtFlush}; retries: ${reports.reduce((n, r) => n + r.retries, 0)}`,
      );

      expect(rowsAtFlush).toBeLessThan(total);
      for (const report of reports) expect(report.inserted).toBe(perWorker);
      const { rows } = await pool.query<{ n: string; distinct: string; scopes: string }>(
        /* sql */ `SELECT count(*) AS n, count(DISTINCT (scope, sequence)) AS distinct,
         count(DISTINCT scope) AS scopes FROM ${table}`,
      );
      expect(Number(rows[0]?.n)).toBe(total);
      expect(Number(rows[0]?.distinct)).toBe(total);
      expect(Number(rows[0]?.scopes)).toBe(scopes.length);
    });
  });
});

// ---------------------------------------------------------------------------

interface InsertWorkerConfig {
  root: string;
  id: number;
  driver: 'ioredis' | 'node-redis';
  seeds: string;
  postgresUrl: string;
  table: string;
  constraint: string;
  scopes: string[];
  count: number;
  loops: number;
  pauseMs: number;
  holdMs: number;
}

/**
 * One app instance on the cluster: its own cluster client and pg pool,
 * `loops` concurrent handlers storing rows through insertWithSequence with
 * floor = SELECT MAX(sequence). Prints `{"inserted":n,"retries":n}`.
 */
const INSERT_WORKER = /* js */ `
const cfg = JSON.parse(process.env.SEQLINE_WORKER);
const { createRedisAllocator } = await import(cfg.root + '/src/redis/index.ts');
const { insertWithSequence } = await import(cfg.root + '/src/server/index.ts');
const { isPostgresUniqueViolation } = await import(cfg.root + '/src/sql/index.ts');
const { default: pg } = await import('pg');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nodes = cfg.seeds.split(',').map((seed) => ({ host: seed.split(':')[0], port: Number(seed.split(':')[1]) }));

let client;
let close;
if (cfg.driver === 'ioredis') {
  const { Cluster } = await import('ioredis');
  client = new Cluster(nodes);
  close = () => client.disconnect();
} else {
  const { createCluster } = await import('redis');
  client = await createCluster({ rootNodes: nodes.map((n) => ({ url: 'redis://' + n.host + ':' + n.port })) }).connect();
  close = () => client.destroy();
}
const pool = new pg.Pool({ connectionString: cfg.postgresUrl, max: cfg.loops });
const allocator = createRedisAllocator({
  client,
  floor: async (scope) =>
    (await pool.query('SELECT MAX(sequence) AS max FROM ' + cfg.table + ' WHERE scope = $1', [scope])).rows[0].max,
});
const stats = { inserted: 0, retries: 0 };
let next = 0;
async function handler() {
  for (let i = next++; i < cfg.count; i = next++) {
    const spread = cfg.scopes.length - 1;
    const scope = i % 2 === 0 ? cfg.scopes[0] : cfg.scopes[1 + ((i + cfg.id * 13) % spread)];
    const { attempts } = await insertWithSequence({
      allocator,
      scope,
      insert: async (sequence) => {
        await sleep(Math.random() * cfg.holdMs);
        return pool.query('INSERT INTO ' + cfg.table + ' (scope, sequence) VALUES ($1, $2)', [scope, sequence]);
      },
      isUniqueViolation: (error) => isPostgresUniqueViolation(error, cfg.constraint),
      reseed: (s) => allocator.reseed(s),
    });
    stats.retries += attempts - 1;
    stats.inserted++;
    await sleep(cfg.pauseMs);
  }
}
await Promise.all(Array.from({ length: cfg.loops }, handler));
process.stdout.write(JSON.stringify(stats) + '\\n');
await pool.end();
close();
`;

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

function startInsertWorker(config: InsertWorkerConfig): {
  result: Promise<{ inserted: number; retries: number }>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', INSERT_WORKER],
    {
      cwd: config.root,
      env: { ...process.env, SEQLINE_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
  const result = new Promise<{ inserted: number; retries: number }>((resolvePromise, reject) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolvePromise(JSON.parse(stdout.trim().split('\n').at(-1)!));
      else
        reject(
          new Error(`worker ${config.id} (${config.driver}) exited ${code ?? signal}: ${stderr}`),
        );
    });
  });
  return { result };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(port), ...args])).stdout;
}

async function startClusterNode(port: number, dir: string): Promise<ChildProcess> {
  // biome-ignore format: one flag per pair reads best
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no',
  ], { stdio: 'ignore' });
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if ((await cli(port, 'PING').catch(() => '')).trim() === 'PONG') return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`[seqline tests] cluster node on port ${port} did not start`);
}

async function waitForClusterOk(ports: number[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const infos = await Promise.all(ports.map((port) => cli(port, 'CLUSTER', 'INFO')));
    if (infos.every((info) => info.includes('cluster_state:ok'))) return;
    await sleep(50);
  }
  throw new Error(`[seqline tests] cluster on ${ports.join(',')} never reached cluster_state:ok`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** `count` free loopback ports whose cluster bus ports (port + 10000) are free too. */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < 50 && ports.length < count; i++) {
    const port = await listenOnce(0);
    if (port > 55_000 || ports.includes(port)) continue;
    if ((await listenOnce(port + 10_000).catch(() => 0)) === port + 10_000) ports.push(port);
  }
  if (ports.length < count) throw new Error('[seqline tests] no free ports for the cluster');
  return ports;
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolvePromise(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}
