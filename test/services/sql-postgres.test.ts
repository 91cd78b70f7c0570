import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequenceAllocatorError } from '../../src/server';
import { createSqlAllocator, type PostgresClient, type SqlAllocator } from '../../src/sql';
import { testSequenceAllocator } from '../../src/testing';
import { POSTGRES_URL, requireService } from '../support/services';

const TABLE = 'seqline_test_counters';
const online = await requireService('postgres');

const newPool = (max = 10) => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max });
  // A terminated idle client must not crash the test process.
  pool.on('error', () => {});
  return pool;
};

describe.runIf(online)('postgres allocator', () => {
  testSequenceAllocator({
    name: 'postgres (pg.Pool)',
    create: async () => {
      const pool = newPool();
      pools.push(pool);
      const allocator = createSqlAllocator({ dialect: 'postgres', client: pool, table: TABLE });
      await allocator.ensureSchema();
      return allocator;
    },
    teardown: () => Promise.all(pools.splice(0).map((pool) => pool.end())),
  });

  testSequenceAllocator({
    name: 'postgres (PoolClient inside an open transaction)',
    create: async () => {
      const pool = newPool(2);
      pools.push(pool);
      const allocator = createSqlAllocator({ dialect: 'postgres', client: pool, table: TABLE });
      await allocator.ensureSchema();
      const client = await pool.connect();
      await client.query('BEGIN');
      inTransaction.push(client);
      // One pg connection runs one query at a time, and pg@9 stops queueing
      // overlapping calls for you: a transaction's callers take turns.
      let turn: Promise<unknown> = Promise.resolve();
      const inTurn = <T>(call: () => Promise<T>): Promise<T> => {
        const result = turn.then(call);
        turn = result.catch(() => {});
        return result;
      };
      return {
        next: (scope: string) => inTurn(() => allocator.next(scope, { client })),
        nextRange: (scope: string, count: number) =>
          inTurn(() => allocator.nextRange(scope, count, { client })),
        current: (scope: string) => inTurn(() => allocator.current(scope, { client })),
      };
    },
    teardown: async () => {
      for (const client of inTransaction.splice(0)) {
        await client.query('COMMIT');
        client.release();
      }
      await Promise.all(pools.splice(0).map((pool) => pool.end()));
    },
  });

  describe('transactions and faults', () => {
    let pool: pg.Pool;
    let allocator: SqlAllocator<PostgresClient>;
    const scope = () => `pg-test:${randomUUID()}`;

    beforeAll(async () => {
      pool = newPool();
      allocator = createSqlAllocator({ dialect: 'postgres', client: pool, table: TABLE });
      await allocator.ensureSchema();
    });
    afterAll(() => pool.end());

    it('a rolled-back allocation is handed out again (gapless)', async () => {
      const s = scope();
      expect(await allocator.next(s)).toBe(1);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        expect(await allocator.nextRange(s, 2, { client })).toEqual({ first: 2, last: 3 });
        expect(await allocator.current(s, { client })).toBe(3);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      expect(await allocator.current(s)).toBe(1);
      expect(await allocator.next(s)).toBe(2);
    });

    it('commit order: B blocks until A commits, then gets the next number', async () => {
      const s = scope();
      await inTwoTransactions(pool, async (a, b) => {
        expect(await allocator.next(s, { client: a })).toBe(1);
        let bResult: number | undefined;
        const bDone = allocator.next(s, { client: b }).then((n) => {
          bResult = n;
          return n;
        });
        await sleep(300);
        expect(bResult).toBeUndefined(); // still waiting on A's row lock
        await a.query('COMMIT');
        expect(await bDone).toBe(2);
        await b.query('COMMIT');
        expect(await allocator.current(s)).toBe(2);
      });
    });

    it('commit order: when A rolls back instead, blocked B takes A’s number', async () => {
      const s = scope();
      await inTwoTransactions(pool, async (a, b) => {
        expect(await allocator.next(s, { client: a })).toBe(1);
        const bDone = allocator.next(s, { client: b });
        await sleep(200);
        await a.query('ROLLBACK');
        expect(await bDone).toBe(1);
        await b.query('COMMIT');
      });
    });

    it('pg_terminate_backend mid-transaction: the error surfaces, nothing is duplicated, the next allocation succeeds', async () => {
      const s = scope();
      expect(await allocator.next(s)).toBe(1);
      const holder = await pool.connect();
      const victim = await pool.connect();
      victim.on('error', () => {}); // the socket dies under it
      try {
        await holder.query('BEGIN');
        await victim.query('BEGIN');
        expect(await allocator.next(s, { client: holder })).toBe(2);
        // The victim's allocation waits on the holder's row lock when it is killed.
        const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const killed = allocator.next(s, { client: victim }).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        await sleep(200);
        await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        const outcome = await killed;
        expect('error' in outcome).toBe(true);
        const error = (outcome as { error: SequenceAllocatorError }).error;
        expect(error).toBeInstanceOf(SequenceAllocatorError);
        expect(error.code).toBe('BACKEND');
        expect(error.message).toMatch(/^\[seqline\] \[postgres\] /);
        expect(error.cause).toBeInstanceOf(Error);
        await holder.query('COMMIT');
      } finally {
        holder.release();
        victim.release(true);
      }
      expect(await allocator.next(s)).toBe(3);

      // Now kill the holder itself after it allocated: its increment dies with its transaction.
      const doomed = await pool.connect();
      doomed.on('error', () => {});
      try {
        await doomed.query('BEGIN');
        expect(await allocator.next(s, { client: doomed })).toBe(4);
        const { rows } = await doomed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await expect(allocator.next(s, { client: doomed })).rejects.toMatchObject({
          code: 'BACKEND',
        });
      } finally {
        doomed.release(true);
      }
      expect(await allocator.next(s)).toBe(4);
      expect(await allocator.current(s)).toBe(4);
    });

    it('sends exactly one statement per allocation on the pool (no BEGIN/COMMIT round trips)', async () => {
      const { client: counting, calls } = recording(pool);
      const counted = createSqlAllocator({ dialect: 'postgres', client: counting, table: TABLE });
      const s = scope();
      await counted.next(s);
      await counted.nextRange(s, 2);
      await Promise.all([counted.next(s), counted.next(s)]);
      expect(calls).toHaveLength(4);
      expect(calls.every((text) => text.startsWith('INSERT INTO'))).toBe(true);
      expect(await allocator.current(s)).toBe(5);
    });

    it('refuses injected or malformed table names at construction, running nothing', async () => {
      const { client: spy, calls } = recording(pool);
      await pool.query('CREATE TABLE IF NOT EXISTS seqline_injection_canary (id int)');
      for (const table of [
        'x; drop table seqline_injection_canary',
        'x"; drop table seqline_injection_canary; --',
        '"quoted"',
        "x'",
        'a.b.c',
        '',
        '1abc',
        'has space',
        'x'.repeat(64),
        'tablé',
      ]) {
        let error: unknown;
        try {
          createSqlAllocator({ dialect: 'postgres', client: spy, table });
        } catch (caught) {
          error = caught;
        }
        expect(error, table).toBeInstanceOf(SequenceAllocatorError);
        expect((error as SequenceAllocatorError).code).toBe('INVALID_CONFIG');
        expect((error as Error).message).toMatch(
          /^\[seqline\] \[postgres\] invalid table name .*letters, digits and underscores/,
        );
      }
      expect(calls).toEqual([]);
      const { rows } = await pool.query("SELECT to_regclass('seqline_injection_canary') AS t");
      expect(rows[0].t).toBe('seqline_injection_canary');
    });

    it('quotes valid identifiers: a reserved word and a schema-qualified name work', async () => {
      await pool.query('CREATE SCHEMA IF NOT EXISTS seqline_test');
      for (const table of ['order', 'seqline_test.Counters']) {
        const quoted = createSqlAllocator({ dialect: 'postgres', client: pool, table });
        await quoted.ensureSchema();
        await quoted.ensureSchema(); // idempotent
        const s = scope();
        expect(await quoted.nextRange(s, 2)).toEqual({ first: 1, last: 2 });
      }
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM seqline_test."Counters"`);
      expect(rows[0].n).toBeGreaterThan(0);
    });

    it('stores odd scopes byte for byte and rejects a 10k-character scope', async () => {
      for (const s of [
        `it's "${randomUUID()}"`,
        `SELECT * FROM x; -- ${randomUUID()}`,
        `💬 ${randomUUID()} ünï`,
      ]) {
        expect(await allocator.next(s)).toBe(1);
        const { rows } = await pool.query(`SELECT scope FROM ${TABLE} WHERE scope = $1`, [s]);
        expect(rows.map((row) => row.scope)).toEqual([s]);
      }
      const huge = `x${randomUUID()}`.padEnd(10_000, 'y');
      await expect(allocator.next(huge)).rejects.toMatchObject({ code: 'INVALID_SCOPE' });
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM ${TABLE} WHERE scope LIKE $1`,
        [`${huge.slice(0, 37)}%`],
      );
      expect(rows[0].n).toBe(0);
    });

    it('prepares its statements once per connection, unless preparedStatements is false (for PgBouncer < 1.21)', async () => {
      const countPrepared = async (client: pg.Client) => {
        const { rows } = await client.query(
          "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'seqline_%'",
        );
        return rows[0].n as number;
      };
      const plain = createSqlAllocator({
        dialect: 'postgres',
        client: pool,
        table: TABLE,
        preparedStatements: false,
      });
      for (const [candidate, expected] of [
        [plain, 0],
        [allocator, 1],
      ] as const) {
        // A fresh connection: nothing is prepared on it yet.
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          const s = scope();
          expect(await candidate.nextRange(s, 2, { client })).toEqual({ first: 1, last: 2 });
          expect(await candidate.next(s, { client })).toBe(3);
          expect(await countPrepared(client)).toBe(expected);
        } finally {
          await client.end();
        }
      }
    });

    it('says to run ensureSchema when the counter table is missing', async () => {
      const missing = createSqlAllocator({
        dialect: 'postgres',
        client: pool,
        table: `missing_${Date.now()}`,
      });
      await expect(missing.next(scope())).rejects.toThrow(
        /\[seqline\] \[postgres\] .*ensureSchema\(\)/,
      );
    });
  });
});

const pools: pg.Pool[] = [];
const inTransaction: pg.PoolClient[] = [];

/** Runs `body` on two pooled connections, each in an open transaction; releases both after. */
async function inTwoTransactions(
  pool: pg.Pool,
  body: (a: pg.PoolClient, b: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const a = await pool.connect();
  const b = await pool.connect();
  try {
    await a.query('BEGIN');
    await b.query('BEGIN');
    await body(a, b);
  } finally {
    a.release();
    b.release();
  }
}

/** A client that sends everything through `pool` and records each statement's text in `calls`. */
function recording(pool: pg.Pool): { client: PostgresClient; calls: string[] } {
  const calls: string[] = [];
  const client: PostgresClient = {
    query: (config) => {
      calls.push(config.text);
      return pool.query(config);
    },
  };
  return { client, calls };
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
