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
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAllocator } from '../../src/redis';
import { insertWithSequence, SequenceAllocatorError } from '../../src/server';
import { isPostgresUniqueViolation } from '../../src/sql';
import { POSTGRES_URL, requireService } from '../support/services';

const ready = (await requireService('redis')) && (await requireService('postgres'));
const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

describe.runIf(ready)(
  'redis allocator under faults (own redis-server, real Postgres table)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqline-redis-faults-'));
    const table = `seqline_redis_faults_${randomBytes(4).toString('hex')}`;
    const constraint = `${table}_scope_sequence_key`;
    const prefix = 'seqline-faults:';
    let port = 0;
    let server: ChildProcess | undefined;
    let pool: pg.Pool;
    let admin: Redis;

    const startServer = async () => {
      server = await startRedisServer(port, dir);
    };
    const stopServer = async () => {
      if (server) await stopChild(server);
      server = undefined;
    };

    beforeAll(async () => {
      port = await freePort();
      await startServer();
      admin = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 50 });
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
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
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
        startWorker({
          root,
          id,
          driver: id % 2 === 0 ? 'ioredis' : 'node-redis',
          redisUrl: `redis://127.0.0.1:${port}`,
          postgresUrl: POSTGRES_URL,
          table,
          constraint,
          prefix,
          scopes,
          count: perWorker,
          loops: 4,
          pauseMs: 4,
          holdMs: 8,
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
            server?.kill('SIGKILL');
            await stopServer();
            await startServer();
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

// ---------------------------------------------------------------------------

interface WorkerConfig {
  root: string;
  id: number;
  driver: 'ioredis' | 'node-redis';
  redisUrl: string;
  postgresUrl: string;
  table: string;
  constraint: string;
  prefix: string;
  scopes: string[];
  count: number;
  loops: number;
  pauseMs: number;
  holdMs: number;
}

interface WorkerReport {
  inserted: number;
  retries: number;
  backendErrors: number;
  floorCalls: number;
}

/**
 * One app instance: its own Redis client and pg pool, `loops` concurrent
 * request handlers each storing messages through insertWithSequence. While
 * Redis is down (the restart) allocation fails with BACKEND; like an app
 * retrying the request, it waits and tries again. Any other error fails it.
 */
const WORKER = /* js */ `
const cfg = JSON.parse(process.env.SEQLINE_WORKER);
const { createRedisAllocator } = await import(cfg.root + '/src/redis/index.ts');
const { insertWithSequence, SequenceAllocatorError } = await import(cfg.root + '/src/server/index.ts');
const { isPostgresUniqueViolation } = await import(cfg.root + '/src/sql/index.ts');
const { default: pg } = await import('pg');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let client;
let close;
if (cfg.driver === 'ioredis') {
  const { Redis } = await import('ioredis');
  client = new Redis(cfg.redisUrl);
  client.on('error', () => {});
  close = () => client.disconnect();
} else {
  const { createClient } = await import('redis');
  client = createClient({ url: cfg.redisUrl });
  client.on('error', () => {});
  await client.connect();
  close = () => client.destroy();
}
const pool = new pg.Pool({ connectionString: cfg.postgresUrl, max: cfg.loops });
const stats = { inserted: 0, retries: 0, backendErrors: 0, floorCalls: 0 };
const allocator = createRedisAllocator({
  client,
  prefix: cfg.prefix,
  floor: async (scope) => {
    stats.floorCalls++;
    const { rows } = await pool.query('SELECT MAX(sequence) AS max FROM ' + cfg.table + ' WHERE scope = $1', [scope]);
    return rows[0].max;
  },
});

let next = 0;
async function handler() {
  for (let i = next++; i < cfg.count; i = next++) {
    const scope = cfg.scopes[i % cfg.scopes.length];
    for (let attempt = 1; ; attempt++) {
      try {
        const { attempts } = await insertWithSequence({
          allocator,
          scope,
          // An app holds the number a moment (validation, a model call) before storing it.
          insert: async (sequence) => {
            await sleep(Math.random() * cfg.holdMs);
            return pool.query('INSERT INTO ' + cfg.table + ' (scope, sequence, worker) VALUES ($1, $2, $3)', [scope, sequence, cfg.id]);
          },
          isUniqueViolation: (error) => isPostgresUniqueViolation(error, cfg.constraint),
          reseed: (s) => allocator.reseed(s),
        });
        stats.retries += attempts - 1;
        stats.inserted++;
        break;
      } catch (error) {
        const redisDown = error instanceof SequenceAllocatorError && error.code === 'BACKEND' && error.message.startsWith('[seqline] [redis]');
        if (!redisDown || attempt >= 200) throw error;
        stats.backendErrors++;
        await sleep(25);
      }
    }
    await sleep(cfg.pauseMs);
  }
}
await Promise.all(Array.from({ length: cfg.loops }, handler));
process.stdout.write(JSON.stringify(stats) + '\\n');
await pool.end();
close();
`;

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

function startWorker(config: WorkerConfig): { result: Promise<WorkerReport> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', WORKER],
    {
      cwd: config.root,
      env: { ...process.env, SEQLINE_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const result = new Promise<WorkerReport>((resolvePromise, reject) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolvePromise(JSON.parse(stdout.trim().split('\n').at(-1)!) as WorkerReport);
      else
        reject(
          new Error(`worker ${config.id} (${config.driver}) exited ${code ?? signal}: ${stderr}`),
        );
    });
  });
  return { result };
}

async function startRedisServer(port: number, dir: string): Promise<ChildProcess> {
  // biome-ignore format: one flag per pair reads best
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no',
  ], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const pong = await run('redis-cli', ['-p', String(port), 'PING']).catch(() => ({ stdout: '' }));
    if (pong.stdout.trim() === 'PONG') return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`[seqline tests] redis-server on port ${port} did not start`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A loopback port nobody listens on right now (the kernel picks it). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolvePromise(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}
