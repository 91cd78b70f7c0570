/**
 * Redis allocator throughput next to the engine's own ceiling, in one run,
 * against a redis-server this benchmark starts on a free loopback port (so
 * nothing else shares it, and it is killed afterwards).
 *
 * For concurrency 1, 16 and 64, on one hot scope and on 10k spread scopes:
 * - `redis-benchmark -t incr`-style INCR at `-c <same>`: the raw engine ceiling
 *   for a plain counter;
 * - `redis-benchmark … EVALSHA <our script>` at `-c <same>`: the same work the
 *   allocator asks Redis for, with no Node client in the way;
 * - the allocator through ioredis, ioredis with `enableAutoPipelining`, and
 *   node-redis: one client (as an app has), `C` concurrent callers each
 *   awaiting `next()` in a loop, so `C` requests are in flight like `-c C`;
 * - the same EVALSHA through ioredis directly, without seqline: what a Node
 *   client can do at all, so seqline's own overhead shows separately.
 *
 * Run: `npm run bench -- allocators-redis`. Takes about a minute and a half.
 * Each cell is the median of 3 interleaved rounds, because the machine is shared.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createRedisAllocator } from '../src/redis';
import { ALLOCATE_SCRIPT, ALLOCATE_SCRIPT_SHA } from '../src/redis/script';
import type { SequenceAllocator } from '../src/server';
import { startPrivateRedis } from '../test/support/redis-servers';

const exec = promisify(execFile);
const CONCURRENCY = [1, 16, 64];
const SPREAD = 10_000;
const PREFIX = 'seqline-bench:';
const MEASURE_MS = 600;
const WARMUP_MS = 150;
const ROUNDS = 3;

type Workload = 'hot scope' | '10k spread scopes';
const WORKLOADS: Workload[] = ['hot scope', '10k spread scopes'];

// redis-benchmark's __rand_int__ is a 12-digit zero-padded number below -r,
// so these scopes map to exactly the keys the raw runs touch.
const spreadScope = (i: number) => String(i).padStart(12, '0');
const HOT = 'hot';

export default async function run(): Promise<void> {
  const server = await startPrivateRedis('seqline-bench-redis-');
  const { port } = server;
  const io = new Redis({ port, host: '127.0.0.1' });
  const ioPipelined = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const nodeRedis = await createClient({ url: `redis://127.0.0.1:${port}` }).connect();
  try {
    await io.script('LOAD', ALLOCATE_SCRIPT);
    const seeding = io.pipeline();
    seeding.set(`${PREFIX}{${HOT}}`, '0');
    for (let i = 0; i < SPREAD; i++) seeding.set(`${PREFIX}{${spreadScope(i)}}`, '0');
    await seeding.exec();

    // No floor: every key is seeded above, and a missing one must fail the run, not hide in it.
    const allocators: [string, SequenceAllocator][] = [
      ['ioredis', createRedisAllocator({ client: io, prefix: PREFIX })],
      ['ioredis auto-pipelining', createRedisAllocator({ client: ioPipelined, prefix: PREFIX })],
      ['node-redis', createRedisAllocator({ client: nodeRedis, prefix: PREFIX })],
    ];
    // The same EVALSHA straight through ioredis, no seqline in between: the Node client's own
    // ceiling, so the table separates seqline's overhead from the driver's.
    const directEvalsha = (scope: string) =>
      io.evalsha(ALLOCATE_SCRIPT_SHA, 1, `${PREFIX}{${scope}}`, '1', '');

    const rows: string[] = [];
    for (const workload of WORKLOADS) {
      for (const concurrency of CONCURRENCY) {
        // The machine is shared: rounds interleave raw and allocator runs, and each cell is a median.
        const samples: number[][] = [[], [], [], ...allocators.map(() => [])];
        for (let round = 0; round < ROUNDS; round++) {
          samples[0]!.push(await redisBenchmark(port, concurrency, workload, 'INCR'));
          samples[1]!.push(await redisBenchmark(port, concurrency, workload, 'EVALSHA'));
          samples[2]!.push(await measure(directEvalsha, concurrency, workload));
          for (const [index, [, allocator]] of allocators.entries()) {
            samples[3 + index]!.push(
              await measure((scope) => allocator.next(scope), concurrency, workload),
            );
          }
        }
        const [incr, evalsha, direct, ...rates] = samples.map(median) as [
          number,
          number,
          number,
          ...number[],
        ];
        const cells = rates.map(
          (rate) => `${format(rate)} (${percent(rate, incr)} / ${percent(rate, evalsha)})`,
        );
        rows.push(
          `| ${workload} | ${concurrency} | ${format(incr)} | ${format(evalsha)} | ${format(direct)} | ${cells.join(' | ')} |`,
        );
        console.error(`  done: ${workload}, concurrency ${concurrency}`);
      }
    }

    const { stdout: version } = await exec('redis-server', ['--version']);
    console.log(
      [
        `Allocations/s; in parentheses the allocator as a share of redis-benchmark INCR / EVALSHA of the same script at the same concurrency. ${version.trim().split(' ').slice(0, 3).join(' ')}, node ${process.version}, median of ${ROUNDS} interleaved rounds (${MEASURE_MS} ms per allocator sample).`,
        '',
        '| workload | concurrency | redis-benchmark INCR | redis-benchmark EVALSHA | ioredis EVALSHA, no seqline | ioredis | ioredis auto-pipelining | node-redis |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...rows,
      ].join('\n'),
    );
  } finally {
    io.disconnect();
    ioPipelined.disconnect();
    nodeRedis.destroy();
    await server.close();
  }
}

// ---------------------------------------------------------------------------

/** `concurrency` callers awaiting `call(scope)` back to back on one client; calls per second. */
async function measure(
  call: (scope: string) => Promise<unknown>,
  concurrency: number,
  workload: Workload,
): Promise<number> {
  const scope =
    workload === 'hot scope' ? () => HOT : () => spreadScope(Math.floor(Math.random() * SPREAD));
  const loop = async (until: number) => {
    let done = 0;
    while (performance.now() < until) {
      await call(scope());
      done++;
    }
    return done;
  };
  const callers = (until: number) =>
    Promise.all(Array.from({ length: concurrency }, () => loop(until)));
  await callers(performance.now() + WARMUP_MS);
  const start = performance.now();
  const counts = await callers(start + MEASURE_MS);
  const elapsed = (performance.now() - start) / 1000;
  return counts.reduce((sum, n) => sum + n, 0) / elapsed;
}

