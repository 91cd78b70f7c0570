/**
 * The message store conformance suite on the real engines: PostgreSQL, MariaDB
 * (the mysql dialect) and a SQLite file, each with a table of its own that
 * carries an extra column of the app's, which the store must leave alone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createSqlMessageStore, type SqlMessageStore } from '../../src/sql';
import { testMessageStore } from '../../src/testing';
import { MARIADB_URL, POSTGRES_URL, requireService } from '../support/services';

const TABLE = 'seqline_test_store_messages';
const COUNTERS = 'seqline_test_store_counters';
const [postgres, mariadb] = await Promise.all([
  requireService('postgres'),
  requireService('mariadb'),
]);

describe.runIf(postgres)('postgres message store', () => {
  let pool: pg.Pool;
  testMessageStore({
    name: 'postgres',
    create: async () => {
      pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
      pool.on('error', () => {});
      const store = createSqlMessageStore({
        dialect: 'postgres',
        client: pool,
        table: TABLE,
        counterTable: COUNTERS,
      });
      await store.ensureSchema();
      // An app's own column, with a default: appends must keep working and leave it alone.
      await pool.query(`ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS tenant text DEFAULT 'acme'`);
      return store;
    },
    teardown: () => pool.end(),
  });
});

describe.runIf(mariadb)('mariadb message store', () => {
  let pool: mysql.Pool;
  testMessageStore({
    name: 'mariadb',
    create: async () => {
      pool = mysql.createPool({ uri: MARIADB_URL, connectionLimit: 8 });
      const store = createSqlMessageStore({
        dialect: 'mysql',
        client: pool,
        table: TABLE,
        counterTable: COUNTERS,
      });
      await store.ensureSchema();
      const [columns] = await pool.query(`SHOW COLUMNS FROM ${TABLE} LIKE 'tenant'`);
      if ((columns as unknown[]).length === 0)
        await pool.query(`ALTER TABLE ${TABLE} ADD COLUMN tenant VARCHAR(32) DEFAULT 'acme'`);
      return store;
    },
    teardown: () => pool.end(),
  });
});

describe('sqlite message store', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'seqline-store-')), 'store.db');
  let db: Database.Database;
  testMessageStore({
    name: 'sqlite',
    create: async () => {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      const store = createSqlMessageStore({
        dialect: 'sqlite',
        client: db,
        table: TABLE,
        counterTable: COUNTERS,
      });
      await store.ensureSchema();
      db.exec(`ALTER TABLE ${TABLE} ADD COLUMN tenant TEXT DEFAULT 'acme'`);
      return store;
    },
    teardown: () => db.close(),
  });

  it('refuses a table name that is not a plain identifier, before any SQL', () => {
    const db2 = new Database(':memory:');
    expect(() =>
      createSqlMessageStore({ dialect: 'sqlite', client: db2, table: 'messages; DROP TABLE x' }),
    ).toThrow(/invalid table name/);
    db2.close();
  });

  it('leaves the app’s own column to its default', async () => {
    const own = new Database(':memory:');
    const store: SqlMessageStore = createSqlMessageStore({ dialect: 'sqlite', client: own });
    // It resolves with the store, so creating one fits a line.
    expect(await store.ensureSchema()).toBe(store);
    own.exec(`ALTER TABLE seqline_messages ADD COLUMN tenant TEXT DEFAULT 'acme'`);
    const { message } = await store.append({ conversationId: 'own-column', content: 'x' });
    expect(own.prepare('SELECT tenant FROM seqline_messages WHERE id = ?').get(message.id)).toEqual(
      {
        tenant: 'acme',
      },
    );
    own.close();
  });
});
