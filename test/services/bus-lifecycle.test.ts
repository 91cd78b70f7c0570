/**
 * 100k conversation ids subscribed and left on the Redis and Postgres buses,
 * against the real services: the heap returns to within 10% of its baseline
 * (after forced GCs), so a bus keeps nothing for a conversation nobody
 * follows any more.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../../src/redis';
import type { MessageBus } from '../../src/server';
import { createPostgresBus } from '../../src/sql';
import { POSTGRES_URL, REDIS_URL, requireService } from '../support/services';

const [redis, postgres] = await Promise.all([requireService('redis'), requireService('postgres')]);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const IDS = 100_000;
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function heap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Subscribes to and leaves `count` ids in batches, letting each batch's replay reads finish. */
async function churn(bus: MessageBus, prefix: string, count: number) {
  for (let at = 0; at < count; at += 1000) {
    const stops = [];
    for (let i = at; i < at + 1000; i++)
      stops.push(bus.subscribe(`${prefix}-${i}`, undefined, { event() {} }));
    for (const stop of stops) stop();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

async function check(name: string, bus: MessageBus) {
  await churn(bus, `warm-${randomUUID()}`, 2000);
  const baseline = await heap();
  await churn(bus, randomUUID(), IDS);
  // Replays started before their subscriber left finish on their own.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = await heap();
  console.log(`[lifecycle] ${name} bus, 100k ids: heap ${mb(baseline)} → ${mb(after)}`);
  expect(after).toBeLessThan(baseline * 1.1);
}

describe('buses release conversations nobody follows', () => {
  it.runIf(redis)(
    'redis bus: 100k ids subscribed and left',
    async () => {
      const client = new Redis(REDIS_URL);
      const bus = createRedisBus({
        client,
        prefix: `seqline-test:life:${randomUUID()}:`,
        onError: () => {},
      });
      cleanup.push(
        () => client.disconnect(),
        () => bus.close(),
      );
      await check('redis', bus);
    },
    120_000,
  );

  it.runIf(postgres)(
    'postgres bus: 100k ids subscribed and left',
    async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
      const bus = createPostgresBus({ pool, table: 'seqline_test_life_events', onError: () => {} });
      await bus.ensureSchema();
      cleanup.push(
        () => pool.end(),
        () => bus.close(),
      );
      await check('postgres', bus);
    },
    240_000,
  );
});

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
