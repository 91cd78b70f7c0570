/**
 * Backfill of 1,000,000 messages over 10,000 conversations on PostgreSQL:
 * `backfillSequences` (one set-based statement per batch of scopes) next to
 * the row-at-a-time loop it replaces (one SELECT per conversation, one
 * autocommit UPDATE per row), in the same run.
 *
 * The loop runs on a 20,000-row sample of the same shape (200 conversations
 * of 100 messages) and is extrapolated linearly to 1M rows: it is O(rows)
 * round trips and commits, so its cost per row does not depend on table
 * size (the index lookups it does are O(log n), which only favours the
 * sample). It runs twice: with the server's default `synchronous_commit`
 * (each UPDATE waits for its WAL flush, as it would in production) and with
 * it off for its session (its best case).
 *
 * Target: ≥ 100x the loop, and 1M rows in under 60 s on this 2-core machine.
 */
import pg from 'pg';
import { backfillSequences } from '../src/sql';
import { POSTGRES_URL, requireService } from '../test/support/services';

const ROWS = 1_000_000;
const CONVERSATIONS = 10_000;
const SAMPLE_ROWS = 20_000;
const SAMPLE_CONVERSATIONS = 200;
const TABLE = 'seqline_bench_backfill';
const SAMPLE = 'seqline_bench_backfill_sample';
const COUNTERS = 'seqline_bench_backfill_counters';

export default async function run(): Promise<void> {
  if (!(await requireService('postgres'))) return;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  try {
    const load = await time(() => createTable(pool, TABLE, ROWS, CONVERSATIONS));
    console.log(`loaded ${fmt(ROWS)} rows in ${seconds(load)}`);

    const setBased = await time(() =>
      backfillSequences({
        dialect: 'postgres',
        client: pool,
        table: TABLE,
        scopeColumn: 'conversation_id',
        sequenceColumn: 'sequence',
        counterTable: COUNTERS,
      }).then((result) => {
        if (result.rows !== ROWS) throw new Error(`backfill numbered ${result.rows} rows`);
      }),
    );
    await verify(pool, TABLE, CONVERSATIONS, ROWS / CONVERSATIONS);

    const loops: { label: string; perRow: number }[] = [];
    for (const syncCommit of ['default', 'off'] as const) {
      await createTable(pool, SAMPLE, SAMPLE_ROWS, SAMPLE_CONVERSATIONS);
      const elapsed = await time(() => rowAtATime(syncCommit));
      await verify(pool, SAMPLE, SAMPLE_CONVERSATIONS, SAMPLE_ROWS / SAMPLE_CONVERSATIONS);
      loops.push({
        label: `row-at-a-time loop, synchronous_commit ${syncCommit === 'default' ? 'on (default)' : 'off'}`,
        perRow: elapsed / SAMPLE_ROWS,
      });
    }

    console.log(
      '\n| method | rows measured | time measured | time for 1M rows | rows/s | backfillSequences is |',
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(
      `| backfillSequences (set-based, batches of 500 conversations) | ${fmt(ROWS)} | ${seconds(setBased)} | ${seconds(setBased)} | ${fmt(ROWS / (setBased / 1000))} | — |`,
    );
    for (const loop of loops) {
      const extrapolated = loop.perRow * ROWS;
      console.log(
        `| ${loop.label} | ${fmt(SAMPLE_ROWS)} | ${seconds(loop.perRow * SAMPLE_ROWS)} | ${seconds(extrapolated)} (extrapolated) | ${fmt(1000 / loop.perRow)} | **${(extrapolated / setBased).toFixed(0)}x faster** |`,
      );
    }
    console.log(
      `\n1M rows in ${seconds(setBased)} (target < 60 s); PostgreSQL ${(await pool.query('SHOW server_version')).rows[0].server_version}, node ${process.version}`,
    );
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${TABLE}, ${SAMPLE}, ${COUNTERS}`);
    await pool.end();
  }

  /** The loop the ticket's migration would run: SELECT per conversation, UPDATE per row. */
  async function rowAtATime(syncCommit: 'default' | 'off'): Promise<void> {
    const client = await pool.connect();
    try {
      if (syncCommit === 'off') await client.query('SET synchronous_commit = off');
      const { rows: conversations } = await client.query(
        `SELECT DISTINCT conversation_id FROM ${SAMPLE}`,
      );
      for (const { conversation_id } of conversations) {
        const { rows } = await client.query(
          `SELECT id FROM ${SAMPLE} WHERE conversation_id = $1 ORDER BY created_at, id`,
          [conversation_id],
        );
        for (let i = 0; i < rows.length; i++) {
          await client.query(`UPDATE ${SAMPLE} SET sequence = $1 WHERE id = $2`, [
            i + 1,
            rows[i].id,
          ]);
        }
      }
    } finally {
      await client.query('RESET synchronous_commit');
      client.release();
    }
  }
}

// ---------------------------------------------------------------------------

/**
 * A messages table as an app has it: primary key, an index for "this
 * conversation's messages in time order", timestamps that collide at the
 * millisecond, and an empty nullable sequence column. One INSERT … SELECT.
 */
async function createTable(
  pool: pg.Pool,
  table: string,
  rows: number,
  conversations: number,
): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(
    `CREATE TABLE ${table} (id bigint PRIMARY KEY, conversation_id text NOT NULL, created_at timestamp(6) NOT NULL, content text NOT NULL, sequence bigint)`,
  );
  await pool.query(
    `INSERT INTO ${table} (id, conversation_id, created_at, content)
     SELECT g, 'conv-' || lpad((g % $2)::text, 6, '0'),
            timestamp '2026-01-01' + ((g / $2) / 3) * interval '1 millisecond',
            repeat('x', 80)
     FROM generate_series(1, $1::int) AS g`,
    [rows, conversations],
  );
  await pool.query(`CREATE INDEX ON ${table} (conversation_id, created_at, id)`);
  await pool.query(`ANALYZE ${table}`);
}

/** Every conversation holds exactly 1..n, in (created_at, id) order. */
async function verify(pool: pg.Pool, table: string, conversations: number, n: number) {
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE sequence IS DISTINCT FROM rn) AS wrong, count(DISTINCT conversation_id) AS scopes
     FROM (SELECT conversation_id, sequence, row_number() OVER (PARTITION BY conversation_id ORDER BY created_at, id) AS rn FROM ${table}) r`,
  );
  const { rows: sizes } = await pool.query(
    `SELECT min(c) AS min, max(c) AS max FROM (SELECT count(*) AS c FROM ${table} GROUP BY conversation_id) s`,
  );
  if (
    Number(rows[0].wrong) !== 0 ||
    Number(rows[0].scopes) !== conversations ||
    Number(sizes[0].min) !== n ||
    Number(sizes[0].max) !== n
  ) {
    throw new Error(`${table}: wrong sequences ${JSON.stringify({ ...rows[0], ...sizes[0] })}`);
  }
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
