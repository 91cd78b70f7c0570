import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequenceAllocatorError } from '../../src/server';
import {
  createSqlAllocator,
  isMysqlUniqueViolation,
  type MysqlClient,
  type SqlAllocator,
} from '../../src/sql';
import { testSequenceAllocator } from '../../src/testing';
import { MARIADB_URL, requireService } from '../support/services';

const TABLE = 'seqline_test_counters';
const online = await requireService('mariadb');
const newPool = (connectionLimit = 10) => mysql.createPool({ uri: MARIADB_URL, connectionLimit });

describe.runIf(online)('mysql / mariadb allocator', () => {
  testSequenceAllocator({
    name: 'mariadb (mysql2 pool)',
    create: async () => {
      const pool = newPool();
      const allocator = Object.assign(
        createSqlAllocator({ dialect: 'mysql', client: pool, table: TABLE }),
        {
          pool,
        },
      );
      await allocator.ensureSchema();
      return allocator;
    },
    teardown: (allocator) => allocator.pool.end(),
  });

  describe('transactions and faults', () => {
    let pool: mysql.Pool;
    let allocator: SqlAllocator<MysqlClient>;
    const scope = () => `mysql-test:${randomUUID()}`;

    beforeAll(async () => {
      pool = newPool();
      allocator = createSqlAllocator({ dialect: 'mysql', client: pool, table: TABLE });
      await allocator.ensureSchema();
    });
    afterAll(() => pool.end());

    it('a rolled-back allocation is handed out again (gapless), first use included', async () => {
      const s = scope();
      const client = await pool.getConnection();
      try {
        await client.beginTransaction();
        expect(await allocator.next(s, { client })).toBe(1); // inserts the row
        await client.rollback();
        expect(await allocator.next(s)).toBe(1);
        await client.beginTransaction();
        expect(await allocator.nextRange(s, 3, { client })).toEqual({ first: 2, last: 4 });
        await client.rollback();
      } finally {
        client.release();
      }
      expect(await allocator.next(s)).toBe(2);
    });

    it('commit order: B blocks until A commits, then gets the next number', async () => {
      const s = scope();
      const a = await pool.getConnection();
      const b = await pool.getConnection();
      try {
        await a.beginTransaction();
        await b.beginTransaction();
        expect(await allocator.next(s, { client: a })).toBe(1);
        let bResult: number | undefined;
        const bDone = allocator.next(s, { client: b }).then((n) => {
          bResult = n;
          return n;
        });
        await sleep(300);
        expect(bResult).toBeUndefined();
        await a.commit();
        expect(await bDone).toBe(2);
        await b.commit();
        expect(await allocator.current(s)).toBe(2);
      } finally {
        a.release();
        b.release();
      }
    });

    it("surfaces a deadlock in the caller's transaction instead of retrying half of it", async () => {
      const [s1, s2] = [scope(), scope()];
      await allocator.next(s1);
      await allocator.next(s2);
      const a = await pool.getConnection();
      const b = await pool.getConnection();
      try {
        await a.beginTransaction();
        await b.beginTransaction();
        await allocator.next(s1, { client: a });
        await allocator.next(s2, { client: b });
        const outcomes = await Promise.allSettled([
          allocator.next(s2, { client: a }),
          sleep(100).then(() => allocator.next(s1, { client: b })),
        ]);
        const failed = outcomes.filter((o) => o.status === 'rejected');
        expect(failed).toHaveLength(1);
        const error = (failed[0] as PromiseRejectedResult).reason as SequenceAllocatorError;
        expect(error).toBeInstanceOf(SequenceAllocatorError);
        expect(error.code).toBe('BACKEND');
        expect(error.message).toMatch(/^\[seqline\] \[mysql\] .*retry the whole transaction/);
        expect((error.cause as { errno: number }).errno).toBe(1213);
        await a.rollback();
        await b.rollback();
      } finally {
        a.release();
        b.release();
      }
      expect(await allocator.current(s1)).toBe(1);
      expect(await allocator.current(s2)).toBe(1);
    });

    it('retries deadlocks on its own client with backoff, and gives up after maxAttempts', async () => {
      const flaky = (failures: number): MysqlClient => ({
        query: async (sql, values) => {
          if (failures-- > 0) throw Object.assign(new Error('Deadlock found'), { errno: 1213 });
          return pool.query(sql, values);
        },
      });
      const s = scope();
      const retrying = createSqlAllocator({ dialect: 'mysql', client: flaky(3), table: TABLE });
      expect(await retrying.next(s)).toBe(1);
      const giving = createSqlAllocator({
        dialect: 'mysql',
        client: flaky(2),
        table: TABLE,
        maxAttempts: 2,
      });
      await expect(giving.next(s)).rejects.toThrow(
        /^\[seqline\] \[mysql\] .*gave up after 2 attempts/,
      );
      expect(await allocator.current(s)).toBe(1);
    });

    it('survives a first-use stampede: many connections creating many scopes at once', async () => {
      const scopes = Array.from({ length: 20 }, scope);
      const values = await Promise.all(
        scopes.flatMap((s) =>
          Array.from({ length: 10 }, () => allocator.next(s).then((n) => [s, n] as const)),
        ),
      );
      for (const s of scopes) {
        const got = values.filter(([owner]) => owner === s).map(([, n]) => n);
        expect(got.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      }
    });

    it('refuses injected table names at construction, running nothing', () => {
      const calls: string[] = [];
      const spy: MysqlClient = {
        query: (sql, values) => {
          calls.push(sql);
          return pool.query(sql, values);
        },
      };
      for (const table of [
        'x; drop table y',
        'x`; drop table y; --',
        "x'",
        'a.b.c',
        '',
        '0x',
        'x-y',
      ]) {
        expect(() => createSqlAllocator({ dialect: 'mysql', client: spy, table })).toThrow(
          /^\[seqline\] \[mysql\] invalid table name/,
        );
      }
      expect(calls).toEqual([]);
    });

    it('compares scopes byte for byte (no case folding or trailing-space padding), and stores them exactly', async () => {
      const s = `Ünï 💬 '${randomUUID()}'`;
      expect(await allocator.next(s)).toBe(1);
      expect(await allocator.next(s.toLowerCase())).toBe(1);
      expect(await allocator.next(`${s} `)).toBe(1);
      const [rows] = await pool.query(
        `SELECT CAST(scope AS CHAR CHARACTER SET utf8mb4) AS scope FROM ${TABLE} WHERE scope = ?`,
        [s],
      );
      expect((rows as { scope: string }[]).map((row) => row.scope)).toEqual([s]);
      await expect(allocator.next('q'.repeat(10_000))).rejects.toMatchObject({
        code: 'INVALID_SCOPE',
      });
    });

    it('recognises duplicate-key errors, optionally by key name', async () => {
      await pool.query(
        'CREATE TABLE IF NOT EXISTS seqline_test_messages (conversation_id VARCHAR(64), sequence INT, UNIQUE KEY conversation_sequence (conversation_id, sequence))',
      );
      const s = scope();
      await pool.query('INSERT INTO seqline_test_messages VALUES (?, 1)', [s]);
      const error = await pool
        .query('INSERT INTO seqline_test_messages VALUES (?, 1)', [s])
        .catch((e: unknown) => e);
      expect(isMysqlUniqueViolation(error)).toBe(true);
      expect(isMysqlUniqueViolation(error, 'conversation_sequence')).toBe(true);
      expect(isMysqlUniqueViolation(error, 'client_id')).toBe(false);
    });

    it('says to run ensureSchema when the counter table is missing', async () => {
      const missing = createSqlAllocator({
        dialect: 'mysql',
        client: pool,
        table: `missing_${Date.now()}`,
      });
      await expect(missing.next(scope())).rejects.toThrow(
        /\[seqline\] \[mysql\] .*ensureSchema\(\)/,
      );
    });
  });
});

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
