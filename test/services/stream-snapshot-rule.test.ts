/**
 * Issue 15's snapshot rule, on every bus: "a server must not send a client
 * a snapshot older than the Last-Event-ID it resumed from". The store lags
 * on purpose (the writer persists every 200 ms, each persist slowed by
 * 20 ms, as the issue measured), and the client drops its connection every
 * few events and reconnects at once, with its Last-Event-ID, to another
 * instance's `createMessageRoutes` stream route on the same bus backend.
 * The client applies events exactly as docs/protocol.md words them (a
 * `message` replaces what it has), so a lagging snapshot would lose text.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../../src/redis';
import {
  createMemoryBus,
  createMemoryMessageStore,
  createMessageRoutes,
  createReplyWriter,
  type MessageBus,
  type MessageStore,
} from '../../src/server';
import { createPostgresBus } from '../../src/sql';
import { readFrames } from '../msw/sseClient';
import { createLiteralClient, type LiteralEvent } from '../support/literalClient';
import { POSTGRES_URL, REDIS_URL, requireService } from '../support/services';

const [redis, postgres] = await Promise.all([requireService('redis'), requireService('postgres')]);
const TABLE = 'seqline_test_snapshot_rule_events';
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Buses of two instances (the client alternates between them) and the writer's, on one backend. */
type Buses = { instances: MessageBus[]; writer: MessageBus };

const backends: [string, boolean, () => Promise<Buses>][] = [
  [
    'memory',
    true,
    async () => {
      const bus = createMemoryBus();
      return { instances: [bus], writer: bus };
    },
  ],
  [
    'redis',
    redis,
    async () => {
      const prefix = `seqline-test:snapshot-rule:${randomUUID()}:`;
      const clients = [0, 1, 2].map(() => new Redis(REDIS_URL));
      const buses = clients.map((client) => createRedisBus({ client, prefix, onError: () => {} }));
      cleanup.push(
        ...clients.map((client) => () => client.disconnect()),
        ...buses.map((bus) => () => bus.close()),
        async () => {
          const keys = await clients[0]!.keys(`${prefix}*`);
          if (keys.length > 0) await clients[0]!.del(...keys);
        },
      );
      return { instances: buses.slice(0, 2), writer: buses[2]! };
    },
  ],
  [
    'postgres',
    postgres,
    async () => {
      const pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: POSTGRES_URL, max: 4 }));
      const buses = pools.map((pool) =>
        createPostgresBus({ pool, table: TABLE, onError: () => {} }),
      );
      await buses[0]!.ensureSchema();
      // Run in reverse: the buses close, the private table goes, then the pools end.
      cleanup.push(
        ...pools.map((pool) => () => pool.end()),
        () => pools[0]!.query(`DROP TABLE IF EXISTS ${TABLE}, ${TABLE}_heads`),
        ...buses.map((bus) => () => bus.close()),
      );
      return { instances: buses.slice(0, 2), writer: buses[2]! };
    },
  ],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [name, available, open] of backends) {
  describe.runIf(available)(`the snapshot rule on the ${name} bus`, () => {
    it('immediate reconnects while the store lags: no snapshot goes back, the text ends as stored', async () => {
      const buses = await open();
      const store = createMemoryMessageStore();
      const routes = buses.instances.map((bus) =>
        createMessageRoutes({ store, bus, authorize: () => true, onError: () => {} }),
      );
      const conversationId = randomUUID();
      const { reply } = await store.append({
        conversationId,
        clientId: 'c1',
        content: 'Tell me a long story',
        reply: true,
      });
      const writer = createReplyWriter({
        bus: buses.writer,
        message: reply!,
        persistEveryMs: 200,
        persistEveryChars: 1_000_000,
        persist: async (update) => {
          await sleep(20);
          await store.updateReply(update);
        },
      });
      const writing = (async () => {
        await writer.start();
        for (let i = 0; i < 150; i++) {
          await sleep(4);
          await writer.append(`word${i} `);
        }
        await writer.complete();
      })();

      const client = createLiteralClient();
      let lastEventId: string | undefined;
      let resumes = 0;
      /** Resumes made while the store held less of the reply than the client: the case. */
      let lagging = 0;
      const content = () => client.messages.get(reply!.id)?.content ?? '';
      for (
        let connection = 0;
        client.messages.get(reply!.id)?.status !== 'complete';
        connection++
      ) {
        if (connection > 500) throw new Error(`never completed: ${content().length} characters`);
        if (lastEventId !== undefined) {
          resumes++;
          const stored = await storedContent(store, conversationId, reply!.id);
          if (stored.length < content().length) lagging++;
        }
        const abort = new AbortController();
        const response = await routes[connection % routes.length]!.stream(
          new Request(`http://app/conversations/${conversationId}/stream`, {
            headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
            signal: abort.signal,
          }),
          conversationId,
        );
        expect(response.status).toBe(200);
        // Drop the connection after a few events, then reconnect at once.
        let budget = 1 + (connection % 6);
        for await (const frame of readFrames(response.body!)) {
          if (frame.data === undefined) continue;
          lastEventId = frame.id;
          client.apply(JSON.parse(frame.data) as LiteralEvent);
          if (--budget === 0 || client.messages.get(reply!.id)?.status === 'complete') break;
        }
        abort.abort();
        await response.body!.cancel().catch(() => {});
      }
      await writing;

      expect(client.problems).toEqual([]);
      const final = await store.get(conversationId, reply!.id);
      expect(final?.status).toBe('complete');
      expect(content()).toBe(final?.content);
      expect(content()).toBe(Array.from({ length: 150 }, (_, i) => `word${i} `).join(''));
      console.info(
        `[snapshot rule] ${name} bus: ${resumes} resumes, ${lagging} while the store lagged the client`,
      );
      // The case the rule is about happened, many times.
      expect(lagging).toBeGreaterThanOrEqual(10);
    });
  });
}

/** The reply's content as stored now. */
async function storedContent(
  store: MessageStore,
  conversationId: string,
  id: string,
): Promise<string> {
  return (await store.get(conversationId, id))?.content ?? '';
}
