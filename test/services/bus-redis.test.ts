/**
 * createRedisBus against the real Redis, with both drivers: the bus
 * conformance suite (two buses = two instances' connections), then what is
 * Redis's own: bounded length, TTL once a reply finishes, the prefix rule,
 * and closing a node-redis reader mid-connect.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisBus, type RedisBusClient } from '../../src/redis';
import type { MessageBus } from '../../src/server';
import { testMessageBus } from '../../src/testing';
import { collector, delta, reconnectRace, waitFor } from '../support/bus';
import { REDIS_URL, requireService } from '../support/services';
import { startTcpProxy } from '../support/tcp-proxy';

const redis = await requireService('redis');
const PREFIX = 'seqline-test:bus:';

type Connect = (url?: string) => Promise<{ client: RedisBusClient; close: () => unknown }>;

const drivers: [string, Connect][] = [
  [
    'ioredis',
    async (url = REDIS_URL) => {
      const client = new Redis(url);
      return { client, close: () => client.disconnect() };
    },
  ],
  [
    'node-redis',
    async (url = REDIS_URL) => {
      const client = createClient({ url });
      client.on('error', () => {});
      await client.connect();
      return {
        client: client as unknown as RedisBusClient,
        close: () => client.destroy(),
      };
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

    testMessageBus({
      name: `createRedisBus (${name})`,
      create: () => open(),
      futureCursor: '99999999999999-0',
    });

    describe(name, () => {
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

      // Regression: CI lost deltas across a Redis restart, in two ways. An entry appended before
      // the reader's SSUBSCRIBE landed again was in no announcement, and the bus's re-read missed it
      // when it ran before that (ioredis emits `ready` before it subscribes again), or when the next
      // announcement, arriving with the SSUBSCRIBE's confirmation, was delivered first (both
      // clients). The proxy holds the SSUBSCRIBE, then its confirmation, on purpose.
      it('after a reconnect, an entry appended before the shard channel is subscribed again is still delivered', async () => {
        const proxy = await startTcpProxy(Number(new URL(REDIS_URL).port || 6379));
        cleanup.push(() => proxy.close());
        const { client, close } = await connect();
        const reader = await connect(`redis://127.0.0.1:${proxy.port}`);
        const bus = createRedisBus({
          client,
          subscriber: reader.client,
          prefix: PREFIX,
          onError: () => {},
        });
        cleanup.push(close, reader.close, () => bus.close());
        const publisher = await open();
        const id = randomUUID();
        const seen = collector();
        const channel = `${PREFIX}{${id}}`;
        const subscribedOnce = () =>
          waitFor(async () => {
            const reply = await admin.call('PUBSUB', 'SHARDNUMSUB', channel);
            return (reply as [string, number])[1] === 1;
          }, `the SSUBSCRIBE of ${channel}`);
        bus.subscribe(id, undefined, seen.sink);
        await subscribedOnce();
        await publisher.publish(id, delta(0, 'a'));
        await waitFor(() => seen.entries.length === 1, 'the first entry');

        await reconnectRace({
          proxy,
          watch: /ssubscribe/i,
          watching: subscribedOnce,
          publish: (event) => publisher.publish(id, event),
          seen,
        });
        expect(seen.texts()).toEqual(['a', 'b', 'c']);
        expect(seen.resyncs()).toBe(1);
      });

      it('rejects a bad prefix with what to do', async () => {
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
