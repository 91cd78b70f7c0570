/**
 * The Redis allocator through node-redis (`createClient`) against the real
 * Redis on 6379: the conformance suite over RESP2 and RESP3, plus what
 * differs from ioredis — the `{ keys, arguments }` adapter, its NOSCRIPT
 * fallback and its error types. Shared Redis behaviour is pinned once, in
 * redis-ioredis.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisAllocator } from '../../src/redis';
import { ALLOCATE_SCRIPT_SHA } from '../../src/redis/script';
import { SequenceAllocatorError } from '../../src/server';
import { testSequenceAllocator } from '../../src/testing';
import { REDIS_URL, requireService } from '../support/services';

const redis = await requireService('redis');
const prefix = `seqline-test:${randomUUID()}:`;

describe.runIf(redis)('redis allocator (node-redis)', () => {
  const clients: { close(): Promise<void> | void; isOpen: boolean }[] = [];
  const connect = async (RESP: 2 | 3 = 2) => {
    const client = await createClient({ url: REDIS_URL, RESP }).connect();
    clients.push(client);
    return client;
  };
  afterAll(async () => {
    const admin = await connect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(keys);
    for (const client of clients) if (client.isOpen) await client.close();
  });

  testSequenceAllocator({
    name: 'redis (node-redis)',
    create: async () => createRedisAllocator({ client: await connect(), prefix, floor: () => 0 }),
    gapless: false,
  });
  testSequenceAllocator({
    name: 'redis (node-redis, RESP3)',
    create: async () => createRedisAllocator({ client: await connect(3), prefix, floor: () => 0 }),
    gapless: false,
  });

  describe('node-redis specifics', () => {
    const fresh = () => `scope-${randomUUID()}`;

    it('shares counters with the ioredis adapter: same key, same script', async () => {
      const client = await connect();
      const allocator = createRedisAllocator({ client, prefix, floor: () => 0 });
      const scope = fresh();
      await client.set(`${prefix}{${scope}}`, '9');
      expect(await allocator.nextRange(scope, 2)).toEqual({ first: 10, last: 11 });
      expect(await client.get(`${prefix}{${scope}}`)).toBe('11');
    });

    it('seeds from floor and throws FLOOR_REQUIRED without it', async () => {
      const client = await connect();
      const withFloor = createRedisAllocator({ client, prefix, floor: async () => '99' });
      const without = createRedisAllocator({ client, prefix });
      const scope = fresh();
      const error = await without.next(scope).catch((reason: unknown) => reason);
      expect((error as SequenceAllocatorError).code).toBe('FLOOR_REQUIRED');
      expect(await client.exists(`${prefix}{${scope}}`)).toBe(0);
      expect(await withFloor.next(scope)).toBe(100);
      expect(await without.next(scope)).toBe(101);
    });

    it('falls back to EVAL after SCRIPT FLUSH (NOSCRIPT) and caches the script again', async () => {
      const client = await connect();
      const allocator = createRedisAllocator({ client, prefix, floor: () => 0 });
      const scope = fresh();
      expect(await allocator.next(scope)).toBe(1);
      await client.scriptFlush();
      expect(await client.scriptExists(ALLOCATE_SCRIPT_SHA)).toEqual([0]);
      expect(await allocator.next(scope)).toBe(2);
      expect(await client.scriptExists(ALLOCATE_SCRIPT_SHA)).toEqual([1]);
    });

    it('wraps a closed client as BACKEND with the cause kept', async () => {
      const client = await connect();
      await client.close();
      const allocator = createRedisAllocator({ client, prefix, floor: () => 0 });
      const error = await allocator.next(fresh()).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(SequenceAllocatorError);
      expect((error as SequenceAllocatorError).code).toBe('BACKEND');
      expect((error as Error).message).toMatch(/^\[seqline\] \[redis\] allocating for scope/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });
  });
});
