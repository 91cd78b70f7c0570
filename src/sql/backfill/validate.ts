import { sqlDialect } from '../dialects';
import { asOwnError, DEFAULT_TABLE, parseIdentifier, parseTableName } from '../identifiers';
import { BackfillError } from './BackfillError';
import type { BackfillOptions } from './options';
import type { BackfillDialect, BackfillPlan, BackfillSession } from './types';

/**
 * How errors name each option: the API's option names, or the CLI's flags,
 * so a message points at what the user actually typed.
 */
export interface OptionNames {
  table: string;
  counterTable: string;
  scopeColumn: string;
  sequenceColumn: string;
  idColumn: string;
  orderBy: string;
  batchSize: string;
}

/** The names of `backfillSequences(options)`. */
export const OPTION_NAMES: OptionNames = {
  table: 'table',
  counterTable: 'counterTable',
  scopeColumn: 'scopeColumn',
  sequenceColumn: 'sequenceColumn',
  idColumn: 'idColumn',
  orderBy: 'orderBy',
  batchSize: 'batchSize',
};

export interface Validated {
  plan: BackfillPlan;
  batchSize: number;
  seed: boolean;
  dryRun: boolean;
}

/** Everything is checked before any SQL runs: identifiers cannot be bound as parameters. */
export function validate(options: BackfillOptions, names: OptionNames = OPTION_NAMES): Validated {
  const dialect = (options as { dialect?: unknown } | undefined)?.dialect;
  asOwnError(() => sqlDialect(dialect, 'backfill'), invalidOptions);
  const column = (value: unknown, option: string) =>
    asOwnError(() => parseIdentifier(value, 'backfill', option), invalidOptions);
  const table = (value: unknown, option: string) =>
    asOwnError(() => parseTableName(value, 'backfill', option), invalidOptions);

  const idColumn = column(options.idColumn ?? 'id', names.idColumn);
  const orderBy = options.orderBy ?? ['created_at', 'id'];
  if (!Array.isArray(orderBy) || orderBy.length === 0) {
    throw new BackfillError(
      'INVALID_OPTIONS',
      `[seqline] [backfill] ${names.orderBy} must be a non-empty list of column names, e.g. ${names.orderBy === OPTION_NAMES.orderBy ? "['created_at', 'id']" : 'created_at,id'}`,
    );
  }
  const order = orderBy.map((name, i) =>
    column(name, names.orderBy === OPTION_NAMES.orderBy ? `orderBy[${i}]` : names.orderBy),
  );
  if (!order.includes(idColumn)) order.push(idColumn);

  const batchSize = options.batchSize ?? 500;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new BackfillError(
      'INVALID_OPTIONS',
      `[seqline] [backfill] ${names.batchSize} must be a positive integer (scopes per batch), got ${String(batchSize)}`,
    );
  }
  const plan: BackfillPlan = {
    table: table(options.table, names.table),
    counterTable: table(options.counterTable ?? DEFAULT_TABLE, names.counterTable),
    scopeColumn: column(options.scopeColumn, names.scopeColumn),
    sequenceColumn: column(options.sequenceColumn, names.sequenceColumn),
    idColumn,
    orderBy: order,
    onlyMissing: options.onlyMissing ?? true,
  };
  return {
    plan,
    batchSize,
    seed: options.seedCounters ?? true,
    dryRun: options.dryRun ?? false,
  };
}

/** Re-throws a shared configuration check's error as the backfill's own. */
export function invalidOptions(message: string, options: ErrorOptions): BackfillError {
  return new BackfillError('INVALID_OPTIONS', message, options);
}

export async function checkColumns(
  dialect: BackfillDialect,
  session: BackfillSession,
  plan: BackfillPlan,
  names: OptionNames,
): Promise<void> {
  const row = await session.one(dialect.describe);
  const shownTable = plan.table.schema
    ? `${plan.table.schema}.${plan.table.table}`
    : plan.table.table;
  if (!row || !truthy(row.exists)) {
    throw new BackfillError(
      'MISSING_TABLE',
      `[seqline] [backfill] [${dialect.name}] table ${shownTable} does not exist; check ${names.table === OPTION_NAMES.table ? 'the table option' : names.table} (and the schema or database you are connected to)`,
    );
  }
  const raw = typeof row.columns === 'string' ? JSON.parse(row.columns) : row.columns;
  const columns = (raw as string[]).map(String);
  const normal = (name: string) => (dialect.caseSensitiveColumns ? name : name.toLowerCase());
  const present = new Set(columns.map(normal));
  const wanted = [plan.scopeColumn, plan.sequenceColumn, plan.idColumn, ...plan.orderBy];
  const absent = [...new Set(wanted.filter((name) => !present.has(normal(name))))];
  if (absent.length > 0) {
    const hint = absent.includes(plan.sequenceColumn)
      ? `; add it first (sequenceColumnDDL() prints the ALTER TABLE)`
      : '';
    throw new BackfillError(
      'MISSING_COLUMN',
      `[seqline] [backfill] [${dialect.name}] table ${shownTable} has no column ${absent.join(', ')} ` +
        `(it has ${columns.join(', ')})${hint}`,
    );
  }
}

function truthy(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 1n || value === 't';
}
