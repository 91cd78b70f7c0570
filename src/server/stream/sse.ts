import { SeqlineError, StreamEventError } from '../../core/errors';
import { parseStreamEvent, type StreamEvent } from '../../core/schemas';

/**
 * One event of a stream with its cursor, the SSE `id:` a client sends back
 * as `Last-Event-ID`. The same shape as the bus's `BusEntry`.
 */
export interface SseEntry {
  /** Cursor of this event, written as the SSE `id:`. No line breaks (SSE ids are one line). */
  cursor: string;
  /** The stream event; validated again before it is written. */
  event: StreamEvent;
}

/**
 * Where a stream writes its entries, as a bus subscription's `BusSink`
 * receives them. `close` ends the response (the client reconnects and resumes).
 */
export interface SseSink {
  event(entry: SseEntry): void;
  close(): void;
}

/**
 * Anything that can replay entries after a cursor and then push live ones:
 * `createConversationStream` over a bus, or your own bridge to a broker.
 * `after` is the client's `Last-Event-ID` as sent (untrusted: treat anything
 * unknown as "from the start"). Returns an unsubscribe function.
 */
export interface SseSource {
  subscribe(after: string | undefined, sink: SseSink): () => void;
}

/** Options for {@link createSseStream} and {@link createSseResponse}. */
export interface SseStreamOptions {
  /**
   * What to stream: `createConversationStream` (or any {@link SseSource},
   * which replays after the cursor and then pushes live entries), or an async iterable of
   * entries you produce yourself (the stream ends when it does; resume
   * from `readLastEventId(request)` yourself).
   */
  source: SseSource | AsyncIterable<SseEntry>;
  /**
   * The request being answered. Supplies `lastEventId` (from the
   * `Last-Event-ID` header, else the `?lastEventId=` query parameter) and
   * `signal` unless they are given explicitly.
   */
  request?: Request;
  /**
   * Cursor to resume after, as the client sent it. Untrusted: the source
   * decides what it means (`createConversationStream` catches up from the
   * start for one it does not know).
   * @default readLastEventId(request)
   */
  lastEventId?: string | null;
  /**
   * Closes the stream, unsubscribes and clears its timers when aborted (the
   * client went away).
   * @default request.signal
   */
  signal?: AbortSignal;
  /**
   * Milliseconds between `: keep-alive` comments, which stop proxies and
   * load balancers from closing an idle connection. `0` turns them off.
   * @default 15000
   */
  keepAliveMs?: number;
  /**
   * Sent once as the SSE `retry:` field: how long an `EventSource` waits
   * before reconnecting after the stream closes.
   * @default not sent (the browser's default, about 3 s)
   */
  retryMs?: number;
  /**
   * Most bytes this connection may hold unread (written, not yet taken by
   * the client). A client that reads slower than events arrive passes it;
   * the stream then stops taking events and closes once the client has
   * read what is queued, and the client's `EventSource` reconnects with
   * its `Last-Event-ID` and catches up from storage (with
   * `createConversationStream`, nothing is lost). A frame is always queued
   * when nothing else is, however big. Memory per connection stays under
   * this plus one frame.
   * @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Called with a `StreamEventError` when the source yields an invalid
   * event (it is skipped, and the stream goes on), or with the error an
   * async iterable source threw (the stream then closes).
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/** Default of `maxBufferedBytes` in {@link SseStreamOptions}: 1 MiB per connection. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1_048_576;

/** Response headers for an event stream that no proxy buffers or caches. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to, which would hold every delta back.
  'x-accel-buffering': 'no',
};

/**
 * Streams stream events as `text/event-stream` bytes: every event is written
 * as `id: <cursor>` + `data: <json>`, after resuming from the client's
 * cursor, with keep-alive comments in between. Closes cleanly, with no timer
 * or subscription left behind, when `signal` aborts, the reader cancels, or
 * the source ends.
 *
 * @example
 * const body = createSseStream({ source: conversationStream, lastEventId: request.headers.get('last-event-id'), signal });
 */
export function createSseStream(options: SseStreamOptions): ReadableStream<Uint8Array> {
  const { source, request } = options;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const lastEventId =
    options.lastEventId !== undefined
      ? options.lastEventId
      : request
        ? readLastEventId(request)
        : undefined;
  const signal = options.signal ?? request?.signal;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  assertOptions(keepAliveMs, options.retryMs, maxBufferedBytes);

  let cleanup = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let closed = false;
        let unsubscribe: (() => void) | undefined;
        let keepAlive: ReturnType<typeof setInterval> | undefined;

        const write = (text: string) => {
          if (closed) return;
          const bytes = encoder.encode(text);
          const queued = maxBufferedBytes - (controller.desiredSize ?? 0);
          if (queued > 0 && queued + bytes.length > maxBufferedBytes) {
            onError(
              new SeqlineError(
                `[seqline] [sse] the client reads too slowly: ${queued} bytes are queued and the next frame would pass maxBufferedBytes (${maxBufferedBytes}). The stream ends after what is queued; the client resumes from its Last-Event-ID`,
              ),
            );
            close();
            return;
          }
          controller.enqueue(bytes);
        };
        const close = () => {
          if (closed) return;
          closed = true;
          if (keepAlive !== undefined) clearInterval(keepAlive);
          signal?.removeEventListener('abort', close);
          unsubscribe?.();
          try {
            controller.close();
          } catch {
            // Already closed or errored by the consumer: nothing left to release.
          }
        };
        cleanup = close;

        if (signal?.aborted) {
          close();
          return;
        }
        signal?.addEventListener('abort', close, { once: true });
        if (options.retryMs !== undefined) write(`retry: ${options.retryMs}\n\n`);
        if (keepAliveMs > 0) {
          keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
          // Never keep a process alive just to ping an idle stream.
          (keepAlive as { unref?: () => void }).unref?.();
        }

        const sink: SseSink = {
          event(entry) {
            if (closed) return;
            let frame: string;
            try {
              frame = formatSseEvent(entry);
            } catch (error) {
              onError(error);
              return;
            }
            write(frame);
          },
          close,
        };

        if (isAsyncIterable(source)) {
          const iterator = source[Symbol.asyncIterator]();
          unsubscribe = () => {
            void Promise.resolve(iterator.return?.()).catch(() => {});
          };
          void (async () => {
            try {
              while (!closed) {
                const next = await iterator.next();
                if (next.done) break;
                sink.event(next.value);
              }
            } catch (error) {
              if (!closed) onError(error);
            }
            close();
          })();
        } else {
          const stop = source.subscribe(lastEventId ?? undefined, sink);
          // The source may have closed the stream during its replay.
          if (closed) stop();
          else unsubscribe = stop;
        }
      },
      cancel() {
        cleanup();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: maxBufferedBytes }),
  );
}

