import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import {
  type Authorize,
  createMemoryBus,
  createMessageRoutes,
  type MessageBus,
  type MessageStore,
  toNodeHandler,
} from 'seqline/server';
import { createAssistant } from './assistant';
import { bootScopedBus } from './bootScopedBus';
import { closeNow, listenAt } from './listen';
import type { ReplyLease } from './replyLease';

/** Options of {@link createChatServer}. */
export interface ChatServerOptions {
  /** Where messages live: `createSqlMessageStore` from seqline/sql. */
  store: MessageStore;
  /** The sidebar's conversations, most recent first (the demo's own query: see main.ts). */
  listConversations: () => Promise<{ id: string }[]>;
  /**
   * The bus that carries new messages and reply deltas to every open stream.
   * Pass a shared bus (`createRedisBus` from seqline/redis) to run several
   * instances on one database.
   * @default an in-process memory bus
   */
  bus?: MessageBus;
  /** Folder with the built UI (`vite build`); `/api` is served either way. */
  staticDir: string;
  /** Average delay between assistant tokens. @default 45 */
  tokenDelayMs?: number;
  /**
   * What to do with replies a previous run left streaming: `resume` them
   * from the stored offset, or mark them `fail`ed (the UI shows the error).
   * @default 'resume'
   */
  onUnfinished?: 'resume' | 'fail';
  /** Shown by `GET /api/health`. */
  describe?: Record<string, string>;
  /**
   * Several instances on one database and a shared bus: each reply is
   * streamed by the instance that claims it, and every instance looks for
   * unfinished replies that nobody holds (their instance stopped or was
   * killed) every `takeoverEveryMs`, and resumes them (or fails them, per
   * `onUnfinished`).
   * @default none: unfinished replies are handled once, at start
   */
  lease?: ReplyLease;
  /** With a `lease`: how often to look for replies nobody streams. @default 1000 */
  takeoverEveryMs?: number;
}

/**
 * A reply younger than this is left to the instance whose POST created it,
 * which claims it a few milliseconds after the commit.
 */
const TAKEOVER_AFTER_MS = 2000;

/**
 * Who may read or write a conversation. This is a local, single-user demo:
 * whoever reaches the port is its one user and owns every conversation, so
 * this is NOT security. It only refuses what a browser marks as coming from
 * another site (another page the user has open), so no web page can read or
 * post into the demo. A real app checks its session cookie or bearer token
 * here, and that the user may see the conversation (docs/server.md).
 */
const authorize: Authorize = (request) => {
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
};

export interface ChatServer {
  readonly server: Server;
  /** Listens on `host:port`; resolves with the URL. */
  listen(port: number, host: string): Promise<string>;
  /** Stops streaming (storing each reply's progress), closes every connection and the bus. */
  close(): Promise<void>;
}

/**
 * The demo: seqline's message routes (`createMessageRoutes`) under `/api`,
 * `GET /api/health`, `GET /api/conversations` for the sidebar, and the built
 * React UI, on node:http.
 */
export function createChatServer(options: ChatServerOptions): ChatServer {
  const { store, lease } = options;
  const bus = options.bus ?? bootScopedBus(createMemoryBus());
  const assistant = createAssistant({
    store,
    bus,
    ...(options.tokenDelayMs === undefined ? {} : { tokenDelayMs: options.tokenDelayMs }),
    ...(lease ? { lease } : {}),
  });
  const routes = createMessageRoutes({
    store,
    authorize,
    bus,
    onMessage: ({ message, reply, writer }) =>
      reply && assistant.run(reply, { prompt: message, ...(writer ? { writer } : {}) }),
  });
  const takeover = options.onUnfinished === 'fail' ? 'fail' : 'resume';
  let sweeper: ReturnType<typeof setInterval> | undefined;
  let sweeping: Promise<void> | undefined;
  /** With a lease: claims and resumes every unfinished reply no live instance holds. */
  const sweep = async () => {
    const cutoff = Date.now() - TAKEOVER_AFTER_MS;
    for (const reply of await store.unfinished()) {
      if (assistant.has(reply.id) || Date.parse(reply.createdAt) > cutoff) continue;
      void assistant.run(reply, { takeover });
    }
  };
  const sweepNow = () => {
    sweeping ??= sweep()
      .catch((error) => console.error('[chat] looking for unfinished replies failed:', error))
      .finally(() => (sweeping = undefined));
    return sweeping;
  };
  const api = toNodeHandler(async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/api/health') return json(200, { ok: true, ...options.describe });
    if (path === '/api/conversations' && request.method === 'GET')
      return json(200, { conversations: await options.listConversations() });
    if (/^\/api\/conversations\/[^/]+\/(messages|stream)$/.test(path))
      return routes.handle(request);
    return json(404, { error: { code: 'NOT_FOUND', message: `No route for ${path}.` } });
  });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/') || req.url === '/api') void api(req, res);
    else serveStatic(options.staticDir, req, res);
  });

  return {
    server,
    async listen(port, host) {
      if (lease) {
        await sweepNow();
        sweeper = setInterval(sweepNow, options.takeoverEveryMs ?? 1000);
      }
      const unfinished = lease ? [] : await store.unfinished();
      for (const reply of unfinished) void assistant.run(reply, { takeover });
      if (unfinished.length > 0) {
        console.log(
          `[chat] ${unfinished.length} unfinished repl${unfinished.length === 1 ? 'y' : 'ies'} ${takeover === 'fail' ? 'marked failed' : 'resumed from their stored offset'}`,
        );
      }
      return listenAt(server, port, host);
    },
    async close() {
      clearInterval(sweeper);
      await sweeping;
      await assistant.stop();
      await closeNow(server);
      await bus.close();
    },
  };
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
}

// ---------------------------------------------------------------------------

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The UI is not built. Run `npm run demo` (it builds it), or `npm run demo:build`.\n');
    return;
  }
  const path = pathOf(req.url);
  if (path === undefined) {
    // A malformed escape (`/%E0%A4%A`) must be a 400, not an uncaught URIError that ends the process.
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Bad request: malformed URL.\n');
    return;
  }
  const file = normalize(join(root, path));
  const inside = file.startsWith(root.endsWith(sep) ? root : root + sep);
  const target = inside && existsSync(file) && statSync(file).isFile() ? file : index;
  const immutable = target !== index && target.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(readFileSync(target));
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(url ?? '/', 'http://x').pathname);
  } catch {
    return undefined;
  }
}
