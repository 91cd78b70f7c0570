import { batchTransaction, type PositionalSyntax, positionalSql } from '../backfill/shared';
import type {
  BackfillDialect,
  BackfillPlan,
  BackfillSession,
  BatchStatements,
  Query,
} from '../backfill/types';
import type { MysqlClient } from './config';

const MYSQL: PositionalSyntax = {
  quote: '`',
  differs: (a, b) => `NOT (${a} <=> ${b})`,
  // The counter table's scope is VARBINARY, holding the UTF-8 bytes of the
  // string the allocator is given.
  counterKey: (scope) => `CAST(${scope} AS BINARY)`,
};

/**
 * MySQL 8 / MariaDB 10.2+ backfill: multi-table `UPDATE … JOIN` onto a
 * derived table holding `ROW_NUMBER() OVER (PARTITION BY scope ORDER BY …)`.
 * A window function makes the derived table non-mergeable, so it is
 * materialised first and MySQL's "can't update the table you select from"
 * rule (1093) does not apply.
 *
 * Each batch runs in a READ COMMITTED transaction: under the default
 * REPEATABLE READ, the reads would come from a snapshot taken before the
 * counter locks were granted (missing a live writer's message), and the
 * INSERT … SELECT statements would take gap locks that block live inserts.
 */
export function createMysqlBackfill(client: MysqlClient, plan: BackfillPlan): BackfillDialect {
  const sql = positionalSql(plan, MYSQL);
  const { q, table, counters, scope, counterKey } = sql;
  const sequence = `m.${q(plan.sequenceColumn)}`;

  return {
    name: 'mysql',
    caseSensitiveColumns: false,
    connect: () => connectMysql(client),
    describe: {
      text: /* sql */ `SELECT COUNT(*) > 0 AS \`exists\`, JSON_ARRAYAGG(column_name) AS \`columns\`
FROM information_schema.columns
WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
      values: [plan.table.schema ?? null, plan.table.table],
    },
    count: sql.count,
    countRenumbered: sql.countRenumbered,
    nextBatch: sql.nextBatch,
    batch(r): BatchStatements {
      const lockValues: unknown[] = [];
      // ON DUPLICATE KEY UPDATE takes the exclusive row lock even when the
      // value stays the same; ORDER BY takes the locks in one order.
      const lock: Query = {
        text: /* sql */ `INSERT INTO ${counters} (scope, value)
SELECT DISTINCT ${counterKey(scope)}, 0 FROM ${table} t WHERE ${sql.range(r, lockValues)}${sql.todo} ORDER BY 1
ON DUPLICATE KEY UPDATE value = ${counters}.value`,
        values: lockValues,
      };

      const numberValues: unknown[] = [];
      const number: Query = plan.onlyMissing
        ? {
            // Above both the highest stored sequence and the counter, which may
            // be ahead of it (allocated, not yet inserted).
            text: /* sql */ `UPDATE ${table} AS m
JOIN (
  ${sql.ranked(r, numberValues)}
) AS r ON m.${q(plan.idColumn)} = r.id
LEFT JOIN (
  ${sql.existing(r, numberValues)}
) AS e ON e.scope = r.scope
LEFT JOIN ${counters} AS c ON c.scope = ${counterKey('r.scope')}
SET ${sequence} = GREATEST(COALESCE(e.top, 0), COALESCE(c.value, 0)) + r.n`,
            values: numberValues,
          }
        : {
            text: /* sql */ `UPDATE ${table} AS m
JOIN (
  ${sql.ranked(r, numberValues)}
) AS r ON m.${q(plan.idColumn)} = r.id
SET ${sequence} = r.n
WHERE NOT (${sequence} <=> r.n)`,
            values: numberValues,
          };

      const seedValues: unknown[] = [];
      // VALUES(col) (not the 8.0.19 row alias) because MariaDB only knows VALUES().
      const seed: Query = {
        text: /* sql */ `INSERT INTO ${counters} (scope, value)
${sql.highest(r, seedValues)}
ON DUPLICATE KEY UPDATE value = GREATEST(${counters}.value, VALUES(value))`,
        values: seedValues,
      };
      return { lock, number, seed };
    },
  };
}

// ---------------------------------------------------------------------------

interface PoolLike {
  getConnection(): Promise<MysqlClient & { release(): void; destroy?(): void }>;
}

/** A mysql2 Pool (it has `getConnection`) lends one connection; a Connection is used as it is. */
async function connectMysql(client: MysqlClient): Promise<BackfillSession> {
  const isPool = typeof (client as Partial<PoolLike>).getConnection === 'function';
  const connection = isPool ? await (client as unknown as PoolLike).getConnection() : client;
  let broken = false;
  const exec = async (query: Query) => {
    try {
      const [result] = await connection.query(query.text, query.values);
      return result;
    } catch (error) {
      broken = true;
      throw error;
    }
  };
  return {
    async one(query) {
      return ((await exec(query)) as Record<string, unknown>[])[0];
    },
    async run(query) {
      return Number(((await exec(query)) as { affectedRows?: number }).affectedRows ?? 0);
    },
    transaction: (work) =>
      batchTransaction(
        (text) => exec({ text, values: [] }),
        // SET TRANSACTION applies to the next transaction only; the session's level is untouched.
        ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'],
        () => connection.query('ROLLBACK'),
        work,
      ),
    async release() {
      if (!isPool) return;
      const lent = connection as unknown as { release(): void; destroy?(): void };
      if (broken && typeof lent.destroy === 'function') lent.destroy();
      else lent.release();
    },
  };
}
