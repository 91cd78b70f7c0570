import { parseArgs } from 'node:util';
import {
  BackfillError,
  type BackfillOptions,
  type BackfillProgress,
  type SqlDialectName,
} from '../sql';
import { type OptionNames, validate } from '../sql/backfill/validate';
import { runBackfill } from '../sql/backfillSequences';
import { count, createProgress, type ProgressStream } from './progress';

/** Errors name the flags the user typed, not the API's option names. */
const FLAGS: OptionNames = {
  table: '--table',
  counterTable: '--counter-table',
  scopeColumn: '--scope-column',
  sequenceColumn: '--sequence-column',
  idColumn: '--id-column',
  orderBy: '--order-by',
  batchSize: '--batch-size',
};

/** Exit codes: 0 done, 1 the backfill or the connection failed, 2 bad arguments. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const BACKFILL_HELP = `Usage: seqline backfill --dialect <postgres|mysql|sqlite> --url <url> --table <name> [options]

Fills the per-conversation sequence column of an existing messages table from
its current order, one set-based statement per batch of conversations, and
seeds the allocator's counters so new messages continue at n + 1. Safe to
re-run: a second run changes nothing, and a failed run resumes.

Required:
  --dialect <name>          postgres, mysql (also MariaDB) or sqlite
  --url <url>               postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db,
                            or the SQLite database file (a path, or sqlite:path)
  --table <name>            the messages table, optionally schema.table

Options:
  --scope-column <name>     the conversation id column          (default: conversation_id)
  --sequence-column <name>  the column to fill                   (default: sequence)
  --order-by <a,b,...>      order inside a conversation          (default: created_at,id)
  --id-column <name>        the primary key; breaks ties         (default: id)
  --batch-size <n>          conversations per transaction        (default: 500)
  --counter-table <name>    the allocator's counter table        (default: seqline_counters)
  --renumber                renumber every row 1..n, not only rows whose sequence is NULL or 0
                            (stop writes first; before adding UNIQUE (scope, sequence))
  --no-seed                 leave the counter table alone (e.g. counters live in Redis)
  --dry-run                 write nothing: print the SQL and how many rows it would number
  -h, --help                show this help

The driver (pg, mysql2 or better-sqlite3) is loaded from your project.

Example:
  npx seqline backfill --dialect postgres --url "$DATABASE_URL" --table messages \\
    --scope-column conversation_id --order-by created_at,id --dry-run`;

/** Where the command writes: stdout for results, stderr for progress and errors. */
export interface CommandIO {
  stdout: ProgressStream;
  stderr: ProgressStream;
}

/**
 * `seqline backfill …`: parses `args` (what follows the word `backfill`),
 * runs the backfill and resolves with the process exit code.
 */
