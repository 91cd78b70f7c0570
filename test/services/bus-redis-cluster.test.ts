/**
 * The Redis bus on a 3-master Redis Cluster this file starts (ioredis
 * `Cluster` with sharded subscribers, node-redis `createCluster`): the bus
 * conformance suite, and conversations spread over every master, which a
 * multi-key XREAD could not read (one slot per command).
 */
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus, type RedisBusClient } from '../../src/redis';
import { counterKey } from '../../src/redis/script';
import type { MessageBus } from '../../src/server';
import { testMessageBus } from '../../src/testing';
import { collector, delta, waitFor } from '../support/bus';
import {
  type PrivateRedisCluster,
  redisCli,
  startPrivateRedisCluster,
} from '../support/redis-servers';
import { requireService } from '../support/services';

const ready = await requireService('redis');
const PREFIX = 'seqline-test:bus:';

describe.runIf(ready)('redis bus on a 3-node Redis Cluster', () => {
  let cluster: PrivateRedisCluster | undefined;
  const closers: (() => unknown)[] = [];
  let ports: number[] = [];

  const ioredisBus = () => {
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    const client = new Cluster(nodes, { shardedSubscribers: true });
    closers.push(() => client.disconnect());
    return createRedisBus({ client, prefix: PREFIX, onError: () => {} });
  };
  const nodeRedisBus = async () => {
    const rootNodes = ports.map((port) => ({ url: `redis://127.0.0.1:${port}` }));
    const client = await createCluster({ rootNodes }).connect();
    closers.push(() => client.destroy());
    return createRedisBus({
      client: client as unknown as RedisBusClient,
      prefix: PREFIX,
      onError: () => {},
    });
  };

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster(3, 'seqline-redis-bus-cluster-');
    ({ ports } = cluster);
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await cluster?.close();
  });

  testMessageBus({
    name: 'redis bus (ioredis Cluster)',
    create: ioredisBus,
    futureCursor: '99999999999999-0',
  });
  testMessageBus({
    name: 'redis bus (node-redis createCluster)',
    create: nodeRedisBus,
    futureCursor: '99999999999999-0',
  });

  it.each([
    ['ioredis', () => ioredisBus()],
    ['node-redis', () => nodeRedisBus()],
  ])('%s: one instance follows conversations on every master at once', async (_, open) => {
    const a: MessageBus = await open();
    const b: MessageBus = await open();
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const slots = await Promise.all(
      ids.map(async (id) =>
        Number((await redisCli(ports[0]!, 'CLUSTER', 'KEYSLOT', counterKey(PREFIX, id))).trim()),
      ),
    );
    // 30 random ids land on all three masters (16384 slots split in thirds).
    expect(new Set(slots.map((slot) => Math.floor((slot * 3) / 16384))).size).toBe(3);
    const seen = ids.map(() => collector());
    for (const [i, id] of ids.entries()) b.subscribe(id, undefined, seen[i]!.sink);
    for (let round = 0; round < 3; round++)
      await Promise.all(ids.map((id) => a.publish(id, delta(round, String(round)))));
    await waitFor(() => seen.every((s) => s.entries.length === 3), 'every conversation');
    for (const s of seen) expect(s.texts()).toEqual(['0', '1', '2']);
  });
});
