import { quoteTableName, type TableName } from '../dialect';
import type { SqliteClient } from '../dialects/sqlite';
import { sqliteCounterTableDDL } from '../dialects/sqlite';
import type {
  BackfillDialect,
  BackfillPlan,
  BackfillSession,
  BatchStatements,
  Query,
  ScopeRange,
} from './types';

/**
 * SQLite 3.33+ backfill: `UPDATE … FROM` a `ROW_NUMBER()` CTE. Each batch
 * runs inside `BEGIN IMMEDIATE`, which holds the database's write lock, so a
 * live allocation simply waits out its busy timeout until the batch commits:
 * no counter rows need locking first.
 */
export function createSqliteBackfill(db: SqliteClient, plan: BackfillPlan): BackfillDialect {
  const q = (identifier: string) => `"${identifier}"`;
  const table = quoteTableName(plan.table, '"');
  const counters = quoteTableName(plan.counterTable, '"');
  const scope = `t.${q(plan.scopeColumn)}`;
  const seq = `t.${q(plan.sequenceColumn)}`;
  const id = `t.${q(plan.idColumn)}`;
  const order = plan.orderBy.map((column) => `t.${q(column)}`).join(', ');
  const missing = `(${seq} IS NULL OR ${seq} = 0)`;

  const range = (r: ScopeRange, values: unknown[], alias = 't') => {
    const column = `${alias}.${q(plan.scopeColumn)}`;
    if (r.lo !== undefined) values.push(r.lo);
    values.push(r.hi);
    return r.lo === undefined ? `${column} <= ?` : `${column} > ? AND ${column} <= ?`;
  };

  return {
    name: 'sqlite',
    caseSensitiveColumns: false,
    counterTableDDL: sqliteCounterTableDDL(plan.counterTable),
    connect: async () => connectSqlite(db),
    describe: {
      text: /* sql */ `SELECT COUNT(*) > 0 AS "exists", json_group_array(name) AS "columns"
FROM pragma_table_info(?, ?)`,
      values: [plan.table.table, plan.table.schema ?? 'main'],
    },
    count: {
      text: /* sql */ `SELECT COUNT(DISTINCT ${scope}) AS scopes, ${
        plan.onlyMissing ? `COALESCE(SUM(${missing}), 0)` : 'COUNT(*)'
      } AS "rows" FROM ${table} t WHERE ${scope} IS NOT NULL`,
      values: [],
    },
    countRenumbered: {
      text: /* sql */ `SELECT COUNT(*) AS "rows" FROM (
  SELECT ${seq} AS seq, ROW_NUMBER() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n
  FROM ${table} t WHERE ${scope} IS NOT NULL
) r WHERE r.seq IS NOT r.n`,
      values: [],
    },
    nextBatch(lo, size) {
      const values: unknown[] = lo === undefined ? [size] : [lo, size];
      const after = lo === undefined ? '' : ` AND ${scope} > ?`;
      return {
        text: /* sql */ `SELECT b.scope, COUNT(*) OVER () AS n FROM (
  SELECT DISTINCT ${scope} AS scope FROM ${table} t
  WHERE ${scope} IS NOT NULL${after} ORDER BY ${scope} LIMIT ?
) b ORDER BY b.scope DESC LIMIT 1`,
        values,
      };
    },
    batch(r): BatchStatements {
      const numberValues: unknown[] = [];
      const number: Query = plan.onlyMissing
        ? {
            // Above both the highest stored sequence and the counter, which may
            // be ahead of it (allocated, not yet inserted).
            text: /* sql */ `WITH ranked AS (
  SELECT ${id} AS id, ${scope} AS scope,
    ROW_NUMBER() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n
  FROM ${table} t WHERE ${range(r, numberValues)} AND ${missing}
), existing AS (
  SELECT ${scope} AS scope, MAX(${seq}) AS top
  FROM ${table} t WHERE ${range(r, numberValues)} AND ${seq} > 0 GROUP BY ${scope}
)
UPDATE ${table} AS m SET ${q(plan.sequenceColumn)} = max(coalesce(e.top, 0), coalesce(c.value, 0)) + r.n
FROM ranked r
LEFT JOIN existing e ON e.scope = r.scope
LEFT JOIN ${counters} c ON c.scope = CAST(r.scope AS TEXT)
WHERE m.${q(plan.idColumn)} = r.id`,
            values: numberValues,
          }
        : {
            text: /* sql */ `WITH ranked AS (
  SELECT ${id} AS id, ROW_NUMBER() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n
  FROM ${table} t WHERE ${range(r, numberValues)}
)
UPDATE ${table} AS m SET ${q(plan.sequenceColumn)} = r.n
FROM ranked r
WHERE m.${q(plan.idColumn)} = r.id AND m.${q(plan.sequenceColumn)} IS NOT r.n`,
            values: numberValues,
          };

      const seedValues: unknown[] = [];
      const seed: Query = {
        text: /* sql */ `INSERT INTO ${counters} AS c (scope, value)
SELECT CAST(${scope} AS TEXT), MAX(${seq}) FROM ${table} t
WHERE ${range(r, seedValues)} AND ${seq} > 0 GROUP BY ${scope}
ON CONFLICT (scope) DO UPDATE SET value = excluded.value WHERE c.value < excluded.value`,
        values: seedValues,
      };
      return { number, seed };
    },
  };
}

// ---------------------------------------------------------------------------

function connectSqlite(db: SqliteClient): BackfillSession {
  return {
    async one(query) {
      return db.prepare(query.text).get(...query.values) as Record<string, unknown> | undefined;
    },
    async run(query) {
      return Number((db.prepare(query.text).run(...query.values) as { changes?: number }).changes);
    },
    async transaction(work) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    async release() {},
  };
}

/** `ALTER TABLE … ADD COLUMN … INTEGER`: nullable, NULL meaning "not numbered yet". */
export function sqliteSequenceColumnDDL(table: TableName, column: string): string {
  return /* sql */ `ALTER TABLE ${quoteTableName(table, '"')} ADD COLUMN "${column}" INTEGER`;
}

/** SQLite cannot add a constraint to an existing table; a unique index is its equivalent. */
export function sqliteUniqueSequenceDDL(
  table: TableName,
  name: string,
  scope: string,
  sequence: string,
): string {
  // The index name takes the table's schema; the table itself must not be qualified here.
  const index = table.schema === undefined ? `"${name}"` : `"${table.schema}"."${name}"`;
  return /* sql */ `CREATE UNIQUE INDEX IF NOT EXISTS ${index} ON "${table.table}" ("${scope}", "${sequence}")`;
}
