/**
 * createRedisBus against the real Redis, with both drivers: replay from a
 * cursor then live, delivery across two buses (two instances' connections),
 * many conversations on one reader, bounded length, TTL once a reply
 * finishes, and cursors it does not know.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisBus, type RedisBusClient } from '../../src/redis';
import type { MessageBus } from '../../src/server';
import { collector, delta, waitFor } from '../support/bus';
import { REDIS_URL, requireService } from '../support/services';

const redis = await requireService('redis');
const PREFIX = 'seqline-test:bus:';

const drivers: [string, () => Promise<{ client: RedisBusClient; close: () => unknown }>][] = [
  [
    'ioredis',
    async () => {
      const client = new Redis(REDIS_URL);
      return { client, close: () => client.disconnect() };
    },
  ],
  [
    'node-redis',
    async () => {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      return { client: client as unknown as RedisBusClient, close: () => client.destroy() };
    },
  ],
];

describe.runIf(redis)('createRedisBus', () => {
  const admin = new Redis(REDIS_URL);
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  for (const [name, connect] of drivers) {
    const open = async (
      options: { maxLength?: number; ttlSeconds?: number } = {},
    ): Promise<MessageBus> => {
      const { client, close } = await connect();
      const bus = createRedisBus({ client, prefix: PREFIX, ...options });
      cleanup.push(close, () => bus.close());
      return bus;
    };

    describe(name, () => {
      it('delivers what one instance publishes to another, replaying after a cursor first', async () => {
        const a = await open();
        const b = await open();
        const id = randomUUID();
        const first = await a.publish(id, delta(0, 'a'));
        expect(first).toMatch(/^\d+-\d+$/);
        await a.publish(id, delta(1, 'b'));
        const seen = collector();
        const stop = b.subscribe(id, first, seen.sink);
        await waitFor(() => seen.entries.length === 1, 'the replay');
        await a.publish(id, delta(2, 'c'));
        await waitFor(() => seen.entries.length === 2, 'the live entry');
        expect(seen.texts()).toEqual(['b', 'c']);
        // Cursors increase and are the ones publish returned.
        expect(seen.entries[0]!.cursor > first).toBe(true);
        stop();
      });

      it('a second subscriber joining late on the same instance gets the history it lacks, once', async () => {
        const a = await open();
        const b = await open();
        const id = randomUUID();
        const early = collector();
        b.subscribe(id, undefined, early.sink);
        for (let i = 0; i < 5; i++) await a.publish(id, delta(i, String(i)));
        await waitFor(() => early.entries.length === 5, 'the early subscriber');
        const late = collector();
        b.subscribe(id, '0', late.sink);
        for (let i = 5; i < 8; i++) await a.publish(id, delta(i, String(i)));
        await waitFor(() => late.entries.length >= 8 && early.entries.length >= 8, 'both');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(late.texts()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
        expect(early.texts()).toEqual(late.texts());
      });

      it('one reader carries many conversations, each in order', async () => {
        const a = await open();
        const b = await open();
        const ids = Array.from({ length: 20 }, () => randomUUID());
        const seen = ids.map(() => collector());
        for (const [i, id] of ids.entries()) b.subscribe(id, undefined, seen[i]!.sink);
        for (let round = 0; round < 5; round++) {
          await Promise.all(ids.map((id) => a.publish(id, delta(round, String(round)))));
        }
        await waitFor(() => seen.every((s) => s.entries.length === 5), 'all conversations');
        for (const s of seen) expect(s.texts()).toEqual(['0', '1', '2', '3', '4']);
      });

      it('keeps about maxLength entries and sets the TTL only once a reply finishes', async () => {
        const a = await open({ maxLength: 10, ttlSeconds: 120 });
        const id = randomUUID();
        for (let i = 0; i < 300; i++) await a.publish(id, delta(i, 'x'));
        const key = `${PREFIX}{${id}}`;
        // MAXLEN ~ trims whole macro nodes (100 entries by default), so "about".
        expect(await admin.xlen(key)).toBeLessThan(300);
        expect(await admin.ttl(key)).toBe(-1);
        await a.publish(id, { type: 'status', messageId: 'm2', status: 'complete' });
        expect(await admin.ttl(key)).toBeGreaterThan(100);
        await a.publish(id, delta(300, 'more'));
        expect(await admin.ttl(key)).toBe(-1);
      });

      it.each([['garbage'], ['99999999999999-0'.replace('-0', '')], ['1-2-3'], ['$'], ['>']])(
        'replays from the start for the cursor %j instead of failing',
        async (cursor) => {
          const a = await open();
          const id = randomUUID();
          await a.publish(id, delta(0, 'a'));
          const seen = collector();
          const stop = a.subscribe(id, cursor, seen.sink);
          await waitFor(() => seen.entries.length === 1, 'the replay');
          stop();
        },
      );

      it('rejects an invalid event and a bad prefix with what to do', async () => {
        const a = await open();
        await expect(a.publish('c', { type: 'nope' })).rejects.toThrow(/invalid stream event/);
        const { client, close } = await connect();
        cleanup.push(close);
        expect(() => createRedisBus({ client, prefix: 'a{b' })).toThrow(
          /\[seqline\] \[bus\] \[redis\] prefix/,
        );
      });
    });
  }

  // Regression: CI saw "Unhandled Rejection: Disconnects client" when close() destroyed the
  // node-redis reader while its connect() was still pending (10 in 40 closes here, before the fix).
  it('node-redis: closing right after use leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      for (let i = 0; i < 40; i++) {
        const client = createClient({ url: REDIS_URL });
        await client.connect();
        const bus = createRedisBus({
          client: client as unknown as RedisBusClient,
          prefix: PREFIX,
          onError: () => {},
        });
        const id = randomUUID();
        if (i % 2 === 0) bus.subscribe(id, undefined, { event() {} });
        await bus.publish(id, delta(0, 'x'));
        await bus.close();
        client.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
  });
});
