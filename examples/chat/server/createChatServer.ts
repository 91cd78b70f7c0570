import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { createMemoryBus, type MessageBus, toNodeHandler } from 'seqline/server';
import { createChatApi } from './api';
import { createAssistant } from './assistant';
import { bootScopedBus } from './bootScopedBus';
import type { ChatStore } from './stores/store';

/** Options of {@link createChatServer}. */
export interface ChatServerOptions {
  store: ChatStore;
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
}

export interface ChatServer {
  readonly server: Server;
  /** Listens on `host:port`; resolves with the URL. */
  listen(port: number, host: string): Promise<string>;
  /** Stops streaming (storing each reply's progress), closes every connection, the bus and the store. */
  close(): Promise<void>;
}

/** The demo: the chat API under `/api` and the built React UI, on node:http. */
export function createChatServer(options: ChatServerOptions): ChatServer {
  const { store } = options;
  const bus = options.bus ?? bootScopedBus(createMemoryBus());
  const assistant = createAssistant({
    store,
    bus,
    ...(options.tokenDelayMs === undefined ? {} : { tokenDelayMs: options.tokenDelayMs }),
  });
  const api = toNodeHandler(
    createChatApi({
      store,
      bus,
      assistant,
      ...(options.describe ? { describe: options.describe } : {}),
    }),
  );
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/') || req.url === '/api') void api(req, res);
    else serveStatic(options.staticDir, req, res);
  });

  return {
    server,
    async listen(port, host) {
      await store.init();
      const unfinished = await store.unfinishedReplies();
      for (const { reply, prompt } of unfinished) {
        if (options.onUnfinished === 'fail') {
          await store.updateReply({
            messageId: reply.id,
            conversationId: reply.conversationId,
            content: reply.content,
            status: 'failed',
            error: 'Interrupted by a server restart.',
          });
        } else {
          void assistant.run(reply, prompt);
        }
      }
      if (unfinished.length > 0) {
        console.log(
          `[chat] ${unfinished.length} unfinished repl${unfinished.length === 1 ? 'y' : 'ies'} ${options.onUnfinished === 'fail' ? 'marked failed' : 'resumed from their stored offset'}`,
        );
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      return `http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}/`;
    },
    async close() {
      await assistant.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.close();
      await store.close();
    },
  };
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
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
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
