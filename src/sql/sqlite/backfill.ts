import { type PositionalSyntax, positionalSql } from '../backfill/shared';
import type {
  BackfillDialect,
  BackfillPlan,
  BackfillSession,
  BatchStatements,
  Query,
} from '../backfill/types';
import type { SqliteClient } from './config';

const SQLITE: PositionalSyntax = {
  quote: '"',
  differs: (a, b) => `${a} IS NOT ${b}`,
  counterKey: (scope) => `CAST(${scope} AS TEXT)`,
};

/**
 * SQLite 3.33+ backfill: `UPDATE … FROM` a `ROW_NUMBER()` CTE. Each batch
 * runs inside `BEGIN IMMEDIATE`, which holds the database's write lock, so a
 * live allocation simply waits out its busy timeout until the batch commits:
 * no counter rows need locking first.
 */
export function createSqliteBackfill(db: SqliteClient, plan: BackfillPlan): BackfillDialect {
  const sql = positionalSql(plan, SQLITE);
  const { q, table, counters, counterKey } = sql;
  const sequence = q(plan.sequenceColumn);

  return {
    name: 'sqlite',
    caseSensitiveColumns: false,
    connect: async () => connectSqlite(db),
    describe: {
      text: /* sql */ `SELECT COUNT(*) > 0 AS "exists", json_group_array(name) AS "columns"
FROM pragma_table_info(?, ?)`,
      values: [plan.table.table, plan.table.schema ?? 'main'],
    },
    count: sql.count,
    countRenumbered: sql.countRenumbered,
    nextBatch: sql.nextBatch,
    batch(r): BatchStatements {
      const numberValues: unknown[] = [];
      const number: Query = plan.onlyMissing
        ? {
            // Above both the highest stored sequence and the counter, which may
            // be ahead of it (allocated, not yet inserted).
            text: /* sql */ `WITH ranked AS (
  ${sql.ranked(r, numberValues)}
), existing AS (
  ${sql.existing(r, numberValues)}
)
UPDATE ${table} AS m SET ${sequence} = max(coalesce(e.top, 0), coalesce(c.value, 0)) + r.n
FROM ranked r
LEFT JOIN existing e ON e.scope = r.scope
LEFT JOIN ${counters} c ON c.scope = ${counterKey('r.scope')}
WHERE m.${q(plan.idColumn)} = r.id`,
            values: numberValues,
          }
        : {
            text: /* sql */ `WITH ranked AS (
  ${sql.ranked(r, numberValues)}
)
UPDATE ${table} AS m SET ${sequence} = r.n
FROM ranked r
WHERE m.${q(plan.idColumn)} = r.id AND m.${sequence} IS NOT r.n`,
            values: numberValues,
          };

      const seedValues: unknown[] = [];
      const seed: Query = {
        text: /* sql */ `INSERT INTO ${counters} AS c (scope, value)
${sql.highest(r, seedValues)}
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
