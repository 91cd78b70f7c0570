import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertWithSequence, SequenceAllocatorError } from '../../src/server';
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

    describe('insertWithSequence over a real UNIQUE (conversation_id, sequence)', () => {
      const setup = () => {
        db.exec(`CREATE TABLE IF NOT EXISTS chat (
          conversation_id TEXT NOT NULL, sequence INTEGER NOT NULL, client_id TEXT UNIQUE,
          UNIQUE (conversation_id, sequence))`);
        const s = scope();
        // Rows 1..3 are stored but the counter knows nothing of them, as after a lost counter.
        const store = db.prepare(
          'INSERT INTO chat (conversation_id, sequence, client_id) VALUES (?, ?, ?)',
        );
        for (const n of [1, 2, 3]) store.run(s, n, `${s}:${n}`);
        const insert = (clientId: string) => async (sequence: number) =>
          store.run(s, sequence, clientId).changes;
        const onSequence = (error: unknown) =>
          isSqliteUniqueViolation(error, 'chat.conversation_id, chat.sequence');
        return { s, insert, onSequence };
      };

      it('re-seeds from the stored maximum after a collision and stores the row once', async () => {
        const { s, insert, onSequence } = setup();
        const reseeded: string[] = [];
        const outcome = await insertWithSequence({
          allocator,
          scope: s,
          insert: insert(`${s}:new`),
          isUniqueViolation: onSequence,
          reseed: (target) => {
            reseeded.push(target);
            db.prepare(
              'UPDATE seqline_counters SET value = (SELECT MAX(sequence) FROM chat WHERE conversation_id = ?) WHERE scope = ?',
            ).run(target, target);
          },
        });
        expect(outcome).toEqual({ sequence: 4, result: 1, attempts: 2 });
        expect(reseeded).toEqual([s]);
        expect(
          db
            .prepare('SELECT sequence FROM chat WHERE conversation_id = ? ORDER BY sequence')
            .pluck()
            .all(s),
        ).toEqual([1, 2, 3, 4]);
      });

      it('without reseed, walks past the taken numbers; gives up with BACKEND after `attempts`', async () => {
        const first = setup();
        expect(
          await insertWithSequence({
            allocator,
            scope: first.s,
            insert: first.insert(`${first.s}:a`),
            isUniqueViolation: first.onSequence,
          }),
        ).toMatchObject({ sequence: 4, attempts: 4 });
        const second = setup();
        const error = await insertWithSequence({
          allocator,
          scope: second.s,
          insert: second.insert(`${second.s}:b`),
          isUniqueViolation: second.onSequence,
          attempts: 2,
        }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(SequenceAllocatorError);
        expect((error as SequenceAllocatorError).code).toBe('BACKEND');
        expect((error as Error).message).toMatch(/^\[seqline\] \[insertWithSequence\] .*2 times/);
        expect(isSqliteUniqueViolation((error as Error).cause)).toBe(true);
      });

      it('rethrows a duplicate on another key (an idempotency client_id) at once, without burning numbers', async () => {
        const { s, insert, onSequence } = setup();
        await allocator.nextRange(s, 3); // the counter is in step with the rows
        const error = await insertWithSequence({
          allocator,
          scope: s,
          insert: insert(`${s}:1`), // this client_id is already stored
          isUniqueViolation: onSequence,
        }).catch((caught: unknown) => caught);
        expect(isSqliteUniqueViolation(error, 'chat.client_id')).toBe(true);
        expect(await allocator.current(s)).toBe(4); // one attempt, one number
      });
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
