import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqlAllocator } from '../../src/sql';
import { spawnAllocateWorkers } from '../support/allocate-worker';
import { MARIADB_URL, POSTGRES_URL, requireService } from '../support/services';

// Many processes, not many promises: 4 node processes × 250 allocations on one
// hot scope, each through its own connection.
const PROCESSES = 4;
const COUNT = 250;
const TOTAL = PROCESSES * COUNT;
const everyNumber = Array.from({ length: TOTAL }, (_, i) => i + 1);

const postgres = await requireService('postgres');
const mariadb = await requireService('mariadb');

const dir = mkdtempSync(join(tmpdir(), 'seqline-multiprocess-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectGapless(perProcess: number[][]) {
  expect(perProcess).toHaveLength(PROCESSES);
  for (const values of perProcess) {
    expect(values).toHaveLength(COUNT);
    // Within one process, each number is larger than the one before.
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
  }
  const all = perProcess.flat().sort((a, b) => a - b);
  expect(new Set(all).size).toBe(TOTAL); // no duplicates
  expect(all).toEqual(everyNumber); // and no gaps: exactly 1..1000
  // The processes really raced: their numbers interleave instead of forming
  // one contiguous block per process.
  const interleaved = perProcess.filter((values) => values.at(-1)! - values[0]! + 1 > COUNT);
  expect(interleaved.length).toBeGreaterThan(1);
}

/** The processes race on a fresh scope of `backend` (its counter table made): gapless, in order. */
async function expectGaplessRace(backend: 'postgres' | 'mysql' | 'sqlite', target?: string) {
  const scope = `multiprocess:${randomUUID()}`;
  expectGapless(
    await spawnAllocateWorkers({ backend, scope, processes: PROCESSES, count: COUNT, target }),
  );
}

describe('many processes on one hot scope', () => {
  it.runIf(postgres)(
    `postgres: ${PROCESSES} processes × ${COUNT} give exactly 1..${TOTAL}`,
    async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
      await createSqlAllocator({
        dialect: 'postgres',
        client: pool,
        table: 'seqline_test_counters',
      }).ensureSchema();
      await pool.end();
      await expectGaplessRace('postgres');
    },
  );

  it.runIf(mariadb)(
    `mariadb: ${PROCESSES} processes × ${COUNT} give exactly 1..${TOTAL}`,
    async () => {
      const pool = mysql.createPool({ uri: MARIADB_URL, connectionLimit: 1 });
      await createSqlAllocator({
        dialect: 'mysql',
        client: pool,
        table: 'seqline_test_counters',
      }).ensureSchema();
      await pool.end();
      await expectGaplessRace('mysql');
    },
  );

  it(`sqlite (one file): ${PROCESSES} processes × ${COUNT} give exactly 1..${TOTAL}`, async () => {
    const file = join(dir, 'counters.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    await createSqlAllocator({ dialect: 'sqlite', client: db }).ensureSchema();
    db.close();
    await expectGaplessRace('sqlite', file);
  });

  it('memory is single-process only: 4 processes hand out the same numbers', async () => {
    // Documents the limit rather than hiding it: each process has its own Map,
    // so every process starts at 1. Use a SQL or Redis allocator when more
    // than one process (or instance) writes messages.
    const perProcess = await spawnAllocateWorkers({
      backend: 'memory',
      scope: 'multiprocess:memory',
      processes: PROCESSES,
      count: COUNT,
    });
    const all = perProcess.flat();
    expect(new Set(all).size).toBeLessThan(all.length); // duplicates
    for (const values of perProcess) expect(values).toEqual(everyNumber.slice(0, COUNT));
  });
});
