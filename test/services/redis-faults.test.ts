/**
 * Redis faults with a real table behind them. A Redis this file starts on its
 * own loopback port loses its counters mid-run (FLUSHALL, DEL of the hot keys,
 * a kill -9 and restart without persistence) while 4 child processes (two on
 * ioredis, two on node-redis) insert into a PostgreSQL table with
 * UNIQUE (scope, sequence) through `insertWithSequence`, with `floor` =
 * SELECT MAX(sequence). Every insert must succeed and no sequence may be
 * stored twice. Without `floor`, a lost counter must be a FLOOR_REQUIRED
 * error, never a silent restart at 1.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAllocator } from '../../src/redis';
import { insertWithSequence, SequenceAllocatorError } from '../../src/server';
import { isPostgresUniqueViolation } from '../../src/sql';
import { killInsertWorkers, startInsertWorker } from '../support/redis-insert-worker';
import { type PrivateRedis, sleep, startPrivateRedis } from '../support/redis-servers';
import { POSTGRES_URL, requireService } from '../support/services';

const ready = (await requireService('redis')) && (await requireService('postgres'));
afterAll(killInsertWorkers);

describe.runIf(ready)(
  'redis allocator under faults (own redis-server, real Postgres table)',
  () => {
    const table = `seqline_redis_faults_${randomBytes(4).toString('hex')}`;
    const constraint = `${table}_scope_sequence_key`;
    const prefix = 'seqline-faults:';
    let redis: PrivateRedis | undefined;
    let pool: pg.Pool;
    let admin: Redis;

    beforeAll(async () => {
      redis = await startPrivateRedis('seqline-redis-faults-');
      admin = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 50 });
      admin.on('error', () => {}); // reconnects across the restart below
      pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
      await pool.query(/* sql */ `CREATE TABLE ${table} (
      scope text NOT NULL,
      sequence integer NOT NULL CHECK (sequence > 0),
      worker integer NOT NULL,
      CONSTRAINT ${constraint} UNIQUE (scope, sequence))`);
    });

    afterAll(async () => {
      admin?.disconnect();
      await pool?.query(/* sql */ `DROP TABLE IF EXISTS ${table}`);
      await pool?.end();
      await redis?.close();
    });

    const floorFor =
      (calls = { count: 0 }) =>
      async (scope: string) => {
        calls.count++;
        const { rows } = await pool.query<{ max: number | null }>(
          /* sql */ `SELECT MAX(sequence) AS max FROM ${table} WHERE scope = $1`,
          [scope],
        );
        return rows[0]?.max ?? null;
      };
    const insertRow = (scope: string, worker: number) => (sequence: number) =>
      pool.query(/* sql */ `INSERT INTO ${table} (scope, sequence, worker) VALUES ($1, $2, $3)`, [
        scope,
        sequence,
        worker,
      ]);
    const isBackstop = (error: unknown) => isPostgresUniqueViolation(error, constraint);

    it('a number re-issued after FLUSHALL hits the UNIQUE backstop; insertWithSequence re-seeds and stores the next one', async () => {
      const allocator = createRedisAllocator({ client: admin, prefix, floor: floorFor() });
      const scope = `reissue-${randomUUID()}`;
      for (let i = 0; i < 3; i++) {
        await insertWithSequence({
          allocator,
          scope,
          insert: insertRow(scope, 0),
          isUniqueViolation: isBackstop,
        });
      }
      let raced = false;
      const slow = await insertWithSequence({
        allocator,
        scope,
        // Holds sequence 4 without storing it, loses the counter, and lets another writer store 4 first.
        insert: async (sequence) => {
          if (!raced) {
            raced = true;
            await admin.flushall();
            const other = await insertWithSequence({
              allocator,
              scope,
              insert: insertRow(scope, 1),
              isUniqueViolation: isBackstop,
            });
            expect(other.sequence).toBe(sequence); // re-issued: the flush lost the in-flight 4
          }
          return insertRow(scope, 0)(sequence);
        },
        isUniqueViolation: isBackstop,
        reseed: (s) => allocator.reseed(s),
      });
      expect(slow.attempts).toBe(2);
      expect(slow.sequence).toBe(5);
      expect(await allocator.next(scope)).toBe(6);
    });

    it('without floor, a flushed counter is a FLOOR_REQUIRED error, never a restart at 1', async () => {
      const withFloor = createRedisAllocator({ client: admin, prefix, floor: floorFor() });
      const withoutFloor = createRedisAllocator({ client: admin, prefix });
      const scope = `no-floor-${randomUUID()}`;
      for (let i = 0; i < 3; i++) {
        await insertWithSequence({
          allocator: withFloor,
          scope,
          insert: insertRow(scope, 0),
          isUniqueViolation: isBackstop,
        });
      }
      expect(await withoutFloor.next(scope)).toBe(4); // a live counter needs no floor
      await admin.flushall();

      const error = await insertWithSequence({
        allocator: withoutFloor,
        scope,
        insert: insertRow(scope, 0),
        isUniqueViolation: isBackstop,
      }).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(SequenceAllocatorError);
      expect((error as SequenceAllocatorError).code).toBe('FLOOR_REQUIRED');
      expect((error as Error).message).toMatch(/^\[seqline\] \[redis\] .*Pass floor: /);
      expect(await admin.exists(`${prefix}{${scope}}`)).toBe(0); // nothing was seeded at 0
      const { rows } = await pool.query(
        /* sql */ `SELECT sequence FROM ${table} WHERE scope = $1 ORDER BY sequence`,
        [scope],
      );
      expect(rows.map((row) => row.sequence)).toEqual([1, 2, 3]);
      expect(await withFloor.next(scope)).toBe(4); // the table's MAX is 3
    });

    it('4 processes insert through FLUSHALL, DEL and a restart: every insert succeeds, no sequence twice', async () => {
      const workers = 4;
      const perWorker = 250;
      const total = workers * perWorker;
      const scopes = [`hot-${randomUUID()}`, `warm-${randomUUID()}`];
      const children = Array.from({ length: workers }, (_, id) =>
        startInsertWorker({
          id,
          driver: id % 2 === 0 ? 'ioredis' : 'node-redis',
          redis: { url: redis!.url },
          postgresUrl: POSTGRES_URL,
          table,
          constraint,
          prefix,
          workerColumn: true,
          scopes,
          count: perWorker,
          loops: 4,
          pauseMs: 4,
          holdMs: 8,
          retryWhileRedisDown: true,
        }),
      );
      const countRows = async () => {
        const { rows } = await pool.query<{ n: string }>(
          /* sql */ `SELECT count(*) AS n FROM ${table} WHERE scope = ANY($1)`,
          [scopes],
        );
        return Number(rows[0]?.n);
      };
      const faults: [string, number, () => Promise<unknown>][] = [
        ['FLUSHALL', 0.2, () => admin.flushall()],
        ['DEL hot keys', 0.45, () => admin.del(...scopes.map((scope) => `${prefix}{${scope}}`))],
        [
          'kill -9 and restart',
          0.7,
          async () => {
            redis!.child?.kill('SIGKILL');
            await redis!.stop();
            await redis!.start();
          },
        ],
      ];
      const rowsAtFault: Record<string, number> = {};
      const deadline = Date.now() + 40_000;
      let failed = false;
      for (const child of children) child.result.catch(() => (failed = true));
      for (const [name, share, fault] of faults) {
        let rows = await countRows();
        while (rows < share * total && Date.now() < deadline && !failed) {
          await sleep(5);
          rows = await countRows();
        }
        rowsAtFault[name] = rows;
        await fault();
      }
      const reports = await Promise.all(children.map((child) => child.result));
      const stats = reports.reduce(
        (sum, report) => ({
          retries: sum.retries + report.retries,
          backendErrors: sum.backendErrors + report.backendErrors,
          floorCalls: sum.floorCalls + report.floorCalls,
        }),
        { retries: 0, backendErrors: 0, floorCalls: 0 },
      );
      console.log(
        `[redis faults] rows when each fault hit: ${JSON.stringify(rowsAtFault)}; ${JSON.stringify(stats)}`,
      );

      // Every fault hit mid-run, with inserts still to come.
      for (const [name] of faults) expect(rowsAtFault[name], name).toBeLessThan(total);
      for (const report of reports) expect(report.inserted).toBe(perWorker);
      const { rows } = await pool.query<{ n: string; distinct: string; min: number }>(
        /* sql */ `SELECT count(*) AS n, count(DISTINCT (scope, sequence)) AS distinct, MIN(sequence) AS min
       FROM ${table} WHERE scope = ANY($1)`,
        [scopes],
      );
      expect(Number(rows[0]?.n)).toBe(total);
      expect(Number(rows[0]?.distinct)).toBe(total);
      expect(rows[0]?.min).toBe(1);
      // Every scope was seeded from the table at first use and again after each counter loss.
      expect(stats.floorCalls).toBeGreaterThanOrEqual(scopes.length * (1 + faults.length));
    });
  },
);
