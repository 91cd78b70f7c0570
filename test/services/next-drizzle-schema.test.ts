/**
 * The Next.js example's Drizzle schema (examples/next/db/schema.ts) is the tables
 * `createSqlMessageStore` creates: the same columns, types, nullability, unique keys,
 * index and check, so drizzle-kit would generate no change against `ensureSchema()` and
 * Drizzle reads the store's rows.
 */
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counters, messages } from '../../examples/next/db/schema';
import { createSqlMessageStore } from '../../src/sql';
import { POSTGRES_URL, requireService } from '../support/services';

const postgres = await requireService('postgres');

describe.runIf(postgres)('examples/next db/schema.ts', () => {
  const schema = `next_drizzle_${process.pid}`;
  let pool: pg.Pool;

  beforeAll(async () => {
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    pool = new pg.Pool({
      connectionString: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    });
    await createSqlMessageStore({
      dialect: 'postgres',
      client: pool,
      table: getTableConfig(messages).name,
      counterTable: getTableConfig(counters).name,
    }).ensureSchema();
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool?.end();
  });

  /** What the database has for a table, in the shape the Drizzle config is read into. */
  async function created(table: string) {
    const { rows: columns } = await pool.query<{ name: string; type: string; not_null: boolean }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null
       FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [`${schema}.${table}`],
    );
    const { rows: constraints } = await pool.query<{ name: string; type: string }>(
      `SELECT conname AS name, contype AS type FROM pg_constraint WHERE conrelid = $1::regclass`,
      [`${schema}.${table}`],
    );
    const { rows: indexes } = await pool.query<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`,
      [schema, table],
    );
    const names = (type: string) =>
      constraints
        .filter((c) => c.type === type)
        .map((c) => c.name)
        .sort();
    return {
      columns: Object.fromEntries(
        columns.map((c) => [
          c.name,
          `${c.type.replace('character varying', 'varchar')}${c.not_null ? ' not null' : ''}`,
        ]),
      ),
      unique: names('u'),
      checks: names('c'),
      // Indexes that are neither the primary key nor a unique constraint's.
      indexes: indexes
        .map((i) => i.name)
        .filter((name) => !constraints.some((c) => c.name === name))
        .sort(),
    };
  }

  function declared(table: PgTable) {
    const config = getTableConfig(table);
    return {
      columns: Object.fromEntries(
        config.columns.map((c) => [c.name, `${c.getSQLType()}${c.notNull ? ' not null' : ''}`]),
      ),
      unique: config.uniqueConstraints.map((u) => u.getName()).sort(),
      checks: config.checks.map((c) => c.name).sort(),
      indexes: config.indexes.map((i) => i.config.name).sort(),
    };
  }

  it('declares the messages table the store creates', async () => {
    expect(declared(messages)).toEqual(await created('seqline_messages'));
  });

  it('declares the counter table the allocator creates', async () => {
    expect(declared(counters)).toEqual(await created('seqline_counters'));
  });
});
