/**
 * An app server for the kill-and-resume suites: `createMessageRoutes` over a
 * `createSqlMessageStore` on Postgres and a bus that outlives the process
 * (Redis or Postgres), streaming a long, fixed reply to every message. Run
 * as
 *
 *   SEQLINE_RESUME_SERVER='<ResumeServerConfig JSON>' node --import tsx test/support/resume-server.ts
 *
 * It prints `listening <port>`. It picks up the replies a killed
 * predecessor left open and finishes them from their stored content, as a
 * resumable generator would, once the first client is back: the stored
 * content lags what the clients were sent, so their resume meets a stored
 * snapshot shorter than their cursor.
 * Routes: the protocol's (`/conversations/:id/messages|stream`), plus `/`, a
 * page whose native `EventSource` feeds a literal client
 * (`literalClient.ts`, served compiled as `/literalClient.js`) and exposes it
 * as `window.resume`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type RunningServer, startServerProcess } from './bus-server';
import { POSTGRES_URL, REDIS_URL } from './services';

export interface ResumeServerConfig {
  bus: 'postgres' | 'redis';
  postgresUrl: string;
  redisUrl: string;
  /** Private messages table (created by the server, dropped by the test). */
  table: string;
  /** Private counter table. */
  counterTable: string;
  /** Private bus events table (Postgres bus) or key prefix (Redis bus). */
  busName: string;
  port: number;
  /** Tokens in every reply, and the pause before each. */
  tokens: number;
  tokenDelayMs: number;
}

/** The reply the server streams: fixed, so a restarted server continues it exactly. Emoji test the UTF-16 offsets. */
export function replyTokens(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i % 9 === 4 ? `🙂${i} ` : `w${i} `));
}

function startResumeServer(config: ResumeServerConfig): Promise<RunningServer> {
  return startServerProcess(fileURLToPath(import.meta.url), {
    SEQLINE_RESUME_SERVER: JSON.stringify(config),
  });
}

/** One kill-and-resume run of the suites: a private server and what they do to it. */
export interface ResumeRun {
  config: ResumeServerConfig;
  /** The server's base URL: the same across the restart. */
  url: string;
  /** The reply every prompt gets, in full. */
  expected: string;
  /** Posts a prompt; resolves with its reserved reply's id. */
  send(conversationId: string): Promise<string>;
  /** The reply's content as stored now. */
  stored(replyId: string): Promise<string>;
  /**
   * Waits until the client holds a quarter of the reply and more than is
   * stored (`held`: its content length now), then SIGKILLs the server and
   * starts it again on the same port. Resolves with both lengths at the kill.
   */
  killWhileBehind(
    replyId: string,
    held: () => Promise<number> | number,
  ): Promise<{ held: number; stored: number }>;
}

