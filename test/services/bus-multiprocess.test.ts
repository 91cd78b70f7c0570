/**
 * Two app instances (separate node processes, different ports) sharing the
 * real Postgres messages table and a bus: the Postgres LISTEN/NOTIFY bus
 * and the Redis Streams bus. Clients are SSE readers that fold events into
 * the core timeline and reconnect with Last-Event-ID, as a browser does.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Timeline } from '../../src/index';
import { follow } from '../support/bus-client';
import {
  type BusServerConfig,
  killBusServers,
  messagesTableDDL,
  type RunningServer,
  startBusServer,
} from '../support/bus-server';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-servers';
import { POSTGRES_URL, REDIS_URL, requireService } from '../support/services';

const postgres = await requireService('postgres');
const redis = await requireService('redis');
const TABLE = 'seqline_test_bus_messages';
const BUS_TABLE = 'seqline_test_mp_bus_events';

let admin: pg.Pool;

async function databaseView(conversationId: string) {
  const { rows } = await admin.query(
    `SELECT id, sequence, content, status FROM ${TABLE} WHERE conversation_id = $1 ORDER BY sequence`,
    [conversationId],
  );
  return rows.map((row) => ({
    id: row.id,
    sequence: Number(row.sequence),
    content: row.content,
    status: row.status,
  }));
}

const view = (timeline: Timeline) =>
  timeline.messages.map(({ id, sequence, content, status }) => ({ id, sequence, content, status }));

/** Done once the reply (the message with sequence `replySequence`) is complete. */
const replyComplete = (replySequence: number) => (timeline: Timeline) =>
  timeline.messages.some((m) => m.sequence === replySequence && m.status === 'complete');

