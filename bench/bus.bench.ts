/**
 * The message bus: how fast a delta gets from the generator to a
 * subscriber, and how many events per second one conversation's
 * subscribers can take, next to the engine's own figure for the same work.
 *
 * - Latency: a generator publishes 100 deltas/s (one every 10 ms) for
 *   `SEQLINE_BENCH_SECONDS` (default 4) seconds; each carries its send time
 *   and a subscriber records the delay. "same instance" subscribes on the
 *   publisher's bus object; "cross instance" on a second bus object with its
 *   own connections (another app instance, in this process so one clock
 *   times both ends). Every bus goes through its engine either way.
 * - Throughput: 16 publishes in flight on instance A to one conversation,
 *   10 subscribers on instance B; events/s = events published / time until
 *   the last subscriber had the last one.
 * - Engine figure: `redis-benchmark -c 16 EVALSHA <publish script>` (the
 *   command the Redis bus sends per event) and `pgbench -c 16` running the
 *   Postgres bus's publish statement (INSERT + heads UPSERT + pg_notify),
 *   both with nothing of seqline or Node in the way.
 *
 * Redis runs on a private redis-server started here; Postgres is the shared
 * one, with synchronous_commit=off for the bus and pgbench alike (as in
 * allocators-sql). Run: `npm run bench -- bus` (about a minute).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createRedisBus } from '../src/redis';
import { PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from '../src/redis/busScript';
import { type BusEntry, createMemoryBus, type MessageBus } from '../src/server';
import { createPostgresBus } from '../src/sql';
import { startPrivateRedis } from '../test/support/redis-servers';
import { POSTGRES_URL, requireService } from '../test/support/services';

const exec = promisify(execFile);
const SECONDS = Number(process.env.SEQLINE_BENCH_SECONDS ?? 4);
const RATE = 100;
const WARMUP = 50;
const IN_FLIGHT = 16;
const SUBSCRIBERS = 10;
const PG_TABLE = 'seqline_bench_bus_events';
const PG_CHANNEL = 'seqline_bench_bus';
const NO_FSYNC_WAIT = '-c synchronous_commit=off';

interface Instances {
  name: string;
  a: MessageBus;
  b: MessageBus;
  close(): Promise<void>;
  /** The engine's own events/s for the publish, or undefined. */
  engine?: () => Promise<number>;
  engineLabel: string;
}

interface Row {
  bus: string;
  same: Stats;
  cross: Stats;
  throughput: number;
  engine: number | undefined;
  engineLabel: string;
}

interface Stats {
  p50: number;
  p99: number;
  n: number;
}

export default async function run(): Promise<void> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'seqline-bench-bus-'));
  const redis = await startPrivateRedis('seqline-bench-bus-redis-');
  try {
    const setups: (() => Promise<Instances>)[] = [memory, () => redisInstances(redis.port)];
    if (await requireService('postgres')) setups.push(() => postgresInstances(dir));
    for (const setup of setups) {
      const instances = await setup();
      try {
        console.log(`${instances.name}: latency…`);
        const same = await latency(instances.a, instances.a);
        const cross = await latency(instances.a, instances.b);
        console.log(`${instances.name}: throughput…`);
        const throughput = await sustained(instances.a, instances.b);
        const engine = instances.engine ? await instances.engine() : undefined;
        rows.push({
          bus: instances.name,
          same,
          cross,
          throughput,
          engine,
          engineLabel: instances.engineLabel,
        });
      } finally {
        await instances.close();
      }
    }
  } finally {
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  }
  print(rows);
}

// ---------------------------------------------------------------------------

