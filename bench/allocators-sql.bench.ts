/**
 * Allocations per second for the memory, PostgreSQL, MariaDB and SQLite
 * allocators at concurrency 1, 16 and 64, on one hot scope and on 10k spread
 * scopes, each next to the engine's own ceiling for the same statement in the
 * same run:
 *
 * - postgres: pgbench (-M prepared, one thread per core) running the allocator's
 *   UPSERT … RETURNING with the same client count;
 * - mysql / sqlite: a raw driver loop running the same statement(s) with the
 *   same concurrency (there is no pgbench for them, and the driver's own cost
 *   is the floor any library on that driver pays);
 * - memory: a bare `Map` counter behind an async function (target ≥ 5M allocations/s).
 *
 * `SEQLINE_BENCH_SECONDS` sets the time per cell (default 2).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SequenceAllocator } from '../src/server';
import { createMemoryAllocator } from '../src/server';
import { createSqlAllocator } from '../src/sql';
import { MARIADB_URL, POSTGRES_URL, requireService } from '../test/support/services';

const SECONDS = Number(process.env.SEQLINE_BENCH_SECONDS ?? 2);
const CONCURRENCY = [1, 16, 64] as const;
const SPREAD = 10_000;
const TABLE = 'seqline_bench_counters';
const HOT = 'bench-hot';
/**
 * Both sides of the Postgres comparison run with synchronous_commit off for
 * their session: with it on, every autocommit statement waits for a WAL
 * flush, and on this shared disk that wait (not seqline, not the driver)
 * dominates and swamps the comparison.
 */
const NO_FSYNC_WAIT = '-c synchronous_commit=off';
const spread = Array.from({ length: SPREAD }, (_, i) => `bench-${i + 1}`);

type Workload = 'hot' | 'spread 10k';
interface Row {
  backend: string;
  workload: Workload;
  concurrency: number;
  /** seqline's allocator, allocations/s. */
  allocator: number;
  /** The same statement(s) through the same driver with no seqline code, ops/s. */
  raw?: number;
  /** The engine's own ceiling (pgbench for Postgres; the raw driver loop otherwise), ops/s. */
  ceiling?: number;
  baseline: string;
}

