import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { closeNow, listenAt } from './listen';

/** One app instance behind the front. */
export interface Upstream {
  /** Sent back in the `x-seqline-instance` response header. */
  name: string;
  /** `http://127.0.0.1:<port>/` */
  url: string;
}

/** Options of {@link createRoundRobinFront}. */
export interface RoundRobinFrontOptions {
  /** The instances to alternate between, read on every request (the launcher drops one that exits). */
  upstreams: () => readonly Upstream[];
  /** How long an instance that refused a connection is skipped. @default 1000 */
  downForMs?: number;
}

export interface RoundRobinFront {
  readonly server: Server;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/** Largest request body the front buffers (the API itself takes 64 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Headers that describe one connection, not the message: never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * A load balancer in the smallest form that still behaves like one: every
 * request, the SSE stream connections included, goes to the next instance in
 * turn, so one page's POST, the generator it starts and its stream usually
 * run on different instances. No stickiness: nothing in seqline needs it.
 *
 * - Responses are streamed through as they come, unbuffered (SSE).
 * - An instance that refuses the connection (it is down) is skipped for
 *   `downForMs`, and the request goes to the next one. Any request that got
 *   no response at all is retried once on each other instance, POSTs too:
 *   the API stores a message once per `clientId`, so a repeat is harmless.
 * - When an instance dies under an open stream, the stream to the browser
 *   is cut too, so the page reconnects with its Last-Event-ID, through the
 *   front, to an instance that is alive.
 */
export function createRoundRobinFront(options: RoundRobinFrontOptions): RoundRobinFront {
  const downForMs = options.downForMs ?? 1000;
  const agent = new Agent({ keepAlive: true });
  const downUntil = new Map<string, number>();
  let turn = 0;

  const pick = (tried: ReadonlySet<string>): Upstream | undefined => {
    const now = Date.now();
    const untried = options.upstreams().filter((u) => !tried.has(u.url));
    const up = untried.filter((u) => (downUntil.get(u.url) ?? 0) <= now);
    const from = up.length > 0 ? up : untried;
    return from.length === 0 ? undefined : from[turn++ % from.length];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (body === undefined) {
      sendError(res, 413, 'BODY_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
      return;
    }
    const headers: OutgoingHttpHeaders = withoutHopByHop(req.headers);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    if (body.length > 0 || req.headers['content-length'] !== undefined) {
      headers['content-length'] = String(body.length);
    }
    const tried = new Set<string>();
    let clientGone = false;
    res.once('close', () => {
      clientGone = !res.writableFinished;
    });

    const attempt = (): void => {
      const upstream = pick(tried);
      if (!upstream) {
        sendError(res, 502, 'NO_INSTANCE', 'No app instance answered. Is the demo running?');
        return;
      }
      tried.add(upstream.url);
      const target = new URL(upstream.url);
      const forward = httpRequest({
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      });
      let answered = false;
      forward.on('response', (answer) => {
        answered = true;
        const out: OutgoingHttpHeaders = withoutHopByHop(answer.headers);
        out['x-seqline-instance'] = upstream.name;
        res.writeHead(answer.statusCode ?? 502, out);
        res.flushHeaders();
        answer.pipe(res);
        // The instance went away mid-response (killed under an SSE stream): cut the browser's too.
        answer.once('close', () => {
          if (!answer.complete) res.destroy();
        });
      });
      forward.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) {
          res.destroy();
          return;
        }
        if (error.code === 'ECONNREFUSED') downUntil.set(upstream.url, Date.now() + downForMs);
        if (!clientGone) attempt();
      });
      res.once('close', () => {
        if (!res.writableFinished) forward.destroy();
      });
      forward.end(body);
    };
    attempt();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[front]', error);
      if (!res.headersSent) sendError(res, 502, 'FRONT_FAILED', 'The front failed.');
      else res.destroy();
    });
  });

  return {
    server,
    async listen(port, host) {
      return listenAt(server, port, host);
    },
    async close() {
      await closeNow(server);
      agent.destroy();
    },
  };
}

// ---------------------------------------------------------------------------

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: { code, message } }));
}
