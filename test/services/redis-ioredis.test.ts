/**
 * The Redis allocator through ioredis against the real Redis on 6379: the
 * conformance suite (plain and auto-pipelined), then what is specific to
 * Redis — key layout, seeding from `floor`, FLOOR_REQUIRED, re-seeding,
 * the EVALSHA→EVAL fallback and error wrapping. Faults, many processes and
 * Cluster live in the other redis-*.test.ts files.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAllocator } from '../../src/redis';
import { ALLOCATE_SCRIPT_SHA, counterKey } from '../../src/redis/script';
import { SequenceAllocatorError } from '../../src/server';
import { testSequenceAllocator } from '../../src/testing';
import { REDIS_URL, requireService } from '../support/services';

const redis = await requireService('redis');
const prefix = `seqline-test:${randomUUID()}:`;

describe.runIf(redis)('redis allocator (ioredis)', () => {
  const clients: Redis[] = [];
  const connect = (options: { enableAutoPipelining?: boolean } = {}) => {
    const client = new Redis(REDIS_URL, options);
    clients.push(client);
    return client;
  };
  afterAll(async () => {
    const admin = connect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    for (const client of clients) client.disconnect();
  });

  // floor: () => 0 is the explicit opt-in for brand-new scopes (every conformance scope is fresh).
  testSequenceAllocator({
    name: 'redis (ioredis)',
    create: () => createRedisAllocator({ client: connect(), prefix, floor: () => 0 }),
    gapless: false,
  });
  testSequenceAllocator({
    name: 'redis (ioredis, enableAutoPipelining)',
    create: () =>
      createRedisAllocator({
        client: connect({ enableAutoPipelining: true }),
        prefix,
        floor: () => 0,
      }),
    gapless: false,
  });

  describe('redis specifics', () => {
    let admin: Redis;
    beforeAll(() => {
      admin = connect();
    });
    const fresh = () => `scope-${randomUUID()}`;

    it('stores the counter at prefix + {scope}, encoding { } % so the hash tag holds', async () => {
      const allocator = createRedisAllocator({ client: admin, prefix, floor: () => 0 });
      const scope = fresh();
      expect(await allocator.nextRange(scope, 3)).toEqual({ first: 1, last: 3 });
      expect(await admin.get(`${prefix}{${scope}}`)).toBe('3');

      const odd = `${scope}}{%`;
      expect(counterKey(prefix, odd)).toBe(`${prefix}{${scope}%7D%7B%25}`);
      await allocator.next(odd);
      expect(await admin.get(`${prefix}{${scope}%7D%7B%25}`)).toBe('1');
      // The encoding is reversible: the scope that looks like an encoded one is another key.
      expect(await allocator.next(`${scope}%7D%7B%25`)).toBe(1);
      expect(await allocator.next(odd)).toBe(2);
    });

    it('uses the default prefix seqline:seq:', async () => {
      const allocator = createRedisAllocator({ client: admin, floor: () => 0 });
      const scope = fresh();
      try {
        expect(await allocator.next(scope)).toBe(1);
        expect(await admin.get(`seqline:seq:{${scope}}`)).toBe('1');
      } finally {
        await admin.del(`seqline:seq:{${scope}}`);
      }
    });

    it('without floor, a missing counter throws FLOOR_REQUIRED and creates nothing', async () => {
      const allocator = createRedisAllocator({ client: admin, prefix });
      const scope = fresh();
      for (const attempt of [
        () => allocator.next(scope),
        () => allocator.nextRange(scope, 2),
        () => allocator.current(scope),
        () => allocator.reseed(scope),
      ]) {
        const error = await attempt().then(
          () => new Error('resolved'),
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(SequenceAllocatorError);
        expect((error as SequenceAllocatorError).code).toBe('FLOOR_REQUIRED');
        expect((error as Error).message).toMatch(/^\[seqline\] \[redis\] .*Pass floor:/);
      }
      expect(await admin.exists(`${prefix}{${scope}}`)).toBe(0);
    });

    it('without floor, an existing counter keeps working', async () => {
      const allocator = createRedisAllocator({ client: admin, prefix });
      const scope = fresh();
      await admin.set(`${prefix}{${scope}}`, '41');
      expect(await allocator.next(scope)).toBe(42);
      expect(await allocator.nextRange(scope, 2)).toEqual({ first: 43, last: 44 });
      expect(await allocator.current(scope)).toBe(44);
    });

    it('seeds a missing counter from floor (the database MAX), never restarting at 1', async () => {
      const stored = new Map<string, number | string | bigint | null>();
      const allocator = createRedisAllocator({
        client: admin,
        prefix,
        floor: (scope) => stored.get(scope) ?? null,
      });
      const [a, b, c, d] = [fresh(), fresh(), fresh(), fresh()];
      stored.set(a, 41);
      stored.set(b, '7'); // pg returns BIGINT as a string
      stored.set(c, 9n);
      expect(await allocator.next(a)).toBe(42);
      expect(await allocator.nextRange(b, 2)).toEqual({ first: 8, last: 9 });
      expect(await allocator.next(c)).toBe(10);
      expect(await allocator.next(d)).toBe(1); // MAX over no rows is NULL
      // Lost counter (FLUSHALL, eviction, restart): continues after what the table holds.
      stored.set(a, 42);
      await admin.del(`${prefix}{${a}}`);
      expect(await allocator.current(a)).toBe(42);
      expect(await admin.exists(`${prefix}{${a}}`)).toBe(0); // current reads, never writes
      expect(await allocator.next(a)).toBe(43);
    });

    it('many concurrent first uses share one floor query and agree on the seed', async () => {
      let calls = 0;
      const allocator = createRedisAllocator({
        client: admin,
        prefix,
        floor: async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return 10;
        },
      });
      const scope = fresh();
      const values = await Promise.all(Array.from({ length: 200 }, () => allocator.next(scope)));
      expect([...values].sort((x, y) => x - y)).toEqual(
        Array.from({ length: 200 }, (_, i) => 11 + i),
      );
      expect(calls).toBeLessThanOrEqual(3);
    });

    it('a seed raises a counter but never lowers it (stale floors from racing seeders are harmless)', async () => {
      let floor = 50;
      const allocator = createRedisAllocator({ client: admin, prefix, floor: () => floor });
      const scope = fresh();
      await admin.set(`${prefix}{${scope}}`, '100');
      expect(await allocator.reseed(scope)).toBe(100);
      expect(await allocator.next(scope)).toBe(101);
      floor = 200; // the table got ahead of the counter: a unique violation would follow
      expect(await allocator.reseed(scope)).toBe(200);
      expect(await allocator.next(scope)).toBe(201);
      const missing = fresh();
      expect(await allocator.reseed(missing)).toBe(200);
      expect(await allocator.next(missing)).toBe(201);
    });

    it('falls back to EVAL after SCRIPT FLUSH (NOSCRIPT) and caches the script again', async () => {
      const allocator = createRedisAllocator({ client: admin, prefix, floor: () => 0 });
      const scope = fresh();
      expect(await allocator.next(scope)).toBe(1);
      await admin.script('FLUSH');
      expect(await admin.script('EXISTS', ALLOCATE_SCRIPT_SHA)).toEqual([0]);
      expect(await allocator.next(scope)).toBe(2);
      expect(await admin.script('EXISTS', ALLOCATE_SCRIPT_SHA)).toEqual([1]);
    });

    it('wraps driver errors as BACKEND with the cause kept', async () => {
      const offline = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
      clients.push(offline);
      const allocator = createRedisAllocator({ client: offline, prefix, floor: () => 0 });
      const error = await allocator.next(fresh()).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(SequenceAllocatorError);
      expect((error as SequenceAllocatorError).code).toBe('BACKEND');
      expect((error as Error).message).toMatch(/^\[seqline\] \[redis\] allocating for scope/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });

    it('reports a key holding a non-integer as BACKEND instead of returning garbage', async () => {
      const allocator = createRedisAllocator({ client: admin, prefix, floor: () => 0 });
      const scope = fresh();
      await admin.set(`${prefix}{${scope}}`, 'not a number');
      const error = await allocator.next(scope).catch((reason: unknown) => reason);
      expect((error as SequenceAllocatorError).code).toBe('BACKEND');
      expect((error as Error).message).toMatch(/not an integer/);
    });

    it('wraps a throwing floor as BACKEND and rejects a floor that is not a count', async () => {
      const dbDown = new Error('connect ECONNREFUSED 127.0.0.1:5432');
      const throwing = createRedisAllocator({
        client: admin,
        prefix,
        floor: () => Promise.reject(dbDown),
      });
      const error = await throwing.next(fresh()).catch((reason: unknown) => reason);
      expect((error as SequenceAllocatorError).code).toBe('BACKEND');
      expect((error as Error).cause).toBe(dbDown);
      expect((error as Error).message).toMatch(/^\[seqline\] \[redis\] floor\(/);

      for (const bad of [-1, 1.5, 'abc', Number.NaN, 2 ** 60]) {
        const allocator = createRedisAllocator({ client: admin, prefix, floor: () => bad });
        const scope = fresh();
        const reason = await allocator.next(scope).catch((caught: unknown) => caught);
        expect((reason as SequenceAllocatorError).code).toBe('INVALID_CONFIG');
        expect(await admin.exists(`${prefix}{${scope}}`)).toBe(0);
      }
    });

    it('rejects bad options at construction', () => {
      const invalid = (run: () => unknown) => {
        try {
          run();
        } catch (error) {
          expect((error as SequenceAllocatorError).code).toBe('INVALID_CONFIG');
          expect((error as Error).message).toMatch(/^\[seqline\] \[redis\] /);
          return;
        }
        throw new Error('expected INVALID_CONFIG');
      };
      invalid(() => createRedisAllocator({ client: admin, prefix: 'app:{tenant}:' }));
      invalid(() => createRedisAllocator({ client: admin, prefix: 42 as unknown as string }));
      invalid(() => createRedisAllocator({ client: {} as never }));
      invalid(() => createRedisAllocator({ client: null as never }));
      invalid(() => createRedisAllocator({ client: admin, floor: 0 as never }));
    });
  });
});
