// @vitest-environment jsdom
/**
 * seqline/ai across two app instances on the real engines: the messages in
 * PostgreSQL, the bus on Redis or on Postgres, each instance with its own
 * connections. `useChat` clients on seqline's transport, one per instance,
 * with the AI SDK's mock model: both converge on the model's exact output,
 * and a stop posted to the instance that does NOT run the model stops the
 * model call there and stores the reply as stopped.
 */
import { randomUUID } from 'node:crypto';
import { act } from '@testing-library/react';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../../src/redis/index';
import type { MessageBus } from '../../src/server/index';
import { createPostgresBus, createSqlMessageStore } from '../../src/sql/index';
import { expectConverged, sendThenResumeElsewhere } from '../ai/clients';
import { closeAfterTest, eventually, OUTPUT, scriptedModel, startAiServer } from '../ai/support';
import { POSTGRES_URL, REDIS_URL, requireService } from '../support/services';

const postgres = await requireService('postgres');
const redis = await requireService('redis');
const run = randomUUID().slice(0, 8);
const TABLE = `seqline_test_ai_${run}`;
const BUS_TABLE = `seqline_test_ai_bus_${run}`;
const PREFIX = `seqline-test-ai-${run}:`;

describe.runIf(postgres && redis)('seqline/ai on two instances', () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
  const store = createSqlMessageStore({
    dialect: 'postgres',
    client: pool,
    table: TABLE,
    counterTable: `${TABLE}_c`,
  });
  const admin = new Redis(REDIS_URL);
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    await pool.query(`DROP TABLE IF EXISTS ${TABLE}, ${TABLE}_c, ${BUS_TABLE}, ${BUS_TABLE}_heads`);
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
    await pool.end();
  });

  /** One instance's own bus connection. */
  const buses: Record<string, () => Promise<MessageBus>> = {
    'Redis bus': async () => {
      const client = new Redis(REDIS_URL);
      const bus = createRedisBus({ client, prefix: PREFIX, onError: () => {} });
      cleanup.push(
        () => client.disconnect(),
        () => bus.close(),
      );
      return bus;
    },
    'Postgres bus': async () => {
      const own = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
      const bus = createPostgresBus({ pool: own, table: BUS_TABLE, onError: () => {} });
      await bus.ensureSchema();
      cleanup.push(
        () => own.end(),
        () => bus.close(),
      );
      return bus;
    },
  };

  for (const [name, openBus] of Object.entries(buses)) {
    it(`${name}: two clients converge, and a stop on the other instance stops the model`, async () => {
      await store.ensureSchema();
      const model = scriptedModel(OUTPUT, 5);
      // The model's chunks split an emoji's surrogate pair: the reply writer holds the first
      // half back, so no bus (the Postgres one stores jsonb, which refuses a lone half) fails.
      const busErrors: unknown[] = [];
      const instance = async (on: typeof model) =>
        startAiServer(store, on, { bus: await openBus(), onError: (e) => busErrors.push(e) });
      const one = await instance(model);
      const two = await instance(model);
      closeAfterTest(one.close);
      closeAfterTest(two.close);
      const id = `ai-${name}-${run}`;
      const { sender: alice, resumer: bob } = await sendThenResumeElsewhere({
        store,
        id,
        text: 'hello',
        replySequence: 2,
        sendBase: one.base,
        resumeBase: two.base,
      });
      await expectConverged([alice, bob], OUTPUT);
      expect(busErrors).toEqual([]);
      expect((await store.list(id, { limit: 10 }))[1]).toMatchObject({
        content: OUTPUT,
        status: 'complete',
      });

      // A slow reply, sent through instance one (which runs the model), stopped through two.
      const slow = scriptedModel(OUTPUT, 60);
      const three = await instance(slow);
      const four = await instance(slow);
      closeAfterTest(three.close);
      closeAfterTest(four.close);
      const { sender: carol, resumer: dave } = await sendThenResumeElsewhere({
        store,
        id,
        text: 'and slowly?',
        replySequence: 4,
        sendBase: three.base,
        resumeBase: four.base,
      });
      await act(() => dave.result.current.stop());
      await eventually(async () => {
        expect((await store.list(id, { limit: 10 }))[3]).toMatchObject({
          status: 'failed',
          error: 'stopped',
        });
      });
      expect(slow.doStreamCalls[0]?.abortSignal?.aborted).toBe(true);
      await eventually(() => expect(carol.result.current.status).toBe('ready'));
      for (const hook of [alice, bob, carol, dave]) hook.unmount();
    });
  }
});