/**
 * A `text/event-stream` `Response` over {@link createSseStream}: return it
 * from a Next.js route handler, Hono, a Worker, or an msw handler; use
 * `sendResponse` for node:http.
 *
 * @example
 * // app/api/conversations/[id]/stream/route.ts
 * // (Next.js 15+: `params` is a promise.)
 * export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
 *   const { id } = await params;
 *   return createSseResponse({ request, source: createConversationStream({ bus, conversationId: id, loadSnapshot }) });
 * }
 */
export function createSseResponse(
  options: SseStreamOptions & { headers?: HeadersInit; status?: number },
): Response {
  const headers = new Headers(SSE_HEADERS);
  for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
  return new Response(createSseStream(options), { status: options.status ?? 200, headers });
}

/**
 * The cursor a reconnecting client sent: the `Last-Event-ID` header
 * (`EventSource` sets it), else the `lastEventId` query parameter (for
 * clients that cannot set headers). `undefined` when there is none.
 *
 * @example
 * readLastEventId(new Request('https://x/stream?lastEventId=7')); // '7'
 */
export function readLastEventId(request: Pick<Request, 'headers' | 'url'>): string | undefined {
  const header = request.headers.get('last-event-id');
  if (header !== null && header !== '') return header;
  try {
    return new URL(request.url).searchParams.get('lastEventId') ?? undefined;
  } catch {
    // A relative URL (some test doubles): no query to read.
    return undefined;
  }
}

/**
 * One SSE frame: `id: <cursor>\ndata: <json>\n\n`. Validates the event first
 * and throws `StreamEventError` when it is invalid, so a client never
 * receives an event it would have to reject.
 *
 * @example
 * formatSseEvent({ cursor: '3', event: { type: 'status', messageId: 'm2', status: 'complete' } });
 * // 'id: 3\ndata: {"type":"status","messageId":"m2","status":"complete"}\n\n'
 */
export function formatSseEvent(entry: SseEntry): string {
  const event = parseStreamEvent(entry.event);
  if (typeof entry.cursor !== 'string' || /[\r\n\0]/.test(entry.cursor)) {
    throw new StreamEventError('SSE event id', [
      {
        path: ['cursor'],
        message: 'must be a string without line breaks or NUL (SSE ids are one line)',
      },
    ]);
  }
  // JSON.stringify escapes line breaks, so the payload is always one data line.
  return `id: ${entry.cursor}\ndata: ${JSON.stringify(event)}\n\n`;
}

// ---------------------------------------------------------------------------

const encoder = new TextEncoder();

function isAsyncIterable(value: unknown): value is AsyncIterable<SseEntry> {
  return typeof (value as AsyncIterable<SseEntry>)[Symbol.asyncIterator] === 'function';
}

function assertOptions(
  keepAliveMs: number,
  retryMs: number | undefined,
  maxBufferedBytes: number,
): void {
  if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < 1) {
    throw new SeqlineError(
      `[seqline] [sse] maxBufferedBytes must be a positive integer number of bytes, got ${maxBufferedBytes}`,
    );
  }
  if (!Number.isFinite(keepAliveMs) || keepAliveMs < 0) {
    throw new SeqlineError(
      `[seqline] [sse] keepAliveMs must be 0 (off) or a positive number of milliseconds, got ${keepAliveMs}`,
    );
  }
  if (retryMs !== undefined && (!Number.isSafeInteger(retryMs) || retryMs < 0)) {
    throw new SeqlineError(
      `[seqline] [sse] retryMs must be a non-negative integer number of milliseconds, got ${retryMs}`,
    );
  }
}