export default async function run(): Promise<void> {
  const rows: Row[] = [];
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'seqline-bench-'));
  try {
    await benchMemory(rows);
    if (await requireService('postgres')) await benchPostgres(rows, dir);
    if (await requireService('mariadb')) await benchMysql(rows);
    await benchSqlite(rows, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(table(rows));
  console.log(
    `\n${SECONDS}s per cell, ${cpus().length} CPUs, node ${process.version}; ` +
      `total ${((performance.now() - started) / 1000).toFixed(0)}s. Target: allocator ≥ 80% of the ceiling; memory ≥ 5M/s.`,
  );
}

// ---------------------------------------------------------------------------

/**
 * Measures `a` and `b` alternately, twice each for half the time, so drift in
 * a shared machine's load hits both sides alike.
 */
async function measurePair(
  concurrency: number,
  a: (i: number) => Promise<unknown> | unknown,
  b: (i: number) => Promise<unknown> | unknown,
): Promise<[number, number]> {
  await loops(concurrency, a, Math.min(300, SECONDS * 150));
  await loops(concurrency, b, Math.min(300, SECONDS * 150));
  const half = (SECONDS * 1000) / 2;
  const a1 = await loops(concurrency, a, half);
  const b1 = await loops(concurrency, b, half);
  const b2 = await loops(concurrency, b, half);
  const a2 = await loops(concurrency, a, half);
  return [(a1 + a2) / 2, (b1 + b2) / 2];
}

async function loops(
  concurrency: number,
  call: (i: number) => Promise<unknown> | unknown,
  ms: number,
) {
  const start = performance.now();
  const deadline = start + ms;
  let total = 0;
  let done = false;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let i = worker;
      // Checking the clock every call would cost more than a memory allocation.
      while (!done) {
        for (let k = 0; k < 64; k++) {
          await call(i);
          i += concurrency;
        }
        total += 64;
        if (performance.now() >= deadline) done = true;
      }
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

const scopeFor = (workload: Workload) =>
  workload === 'hot' ? () => HOT : (i: number) => spread[(i * 7919) % SPREAD]!;

async function eachCell(fn: (workload: Workload, concurrency: number) => Promise<void>) {
  for (const workload of ['hot', 'spread 10k'] as const) {
    for (const concurrency of CONCURRENCY) await fn(workload, concurrency);
  }
}

async function benchMemory(rows: Row[]) {
  await eachCell(async (workload, concurrency) => {
    const allocator: SequenceAllocator = createMemoryAllocator();
    const scope = scopeFor(workload);
    // The ceiling for an in-process counter: a bare Map behind an async call,
    // in the same harness, so the harness's own cost shows.
    const counters = new Map<string, number>();
    const bare = async (i: number) => {
      const s = scope(i);
      const value = (counters.get(s) ?? 0) + 1;
      counters.set(s, value);
      return value;
    };
    const [value, ceiling] = await measurePair(concurrency, (i) => allocator.next(scope(i)), bare);
    rows.push({
      backend: 'memory',
      workload,
      concurrency,
      allocator: value,
      ceiling,
      baseline: 'bare async Map (target ≥ 5M/s)',
    });
  });
}

async function benchPostgres(rows: Row[], dir: string) {
  const setup = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await setup.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await createSqlAllocator({ dialect: 'postgres', client: setup, table: TABLE }).ensureSchema();
  // Every counter exists before either side runs, so both measure the same update path.
  await setup.query(
    `INSERT INTO ${TABLE} (scope, value) SELECT 'bench-' || i, 0 FROM generate_series(1, ${SPREAD}) AS i UNION ALL SELECT $1, 0`,
    [HOT],
  );
  await setup.end();
  const upsert = `INSERT INTO ${TABLE} AS counter (scope, value) VALUES (:scope, 1) ON CONFLICT (scope) DO UPDATE SET value = counter.value + EXCLUDED.value RETURNING value;`;
  const scripts = {
    hot: `\\set one 1\n${upsert.replace(':scope', `'${HOT}'`)}\n`,
    'spread 10k': `\\set i random(1, ${SPREAD})\n${upsert.replace(':scope', `'bench-' || :i`)}\n`,
  };
  await eachCell(async (workload, concurrency) => {
    const pool = new pg.Pool({
      connectionString: POSTGRES_URL,
      max: concurrency,
      options: NO_FSYNC_WAIT,
    });
    const allocator = createSqlAllocator({ dialect: 'postgres', client: pool, table: TABLE });
    const scope = scopeFor(workload);
    const text = `INSERT INTO "${TABLE}" AS counter (scope, value) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET value = counter.value + EXCLUDED.value RETURNING value`;
    const [value, raw] = await measurePair(
      concurrency,
      (i) => allocator.next(scope(i)),
      (i) => pool.query({ name: 'bench_raw_upsert', text, values: [scope(i), 1] }),
    );
    await pool.end();
    const file = join(dir, `pg-${workload === 'hot' ? 'hot' : 'spread'}.sql`);
    writeFileSync(file, scripts[workload]);
    const ceiling = await pgbench(file, concurrency);
    rows.push({
      backend: 'postgres',
      workload,
      concurrency,
      allocator: value,
      raw,
      ceiling,
      baseline: 'pgbench -M prepared; raw = pg Pool loop',
    });
  });
}

async function pgbench(file: string, clients: number): Promise<number> {
  const url = new URL(POSTGRES_URL);
  const threads = Math.min(clients, cpus().length);
  const env = { ...process.env, PGOPTIONS: NO_FSYNC_WAIT };
  const { stdout } = await promisify(execFile)(
    'pgbench',
    [
      '-n',
      '-M',
      'prepared',
      '-f',
      file,
      '-c',
      String(clients),
      '-j',
      String(threads),
      '-T',
      String(SECONDS),
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
      url.pathname.slice(1),
    ],
    { env },
  );
  const tps = /tps = ([\d.]+)/.exec(stdout);
  if (!tps) throw new Error(`[seqline bench] could not read pgbench output:\n${stdout}`);
  return Number(tps[1]);
}

async function benchMysql(rows: Row[]) {
  const setup = mysql.createPool({ uri: MARIADB_URL, connectionLimit: 1 });
  await setup.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await createSqlAllocator({ dialect: 'mysql', client: setup, table: TABLE }).ensureSchema();
  await setup.query(
    `INSERT INTO ${TABLE} (scope, value) VALUES ${[...spread, HOT].map(() => '(?, 0)').join(', ')}`,
    [...spread, HOT],
  );
  await setup.end();
  const statement = `INSERT INTO \`${TABLE}\` (scope, value) VALUES (?, LAST_INSERT_ID(?)) ON DUPLICATE KEY UPDATE value = LAST_INSERT_ID(value + ?)`;
  await eachCell(async (workload, concurrency) => {
    const scope = scopeFor(workload);
    const pool = mysql.createPool({ uri: MARIADB_URL, connectionLimit: concurrency });
    const allocator = createSqlAllocator({ dialect: 'mysql', client: pool, table: TABLE });
    const [value, ceiling] = await measurePair(
      concurrency,
      (i) => allocator.next(scope(i)),
      async (i) => {
        const [result] = await pool.query(statement, [scope(i), 1, 1]);
        return (result as { insertId: number }).insertId;
      },
    );
    await pool.end();
    rows.push({
      backend: 'mariadb',
      workload,
      concurrency,
      allocator: value,
      ceiling,
      baseline: 'raw mysql2 Pool loop',
    });
  });
}

async function benchSqlite(rows: Row[], dir: string) {
  const db = new Database(join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const allocator = createSqlAllocator({ dialect: 'sqlite', client: db, table: TABLE });
  await allocator.ensureSchema();
  const seed = db.prepare(`INSERT INTO ${TABLE} (scope, value) VALUES (?, 0)`);
  db.transaction(() => {
    for (const scope of [...spread, HOT]) seed.run(scope);
  })();
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const upsert = db.prepare(
    `INSERT INTO "${TABLE}" (scope, value) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET value = value + excluded.value RETURNING value`,
  );
  await eachCell(async (workload, concurrency) => {
    const scope = scopeFor(workload);
    // better-sqlite3 is synchronous; the raw loop awaits too, as any async caller would.
    const [value, ceiling] = await measurePair(
      concurrency,
      (i) => allocator.next(scope(i)),
      async (i) => {
        begin.run();
        const row = upsert.get(scope(i), 1);
        commit.run();
        return row;
      },
    );
    rows.push({
      backend: 'sqlite',
      workload,
      concurrency,
      allocator: value,
      ceiling,
      baseline: 'raw better-sqlite3 loop',
    });
  });
  db.close();
}

function table(rows: Row[]): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    '| backend | scopes | concurrency | allocator (alloc/s) | raw driver loop (ops/s) | engine ceiling (ops/s) | allocator / ceiling | allocator / raw driver | ceiling measured by |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  const pct = (part: number, whole: number | undefined) =>
    whole ? `${((part / whole) * 100).toFixed(0)}%` : '–';
  for (const row of rows) {
    const raw = row.raw ?? row.ceiling;
    lines.push(
      `| ${row.backend} | ${row.workload} | ${row.concurrency} | ${fmt(row.allocator)} | ${raw ? fmt(raw) : '–'} | ${row.ceiling ? fmt(row.ceiling) : '–'} | ${pct(row.allocator, row.ceiling)} | ${pct(row.allocator, raw)} | ${row.baseline} |`,
    );
  }
  return lines.join('\n');
}
