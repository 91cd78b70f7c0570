/**
 * A live writer for the backfill tests, in its own process (SQLite's write
 * lock blocks the whole thread, so an in-process writer could never overlap
 * a backfill on another connection). Run it as
 *
 *   node --import tsx test/support/backfill-writer.ts <dialect> <target> <table> <firstId> <scopes,…>
 *
 * It inserts messages round-robin over the scopes, each numbered by a SQL
 * allocator inside the insert's own transaction, prints `ready` after the
 * first insert and keeps writing until a line arrives on stdin; then it
 * prints one JSON line `{"rows":[[id, scope, sequence], …]}` and exits.
 */
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createSqlAllocator } from '../../src/sql';

const [dialect, target, table, firstId, scopeList] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const scopes = scopeList.split(',');

type Write = (id: number, scope: string) => Promise<number>;

/**
 * Postgres and MySQL alike, on one pooled connection: `begin`, the number, the insert,
 * COMMIT (ROLLBACK on an error); the connection then goes back to the pool.
 */
async function inTransaction<C extends { query(text: string): Promise<unknown>; release(): void }>(
  client: C,
  begin: string,
  allocate: (client: C) => Promise<number>,
  insert: (client: C, sequence: number) => Promise<unknown>,
): Promise<number> {
  try {
    await client.query(begin);
    const sequence = await allocate(client);
    await insert(client, sequence);
    await client.query('COMMIT');
    return sequence;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function connect(): Promise<{ write: Write; close(): Promise<unknown> | unknown }> {
  const now = '2030-01-01 00:00:00.000000';
  if (dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: target, max: 1 });
    const allocator = createSqlAllocator({ dialect: 'postgres', client: pool });
    return {
      write: async (id, scope) =>
        inTransaction(
          await pool.connect(),
          'BEGIN',
          (client) => allocator.next(scope, { client }),
          (client, sequence) =>
            client.query(
              `INSERT INTO ${table} (id, conversation_id, created_at, sequence) VALUES ($1, $2, $3, $4)`,
              [id, scope, now, sequence],
            ),
        ),
      close: () => pool.end(),
    };
  }
  if (dialect === 'mysql') {
    const pool = mysql.createPool({ uri: target, connectionLimit: 1 });
    const allocator = createSqlAllocator({ dialect: 'mysql', client: pool });
    return {
      write: async (id, scope) =>
        inTransaction(
          await pool.getConnection(),
          'START TRANSACTION',
          (client) => allocator.next(scope, { client }),
          (client, sequence) =>
            client.query(
              `INSERT INTO ${table} (id, conversation_id, created_at, sequence) VALUES (?, ?, ?, ?)`,
              [id, scope, now, sequence],
            ),
        ),
      close: () => pool.end(),
    };
  }
  const db = new Database(target);
  db.pragma('busy_timeout = 30000');
  const allocator = createSqlAllocator({ dialect: 'sqlite', client: db });
  const insert = db.prepare(
    `INSERT INTO ${table} (id, conversation_id, created_at, sequence) VALUES (?, ?, ?, ?)`,
  );
  return {
    async write(id, scope) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const sequence = await allocator.next(scope, { client: db });
        insert.run(id, scope, now, sequence);
        db.exec('COMMIT');
        return sequence;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    close: () => db.close(),
  };
}

const { write, close } = await connect();
let stop = false;
createInterface({ input: process.stdin }).once('line', () => {
  stop = true;
});
const rows: [number, string, number][] = [];
let id = Number(firstId);
while (!stop) {
  const scope = scopes[rows.length % scopes.length]!;
  rows.push([id, scope, await write(id, scope)]);
  id += 1;
  if (rows.length === 1) console.log('ready');
  // Let the stdin line in; SQLite's synchronous calls would otherwise starve it.
  await new Promise((resolve) => setImmediate(resolve));
}
console.log(JSON.stringify({ rows }));
await close();