async function post(
  server: RunningServer,
  conversationId: string,
  body: { tokens: number; tokenDelayMs: number },
) {
  const response = await fetch(`${server.url}/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: randomUUID(), content: 'Hello?', ...body }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as {
    message: { id: string; sequence: number };
    reply: { id: string; sequence: number };
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(postgres && redis)('two instances sharing a bus', () => {
  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL });
    await admin.query(`DROP TABLE IF EXISTS ${TABLE}, ${BUS_TABLE}, ${BUS_TABLE}_heads`);
    await admin.query(messagesTableDDL(TABLE));
    const { createPostgresBus } = await import('../../src/sql');
    await createPostgresBus({ pool: admin, table: BUS_TABLE }).ensureSchema();
  });
  afterEach(async () => {
    await killBusServers();
  });
  afterAll(async () => {
    await killBusServers();
    await admin?.end();
  });

  for (const busName of ['postgres', 'redis'] as const) {
    const config = (extra: Partial<BusServerConfig> = {}): BusServerConfig => ({
      bus: busName,
      postgresUrl: POSTGRES_URL,
      redisUrl: REDIS_URL,
      table: TABLE,
      busName: busName === 'postgres' ? BUS_TABLE : 'seqline-test:mp:',
      ...extra,
    });
    const startTwo = () => Promise.all([startBusServer(config()), startBusServer(config())]);

    describe(`${busName} bus`, () => {
      it('a client on B sees the message POSTed to A and the reply A streams, in order, exactly once', async () => {
        const [a, b] = await startTwo();
        const id = randomUUID();
        let connected!: () => void;
        const ready = new Promise<void>((resolve) => {
          connected = resolve;
        });
        const following = follow({
          conversationId: id,
          pick: () => b.url,
          until: replyComplete(2),
          onConnected: connected,
        });
        await ready;
        await sleep(200);
        const { message, reply } = await post(a, id, { tokens: 30, tokenDelayMs: 10 });
        const result = await following;
        expect(result.problems).toEqual([]);
        expect(result.connections).toBe(1);
        expect(view(result.timeline)).toEqual(await databaseView(id));
        // In order: the prompt, then the reply appears, then its deltas, then complete.
        const types = result.events.map((e) => e.event.type);
        expect(types[0]).toBe('message');
        expect(result.events[0]!.event).toMatchObject({ message: { id: message.id } });
        expect(result.events[1]!.event).toMatchObject({
          type: 'message',
          message: { id: reply.id },
        });
        expect(types.at(-1)).toBe('status');
        // Exactly once: each of the 30 tokens arrives in one delta of its own, none twice.
        expect(
          result.events.filter((e) => e.event.type === 'delta').map((e) => e.event.text),
        ).toEqual(Array.from({ length: 30 }, (_, i) => `t${i} `));
        expect(result.timeline.getById(reply.id)?.content).toBe(
          Array.from({ length: 30 }, (_, i) => `t${i} `).join(''),
        );
      });

      it('B is killed mid-reply: the client resumes on A with its Last-Event-ID, nothing lost or repeated', async () => {
        const [a, b] = await startTwo();
        const id = randomUUID();
        let killed = false;
        const following = follow({
          conversationId: id,
          pick: (n) => (n === 1 ? b.url : a.url),
          until: replyComplete(2),
          onEvent: (result) => {
            const deltas = result.events.filter((e) => e.event.type === 'delta').length;
            if (!killed && deltas === 10) {
              killed = true;
              void b.kill();
            }
          },
        });
        await sleep(300);
        await post(a, id, { tokens: 40, tokenDelayMs: 15 });
        const result = await following;
        expect(killed).toBe(true);
        expect(result.connections).toBeGreaterThanOrEqual(2);
        expect(result.problems).toEqual([]);
        expect(view(result.timeline)).toEqual(await databaseView(id));
        // The resumed connection did not send the prompt again: the cursor said it was final.
        const prompts = result.events.filter(
          (e) =>
            e.event.type === 'message' && (e.event.message as { sequence: number }).sequence === 1,
        );
        expect(prompts).toHaveLength(1);
      });

      it('200 subscribers across both instances converge on the same final list', async () => {
        const [a, b] = await startTwo();
        const id = randomUUID();
        const followers = Array.from({ length: 200 }, (_, i) =>
          follow({
            conversationId: id,
            pick: () => (i % 2 ? a.url : b.url),
            until: replyComplete(2),
            timeoutMs: 50_000,
          }),
        );
        await sleep(1000);
        await post(a, id, { tokens: 30, tokenDelayMs: 10 });
        const results = await Promise.all(followers);
        const truth = await databaseView(id);
        for (const result of results) {
          expect(result.problems).toEqual([]);
          expect(view(result.timeline)).toEqual(truth);
        }
      });

      it.each([
        ['malformed', 'garbage'],
        ['forged', '0.0.00000000'],
        ['forged with a plausible shape', '1.1-0.deadbeef'],
        ['huge', 'x'.repeat(4000)],
      ])('a %s Last-Event-ID gets a full catch-up, no error, no loop', async (_, lastEventId) => {
        const [a] = await Promise.all([startBusServer(config())]);
        const id = randomUUID();
        await post(a!, id, { tokens: 5, tokenDelayMs: 1 });
        await sleep(300);
        const result = await follow({
          conversationId: id,
          pick: () => a!.url,
          until: replyComplete(2),
          lastEventId,
          timeoutMs: 10_000,
        });
        expect(result.connections).toBe(1);
        expect(view(result.timeline)).toEqual(await databaseView(id));
      });
    });
  }

  describe('redis bus restarted mid-reply (private redis-server)', () => {
    let privateRedis: PrivateRedis | undefined;
    afterAll(async () => {
      await privateRedis?.close();
    });

    it('the client on B, then on A with its Last-Event-ID, ends with the database list', async () => {
      privateRedis = await startPrivateRedis('seqline-bus-restart-');
      const config: BusServerConfig = {
        bus: 'redis',
        postgresUrl: POSTGRES_URL,
        redisUrl: privateRedis.url,
        table: TABLE,
        busName: 'seqline-test:restart:',
      };
      const [a, b] = await Promise.all([startBusServer(config), startBusServer(config)]);
      const id = randomUUID();
      let restarted: Promise<void> | undefined;
      let killed = false;
      const following = follow({
        conversationId: id,
        pick: (n) => (n === 1 ? b.url : a.url),
        until: replyComplete(2),
        timeoutMs: 50_000,
        onEvent: (result) => {
          const deltas = result.events.filter((e) => e.event.type === 'delta').length;
          if (!restarted && deltas === 8) {
            restarted = (async () => {
              await privateRedis!.stop();
              await sleep(300);
              await privateRedis!.start();
            })();
          }
          if (!killed && deltas === 30) {
            killed = true;
            void b.kill();
          }
        },
      });
      await sleep(300);
      await post(a, id, { tokens: 60, tokenDelayMs: 20 });
      const result = await following;
      await restarted;
      expect(restarted).toBeDefined();
      expect(result.problems).toEqual([]);
      expect(view(result.timeline)).toEqual(await databaseView(id));
    });
  });
});
