/**
 * Many processes, not many promises: 4 node processes × 250 allocations on
 * one hot scope on the real Redis, each with its own connection — first all
 * on ioredis, then all on node-redis, then the two drivers mixed on one key.
 * With no failed inserts in between, Redis hands out exactly 1..1000.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAllocateWorkers } from '../support/allocate-worker';
import { REDIS_URL, requireService } from '../support/services';

const PROCESSES = 4;
const COUNT = 250;
const TOTAL = PROCESSES * COUNT;

const redis = await requireService('redis');

function expectDistinctAndComplete(perProcess: number[][]) {
  expect(perProcess).toHaveLength(PROCESSES);
  for (const values of perProcess) {
    expect(values).toHaveLength(COUNT);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
  }
  const all = perProcess.flat().sort((a, b) => a - b);
  expect(new Set(all).size).toBe(TOTAL);
  expect(all).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  // The processes really raced: their numbers interleave.
  const interleaved = perProcess.filter((values) => values.at(-1)! - values[0]! + 1 > COUNT);
  expect(interleaved.length).toBeGreaterThan(1);
}

describe.runIf(redis)('redis: many processes on one hot scope', () => {
  const scopes: string[] = [];
  const fresh = () => {
    const scope = `multiprocess:${randomUUID()}`;
    scopes.push(scope);
    return scope;
  };
  afterAll(async () => {
    const admin = new Redis(REDIS_URL);
    await admin.del(...scopes.map((scope) => `seqline-test:{${scope}}`));
    admin.disconnect();
  });

  for (const backend of ['redis', 'node-redis'] as const) {
    it(`${backend}: ${PROCESSES} processes × ${COUNT} give ${TOTAL} distinct numbers, exactly 1..${TOTAL}`, async () => {
      expectDistinctAndComplete(
        await spawnAllocateWorkers({ backend, scope: fresh(), processes: PROCESSES, count: COUNT }),
      );
    });
  }

  it('ioredis and node-redis processes share one counter without duplicates', async () => {
    const scope = fresh();
    const half = PROCESSES / 2;
    const [io, nodeRedis] = await Promise.all([
      spawnAllocateWorkers({ backend: 'redis', scope, processes: half, count: COUNT }),
      spawnAllocateWorkers({ backend: 'node-redis', scope, processes: half, count: COUNT }),
    ]);
    const all = [...io, ...nodeRedis].flat().sort((a, b) => a - b);
    expect(new Set(all).size).toBe(TOTAL);
    expect(all).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  });
});
