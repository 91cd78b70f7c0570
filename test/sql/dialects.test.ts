/**
 * The dialect registry and the checks every SQL entry point shares: one
 * lookup by name, one client-shape check, one identifier rule. Each public
 * function still throws the error class it documents, with the shared
 * check's SqlConfigError as `cause`.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SequenceAllocatorError } from '../../src/server/errors';
import { MessageStoreError } from '../../src/server/store/messageStore';
import {
  BackfillError,
  backfillSequences,
  counterTableDDL,
  createSqlAllocator,
  createSqlMessageStore,
  sequenceColumnDDL,
  uniqueSequenceDDL,
} from '../../src/sql';
import { DIALECTS, sqlDialect } from '../../src/sql/dialects';
import { SqlConfigError } from '../../src/sql/identifiers';

const pgClient = { query: async () => ({ rows: [] }) };

/** Every public entry point, called with `dialect` and a table name, returning what it throws. */
const entryPoints = {
  createSqlAllocator: (dialect: unknown, table = 'counters') =>
    createSqlAllocator({ dialect, client: pgClient, table } as never),
  counterTableDDL: (dialect: unknown, table = 'counters') =>
    counterTableDDL(dialect as never, table),
  sequenceColumnDDL: (dialect: unknown, table = 'messages') =>
    sequenceColumnDDL({ dialect: dialect as never, table }),
  uniqueSequenceDDL: (dialect: unknown, table = 'messages') =>
    uniqueSequenceDDL({ dialect: dialect as never, table, scopeColumn: 'conversation_id' }),
  createSqlMessageStore: (dialect: unknown, table = 'messages') =>
    createSqlMessageStore({ dialect, client: pgClient, table } as never),
};

const ownClass = {
  createSqlAllocator: SequenceAllocatorError,
  counterTableDDL: SequenceAllocatorError,
  sequenceColumnDDL: BackfillError,
  uniqueSequenceDDL: BackfillError,
  createSqlMessageStore: MessageStoreError,
} as const;