/** Starts a private resume server on `bus`; `cleanup` gets what ends it and drops its tables. */
export async function startResumeRun(
  bus: 'redis' | 'postgres',
  cleanup: (() => unknown)[],
): Promise<ResumeRun> {
  const config = await privateResumeConfig(bus);
  cleanup.push(() => dropResumeConfig(config));
  let server = await startResumeServer(config);
  cleanup.push(() => server.kill());
  const expected = replyTokens(config.tokens).join('');
  const stored = (replyId: string) => storedContent(config, replyId);
  return {
    config,
    url: server.url,
    expected,
    stored,
    async send(conversationId) {
      const sent = await fetch(`${server.url}/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: randomUUID(), content: 'Tell me a long story' }),
      });
      if (sent.status !== 201)
        throw new Error(`send answered ${sent.status}: ${await sent.text()}`);
      return ((await sent.json()) as { reply: { id: string } }).reply.id;
    },
    async killWhileBehind(replyId, held) {
      let at = { held: 0, stored: 0 };
      await until(async () => {
        const length = await held();
        if (length < expected.length / 4) return false;
        at = { held: length, stored: (await stored(replyId)).length };
        return at.stored < at.held;
      }, 'the stored reply to lag the client');
      await server.kill();
      server = await startResumeServer(config);
      return at;
    },
  };
}

/** Private tables, key prefix and a free port for one server's lifetimes: a 300-token reply, 15 ms apart. */
async function privateResumeConfig(bus: 'redis' | 'postgres'): Promise<ResumeServerConfig> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  return {
    bus,
    postgresUrl: POSTGRES_URL,
    redisUrl: REDIS_URL,
    table: `seqline_test_resume_${suffix}`,
    counterTable: `seqline_test_resume_counters_${suffix}`,
    busName:
      bus === 'postgres' ? `seqline_test_resume_bus_${suffix}` : `seqline-test:resume:${suffix}:`,
    port: await freePort(),
    tokens: 300,
    tokenDelayMs: 15,
  };
}

/** Drops what {@link privateResumeConfig} named: its tables (the Postgres bus adds `_heads`), or its Redis keys. */
async function dropResumeConfig(config: ResumeServerConfig): Promise<void> {
  const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 1 });
  try {
    for (const table of [
      config.table,
      config.counterTable,
      config.busName,
      `${config.busName}_heads`,
    ]) {
      if (/^seqline_test_resume_\w+$/.test(table))
        await pool.query(`DROP TABLE IF EXISTS ${table}`);
    }
  } finally {
    await pool.end();
  }
  if (config.bus === 'redis') {
    const client = new Redis(config.redisUrl);
    const keys = await client.keys(`${config.busName}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
}

/** A message's content as stored now ('' when there is no such row). */
async function storedContent(config: ResumeServerConfig, id: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 1 });
  try {
    const { rows } = await pool.query(`SELECT content FROM ${config.table} WHERE id = $1`, [id]);
    return String((rows[0] as { content?: string } | undefined)?.content ?? '');
  } finally {
    await pool.end();
  }
}

/** Polls `check` every 10 ms; throws after `ms` naming `what`. */
export async function until(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A port nothing listens on now, so a restarted server can take the same one. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The page Chromium opens: a native EventSource applying events literally. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>resume</title><script type="module">
import { createLiteralClient } from '/literalClient.js';
const client = createLiteralClient();
const conversationId = new URL(location.href).searchParams.get('c');
const source = new EventSource('/conversations/' + encodeURIComponent(conversationId) + '/stream');
let opens = 0;
source.onopen = () => { opens++; };
source.onmessage = (event) => client.apply(JSON.parse(event.data));
window.resume = () => ({ messages: [...client.messages.values()], problems: client.problems, opens });
</script>`;

// ---------------------------------------------------------------------------

async function main(cfg: ResumeServerConfig): Promise<void> {
  const { createServer } = await import('node:http');
  const { transform } = await import('esbuild');
  const { createMessageRoutes, createReplyWriter, toNodeHandler } = await import(
    '../../src/server'
  );
  const { createPostgresBus, createSqlMessageStore } = await import('../../src/sql');
  const { createRedisBus } = await import('../../src/redis');
  const { default: pg } = await import('pg');
  type MessageBus = import('../../src/server').MessageBus;
  type Message = import('../../src/index').Message;
  type ReplyWriter = import('../../src/server').ReplyWriter;

  const pool = new pg.Pool({ connectionString: cfg.postgresUrl, max: 8 });
  const store = createSqlMessageStore({
    dialect: 'postgres',
    client: pool,
    table: cfg.table,
    counterTable: cfg.counterTable,
  });
  await store.ensureSchema();
  const quiet = () => {};
  let bus: MessageBus;
  if (cfg.bus === 'postgres') {
    bus = createPostgresBus({ pool, table: cfg.busName, onError: quiet });
    await (bus as ReturnType<typeof createPostgresBus>).ensureSchema();
  } else {
    const { Redis } = await import('ioredis');
    const client = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
    client.on('error', quiet);
    bus = createRedisBus({ client, prefix: cfg.busName, onError: quiet });
  }

  const tokens = replyTokens(cfg.tokens);
  /** Streams the fixed reply from where `writer` is: what it already has is skipped without a pause. */
  const generate = async (writer: ReplyWriter) => {
    await writer.start();
    let offset = 0;
    for (const token of tokens) {
      if (offset + token.length > writer.content.length) {
        await new Promise((resolve) => setTimeout(resolve, cfg.tokenDelayMs));
        await writer.append(token, offset);
      }
      offset += token.length;
    }
    await writer.complete();
  };

  const routes = createMessageRoutes({
    store,
    bus,
    authorize: () => true,
    onMessage: ({ writer }) => (writer ? generate(writer) : undefined),
  });
  const library = (
    await transform(readFileSync(new URL('./literalClient.ts', import.meta.url), 'utf8'), {
      loader: 'ts',
      format: 'esm',
    })
  ).code;
  const handler = toNodeHandler(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/') return new Response(PAGE, { headers: { 'content-type': 'text/html' } });
    if (pathname === '/literalClient.js') {
      return new Response(library, { headers: { 'content-type': 'text/javascript' } });
    }
    return routes.handle(request);
  });

  // A killed predecessor's open replies, finished from what is stored. A generator takes a while
  // to start again: they resume 200 ms after the first stream request, so that client's catch-up
  // reads the stored reply as the kill left it, behind what the client holds.
  let resumeOpenReplies: (() => Promise<void>) | undefined = async () => {
    for (const reply of await store.unfinished()) {
      const writer = createReplyWriter({
        bus,
        message: reply as Message,
        persist: store.updateReply,
        onError: quiet,
      });
      void generate(writer).catch((error) => console.error(error));
    }
  };
  const server = createServer((req, res) => {
    if (resumeOpenReplies && req.url?.includes('/stream')) {
      const resume = resumeOpenReplies;
      resumeOpenReplies = undefined;
      setTimeout(() => void resume().catch((error) => console.error(error)), 200);
    }
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(cfg.port, '127.0.0.1', resolve));
  process.stdout.write(`listening ${cfg.port}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(JSON.parse(process.env.SEQLINE_RESUME_SERVER ?? '') as ResumeServerConfig).catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
