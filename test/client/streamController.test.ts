/**
 * The stream controller without React: a plain object over a QueryClient,
 * driven with fake timers and a scripted EventSource double.
 */
import { QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CreateEventSource,
  createStreamController,
  type EventSourceLike,
  getConversationStore,
  messagesQueryKey,
  type StreamOptions,
} from '../../src/client/index';
import { StreamEventError } from '../../src/index';
import { message } from './fixtures';

class Source implements EventSourceLike {
  onmessage: EventSourceLike['onmessage'] = null;
  onerror: EventSourceLike['onerror'] = null;
  onopen: EventSourceLike['onopen'] = null;
  readyState = 0;
  retry: number | undefined;
  constructor(
    readonly url: string,
    readonly lastEventId: string | undefined,
  ) {}
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  emit(data: unknown, id = '') {
    this.onmessage?.({
      data: typeof data === 'string' ? data : JSON.stringify(data),
      lastEventId: id,
    });
  }
  drop(retry?: number) {
    this.retry = retry;
    this.readyState = 2;
    this.onerror?.(new Error('connection lost'));
  }
  close() {
    this.readyState = 2;
  }
}

let opened: Source[];
const createEventSource: CreateEventSource = (url, { lastEventId }) => {
  const source = new Source(url, lastEventId);
  opened.push(source);
  return source;
};

let queryClient: QueryClient;
let id = 0;
let conversationId: string;
function controller(options: StreamOptions = {}) {
  return createStreamController(queryClient, conversationId, {
    createEventSource,
    url: '/s',
    ...options,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  opened = [];
  queryClient = new QueryClient();
  conversationId = `c${++id}`;
});
afterEach(() => {
  vi.useRealTimers();
  queryClient.clear();
});

describe('createStreamController', () => {
  it('connects at once without a history query, and reports its status', () => {
    const seen: string[] = [];
    const stream = controller({ onStatus: (status) => seen.push(status) });
    expect(stream.getStatus()).toBe('closed');
    stream.start();
    stream.start(); // twice: still one connection
    vi.advanceTimersByTime(0); // it opens a task later, once it knows there is no history to wait for
    expect(opened.map((s) => s.url)).toEqual(['/s']);
    opened[0]!.open();
    stream.stop();
    expect(seen).toEqual(['connecting', 'open', 'closed']);
    expect(opened[0]!.readyState).toBe(2);
  });

  it('waits for the history page, then asks only for what follows it (?after=)', async () => {
    let resolve!: (value: { messages: unknown[] }) => void;
    const history = queryClient.fetchQuery({
      queryKey: messagesQueryKey(conversationId),
      queryFn: () => new Promise<{ messages: unknown[] }>((r) => (resolve = r)),
    });
    const stream = controller();
    stream.start();
    vi.advanceTimersByTime(0);
    expect(opened).toEqual([]);
    resolve({ messages: [message(1, conversationId), message(2, conversationId)] });
    await history;
    expect(opened.map((s) => s.url)).toEqual(['/s?after=2']);
    stream.stop();
  });

  it('reconnects after a drop with doubling backoff, resuming after the last id, reset by an event', () => {
    const errors: Error[] = [];
    const stream = controller({ reconnectDelay: 100, onError: (e) => errors.push(e) });
    stream.start();
    vi.advanceTimersByTime(0);
    opened[0]!.emit({ type: 'message', message: message(1, conversationId) }, '7');
    opened[0]!.drop();
    expect(stream.getStatus()).toBe('closed');
    expect(errors[0]!.message).toMatch(/dropped; resuming after event 7/);
    vi.advanceTimersByTime(99);
    expect(opened).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(opened).toHaveLength(2);
    expect(opened[1]!.lastEventId).toBe('7');
    opened[1]!.drop();
    vi.advanceTimersByTime(199);
    expect(opened).toHaveLength(2);
    vi.advanceTimersByTime(1); // 200: doubled
    expect(opened).toHaveLength(3);
    opened[2]!.drop();
    vi.advanceTimersByTime(400); // 400: doubled again
    expect(opened).toHaveLength(4);
    opened[3]!.emit({ type: 'delta', messageId: 'm1', offset: 2, text: '!' }, '8');
    opened[3]!.drop();
    vi.advanceTimersByTime(100); // an event reset the backoff
    expect(opened).toHaveLength(5);
    expect(opened[4]!.lastEventId).toBe('8');
    stream.stop();
  });

  it("follows the server's retry: advice when no reconnectDelay is set, else 1000 ms", () => {
    const stream = controller();
    stream.start();
    vi.advanceTimersByTime(0);
    opened[0]!.drop();
    vi.advanceTimersByTime(999);
    expect(opened).toHaveLength(1);
    vi.advanceTimersByTime(1);
    opened[1]!.drop(10);
    vi.advanceTimersByTime(20); // 10 doubled (second failure in a row)
    expect(opened).toHaveLength(3);
    stream.stop();
  });

  it('fetches exactly a gap after gapDelay, once', async () => {
    const fetchMessages = vi.fn(async ({ after }: { after?: number }) =>
      after === 1 ? [message(2, conversationId)] : [],
    );
    const stream = controller({ gapDelay: 30, fetchMessages });
    stream.start();
    vi.advanceTimersByTime(0);
    opened[0]!.emit({ type: 'message', message: message(1, conversationId) }, '1');
    opened[0]!.emit({ type: 'message', message: message(3, conversationId) }, '3');
    const store = getConversationStore(queryClient, conversationId);
    expect(store.getTimeline().gaps).toEqual([{ from: 2, to: 2 }]);
    await vi.advanceTimersByTimeAsync(29);
    expect(fetchMessages).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchMessages).toHaveBeenCalledTimes(1);
    expect(fetchMessages.mock.calls[0]![0]).toMatchObject({ conversationId, after: 1, limit: 1 });
    expect(store.getTimeline().gaps).toEqual([]);
    expect(store.getTimeline().keys).toEqual(['m1', 'm2', 'm3']);
    stream.stop();
  });

  it('reports an invalid event and applies nothing', () => {
    const errors: Error[] = [];
    const events: unknown[] = [];
    const stream = controller({ onError: (e) => errors.push(e), onEvent: (e) => events.push(e) });
    stream.start();
    vi.advanceTimersByTime(0);
    opened[0]!.emit('{not json');
    opened[0]!.emit({ type: 'delta', messageId: '', offset: -1, text: 1 });
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e instanceof StreamEventError)).toBe(true);
    expect(events).toEqual([]);
    expect(getConversationStore(queryClient, conversationId).getTimeline().keys).toEqual([]);
    stream.stop();
  });

  it('stop cancels the pending reconnect and the gap timer, and releases the store', async () => {
    const fetchMessages = vi.fn(async () => []);
    const stream = controller({ reconnectDelay: 10, gapDelay: 10, fetchMessages });
    stream.start();
    vi.advanceTimersByTime(0);
    const store = getConversationStore(queryClient, conversationId);
    opened[0]!.emit({ type: 'message', message: message(3, conversationId) }, '3');
    opened[0]!.emit({ type: 'message', message: message(1, conversationId) }, '1');
    opened[0]!.drop();
    stream.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(opened).toHaveLength(1);
    expect(fetchMessages).not.toHaveBeenCalled();
    // Started again, it connects anew (the cursor of a stopped run is not reused).
    stream.start();
    vi.advanceTimersByTime(0);
    expect(opened).toHaveLength(2);
    expect(opened[1]!.lastEventId).toBeUndefined();
    stream.stop();
    expect(getConversationStore(queryClient, conversationId)).toBe(store);
  });
});
