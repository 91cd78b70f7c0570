/**
 * A client's `Last-Event-ID` is untrusted input. Over HTTP, through
 * `createConversationStream`, on the memory, Redis and Postgres buses: a
 * client that connects first with a forged cursor (far in the future, in
 * the past, another conversation's, malformed) must not cost the honest
 * clients who join after it a single live event. The check part of a
 * cursor is FNV-1a, which anyone can compute, so the forged ones here are
 * "valid" cursors.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/index';
import { createRedisBus } from '../../src/redis';
import {
  createConversationStream,
  createMemoryBus,
  createSseResponse,
  type MessageBus,
  toNodeHandler,
} from '../../src/server';
import { formatStreamCursor } from '../../src/server/bus/streamCursor';
import { createPostgresBus } from '../../src/sql';
import { delta, waitFor } from '../support/bus';
import { type FollowResult, follow } from '../support/bus-client';
import { POSTGRES_URL, REDIS_URL, requireService } from '../support/services';

const [redis, postgres] = await Promise.all([requireService('redis'), requireService('postgres')]);
const TABLE = 'seqline_test_forged_cursor_events';
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Two instances' buses on one backend: the server subscribes on `serve`, the writer publishes on `publish`. */
type BusPair = { serve: MessageBus; publish: MessageBus; future: string; past: string };

const pairs: [string, boolean, () => Promise<BusPair>][] = [
  [
    'memory',
    true,
    async () => {
      const bus = createMemoryBus();
      return { serve: bus, publish: bus, future: '999999', past: '1' };
    },
  ],
  [
    'redis',
    redis,
    async () => {
      const prefix = `seqline-test:forged:${randomUUID()}:`;
      const a = new Redis(REDIS_URL);
      const b = new Redis(REDIS_URL);
      const serve = createRedisBus({ client: a, prefix, onError: () => {} });
      const publish = createRedisBus({ client: b, prefix, onError: () => {} });
      cleanup.push(
        () => a.disconnect(),
        () => b.disconnect(),
        () => serve.close(),
        () => publish.close(),
        async () => {
          const keys = await b.keys(`${prefix}*`);
          if (keys.length > 0) await b.del(...keys);
        },
      );
      return { serve, publish, future: `${Date.now() + 10 ** 9}-0`, past: '1-0' };
    },
  ],
  [
    'postgres',
    postgres,
    async () => {
      const pools = [0, 1].map(() => new pg.Pool({ connectionString: POSTGRES_URL, max: 4 }));
      const [serve, publish] = pools.map((pool) =>
        createPostgresBus({ pool, table: TABLE, onError: () => {} }),
      );
      await serve!.ensureSchema();
      // Run in reverse: the buses close before their pools end.
      cleanup.push(
        ...pools.map((pool) => () => pool.end()),
        () => serve!.close(),
        () => publish!.close(),
      );
      return { serve: serve!, publish: publish!, future: '999999', past: '1' };
    },
  ],
];

for (const [name, available, open] of pairs) {
  describe.runIf(available)(`forged Last-Event-ID on the ${name} bus, over HTTP`, () => {
    const forgeries: [string, (id: string, pair: BusPair) => string][] = [
      [
        'a future bus cursor',
        (id, p) => formatStreamCursor(id, { afterSequence: 0, busCursor: p.future }),
      ],
      [
        'a past bus cursor',
        (id, p) => formatStreamCursor(id, { afterSequence: 0, busCursor: p.past }),
      ],
      [
        "another conversation's cursor",
        (_, p) => formatStreamCursor('another', { afterSequence: 1, busCursor: p.future }),
      ],
      ['a malformed cursor', () => '99999999999999.%%%.zz'],
    ];

    it.each(forgeries)('%s costs the honest clients no live event', async (_, forge) => {
      const pair = await open();
      const conversationId = randomUUID();
      const reply: Message = {
        id: 'm2',
        conversationId,
        sequence: 2,
        createdAt: '2026-01-01T00:00:00.000Z',
        role: 'assistant',
        content: 'x',
        status: 'streaming',
      };
      // One entry already on the bus, so "past" and "future" both mean something.
      await pair.publish.publish(conversationId, delta(0, 'x'));
      const server = await listen(pair.serve, [reply]);
      const done = (t: FollowResult['timeline']) => t.getById('m2')?.content === 'xabcde';
      const forged = follow({
        conversationId,
        pick: () => server.url,
        lastEventId: forge(conversationId, pair),
        until: done,
        timeoutMs: 10_000,
      });
      // The forged client is the conversation's first subscriber on this instance.
      await waitFor(() => server.streams() === 1, 'the forged client');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const honest = [1, 2, 3].map(() =>
        follow({ conversationId, pick: () => server.url, until: done, timeoutMs: 10_000 }),
      );
      await waitFor(() => server.streams() === 4, 'the honest clients');
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const [i, text] of ['a', 'b', 'c', 'd', 'e'].entries()) {
        await pair.publish.publish(conversationId, delta(1 + i, text));
      }
      for (const result of await Promise.all(honest)) {
        expect(result.problems).toEqual([]);
        expect(result.timeline.getById('m2')?.content).toBe('xabcde');
        const live = result.events.filter((e) => e.event.type === 'delta').map((e) => e.event.text);
        expect(live).toEqual(['a', 'b', 'c', 'd', 'e']);
      }
      // It only ever affects its own view, and even that converges.
      expect((await forged).timeline.getById('m2')?.content).toBe('xabcde');
    });
  });
}

/** A node:http server with one route, GET /conversations/:id/stream, on `bus`. */
async function listen(bus: MessageBus, rows: Message[]) {
  let streams = 0;
  const server: Server = createServer(
    toNodeHandler((request) => {
      const id = decodeURIComponent(new URL(request.url).pathname.split('/')[2] ?? '');
      streams++;
      return createSseResponse({
        request,
        keepAliveMs: 0,
        source: createConversationStream({
          bus,
          conversationId: id,
          loadSnapshot: (_, after) => rows.filter((row) => (row.sequence ?? 0) > after),
        }),
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streams: () => streams,
  };
}
