import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequenceAllocatorError } from '../../src/server';
import {
  createSqlAllocator,
  isSqliteUniqueViolation,
  type SqlAllocator,
  type SqliteClient,
} from '../../src/sql';
import { testSequenceAllocator } from '../../src/testing';

// SQLite needs no service: it runs on a temporary file, always.
const dir = mkdtempSync(join(tmpdir(), 'seqline-sqlite-'));
const file = join(dir, 'counters.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (options?: Database.Options) => {
  const db = new Database(file, options);
  db.pragma('journal_mode = WAL');
  return db;
};

describe('sqlite allocator', () => {
  testSequenceAllocator({
    name: 'sqlite (better-sqlite3 file database)',
    create: async () => {
      const db = open();
      const allocator = Object.assign(createSqlAllocator({ dialect: 'sqlite', client: db }), {
        db,
      });
      await allocator.ensureSchema();
      return allocator;
    },
    teardown: (allocator) => allocator.db.close(),
  });

  describe('transactions and locking', () => {
    let db: Database.Database;
    let other: Database.Database;
    const scope = () => `sqlite-test:${randomUUID()}`;
    let allocator: SqlAllocator<SqliteClient>;

    beforeAll(async () => {
      db = open();
      other = open({ timeout: 100 });
      allocator = createSqlAllocator({ dialect: 'sqlite', client: db });
      await allocator.ensureSchema();
    });
    afterAll(() => {
      db.close();
      other.close();
    });

    it("runs inside the caller's open transaction, and a rollback hands the number out again", async () => {
      const s = scope();
      expect(await allocator.next(s)).toBe(1);
      db.exec('BEGIN IMMEDIATE');
      expect(await allocator.nextRange(s, 2)).toEqual({ first: 2, last: 3 });
      expect(db.inTransaction).toBe(true); // it did not commit the caller's transaction
      db.exec('ROLLBACK');
      expect(await allocator.next(s)).toBe(2);
    });

    it('commit order: a second connection waits for the first to commit, then gets the next number', async () => {
      const s = scope();
      const second = createSqlAllocator({ dialect: 'sqlite', client: other });
      db.exec('BEGIN IMMEDIATE');
      expect(await allocator.next(s)).toBe(1);
      // better-sqlite3 is synchronous, so "blocked" shows as SQLITE_BUSY once the
      // busy timeout (100 ms here) runs out while the first transaction is open.
      const started = Date.now();
      const blocked = await second.next(s).catch((error: unknown) => error);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(blocked).toBeInstanceOf(SequenceAllocatorError);
      expect((blocked as SequenceAllocatorError).code).toBe('BACKEND');
      expect((blocked as Error).message).toMatch(/^\[seqline\] \[sqlite\] .*busy timeout/);
      expect(other.inTransaction).toBe(false); // its failed BEGIN left nothing open
      db.exec('COMMIT');
      expect(await second.next(s)).toBe(2);
    });

    it('sets a busy timeout when the database has none, and keeps an explicit one', () => {
      const none = open({ timeout: 0 });
      createSqlAllocator({ dialect: 'sqlite', client: none });
      expect(none.pragma('busy_timeout', { simple: true })).toBe(5000);
      createSqlAllocator({ dialect: 'sqlite', client: none, busyTimeout: 1234 });
      expect(none.pragma('busy_timeout', { simple: true })).toBe(1234);
      none.close();
      expect(() => createSqlAllocator({ dialect: 'sqlite', client: db, busyTimeout: -1 })).toThrow(
        SequenceAllocatorError,
      );
    });

    it('refuses injected table names at construction, running nothing', () => {
      const calls: string[] = [];
      const spy: SqliteClient = {
        prepare: (source) => {
          calls.push(source);
          return db.prepare(source);
        },
        exec: (source) => {
          calls.push(source);
          return db.exec(source);
        },
        pragma: (source, options) => {
          calls.push(source);
          return db.pragma(source, options);
        },
        get inTransaction() {
          return db.inTransaction;
        },
      };
      for (const table of ['x; drop table y', 'x"', "x'--", 'a.b.c', '', '9lives']) {
        expect(() => createSqlAllocator({ dialect: 'sqlite', client: spy, table })).toThrow(
          /^\[seqline\] \[sqlite\] invalid table name/,
        );
      }
      expect(calls).toEqual([]);
    });

    it('recognises its own unique violations', () => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS messages (conversation_id TEXT, sequence INTEGER, UNIQUE (conversation_id, sequence))',
      );
      const insert = db.prepare('INSERT INTO messages VALUES (?, ?)');
      const s = scope();
      insert.run(s, 1);
      let error: unknown;
      try {
        insert.run(s, 1);
      } catch (caught) {
        error = caught;
      }
      expect(isSqliteUniqueViolation(error)).toBe(true);
      expect(isSqliteUniqueViolation(error, 'messages.conversation_id, messages.sequence')).toBe(
        true,
      );
      expect(isSqliteUniqueViolation(error, 'messages.client_id')).toBe(false);
      expect(isSqliteUniqueViolation(new Error('x'))).toBe(false);
    });

    it('rejects a 10k-character scope and stores odd scopes exactly', async () => {
      await expect(allocator.next('z'.repeat(10_000))).rejects.toMatchObject({
        code: 'INVALID_SCOPE',
      });
      const s = `'); DROP TABLE seqline_counters; -- ${randomUUID()} 💬`;
      expect(await allocator.next(s)).toBe(1);
      expect(
        db.prepare('SELECT scope FROM seqline_counters WHERE scope = ?').pluck().all(s),
      ).toEqual([s]);
    });
  });
});