export async function backfillCommand(args: string[], io: CommandIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
    // Bad names exit 2 before any connection is opened.
    if (parsed !== 'help')
      validate({ ...parsed.options, dialect: parsed.dialect } as BackfillOptions, FLAGS);
  } catch (error) {
    io.stderr.write(
      `${(error as Error).message}\nRun "seqline backfill --help" for the options.\n`,
    );
    return EXIT.usage;
  }
  if (parsed === 'help') {
    io.stdout.write(`${BACKFILL_HELP}\n`);
    return EXIT.ok;
  }

  let connection: Connection;
  try {
    connection = await connect(parsed.dialect, parsed.url);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return EXIT.failed;
  }

  const progress = createProgress(io.stderr);
  let last: BackfillProgress | undefined;
  try {
    const result = await runBackfill(
      {
        ...parsed.options,
        dialect: parsed.dialect,
        client: connection.client,
        onProgress: (p) => {
          last = p;
          progress.update(p);
        },
      } as BackfillOptions,
      FLAGS,
    );
    progress.done(last);
    const seconds = (result.elapsedMs / 1000).toFixed(1);
    if (result.dryRun) {
      const s = result.statements;
      io.stdout.write(
        [
          `dry run: nothing was written.`,
          `${count(result.rows, 'row', 'rows')} in ${count(result.scopes, 'conversation', 'conversations')} would be numbered, in ${count(result.batches, 'batch', 'batches')}.`,
          '',
          ...(s.counterTable
            ? ['-- once: create the counter table if missing', `${s.counterTable};`, '']
            : []),
          '-- per batch: find the last conversation of the batch',
          `${s.nextBatch};`,
          '',
          '-- per batch, in one transaction:',
          ...(s.lock ? [`${s.lock};`, ''] : []),
          `${s.number};`,
          '',
          ...(s.seed ? [`${s.seed};`, ''] : []),
        ].join('\n'),
      );
    } else {
      io.stdout.write(
        `backfill done: ${count(result.rows, 'row', 'rows')} numbered in ${count(result.scopes, 'conversation', 'conversations')}, ${count(result.batches, 'batch', 'batches')}, ${seconds} s\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    progress.interrupt();
    const message =
      error instanceof BackfillError ? error.message : `[seqline] [backfill] ${String(error)}`;
    io.stderr.write(`${message}\n`);
    return error instanceof BackfillError && error.code === 'INVALID_OPTIONS'
      ? EXIT.usage
      : EXIT.failed;
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------

interface Parsed {
  dialect: SqlDialectName;
  url: string;
  options: Omit<BackfillOptions, 'dialect' | 'client'>;
}

function parse(args: string[]): Parsed | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        dialect: { type: 'string' },
        url: { type: 'string' },
        table: { type: 'string' },
        'scope-column': { type: 'string', default: 'conversation_id' },
        'sequence-column': { type: 'string', default: 'sequence' },
        'order-by': { type: 'string', default: 'created_at,id' },
        'id-column': { type: 'string', default: 'id' },
        'batch-size': { type: 'string', default: '500' },
        'counter-table': { type: 'string' },
        renumber: { type: 'boolean', default: false },
        'no-seed': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    // parseArgs' own messages ("Unknown option '--tabel'") are clear; prefix them.
    throw new Error(`[seqline] [backfill] ${(error as Error).message}`);
  }
  if (values.help) return 'help';

  const missing = ['dialect', 'url', 'table'].filter((name) => !values[name]);
  if (missing.length > 0) {
    throw new Error(
      `[seqline] [backfill] missing ${missing.map((name) => `--${name}`).join(', ')}`,
    );
  }
  const dialect = values.dialect as string;
  if (dialect !== 'postgres' && dialect !== 'mysql' && dialect !== 'sqlite') {
    throw new Error(
      `[seqline] [backfill] unknown --dialect ${JSON.stringify(dialect)}: use postgres, mysql (also MariaDB) or sqlite`,
    );
  }
  const batchSize = Number(values['batch-size']);
  if (!/^\d+$/.test(String(values['batch-size'])) || batchSize < 1) {
    throw new Error(
      `[seqline] [backfill] --batch-size must be a positive integer, got ${JSON.stringify(values['batch-size'])}`,
    );
  }
  const counterTable = values['counter-table'] as string | undefined;
  return {
    dialect,
    url: values.url as string,
    options: {
      table: values.table as string,
      scopeColumn: values['scope-column'] as string,
      sequenceColumn: values['sequence-column'] as string,
      orderBy: String(values['order-by'])
        .split(',')
        .map((column) => column.trim()),
      idColumn: values['id-column'] as string,
      batchSize,
      onlyMissing: !values.renumber,
      seedCounters: !values['no-seed'],
      dryRun: Boolean(values['dry-run']),
      ...(counterTable === undefined ? {} : { counterTable }),
    },
  };
}

interface Connection {
  client: unknown;
  close(): Promise<void>;
}

const DRIVERS: Record<SqlDialectName, string> = {
  postgres: 'pg',
  mysql: 'mysql2',
  sqlite: 'better-sqlite3',
};

/**
 * Opens the user's own driver, imported at run time: seqline has no
 * dependency on any of them, and the one the project uses is installed next
 * to it. One connection is enough: batches run one after another.
 */
async function connect(dialect: SqlDialectName, url: string): Promise<Connection> {
  const load = async <T>(specifier: string): Promise<T> => {
    try {
      return (await import(specifier)) as T;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new Error(
          `[seqline] [backfill] the ${dialect} driver "${DRIVERS[dialect]}" is not installed in this project: npm install ${DRIVERS[dialect]}`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  switch (dialect) {
    case 'postgres': {
      const pg = await load<typeof import('pg')>('pg');
      const Pool = pg.Pool ?? (pg as unknown as { default: typeof import('pg') }).default.Pool;
      const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
      // An idle connection dropped by the server must not crash the command.
      pool.on('error', () => {});
      return { client: pool, close: () => pool.end().catch(() => {}) };
    }
    case 'mysql': {
      const mysql = await load<typeof import('mysql2/promise')>('mysql2/promise');
      const createPool =
        mysql.createPool ??
        (mysql as unknown as { default: typeof import('mysql2/promise') }).default.createPool;
      const pool = createPool({ uri: url, connectionLimit: 1, connectTimeout: 10_000 });
      return { client: pool, close: () => pool.end().catch(() => {}) };
    }
    case 'sqlite': {
      const sqlite = await load<{ default: typeof import('better-sqlite3') }>('better-sqlite3');
      const file = url.replace(/^(sqlite|file):(\/\/)?/, '');
      let db: import('better-sqlite3').Database;
      try {
        // fileMustExist: a typo in the path must not create an empty database.
        db = new sqlite.default(file, { fileMustExist: true });
      } catch (error) {
        throw new Error(
          `[seqline] [backfill] could not open the SQLite database ${JSON.stringify(file)}: ${(error as Error).message}; check --url`,
          { cause: error },
        );
      }
      return {
        client: db,
        close: async () => {
          db.close();
        },
      };
    }
  }
}
