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
import { randomBytes, randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import pg from 'pg';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAllocator } from '../../src/redis';
import { counterKey } from '../../src/redis/script';
import { testSequenceAllocator } from '../../src/testing';
import { spawnAllocateWorkers } from '../support/allocate-worker';
import { killInsertWorkers, startInsertWorker } from '../support/redis-insert-worker';
import {
  type PrivateRedisCluster,
  redisCli,
  sleep,
  startPrivateRedisCluster,
} from '../support/redis-servers';
import { POSTGRES_URL, requireService } from '../support/services';

const ready = (await requireService('redis')) && (await requireService('postgres'));
const PREFIX = 'seqline-test:';
afterAll(killInsertWorkers);

describe.runIf(ready)('redis allocator on a 3-node Redis Cluster', () => {
  let cluster: PrivateRedisCluster | undefined;
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
    cluster = await startPrivateRedisCluster(3, 'seqline-redis-cluster-');
    ({ ports, seeds } = cluster);
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await cluster?.close();
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
        [key, tag].map(async (text) =>
          (await redisCli(ports[0]!, 'CLUSTER', 'KEYSLOT', text)).trim(),
        ),
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
      const keys = (await redisCli(port, '--scan', '--pattern', `seqline:seq:{spread:${tag}:*`))
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
          id,
          driver: id % 2 === 0 ? 'ioredis' : 'node-redis',
          redis: { clusterSeeds: seeds },
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
      await Promise.all(ports.map((port) => redisCli(port, 'FLUSHALL')));
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
