/** Starts the demo server (examples/chat) as a child process, as `npm run demo` does after its build. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { POSTGRES_URL, REDIS_URL } from '../../support/services';

export const ROOT = new URL('../../../', import.meta.url);

/** Where the demo keeps its messages in a suite, and how to read them back. */
export interface Backend {
  name: string;
  env: Record<string, string>;
  /** Needs these services up (`requireService`). */
  services: ('postgres' | 'redis')[];
}

export function sqliteBackend(): Backend {
  return {
    name: 'sqlite',
    env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'seqline-e2e-')) },
    services: [],
  };
}

export function postgresBackend(): Backend {
  return { name: 'postgres', env: { DATABASE_URL: POSTGRES_URL }, services: ['postgres'] };
}

export function redisPostgresBackend(): Backend {
  return {
    name: 'redis + postgres',
    env: { DATABASE_URL: POSTGRES_URL, REDIS_URL },
    services: ['postgres', 'redis'],
  };
}

/** A stored message as the test reads it straight from the database. */
export interface StoredRow {
  id: string;
  sequence: number;
  role: string;
  content: string;
  status: string;
  clientId: string | null;
}

/** The conversation's rows in the database's sequence order. */
export async function storedMessages(
  backend: Backend,
  conversationId: string,
): Promise<StoredRow[]> {
  const sql = `SELECT id, sequence, role, content, status, client_id FROM seqline_chat_messages WHERE conversation_id = $1 ORDER BY sequence`;
  type Row = Omit<StoredRow, 'clientId' | 'sequence'> & {
    client_id: string | null;
    sequence: string | number;
  };
  let rows: Row[];
  if (backend.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: backend.env.DATABASE_URL });
    await client.connect();
    try {
      rows = (await client.query<Row>(sql, [conversationId])).rows;
    } finally {
      await client.end();
    }
  } else {
    const db = new Database(join(backend.env.DATA_DIR!, 'chat.db'), { readonly: true });
    try {
      rows = db.prepare(sql.replace('$1', '?')).all(conversationId) as Row[];
    } finally {
      db.close();
    }
  }
  return rows.map(({ client_id, sequence, ...row }) => ({
    ...row,
    sequence: Number(sequence),
    clientId: client_id,
  }));
}

export interface DemoProcess {
  url: string;
  port: number;
  /** Everything the server printed. */
  output(): string;
  /** Resolves once the output matches `pattern` (from the start), with the match. */
  waitForOutput(pattern: RegExp, timeout?: number): Promise<RegExpExecArray>;
  /** Ctrl-C: resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

/** A free loopback port (to restart a server on the same one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Runs examples/chat/server/main.ts and waits for the URL it prints. */
export async function startDemo(
  backend: Backend,
  options: {
    port?: number;
    env?: Record<string, string>;
    /** Command-line flags, as after `npm run demo --`. */
    args?: string[];
    /** @default 30_000 */
    startTimeout?: number;
  } = {},
): Promise<DemoProcess> {
  const port = options.port ?? (await freePort());
  const startTimeout = options.startTimeout ?? 30_000;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'examples/chat/server/main.ts', ...(options.args ?? [])],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TOKEN_DELAY_MS: '25',
        ...backend.env,
        ...options.env,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo did not start in ${startTimeout / 1000} s:\n${output}`)),
      startTimeout,
    );
    const check = () => {
      const match = /open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    port,
    output: () => output,
    waitForOutput(pattern, timeout = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.stdout!.off('data', check);
          reject(new Error(`no ${pattern} in the demo's output in ${timeout} ms:\n${output}`));
        }, timeout);
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(match);
        };
        child.stdout!.on('data', check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGINT');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
