import { BackfillError } from './backfill/BackfillError';
import type { BackfillOptions, BackfillResult, BackfillStatements } from './backfill/options';
import type { BackfillSession, ScopeRange } from './backfill/types';
import {
  checkColumns,
  invalidOptions,
  OPTION_NAMES,
  type OptionNames,
  validate,
} from './backfill/validate';
import { checkClient, DIALECTS } from './dialects';
import { asOwnError } from './identifiers';

/**
 * Fills the per-scope `sequence` column of an existing messages table from
 * its current order (`orderBy`, ties broken by id), one set-based
 * `ROW_NUMBER() OVER (PARTITION BY scope …)` statement per batch of scopes,
 * and seeds the allocator's counters so new messages continue at n + 1.
 *
 * Safe to re-run: a second run changes nothing, and a run that failed half
 * way resumes where it stopped (every committed batch is complete). Safe
 * alongside live writes through a SQL allocator on the same counter table:
 * each batch locks its scopes' counters first.
 *
 * @example
 * import pg from 'pg';
 * import { backfillSequences } from 'seqline/sql';
 *
 * const pool = new pg.Pool();
 * const result = await backfillSequences({
 *   dialect: 'postgres',
 *   client: pool,
 *   table: 'messages',
 *   scopeColumn: 'conversation_id',
 *   sequenceColumn: 'sequence',
 *   orderBy: ['created_at', 'id'],
 *   onProgress: ({ scopesDone, scopesTotal }) => console.log(`${scopesDone}/${scopesTotal}`),
 * });
 * console.log(`${result.rows} rows numbered in ${result.scopes} conversations`);
 */
export function backfillSequences(options: BackfillOptions): Promise<BackfillResult> {
  return runBackfill(options, OPTION_NAMES);
}

/** @internal `backfillSequences`, with errors naming options as `names` says (the CLI's flags). */
export async function runBackfill(
  options: BackfillOptions,
  names: OptionNames,
): Promise<BackfillResult> {
  const started = performance.now();
  const { plan, batchSize, seed, dryRun } = validate(options, names);
  const module = DIALECTS[options.dialect];
  asOwnError(() => checkClient(module, options.client, 'backfill'), invalidOptions);
  const dialect = module.backfill(options.client, plan);
  const counterTableDDL = module.counterTableDDL(plan.counterTable);
  const who = `[seqline] [backfill] [${dialect.name}]`;

  let session: BackfillSession;
  try {
    session = await dialect.connect();
  } catch (error) {
    throw new BackfillError(
      'BACKEND',
      `${who} could not connect: ${reason(error)}; check the connection settings and that the database is up`,
      { cause: error },
    );
  }

  const template = dialect.batch({ lo: '…', hi: '…' });
  const statements: BackfillStatements = {
    nextBatch: dialect.nextBatch('…', batchSize).text,
    number: template.number.text,
    ...(seed
      ? {
          counterTable: counterTableDDL,
          ...(template.lock ? { lock: template.lock.text } : {}),
          seed: template.seed.text,
        }
      : {}),
  };

  const step = async <T>(what: string, work: () => Promise<T>, hint: string): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof BackfillError) throw error;
      throw new BackfillError('BACKEND', `${who} ${what} failed: ${reason(error)}; ${hint}`, {
        cause: error,
      });
    }
  };

  try {
    await step(
      'reading the table definition',
      () => checkColumns(dialect, session, plan, names),
      'check the connection and permissions',
    );

    const totals = await step(
      'counting scopes',
      () => session.one(dialect.count),
      'check the connection',
    );
    const scopesTotal = Number(totals?.scopes ?? 0);

    if (dryRun) {
      const rows = plan.onlyMissing
        ? Number(totals?.rows ?? 0)
        : Number(
            (
              await step(
                'counting rows to renumber',
                () => session.one(dialect.countRenumbered),
                'check the connection',
              )
            )?.rows ?? 0,
          );
      return {
        dryRun: true,
        scopes: scopesTotal,
        rows,
        batches: Math.ceil(scopesTotal / batchSize),
        elapsedMs: performance.now() - started,
        statements,
      };
    }

    if (seed) {
      await step(
        'creating the counter table',
        () => session.run({ text: counterTableDDL, values: [] }),
        'check the permissions, or create it with counterTableDDL()',
      );
    }

    let lo: unknown;
    let batch = 0;
    let scopesDone = 0;
    let rowsUpdated = 0;
    for (;;) {
      const next = await step(
        'finding the next batch',
        () => session.one(dialect.nextBatch(lo, batchSize)),
        resume(batch),
      );
      if (next === undefined) break;
      const range: ScopeRange = lo === undefined ? { hi: next.scope } : { lo, hi: next.scope };
      const { lock, number, seed: seedQuery } = dialect.batch(range);
      const updated = await step(
        `batch ${batch + 1} (scopes ${describeRange(range)})`,
        () =>
          session.transaction(async () => {
            if (seed && lock) await session.run(lock);
            const rows = await session.run(number);
            if (seed) await session.run(seedQuery);
            return rows;
          }),
        resume(batch),
      );
      batch += 1;
      scopesDone += Number(next.n);
      rowsUpdated += updated;
      lo = next.scope;
      options.onProgress?.({
        batch,
        scopesDone,
        scopesTotal,
        rowsUpdated,
        elapsedMs: performance.now() - started,
      });
    }
    return {
      dryRun: false,
      scopes: scopesDone,
      rows: rowsUpdated,
      batches: batch,
      elapsedMs: performance.now() - started,
      statements,
    };
  } finally {
    await session.release().catch(() => {});
  }
}

// ---------------------------------------------------------------------------

function resume(batchesDone: number): string {
  return batchesDone === 0
    ? 'nothing was written; fix the cause and run it again'
    : `${batchesDone === 1 ? 'the batch before it is' : `the ${batchesDone} batches before it are`} committed and consistent; fix the cause and run the backfill again to resume`;
}

function describeRange(range: ScopeRange): string {
  const text = (value: unknown) => JSON.stringify(String(value)).slice(0, 60);
  return range.lo === undefined
    ? `up to ${text(range.hi)}`
    : `after ${text(range.lo)} up to ${text(range.hi)}`;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return message || (typeof code === 'string' ? code : 'unknown error');
}
