import { quoteTableName } from '../identifiers';
import type { BackfillPlan, Query, ScopeRange } from './types';

/** Quoted names every dialect builds its statements from. Alias `t` is the messages table. */
export interface BackfillNames {
  /** Quotes one validated identifier. */
  q(identifier: string): string;
  /** The messages table and the counter table, quoted. */
  table: string;
  counters: string;
  /** `t.scope`, `t.sequence` and `t.id`, quoted. */
  scope: string;
  seq: string;
  id: string;
  /** The `ORDER BY` list inside a scope, ending with the id. */
  order: string;
  /** A row not numbered yet: sequence NULL or 0. */
  missing: string;
  /** ` AND <missing>` when only missing rows are numbered, else empty. */
  todo: string;
}

export function backfillNames(plan: BackfillPlan, quote: '"' | '`'): BackfillNames {
  const q = (identifier: string) => `${quote}${identifier}${quote}`;
  const seq = `t.${q(plan.sequenceColumn)}`;
  const missing = `(${seq} IS NULL OR ${seq} = 0)`;
  return {
    q,
    table: quoteTableName(plan.table, quote),
    counters: quoteTableName(plan.counterTable, quote),
    scope: `t.${q(plan.scopeColumn)}`,
    seq,
    id: `t.${q(plan.idColumn)}`,
    order: plan.orderBy.map((column) => `t.${q(column)}`).join(', '),
    missing,
    todo: plan.onlyMissing ? ` AND ${missing}` : '',
  };
}

/** What MySQL and SQLite spell differently in the statements they otherwise write alike. */
export interface PositionalSyntax {
  /** The identifier quote. */
  quote: '"' | '`';
  /** `a` and `b` differ, NULL counting as a value (`NOT (a <=> b)`, `a IS NOT b`). */
  differs(a: string, b: string): string;
  /** A scope value as the counter table's key (`CAST(… AS BINARY)`, `CAST(… AS TEXT)`). */
  counterKey(scope: string): string;
}

/**
 * The SQL MySQL and SQLite share: upper-case standard SQL with positional `?`
 * placeholders. Postgres writes its own (`$n`, `FILTER`, lower case).
 */
export interface PositionalSql extends BackfillNames, PositionalSyntax {
  /** `lo < scope <= hi` on `alias`; each use pushes its bounds onto `values` again. */
  range(r: ScopeRange, values: unknown[], alias?: string): string;
  /** The rows to number in the range: `id`, `n` (their rank), and `scope` when only missing ones. */
  ranked(r: ScopeRange, values: unknown[]): string;
  /** `scope, top`: each scope's highest stored sequence in the range. */
  existing(r: ScopeRange, values: unknown[]): string;
  /** `key, MAX(sequence)` per scope in the range: what the counters are raised to. */
  highest(r: ScopeRange, values: unknown[]): string;
  count: Query;
  countRenumbered: Query;
  nextBatch(lo: unknown, size: number): Query;
}

export function positionalSql(plan: BackfillPlan, syntax: PositionalSyntax): PositionalSql {
  const names = backfillNames(plan, syntax.quote);
  const { q, table, scope, seq, id, order, missing } = names;
  const rank = `ROW_NUMBER() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS n`;

  const range = (r: ScopeRange, values: unknown[], alias = 't') => {
    const column = `${alias}.${q(plan.scopeColumn)}`;
    if (r.lo !== undefined) values.push(r.lo);
    values.push(r.hi);
    return r.lo === undefined ? `${column} <= ?` : `${column} > ? AND ${column} <= ?`;
  };

  return {
    ...names,
    ...syntax,
    range,
    ranked: (r, values) =>
      plan.onlyMissing
        ? `SELECT ${id} AS id, ${scope} AS scope,
    ${rank}
  FROM ${table} t WHERE ${range(r, values)} AND ${missing}`
        : `SELECT ${id} AS id, ${rank}
  FROM ${table} t WHERE ${range(r, values)}`,
    existing: (r, values) => `SELECT ${scope} AS scope, MAX(${seq}) AS top
  FROM ${table} t WHERE ${range(r, values)} AND ${seq} > 0 GROUP BY ${scope}`,
    highest: (r, values) => `SELECT ${syntax.counterKey(scope)}, MAX(${seq}) FROM ${table} t
WHERE ${range(r, values)} AND ${seq} > 0 GROUP BY ${scope}`,
    count: {
      text: /* sql */ `SELECT COUNT(DISTINCT ${scope}) AS scopes, ${
        plan.onlyMissing ? `COALESCE(SUM(${missing}), 0)` : 'COUNT(*)'
      } AS ${q('rows')} FROM ${table} t WHERE ${scope} IS NOT NULL`,
      values: [],
    },
    countRenumbered: {
      text: /* sql */ `SELECT COUNT(*) AS ${q('rows')} FROM (
  SELECT ${seq} AS seq, ${rank}
  FROM ${table} t WHERE ${scope} IS NOT NULL
) r WHERE ${syntax.differs('r.seq', 'r.n')}`,
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
  };
}

/**
 * One backfill batch on a pooled engine: the `begin` statements, `work`,
 * then COMMIT, each through `run` (so a failure there marks the connection
 * like any statement's); when anything throws, a best-effort `rollback`,
 * then the original error.
 */
export async function batchTransaction<T>(
  run: (text: string) => Promise<unknown>,
  begin: readonly string[],
  rollback: () => Promise<unknown>,
  work: () => Promise<T>,
): Promise<T> {
  for (const text of begin) await run(text);
  try {
    const result = await work();
    await run('COMMIT');
    return result;
  } catch (error) {
    await rollback().catch(() => {});
    throw error;
  }
}
