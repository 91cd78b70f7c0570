import type { FetchOptions } from './fetchers';

/** The part of a `MessageEvent` the stream reads. */
export interface EventSourceMessage {
  /** The event's `data:` lines, joined by `\n`. */
  data: string;
  /** The event's `id:` cursor (the last one seen when the event has none). */
  lastEventId: string;
}

/**
 * The subset of the browser's `EventSource` that `useMessageStream` uses, so
 * a native `EventSource`, a polyfill or a test double all fit.
 * `readyState` 2 (CLOSED) after `onerror` means "reconnect me".
 */
export interface EventSourceLike {
  onmessage: ((event: EventSourceMessage) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onopen?: ((event: unknown) => void) | null;
  /** 0 connecting, 1 open, 2 closed. */
  readonly readyState: number;
  /**
   * The reconnection time in ms the server asked for with an SSE `retry:`
   * field, if it sent one. `useMessageStream` waits that long (instead of its
   * default) before it reconnects. A native `EventSource` applies it itself.
   */
  readonly retry?: number;
  close(): void;
}

/** Opens a stream; `lastEventId` is the cursor to resume after (send it as `Last-Event-ID`). */
export type CreateEventSource = (
  url: string,
  init: { lastEventId: string | undefined },
) => EventSourceLike;

/**
 * An `EventSource` over `fetch`, so it can send `Last-Event-ID` (and auth
 * headers) itself when it resumes — a native `EventSource` cannot set
 * headers. It does not reconnect on its own: when the response ends or
 * fails it turns CLOSED and calls `onerror`, and `useMessageStream`
 * reconnects from the last cursor.
 *
 * @example
 * useMessageStream(id, { createEventSource: createFetchEventSource({ headers: { authorization } }) });
 */
export function createFetchEventSource(options: FetchOptions = {}): CreateEventSource {
  return (url, { lastEventId }) => {
    const controller = new AbortController();
    const source: EventSourceLike & { readyState: number; retry?: number } = {
      onmessage: null,
      onerror: null,
      onopen: null,
      readyState: 0,
      close() {
        source.readyState = 2;
        controller.abort();
      },
    };
    const fail = (error: unknown) => {
      if (source.readyState === 2) return;
      source.readyState = 2;
      source.onerror?.(error);
    };
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    (options.fetch ?? globalThis.fetch)(url, {
      headers,
      signal: controller.signal,
      cache: 'no-store',
    })
      .then(async (response) => {
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        source.readyState = 1;
        source.onopen?.({});
        await readEvents(response.body, lastEventId ?? '', source);
        fail(new Error('stream ended'));
      })
      .catch(fail);
    return source;
  };
}

// ---------------------------------------------------------------------------

/** Parses `text/event-stream` (the WHATWG rules) and dispatches unnamed and `message` events. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  cursor: string,
  source: EventSourceLike & { retry?: number },
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let name = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done || source.readyState === 2) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0 && (name === '' || name === 'message')) {
          source.onmessage?.({ data: data.join('\n'), lastEventId: cursor });
        }
        data = [];
        name = '';
        continue;
      }
      const colon = line.indexOf(':');
      if (colon === 0) continue; // a comment (keep-alive)
      const field = colon === -1 ? line : line.slice(0, colon);
      let text = colon === -1 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) text = text.slice(1);
      if (field === 'data') data.push(text);
      else if (field === 'id' && !text.includes('\0')) cursor = text;
      else if (field === 'event') name = text;
      else if (field === 'retry' && /^[0-9]+$/.test(text)) source.retry = Number(text);
    }
  }
}
