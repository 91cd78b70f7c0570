/**
 * One app instance for the multi-instance bus suites: a small node:http
 * server on seqline's helpers, sharing a real Postgres messages table (and
 * Redis, for the Redis bus) with its sibling processes. Run as
 *
 *   SEQLINE_BUS_SERVER='<BusServerConfig JSON>' node --import tsx test/support/bus-server.ts
 *
 * It prints `listening <port>` once it accepts connections. Routes:
 * - POST /conversations/:id/messages {clientId, content, tokens?, tokenDelayMs?}
 *   stores the user message and a pending reply (sequences from
 *   `nextRange(id, 2)` on the SQL allocator), publishes both, answers 201,
 *   then streams a reply of `tokens` tokens through `createReplyWriter`.
 * - GET /conversations/:id/stream: `createConversationStream` over the bus.
 * This is what a demo server needs, in a few lines each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BusServerConfig {
  bus: 'postgres' | 'redis';
  postgresUrl: string;
  redisUrl?: string;
  /** Messages table (created by the test). */
  table: string;
  /** Bus events table (Postgres bus) or key prefix (Redis bus). */
  busName: string;
  /** 0 picks a free port. */
  port?: number;
  /** Persist the reply at least this often. */
  persistEveryMs?: number;
}

/** The messages table the server uses; the test creates it. */
export function messagesTableDDL(table: string): string {
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${table} (
  id text PRIMARY KEY,
  conversation_id text NOT NULL,
  sequence bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  client_id text,
  role text NOT NULL,
  content text NOT NULL,
  status text NOT NULL,
  error text,
  UNIQUE (conversation_id, sequence)
)`;
}

export interface RunningServer {
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts a server process and waits for `listening`. */
export function startBusServer(config: BusServerConfig): Promise<RunningServer> {
  return startServerProcess(fileURLToPath(import.meta.url), {
    SEQLINE_BUS_SERVER: JSON.stringify(config),
  });
}

/**
 * Runs `script` (`node --import tsx`) with `env` added, and waits until it
 * prints `listening <port>`. {@link killBusServers} ends it too.
 */
export async function startServerProcess(
  script: string,
  env: Record<string, string>,
): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    if (process.env.SEQLINE_DEBUG) process.stderr.write(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited ${code}: ${stderr}`));
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** SIGKILLs every server still running; for `afterAll`. */
export async function killBusServers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

// ---------------------------------------------------------------------------

async function main(cfg: BusServerConfig): Promise<void> {
  const { createServer } = await import('node:http');
  const { createConversationStream, createReplyWriter, createSseResponse, toNodeHandler } =
    await import('../../src/server');
  const { createPostgresBus, createSqlAllocator } = await import('../../src/sql');
  const { createRedisBus } = await import('../../src/redis');
  const { default: pg } = await import('pg');
  type MessageBus = import('../../src/server').MessageBus;
  type Message = import('../../src/index').Message;

  const pool = new pg.Pool({ connectionString: cfg.postgresUrl, max: 12 });
  const allocator = createSqlAllocator({ dialect: 'postgres', client: pool });
  await allocator.ensureSchema();
  const quiet = () => {};
  let bus: MessageBus;
  if (cfg.bus === 'postgres') {
    bus = createPostgresBus({ pool, table: cfg.busName, onError: quiet });
  } else {
    const { Redis } = await import('ioredis');
    const client = new Redis(cfg.redisUrl!, { maxRetriesPerRequest: null });
    client.on('error', quiet);
    bus = createRedisBus({ client, prefix: cfg.busName, onError: quiet });
  }

  const toMessage = (row: Record<string, unknown>): Message => ({
    id: String(row.id),
    conversationId: String(row.conversation_id),
    sequence: Number(row.sequence),
    createdAt: (row.created_at as Date).toISOString(),
    ...(row.client_id ? { clientId: String(row.client_id) } : {}),
    role: row.role as Message['role'],
    content: String(row.content),
    status: row.status as Message['status'],
    ...(row.error ? { error: String(row.error) } : {}),
  });
  const loadSnapshot = async (conversationId: string, afterSequence: number) => {
    const { rows } = await pool.query(
      `SELECT * FROM ${cfg.table} WHERE conversation_id = $1 AND sequence > $2 ORDER BY sequence`,
      [conversationId, afterSequence],
    );
    return rows.map(toMessage);
  };
  const insert = async (message: Omit<Message, 'createdAt'>) => {
    const { rows } = await pool.query(
      `INSERT INTO ${cfg.table} (id, conversation_id, sequence, client_id, role, content, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        message.id,
        message.conversationId,
        message.sequence,
        message.clientId ?? null,
        message.role,
        message.content,
        message.status,
      ],
    );
    return toMessage(rows[0]);
  };

  const stream = async (reply: Message, tokens: number, delayMs: number) => {
    const writer = createReplyWriter({
      bus,
      message: reply,
      persistEveryMs: cfg.persistEveryMs ?? 100,
      onError: quiet,
      persist: async (update) => {
        await pool.query(
          `UPDATE ${cfg.table} SET content = $2, status = $3, error = $4 WHERE id = $1`,
          [update.messageId, update.content, update.status, update.error ?? null],
        );
      },
    });
    await writer.start();
    for (let i = 0; i < tokens; i++) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await writer.append(`t${i} `);
    }
    await writer.complete();
  };

  const handler = toNodeHandler(async (request) => {
    const url = new URL(request.url);
    const match = /^\/conversations\/([^/]+)\/(messages|stream)$/.exec(url.pathname);
    if (!match) return new Response('not found', { status: 404 });
    const conversationId = decodeURIComponent(match[1]!);
    if (match[2] === 'stream') {
      return createSseResponse({
        request,
        keepAliveMs: 1000,
        source: createConversationStream({ bus, conversationId, loadSnapshot, onError: quiet }),
      });
    }
    const body = (await request.json()) as {
      clientId: string;
      content: string;
      tokens?: number;
      tokenDelayMs?: number;
    };
    const { first } = await allocator.nextRange(conversationId, 2);
    const message = await insert({
      id: randomUUID(),
      conversationId,
      sequence: first,
      clientId: body.clientId,
      role: 'user',
      content: body.content,
      status: 'complete',
    });
    const reply = await insert({
      id: randomUUID(),
      conversationId,
      sequence: first + 1,
      role: 'assistant',
      content: '',
      status: 'pending',
    });
    // Published after the rows committed, so a catch-up never meets an event before its row.
    await bus.publish(conversationId, { type: 'message', message });
    await bus.publish(conversationId, { type: 'message', message: reply });
    void stream(reply, body.tokens ?? 20, body.tokenDelayMs ?? 10).catch((error) =>
      console.error(error),
    );
    return Response.json({ message, reply }, { status: 201 });
  });

  const server = createServer((req, res) => void handler(req, res));
  server.listen(cfg.port ?? 0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(
      `listening ${typeof address === 'object' && address ? address.port : 0}\n`,
    );
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(JSON.parse(process.env.SEQLINE_BUS_SERVER ?? '') as BusServerConfig).catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
