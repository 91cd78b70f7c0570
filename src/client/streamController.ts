import type { QueryClient } from '@tanstack/query-core';
import { applyStreamEvent, type StreamEvent, StreamEventError } from '../index';
import { getConversationStore } from './conversationStore';
import { type CreateEventSource, createFetchEventSource } from './eventSource';
import {
  conversationUrl,
  createFetchMessages,
  type FetchMessages,
  type FetchOptions,
} from './fetchers';
import { streamUrlAfter, whenHistorySettled } from './streamStart';

/** How a conversation's stream is opened, resumed and healed. */
export interface StreamOptions extends FetchOptions {
  /**
   * The stream's URL. Once the history query (if any) has loaded, each
   * connection adds `?after=` (the highest sequence the timeline holds,
   * final), so the server sends only what follows the loaded range.
   * @default `${baseUrl}/conversations/:id/stream`
   */
  url?: string;
  /**
   * Opens the stream: anything `EventSource`-like (a native `EventSource`, a polyfill, a test double).
   * @default createFetchEventSource(options), which sends Last-Event-ID when it resumes
   */
  createEventSource?: CreateEventSource;
  /**
   * Fetches missing sequence ranges (gaps).
   * @default createFetchMessages(options)
   */
  fetchMessages?: FetchMessages;
  /**
   * Milliseconds before reconnecting after the stream closes, doubled on each
   * failure in a row (at most 30 s), reset once an event arrives. Without it,
   * the server's SSE `retry:` field decides, as for an `EventSource`
   * (`seqline/msw` sends `retry: 10`, so mocked drops heal at once).
   * @default the server's `retry:`, else 1000
   */
  reconnectDelay?: number;
  /**
   * Milliseconds a gap may stay open before its range is fetched; events
   * delivered out of order usually fill it sooner.
   * @default 50
   */
  gapDelay?: number;
  /**
   * An event that failed validation (`StreamEventError`, nothing applied), a
   * failed gap fetch, or a dropped connection (which is retried).
   */
  onError?: (error: Error) => void;
  /** Each valid event, after it was applied, with its `id:` cursor. */
  onEvent?: (event: StreamEvent, eventId: string | undefined) => void;
  /** Each change of the connection's status. */
  onStatus?: (status: StreamStatus) => void;
}

/** `'connecting'`, `'open'` or `'closed'` (waiting to reconnect, or stopped). */
export type StreamStatus = 'connecting' | 'open' | 'closed';

/** One conversation's live stream into its store; a plain object, started and stopped by its owner. */
export interface StreamController {
  /**
   * Opens the stream once the history query (if any) has settled, then keeps
   * it open: a dropped stream resumes after the last `id:`, with backoff.
   * The store is held (not released) while started. Calling it twice does nothing.
   */
  start(): void;
  /** Closes the stream and cancels every timer; `start` opens it again. */
  stop(): void;
  /** The connection's status now (`onStatus` is told each change). */
  getStatus(): StreamStatus;
}

/**
 * The stream of `conversationId` into its conversation store under
 * `queryClient`: each event is validated and applied (invalid ones go to
 * `onError` and change nothing), a dropped stream resumes after the last
 * `id:` (Last-Event-ID) after a backoff, and when a gap appears exactly the
 * missing range is fetched. `options` may be a function, read at each use,
 * so callbacks can change without a restart.
 *
 * @example
 * const stream = createStreamController(queryClient, 'c1', { baseUrl: '/api' });
 * stream.start(); // … stream.stop() when the view goes
 */
export function createStreamController(
  queryClient: QueryClient,
  conversationId: string,
  options: StreamOptions | (() => StreamOptions) = {},
): StreamController {
  const opts = typeof options === 'function' ? options : () => options;
  let status: StreamStatus = 'closed';
  const setStatus = (next: StreamStatus) => {
    if (next === status) return;
    status = next;
    opts().onStatus?.(next);
  };
  const report = (error: Error) => opts().onError?.(error);
  let running: { stop(): void } | undefined;

  function run(): { stop(): void } {
    const store = getConversationStore(queryClient, conversationId);
    const url = opts().url ?? `${conversationUrl(conversationId, opts())}/stream`;
    const open = opts().createEventSource ?? createFetchEventSource(opts());
    const release = store.subscribe(noop);
    let source: ReturnType<CreateEventSource> | undefined;
    let cursor: string | undefined;
    let advised: number | undefined;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gapTimer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    const fillGaps = () => {
      gapTimer = undefined;
      if (stopped || store.getTimeline().gaps.length === 0) return;
      const fetchMessages = opts().fetchMessages ?? createFetchMessages(opts());
      store.fillGaps(fetchMessages).catch((error) => report(error as Error));
    };
    const receive = (data: string, eventId: string) => {
      let event: StreamEvent;
      try {
        const json: unknown = JSON.parse(data);
        const after = store.update((t) => applyStreamEvent(t, json));
        event = json as StreamEvent;
        if (after.gaps.length > 0 && gapTimer === undefined)
          gapTimer = setTimeout(fillGaps, opts().gapDelay ?? 50);
      } catch (error) {
        report(error instanceof SyntaxError ? notJson(error) : (error as Error));
        return;
      }
      failures = 0;
      if (eventId) cursor = eventId;
      opts().onEvent?.(event, eventId || undefined);
    };
    const connect = () => {
      timer = undefined;
      setStatus('connecting');
      const current = open(streamUrlAfter(url, store.getTimeline()), { lastEventId: cursor });
      source = current;
      current.onopen = () => setStatus('open');
      current.onmessage = (message) => {
        if (source === current) receive(message.data, message.lastEventId);
      };
      current.onerror = (error) => {
        if (source !== current || stopped) return;
        // A native EventSource that is CONNECTING reconnects by itself, with Last-Event-ID.
        if (current.readyState !== 2) return setStatus('connecting');
        setStatus('closed');
        report(
          new Error(
            `[seqline] [client] stream ${url} dropped; resuming after event ${cursor ?? '(start)'}`,
            { cause: error },
          ),
        );
        // The server's `retry:` advice outlives the connection that carried it.
        advised = current.retry ?? advised;
        const base = opts().reconnectDelay ?? advised ?? 1000;
        const delay = Math.min(base * 2 ** failures++, 30_000);
        timer = setTimeout(connect, delay);
      };
    };
    // After the history's first page, so the stream starts where it ends (`?after=`).
    const cancelWait = whenHistorySettled(queryClient, conversationId, connect);
    return {
      stop() {
        cancelWait();
        stopped = true;
        clearTimeout(timer);
        clearTimeout(gapTimer);
        source?.close();
        source = undefined;
        release();
      },
    };
  }

  return {
    start() {
      running ??= run();
    },
    stop() {
      running?.stop();
      running = undefined;
      setStatus('closed');
    },
    getStatus: () => status,
  };
}

// ---------------------------------------------------------------------------

function noop(): void {}

function notJson(error: SyntaxError): StreamEventError {
  return new StreamEventError(
    'stream event',
    [{ path: [], message: `is not JSON (${error.message})` }],
    { cause: error },
  );
}