async function latency(publisher: MessageBus, subscriber: MessageBus): Promise<Stats> {
  const conversation = `bench-latency-${Math.random().toString(36).slice(2)}`;
  const delays: number[] = [];
  const stop = subscriber.subscribe(conversation, undefined, {
    event(entry: BusEntry) {
      if (entry.event.type !== 'delta' || entry.event.messageId === 'w') return;
      delays.push(performance.now() - Number(entry.event.messageId.slice(2)));
    },
  });
  await sleep(300); // the subscription is live (LISTEN, XREAD) before the first delta
  // Warm-up, not measured: pools open their connections, statements get prepared, the JIT settles.
  for (let i = 0; i < WARMUP; i++) {
    await publisher.publish(conversation, { type: 'delta', messageId: 'w', offset: i, text: '' });
    await sleep(1000 / RATE);
  }
  await sleep(100);
  const total = SECONDS * RATE;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    // Paced against the start, so a slow publish does not lower the rate.
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await publisher.publish(conversation, {
      type: 'delta',
      messageId: `t:${performance.now()}`,
      offset: i,
      text: 'tok ',
    });
  }
  const until = performance.now() + 5000;
  while (delays.length < total && performance.now() < until) await sleep(10);
  stop();
  if (delays.length < total)
    throw new Error(`[seqline bench] only ${delays.length} of ${total} deltas arrived`);
  delays.sort((x, y) => x - y);
  return { p50: quantile(delays, 0.5), p99: quantile(delays, 0.99), n: delays.length };
}

async function sustained(publisher: MessageBus, subscriber: MessageBus): Promise<number> {
  const conversation = `bench-throughput-${Math.random().toString(36).slice(2)}`;
  const received = new Array(SUBSCRIBERS).fill(0);
  const stops = received.map((_, s) =>
    subscriber.subscribe(conversation, undefined, {
      event() {
        received[s]++;
      },
    }),
  );
  await sleep(300);
  // Warm-up, not measured: every pooled connection opens and prepares the publish.
  let published = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = 0; i < 20; i++) {
        await publisher.publish(conversation, {
          type: 'delta',
          messageId: 'm',
          offset: published++,
          text: 'tok ',
        });
      }
    }),
  );
  while (received.some((n) => n < published)) await sleep(1);
  received.fill(0);
  published = 0;
  const start = performance.now();
  const deadline = start + Math.min(SECONDS, 3) * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        const i = published++;
        await publisher.publish(conversation, {
          type: 'delta',
          messageId: 'm',
          offset: i,
          text: 'tok ',
        });
      }
    }),
  );
  const publishedAfter = performance.now() - start;
  const until = performance.now() + 30_000;
  while (received.some((n) => n < published) && performance.now() < until) await sleep(1);
  const elapsed = performance.now() - start;
  for (const stop of stops) stop();
  if (received.some((n) => n < published))
    throw new Error('[seqline bench] subscribers fell behind for 30 s');
  if (process.env.SEQLINE_BENCH_VERBOSE) {
    console.log(
      `  ${published} published in ${publishedAfter.toFixed(0)} ms, all delivered after ${elapsed.toFixed(0)} ms`,
    );
  }
  return (published / elapsed) * 1000;
}

// ---------------------------------------------------------------------------

async function memory(): Promise<Instances> {
  const bus = createMemoryBus();
  return {
    name: 'memory (one process)',
    a: bus,
    b: bus,
    close: () => bus.close(),
    engineLabel: '—',
  };
}

async function redisInstances(port: number): Promise<Instances> {
  const clients = [new Redis({ port, host: '127.0.0.1' }), new Redis({ port, host: '127.0.0.1' })];
  const [a, b] = clients.map((client) => createRedisBus({ client, prefix: 'seqline-bench:bus:' }));
  return {
    name: 'redis streams',
    a: a!,
    b: b!,
    async close() {
      await a!.close();
      await b!.close();
      for (const client of clients) client.disconnect();
    },
    engineLabel: `redis-benchmark -c ${IN_FLIGHT} EVALSHA publish`,
    async engine() {
      const admin = new Redis({ port, host: '127.0.0.1' });
      await admin.script('LOAD', PUBLISH_SCRIPT);
      admin.disconnect();
      const payload = JSON.stringify({ type: 'delta', messageId: 'm', offset: 0, text: 'tok ' });
      // biome-ignore format: one flag per pair reads best
      const { stdout } = await exec('redis-benchmark', [
        '-p', String(port), '-c', String(IN_FLIGHT), '-n', '100000', '-q',
        'EVALSHA', PUBLISH_SCRIPT_SHA, '1', 'seqline-bench:bus:{raw}', '1000', '0', payload,
      ]);
      const match = /([\d.]+) requests per second/.exec(stdout);
      if (!match)
        throw new Error(`[seqline bench] could not read redis-benchmark output: ${stdout}`);
      return Number(match[1]);
    },
  };
}

