/**
 * node:http adapters, typed structurally so seqline/server never imports
 * node: modules (it also runs on edge runtimes).
 */

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
 *   void sendResponse(res, createSseResponse({ source: hub.log('c1'), signal: abort.signal,
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

/**
 * Adapts a fetch-style handler (`(request: Request) => Response`, as in
 * Next.js, Hono or msw) to node:http's `(req, res)`. `request.signal` aborts
 * when the client disconnects, so SSE streams close on their own.
 *
 * @example
 * http.createServer(toNodeHandler((request) =>
 *   createSseResponse({ request, source: hub.log('c1') }))).listen(3000);
 */
export function toNodeHandler(
  handler: (request: Request) => Response | Promise<Response>,
): (req: NodeRequestLike, res: NodeResponseLike) => Promise<void> {
  return async (req, res) => {
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    let response: Response;
    try {
      response = await handler(await toRequest(req, abort.signal));
    } catch (error) {
      console.error(error);
      response = new Response(
        JSON.stringify({ error: { code: 'INTERNAL', message: '[seqline] handler threw' } }),
        { status: 500, headers: { 'content-type': 'application/json' } },
      );
    }
    await sendResponse(res, response);
  };
}

// ---------------------------------------------------------------------------

async function toRequest(req: NodeRequestLike, signal: AbortSignal): Promise<Request> {
  const host = firstValue(req.headers.host) ?? 'localhost';
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = req.method ?? 'GET';
  let body: Uint8Array | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) {
      chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    }
    body = concat(chunks);
  }
  return new Request(url, { method, headers, body: body as BodyInit | undefined, signal });
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

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
