import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { getConversationStore } from '../client/conversationStore';
import { type CreateEventSource, createFetchEventSource } from '../client/eventSource';
import {
  conversationUrl,
  createFetchMessages,
  type FetchMessages,
  type FetchOptions,
} from '../client/fetchers';
import { streamUrlAfter, whenHistorySettled } from '../client/streamStart';
import { applyStreamEvent, type StreamEvent, StreamEventError } from '../index';

/** Options for `useMessageStream`. */
export interface UseMessageStreamOptions extends FetchOptions {
  /**
   * Subscribe only while true.
   * @default true
   */
  enabled?: boolean;
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
}

/** What `useMessageStream` returns. */
export interface UseMessageStreamResult {
  /**
   * `'connecting'`, `'open'` or `'closed'` (waiting to reconnect, or disabled).
   * It changes with the connection only: events do not re-render the caller.
   */
  status: 'connecting' | 'open' | 'closed';
}

/**
 * Streams a conversation's events into its timeline: each event is
 * validated and applied (invalid ones go to `onError` and change nothing),
 * a dropped stream resumes after the last `id:` (Last-Event-ID), and when a
 * gap appears exactly the missing range is fetched.
 *
 * @example
 * useMessageStream('c1', { baseUrl: '/api', onError: console.error });
 */
export function useMessageStream(
  conversationId: string,
  options: UseMessageStreamOptions = {},
): UseMessageStreamResult {
  const queryClient = useQueryClient();
  const store = getConversationStore(queryClient, conversationId);
  const latest = useRef(options);
  latest.current = options;
  const [status, setStatus] = useState<UseMessageStreamResult['status']>('closed');
  const enabled = options.enabled ?? true;
  const url = options.url ?? `${conversationUrl(conversationId, options)}/stream`;

  useEffect(() => {
    if (!enabled) return;
    const opts = () => latest.current;
    const open = opts().createEventSource ?? createFetchEventSource(opts());
    const report = (error: Error) => opts().onError?.(error);
    let cursor: string | undefined;
    let source: ReturnType<CreateEventSource> | undefined;
    let failures = 0;
    let advised: number | undefined;
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
        report(
          error instanceof SyntaxError
            ? new StreamEventError(
                'stream event',
                [{ path: [], message: `is not JSON (${error.message})` }],
                { cause: error },
              )
            : (error as Error),
        );
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
            `[seqline] [react] stream ${url} dropped; resuming after event ${cursor ?? '(start)'}`,
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
    return () => {
      cancelWait();
      stopped = true;
      clearTimeout(timer);
      clearTimeout(gapTimer);
      source?.close();
      source = undefined;
      setStatus('closed');
    };
  }, [queryClient, conversationId, store, url, enabled]);

  return { status };
}