async function postgresInstances(dir: string): Promise<Instances> {
  const pools = [0, 1].map(
    () =>
      new pg.Pool({ connectionString: POSTGRES_URL, max: IN_FLIGHT + 2, options: NO_FSYNC_WAIT }),
  );
  const [a, b] = pools.map((pool) =>
    createPostgresBus({ pool, table: PG_TABLE, channel: PG_CHANNEL }),
  );
  await pools[0]!.query(`DROP TABLE IF EXISTS ${PG_TABLE}, ${PG_TABLE}_heads`);
  await a!.ensureSchema();
  return {
    name: 'postgres listen/notify',
    a: a!,
    b: b!,
    async close() {
      await a!.close();
      await b!.close();
      await pools[0]!.query(`DROP TABLE IF EXISTS ${PG_TABLE}, ${PG_TABLE}_heads`);
      for (const pool of pools) await pool.end();
    },
    engineLabel: `pgbench -c ${IN_FLIGHT}, the publish statement`,
    async engine() {
      const file = join(dir, 'publish.sql');
      // The bus's publish statement, with its parameters written in: one conversation, one small delta.
      writeFileSync(
        file,
        `WITH head AS (INSERT INTO ${PG_TABLE}_heads AS h (conversation_id, position) VALUES ('raw', 1) ON CONFLICT (conversation_id) DO UPDATE SET position = h.position + 1 RETURNING position), added AS (INSERT INTO ${PG_TABLE} (conversation_id, position, event) SELECT 'raw', position, '{"type":"delta","messageId":"m","offset":0,"text":"tok "}'::jsonb FROM head RETURNING position) SELECT position, pg_notify('${PG_CHANNEL}', position::text || ' raw') FROM added;\n`,
      );
      const url = new URL(POSTGRES_URL);
      // biome-ignore format: one flag per pair reads best
      const { stdout } = await exec('pgbench', [
        '-n', '-M', 'prepared', '-f', file, '-c', String(IN_FLIGHT), '-j', String(cpus().length),
        '-T', String(Math.min(SECONDS, 3)), '-h', url.hostname, '-p', url.port || '5432',
        '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1),
      ], { env: { ...process.env, PGOPTIONS: NO_FSYNC_WAIT } });
      const tps = /tps = ([\d.]+)/.exec(stdout);
      if (!tps) throw new Error(`[seqline bench] could not read pgbench output:\n${stdout}`);
      return Number(tps[1]);
    },
  };
}

// ---------------------------------------------------------------------------

function print(rows: Row[]): void {
  const ms = (value: number) => value.toFixed(2);
  const n = (value: number) => Math.round(value).toLocaleString('en-US');
  console.log(
    `\nDelta latency at ${RATE} deltas/s for ${SECONDS} s, generator → subscriber (ms); throughput with ${IN_FLIGHT} publishes in flight and ${SUBSCRIBERS} subscribers on the other instance.\n`,
  );
  console.log(
    '| bus | same p50 | same p99 | cross p50 | cross p99 | cross p99 < 20 ms | events/s (bus) | events/s (engine) | bus / engine | engine figure |',
  );
  console.log('|---|--:|--:|--:|--:|:-:|--:|--:|--:|---|');
  for (const row of rows) {
    const ratio = row.engine ? `${((row.throughput / row.engine) * 100).toFixed(0)}%` : '—';
    console.log(
      `| ${row.bus} | ${ms(row.same.p50)} | ${ms(row.same.p99)} | ${ms(row.cross.p50)} | ${ms(row.cross.p99)} | ${row.cross.p99 < 20 ? 'yes' : 'NO'} | ${n(row.throughput)} | ${row.engine ? n(row.engine) : '—'} | ${ratio} | ${row.engineLabel} |`,
    );
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
