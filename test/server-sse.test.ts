import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamEventError } from '../src/index';
import {
  createMemoryBus,
  createSseResponse,
  createSseStream,
  formatSseEvent,
  readLastEventId,
  type SseEntry,
  type SseSource,
  toNodeHandler,
} from '../src/server/index';
import { readFrames, type SseFrame } from './msw/sseClient';

const delta = (offset: number, text: string) => ({
  type: 'delta' as const,
  messageId: 'm1',
  offset,
  text,
});

/** Collects frames until `count` data frames arrived. */
async function collect(body: ReadableStream<Uint8Array>, count: number): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  let data = 0;
  for await (const frame of readFrames(body)) {
    frames.push(frame);
    if (frame.data !== undefined && ++data >= count) break;
  }
  return frames;
}

/**
 * A memory bus conversation as an SSE source: a bus subscription's sink is an
 * SSE sink (`event(entry)` with `{ cursor, event }`), so it passes straight through.
 */
function busLog() {
  const bus = createMemoryBus();
  return {
    source: {
      subscribe: (after, sink) => bus.subscribe('c1', after, sink),
    } satisfies SseSource,
    append: (event: unknown) => void bus.publish('c1', event),
    get subscribers() {
      return bus.subscribers('c1');
    },
    close: () => bus.close(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('formatSseEvent', () => {
  it('writes the cursor and the event as one data line', () => {
    const frame = formatSseEvent({ cursor: '3', event: delta(0, 'a\nb') });
    expect(frame).toBe(
      'id: 3\ndata: {"type":"delta","messageId":"m1","offset":0,"text":"a\\nb"}\n\n',
    );
  });

  it('rejects an invalid event with StreamEventError', () => {
    expect(() =>
      formatSseEvent({ cursor: '1', event: { type: 'delta', messageId: 'm1' } as never }),
    ).toThrow(StreamEventError);
  });

  it('rejects an id that would break the frame', () => {
    expect(() => formatSseEvent({ cursor: '1\ndata: x', event: delta(0, 'a') })).toThrow(
      /without line breaks/,
    );
  });
});

describe('readLastEventId', () => {
  it('reads the header, then the query parameter', () => {
    expect(readLastEventId(new Request('http://x/s?lastEventId=4'))).toBe('4');
    expect(
      readLastEventId(
        new Request('http://x/s?lastEventId=4', { headers: { 'Last-Event-ID': '7' } }),
      ),
    ).toBe('7');
    expect(readLastEventId(new Request('http://x/s'))).toBeUndefined();
  });
});

describe('createSseResponse', () => {
  it('is an event stream with an id on every event, resuming after Last-Event-ID', async () => {
    const log = busLog();
    for (let i = 0; i < 4; i++) log.append(delta(i, String(i)));
    const abort = new AbortController();
    const request = new Request('http://x/stream', {
      headers: { 'last-event-id': '2' },
      signal: abort.signal,
    });
    const response = createSseResponse({ request, source: log.source, keepAliveMs: 0 });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    setTimeout(() => log.append(delta(4, '4')), 5);
    const frames = await collect(response.body!, 3);
    abort.abort();
    expect(frames.map((f) => f.id)).toEqual(['3', '4', '5']);
    expect(frames.map((f) => JSON.parse(f.data!).text)).toEqual(['2', '3', '4']);
  });

  it('sends retry once when asked', async () => {
    const log = busLog();
    log.append(delta(0, 'a'));
    const body = createSseStream({ source: log.source, retryMs: 250, keepAliveMs: 0 });
    const frames = await collect(body, 1);
    expect(frames[0]).toMatchObject({ retry: 250 });
  });

  it('writes a keep-alive comment every 15 s by default', async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const body = createSseStream({ source: busLog().source, signal: abort.signal });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    await vi.advanceTimersByTimeAsync(14_999);
    // Nothing yet: a read would hang, so race it against a timer we control.
    const first = reader.read();
    let settled = false;
    void first.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(decoder.decode((await first).value)).toBe(': keep-alive\n\n');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(decoder.decode((await reader.read()).value)).toBe(': keep-alive\n\n');
    abort.abort();
    expect((await reader.read()).done).toBe(true);
  });

  it('closes on abort, unsubscribes and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const log = busLog();
    const abort = new AbortController();
    const timersBefore = vi.getTimerCount();
    const body = createSseStream({ source: log.source, signal: abort.signal, keepAliveMs: 1000 });
    const reader = body.getReader();
    expect(vi.getTimerCount()).toBe(timersBefore + 1);
    expect(log.subscribers).toBe(1);
    log.append(delta(0, 'a'));
    expect((await reader.read()).value).toBeDefined();
    abort.abort();
    expect((await reader.read()).done).toBe(true);
    expect(log.subscribers).toBe(0);
    // Events after the close go nowhere and throw nothing.
    expect(() => log.append(delta(1, 'b'))).not.toThrow();
    // The only timer left is the bus's own (it keeps the entries for retainMs); the stream left none.
    await log.close();
    expect(vi.getTimerCount()).toBe(timersBefore);
  });

  it('cleans up when the reader cancels', async () => {
    vi.useFakeTimers();
    const log = busLog();
    const before = vi.getTimerCount();
    const reader = createSseStream({ source: log.source, keepAliveMs: 1000 }).getReader();
    await reader.cancel();
    expect(log.subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(before);
  });

  it('does not open at all for an already aborted request', async () => {
    const log = busLog();
    const body = createSseStream({ source: log.source, signal: AbortSignal.abort() });
    expect((await body.getReader().read()).done).toBe(true);
    expect(log.subscribers).toBe(0);
  });

  it('streams an async iterable, skipping invalid events through onError', async () => {
    const errors: unknown[] = [];
    async function* events(): AsyncGenerator<SseEntry> {
      yield { cursor: 'a', event: delta(0, 'x') };
      yield { cursor: 'b', event: { type: 'nope' } as never };
      yield { cursor: 'c', event: delta(1, 'y') };
    }
    const body = createSseStream({
      source: events(),
      keepAliveMs: 0,
      onError: (error) => errors.push(error),
    });
    const frames: SseFrame[] = [];
    for await (const frame of readFrames(body)) frames.push(frame);
    expect(frames.map((f) => f.id)).toEqual(['a', 'c']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StreamEventError);
  });

  it('rejects bad timing options with a message saying what to pass', () => {
    expect(() => createSseStream({ source: busLog().source, keepAliveMs: -1 })).toThrow(
      /\[seqline\] \[sse\] keepAliveMs/,
    );
  });
});

describe('toNodeHandler (node:http)', () => {
  it('streams to a real socket and closes the stream when the client disconnects', async () => {
    const log = busLog();
    log.append(delta(0, 'a'));
    log.append(delta(1, 'b'));
    const server = createServer(
      toNodeHandler((request) =>
        createSseResponse({ request, source: log.source, keepAliveMs: 0 }),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const abort = new AbortController();
      const response = await fetch(`http://127.0.0.1:${port}/stream?lastEventId=1`, {
        signal: abort.signal,
      });
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      setTimeout(() => log.append(delta(2, 'c')), 10);
      const frames = await collect(response.body!, 2);
      expect(frames.map((f) => f.id)).toEqual(['2', '3']);
      expect(log.subscribers).toBe(1);
      abort.abort();
      await vi.waitFor(() => expect(log.subscribers).toBe(0));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('passes POST bodies through', async () => {
    const server = createServer(
      toNodeHandler(async (request) =>
        Response.json({ got: await request.json() }, { status: 201 }),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/x`, {
        method: 'POST',
        body: JSON.stringify({ a: 1 }),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ got: { a: 1 } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