function thrown(work: () => unknown): Error & { code?: string; cause?: unknown } {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('the dialect registry', () => {
  it('lists each dialect under its own name', () => {
    expect(Object.keys(DIALECTS).sort()).toEqual(['mysql', 'postgres', 'sqlite']);
    for (const [name, dialect] of Object.entries(DIALECTS)) expect(dialect.name).toBe(name);
    expect(DIALECTS.mysql.quote).toBe('`');
    expect(DIALECTS.postgres.quote).toBe('"');
    expect(DIALECTS.sqlite.quote).toBe('"');
  });

  // A lookup without Object.hasOwn would hand back Object.prototype members.
  it.each(['oracle', 'toString', '__proto__', 'constructor', undefined, 42])(
    'refuses the unknown dialect %s in every entry point, each with its own error class',
    (dialect) => {
      expect(thrown(() => sqlDialect(dialect, 'sql'))).toBeInstanceOf(SqlConfigError);
      for (const [name, call] of Object.entries(entryPoints)) {
        const error = thrown(() => call(dialect));
        expect(error, name).toBeInstanceOf(ownClass[name as keyof typeof ownClass]);
        expect(error.message, name).toMatch(
          /^\[seqline\] \[\w+\] unknown dialect .*: use 'postgres', 'mysql' \(also MariaDB\) or 'sqlite'$/,
        );
        expect((error.cause as SqlConfigError).code, name).toBe('UNKNOWN_DIALECT');
      }
    },
  );

  it('backfillSequences refuses an unknown dialect the same way, before touching the client', async () => {
    const error = (await backfillSequences({
      dialect: 'toString',
      client: pgClient,
      table: 'messages',
      scopeColumn: 'conversation_id',
      sequenceColumn: 'sequence',
    } as never).catch((e: unknown) => e)) as BackfillError;
    expect(error).toBeInstanceOf(BackfillError);
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toMatch(/^\[seqline\] \[backfill\] unknown dialect "toString"/);
  });
});

describe('identifiers: one rule for every entry point', () => {
  it.each(['x'.repeat(64), 'a.b.c', '1abc', 'x; DROP TABLE y', 'tablé', ''])(
    'refuses %j everywhere, with the entry point’s own class and SqlConfigError as cause',
    (table) => {
      for (const [name, call] of Object.entries(entryPoints)) {
        const error = thrown(() => call('postgres', table));
        expect(error, name).toBeInstanceOf(ownClass[name as keyof typeof ownClass]);
        expect(error.message, name).toMatch(/invalid table/);
        expect(error.cause, name).toBeInstanceOf(SqlConfigError);
        expect((error.cause as SqlConfigError).code, name).toBe('INVALID_IDENTIFIER');
      }
    },
  );

  it('accepts the longest plain name (63) and schema.table everywhere', () => {
    for (const table of ['x'.repeat(63), `s.${'x'.repeat(63)}`]) {
      for (const [name, call] of Object.entries(entryPoints)) {
        expect(() => call('postgres', table), name).not.toThrow();
      }
    }
  });

  it('quotes with the dialect’s own quote', () => {
    expect(counterTableDDL('mysql', 'app.c')).toContain('`app`.`c`');
    expect(counterTableDDL('postgres', 'app.c')).toContain('"app"."c"');
    expect(counterTableDDL('sqlite', 'app.c')).toContain('"app"."c"');
  });
});

describe('the client-shape check', () => {
  it('names what is missing, for the allocator', () => {
    const error = thrown(() =>
      createSqlAllocator({ dialect: 'sqlite', client: { prepare() {}, exec() {} } as never }),
    );
    expect(error).toBeInstanceOf(SequenceAllocatorError);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      '[seqline] [sqlite] client must be a better-sqlite3 Database (missing pragma); pass your open driver object',
    );
    expect((error.cause as SqlConfigError).code).toBe('INVALID_CLIENT');
  });

  it('points a mysql2 callback client at the promise API', () => {
    const error = thrown(() => createSqlAllocator({ dialect: 'mysql', client: {} as never }));
    expect(error.message).toMatch(/\(missing query\); use the promise API/);
  });

  it('for the backfill, asks only for what the backfill calls (no pragma)', async () => {
    const db = new Database(':memory:');
    try {
      db.exec(
        'CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id TEXT, sequence INTEGER, created_at TEXT)',
      );
      const options = {
        dialect: 'sqlite' as const,
        table: 'messages',
        scopeColumn: 'conversation_id',
        sequenceColumn: 'sequence',
        dryRun: true,
      };
      const noPragma = {
        prepare: db.prepare.bind(db),
        exec: db.exec.bind(db),
        get inTransaction() {
          return db.inTransaction;
        },
      };
      const result = await backfillSequences({ ...options, client: noPragma as never });
      expect(result.dryRun).toBe(true);

      const error = (await backfillSequences({ ...options, client: {} as never }).catch(
        (e: unknown) => e,
      )) as BackfillError;
      expect(error).toBeInstanceOf(BackfillError);
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toBe(
        '[seqline] [backfill] [sqlite] client must be a better-sqlite3 Database (missing prepare, exec); pass your open driver object',
      );
    } finally {
      db.close();
    }
  });
});

describe('allocator driver errors, wrapped in one place', () => {
  it('says to create the counter table when it is missing, for next() and current()', async () => {
    const db = new Database(':memory:');
    try {
      const allocator = createSqlAllocator({ dialect: 'sqlite', client: db });
      for (const call of [() => allocator.next('s'), () => allocator.current('s')]) {
        const error = (await call().catch((e: unknown) => e)) as SequenceAllocatorError;
        expect(error).toBeInstanceOf(SequenceAllocatorError);
        expect(error.code).toBe('BACKEND');
        expect(error.message).toMatch(
          /^\[seqline\] \[sqlite\] (allocating for|reading the counter for) scope "s" failed: no such table: seqline_counters; create the counter table first: await allocator\.ensureSchema\(\)/,
        );
        expect((error.cause as Error).message).toMatch(/no such table/);
      }
      await allocator.ensureSchema();
      expect(await allocator.nextRange('s', 2)).toEqual({ first: 1, last: 2 });
    } finally {
      db.close();
    }
  });

  it('names the dialect’s own hint when the table cannot be created', async () => {
    const db = new Database(':memory:');
    const allocator = createSqlAllocator({ dialect: 'sqlite', client: db });
    db.close();
    const error = (await allocator.ensureSchema().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(SequenceAllocatorError);
    expect(error.message).toMatch(
      /^\[seqline\] \[sqlite\] creating the counter table failed: .*; check that the file is writable$/,
    );
  });
});