/** requests/s reported by redis-benchmark for INCR, or EVALSHA of the allocator's script (count 1, no seed). */
async function redisBenchmark(
  port: number,
  concurrency: number,
  workload: Workload,
  command: 'INCR' | 'EVALSHA',
): Promise<number> {
  const spread = workload !== 'hot scope';
  const key = `${PREFIX}{${spread ? '__rand_int__' : HOT}}`;
  const requests = concurrency === 1 ? 12_000 : 30_000;
  const args = ['-p', String(port), '-c', String(concurrency), '-n', String(requests), '-q'];
  if (spread) args.push('-r', String(SPREAD));
  args.push(
    ...(command === 'INCR' ? ['INCR', key] : ['EVALSHA', ALLOCATE_SCRIPT_SHA, '1', key, '1', '']),
  );
  const { stdout } = await exec('redis-benchmark', args);
  // "INCR seqline-bench:{hot}: 98765.43 requests per second, p50=…" (with \r progress lines before it)
  const match = stdout.match(/([\d.]+) requests per second/);
  if (!match) throw new Error(`[seqline bench] cannot read redis-benchmark output: ${stdout}`);
  return Number(match[1]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function format(rate: number): string {
  return Math.round(rate).toLocaleString('en-US');
}

function percent(rate: number, reference: number): string {
  return `${Math.round((rate / reference) * 100)}%`;
}
