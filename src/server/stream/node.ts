/**
 * node:http adapters, typed structurally so seqline/server never imports
 * node: modules (it also runs on edge runtimes).
 */
import { SeqlineError } from '../../core/errors';

/** The subset of node:http's `IncomingMessage` that {@link toNodeHandler} reads. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** The subset of node:http's `ServerResponse` that {@link sendResponse} writes to. */
export interface NodeResponseLike {
  writeHead(status: number, headers: Record<string, string | string[]>): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off?(event: 'close' | 'drain', listener: () => void): unknown;
  readonly writableEnded?: boolean;
  readonly destroyed?: boolean;
  flushHeaders?(): void;
}

/**
 * Writes a web `Response` (e.g. from `createSseResponse`) to a node:http
 * response, streaming the body chunk by chunk with backpressure. When the
 * client disconnects, the body is cancelled, which closes an SSE stream and
 * clears its timers. Resolves when the response has ended.
 *
 * @example
 * http.createServer((req, res) => {
 *   const abort = new AbortController();
 *   res.once('close', () => abort.abort());
 *   void sendResponse(res, createSseResponse({ source: conversationStream, signal: abort.signal,
 *     lastEventId: req.headers['last-event-id'] as string | undefined }));
 * });
 */
export async function sendResponse(res: NodeResponseLike, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    // Headers joins repeated set-cookie values with ", ", which breaks them; keep them apart.
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders?.();
  const body = response.body;
  if (!body) {
    res.end();
    return;
  }
  const reader = body.getReader();
  let gone = false;
  const onClose = () => {
    gone = true;
    void reader.cancel().catch(() => {});
  };
  res.once('close', onClose);
  try {
    while (!gone) {
      const { done, value } = await reader.read();
      if (done || gone) break;
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // The body errored or was cancelled because the client left: nothing more to send.
  } finally {
    res.off?.('close', onClose);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Largest request body read, in bytes. A `Content-Length` above it is
   * answered 413 before any byte is read; a body that grows past it while
   * being read (chunked) stops being read and is answered 413 at once. The
   * connection is then closed, so the rest of the upload is never read.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
}

/** Default of {@link NodeHandlerOptions.maxBodyBytes}: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * Adapts a fetch-style handler (`(request: Request) => Response`, as in
 * Next.js, Hono or msw) to node:http's `(req, res)`. `request.signal` aborts
 * when the client disconnects, so SSE streams close on their own. A body
 * over `maxBodyBytes` gets 413 `BODY_TOO_LARGE` and a malformed `Host` or
 * URL gets 400 `BAD_REQUEST`, without calling `handler`.
 *
 * @example
 * http.createServer(toNodeHandler((request) =>
 *   createSseResponse({ request, source: conversationStream }), { maxBodyBytes: 64 * 1024 })).listen(3000);
 */
export function toNodeHandler(
  handler: (request: Request) => Response | Promise<Response>,
  options: NodeHandlerOptions = {},
): (req: NodeRequestLike, res: NodeResponseLike) => Promise<void> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new SeqlineError(
      `[seqline] [http] maxBodyBytes must be a non-negative integer number of bytes, got ${String(maxBodyBytes)}`,
    );
  }
  return async (req, res) => {
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    let response: Response;
    try {
      const request = await toRequest(req, abort.signal, maxBodyBytes);
      response = request instanceof Response ? request : await handler(request);
    } catch (error) {
      console.error(error);
      response = errorResponse(500, 'INTERNAL', '[seqline] handler threw');
    }
    await sendResponse(res, response);
  };
}

// ---------------------------------------------------------------------------

/** The web `Request` for `req`, or the 400/413 `Response` that refuses it. */
async function toRequest(
  req: NodeRequestLike,
  signal: AbortSignal,
  maxBodyBytes: number,
): Promise<Request | Response> {
  const host = firstValue(req.headers.host) ?? 'localhost';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${host}`);
  } catch {
    return errorResponse(400, 'BAD_REQUEST', '[seqline] [http] malformed Host header or URL');
  }
  const headers = new Headers();
  try {
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
  } catch {
    return errorResponse(400, 'BAD_REQUEST', '[seqline] [http] malformed request header');
  }
  const method = req.method ?? 'GET';
  let body: Uint8Array | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const declared = Number(firstValue(req.headers['content-length']) ?? 0);
    if (declared > maxBodyBytes) return tooLarge(maxBodyBytes);
    try {
      body = await readBody(req, maxBodyBytes);
    } catch {
      return errorResponse(400, 'BAD_REQUEST', '[seqline] [http] the request body was cut off');
    }
    if (!body) return tooLarge(maxBodyBytes);
  }
  try {
    return new Request(url, { method, headers, body: body as BodyInit | undefined, signal });
  } catch {
    // e.g. a Host with credentials (`a@b`), which fetch's Request refuses.
    return errorResponse(400, 'BAD_REQUEST', '[seqline] [http] malformed Host header or URL');
  }
}

/**
 * The body, or `undefined` once it passes `limit`. Pulled by hand rather than
 * with for-await: leaving a for-await destroys the request, and with it the
 * socket the 413 has to go out on.
 */
async function readBody(req: NodeRequestLike, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const iterator = req[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return concat(chunks, size);
    const chunk = typeof next.value === 'string' ? encoder.encode(next.value) : next.value;
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
}

function tooLarge(limit: number): Response {
  const response = errorResponse(
    413,
    'BODY_TOO_LARGE',
    `[seqline] [http] the request body is larger than ${limit} bytes (toNodeHandler maxBodyBytes)`,
  );
  // The rest of the upload is never read: close the connection instead of draining it.
  response.headers.set('connection', 'close');
  return response;
}

function errorResponse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const encoder = new TextEncoder();

function drained(res: NodeResponseLike): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off?.('drain', done);
      res.off?.('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
