import { backfillNames, batchTransaction } from '../backfill/shared';
import type {
  BackfillDialect,
  BackfillPlan,
  BackfillSession,
  BatchStatements,
  Query,
  ScopeRange,
} from '../backfill/types';
import type { PostgresClient } from './config';

/**
 * Postgres backfill: `UPDATE … FROM` a `ROW_NUMBER() OVER (PARTITION BY
 * scope ORDER BY …)` CTE, one statement per batch of scopes, in a READ
 * COMMITTED transaction. Each statement takes a fresh snapshot, so the
 * numbering (which runs after the counter rows are locked) sees every
 * message a live allocation committed before the lock was granted.
 */
export function createPostgresBackfill(
  client: PostgresClient,
  plan: BackfillPlan,
): BackfillDialect {
  const { q, table, counters, scope, seq, id, order, missing, todo } = backfillNames(plan, '"');

  const range = (r: ScopeRange, values: unknown[], alias = 't') => {
    const column = `${alias}.${q(plan.scopeColumn)}`;
    const hi = `${column} <= $${values.push(r.hi)}`;
    return r.lo === undefined ? hi : `${column} > $${values.push(r.lo)} AND ${hi}`;
  };

  return {
    name: 'postgres',
    caseSensitiveColumns: true,
    connect: () => connectPostgres(client),
    describe: {
      // to_regclass takes the quoted name, so it resolves exactly as our
      // statements will (search_path included) and never throws on a miss.
      text: /* sql */ `SELECT to_regclass($1) IS NOT NULL AS "exists",
  (SELECT json_agg(a.attname) FROM pg_attribute a
    WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped) AS "columns"`,
      values: [table],
    },
    count: {
      text: /* sql */ `SELECT count(DISTINCT ${scope}) AS scopes, count(*)${
        plan.onlyMissing ? ` FILTER (WHERE ${missing})` : ''
      } AS rows FROM ${table} t WHERE ${scope} IS NOT NULL`,
      values: [],
    },
    countRenumbered: {
      text: /* sql */ `SELECT count(*) AS rows FROM (
  SELECT ${seq} AS seq, row_number() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n
  FROM ${table} t WHERE ${scope} IS NOT NULL
) r WHERE r.seq IS DISTINCT FROM r.n`,
      values: [],
    },
    nextBatch(lo, size) {
      const values: unknown[] = [];
      const after = lo === undefined ? '' : ` AND ${scope} > $${values.push(lo)}`;
      // count(*) OVER () is computed before the outer LIMIT: it is the batch size.
      return {
        text: /* sql */ `SELECT b.scope, count(*) OVER () AS n FROM (
  SELECT DISTINCT ${scope} AS scope FROM ${table} t
  WHERE ${scope} IS NOT NULL${after} ORDER BY ${scope} LIMIT $${values.push(size)}
) b ORDER BY b.scope DESC LIMIT 1`,
        values,
      };
    },
    // Every statement repeats the range on the updated table too: without it
    // the planner hash-joins the batch against a scan of the whole table
    // (measured: half of each batch's time on 1M rows).
    batch(r): BatchStatements {
      const lockValues: unknown[] = [];
      // ORDER BY takes the locks in one order, so two overlapping runs queue
      // instead of deadlocking. DO UPDATE (not DO NOTHING) locks existing rows.
      const lock: Query = {
        text: /* sql */ `INSERT INTO ${counters} AS c (scope, value)
SELECT DISTINCT ${scope}::text, 0 FROM ${table} t WHERE ${range(r, lockValues)}${todo} ORDER BY 1
ON CONFLICT (scope) DO UPDATE SET value = c.value`,
        values: lockValues,
      };

      const numberValues: unknown[] = [];
      const number: Query = plan.onlyMissing
        ? {
            // New numbers start above both the highest stored sequence and the
            // counter (which may be ahead: a live writer allocated but has not
            // inserted yet), so they can collide with neither.
            text: /* sql */ `WITH ranked AS (
  SELECT ${id} AS id, ${scope} AS scope,
    row_number() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n
  FROM ${table} t WHERE ${range(r, numberValues)} AND ${missing}
), existing AS (
  SELECT ${scope} AS scope, max(${seq}) AS top
  FROM ${table} t WHERE ${range(r, numberValues)} AND ${seq} > 0 GROUP BY ${scope}
)
UPDATE ${table} AS m SET ${q(plan.sequenceColumn)} = greatest(coalesce(e.top, 0), coalesce(c.value, 0)) + r.n
FROM ranked r
LEFT JOIN existing e ON e.scope = r.scope
LEFT JOIN ${counters} c ON c.scope = r.scope::text
WHERE m.${q(plan.idColumn)} = r.id AND ${range(r, numberValues, 'm')}`,
            values: numberValues,
          }
        : {
            // Renumbering skips rows that already hold their rank, so a re-run
            // writes nothing.
            text: /* sql */ `WITH ranked AS (
  SELECT ${id} AS id, row_number() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n
  FROM ${table} t WHERE ${range(r, numberValues)}
)
UPDATE ${table} AS m SET ${q(plan.sequenceColumn)} = r.n
FROM ranked r
WHERE m.${q(plan.idColumn)} = r.id AND ${range(r, numberValues, 'm')}
  AND m.${q(plan.sequenceColumn)} IS DISTINCT FROM r.n`,
            values: numberValues,
          };

      const seedValues: unknown[] = [];
      // The WHERE on DO UPDATE leaves counters that are already high enough
      // untouched (and uncounted): never lowered, and a re-run changes nothing.
      const seed: Query = {
        text: /* sql */ `INSERT INTO ${counters} AS c (scope, value)
SELECT ${scope}::text, max(${seq}) FROM ${table} t
WHERE ${range(r, seedValues)} AND ${seq} > 0 GROUP BY ${scope}
ON CONFLICT (scope) DO UPDATE SET value = EXCLUDED.value WHERE c.value < EXCLUDED.value`,
        values: seedValues,
      };
      return { lock, number, seed };
    },
  };
}

// ---------------------------------------------------------------------------

interface PoolLike {
  connect(): Promise<PostgresClient & { release(error?: unknown): void }>;
}

/**
 * A transaction needs one connection: a `pg.Pool` (recognised by its
 * `totalCount`) lends one; a `Client` or `PoolClient` is used as it is.
 */
async function connectPostgres(client: PostgresClient): Promise<BackfillSession> {
  const isPool =
    'totalCount' in (client as object) &&
    typeof (client as Partial<PoolLike>).connect === 'function';
  const connection = isPool ? await (client as unknown as PoolLike).connect() : client;
  let broken: unknown;
  const exec = async (query: Query) => {
    try {
      return (await connection.query({ text: query.text, values: query.values })) as {
        rows: Record<string, unknown>[];
        rowCount?: number | null;
      };
    } catch (error) {
      broken = error;
      throw error;
    }
  };
  return {
    async one(query) {
      return (await exec(query)).rows[0];
    },
    async run(query) {
      return (await exec(query)).rowCount ?? 0;
    },
    transaction: (work) =>
      batchTransaction(
        (text) => exec({ text, values: [] }),
        ['BEGIN ISOLATION LEVEL READ COMMITTED'],
        () => connection.query({ text: 'ROLLBACK' }),
        work,
      ),
    async release() {
      // A connection that failed mid-statement may be dead: pass the error so
      // the pool destroys it instead of lending it out again.
      if (isPool) (connection as unknown as { release(error?: unknown): void }).release(broken);
    },
  };
}
