import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamEventError } from '../src/index';
import {
  createEventLog,
  createSseResponse,
  createSseStream,
  createStreamHub,
  formatSseEvent,
  readLastEventId,
  type SseEntry,
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

afterEach(() => {
  vi.useRealTimers();
});

describe('formatSseEvent', () => {
  it('writes the cursor and the event as one data line', () => {
    const frame = formatSseEvent({ id: '3', event: delta(0, 'a\nb') });
    expect(frame).toBe(
      'id: 3\ndata: {"type":"delta","messageId":"m1","offset":0,"text":"a\\nb"}\n\n',
    );
  });

  it('rejects an invalid event with StreamEventError', () => {
    expect(() =>
      formatSseEvent({ id: '1', event: { type: 'delta', messageId: 'm1' } as never }),
    ).toThrow(StreamEventError);
  });

  it('rejects an id that would break the frame', () => {
    expect(() => formatSseEvent({ id: '1\ndata: x', event: delta(0, 'a') })).toThrow(
      /without line breaks/,
    );
  });
});

describe('createEventLog', () => {
  it('gives each event the next cursor and replays after one', () => {
    const log = createEventLog();
    expect(log.lastId).toBe('0');
    expect(log.append(delta(0, 'a')).id).toBe('1');
    expect(log.append(delta(1, 'b')).id).toBe('2');
    log.append(delta(2, 'c'));
    expect(log.entries('1').map((e) => e.id)).toEqual(['2', '3']);
    expect(log.entries('3')).toEqual([]);
    expect(log.entries('0').map((e) => e.id)).toEqual(['1', '2', '3']);
  });

  it('replays everything for a forged or malformed cursor, never erroring', () => {
    const log = createEventLog();
    for (let i = 0; i < 3; i++) log.append(delta(i, 'x'));
    for (const forged of ['abc', '-1', '99', '1e1', '01', ' 2', '', '2.0', '9'.repeat(40)]) {
      expect(
        log.entries(forged).map((e) => e.id),
        forged,
      ).toEqual(['1', '2', '3']);
    }
  });

  it('stores nothing when an event is invalid', () => {
    const log = createEventLog();
    const seen: SseEntry[] = [];
    log.subscribe(undefined, { send: (entry) => seen.push(entry), close() {} });
    expect(() => log.append({ type: 'status', messageId: 'm1', status: 'done' })).toThrow(
      StreamEventError,
    );
    expect(log.lastId).toBe('0');
    expect(seen).toEqual([]);
  });

  it('subscribes from a cursor: replay, then live, then nothing after unsubscribe', () => {
    const log = createEventLog();
    log.append(delta(0, 'a'));
    log.append(delta(1, 'b'));
    const seen: string[] = [];
    const stop = log.subscribe('1', { send: (entry) => seen.push(entry.id), close() {} });
    log.append(delta(2, 'c'));
    expect(log.subscribers).toBe(1);
    stop();
    log.append(delta(3, 'd'));
    expect(seen).toEqual(['2', '3']);
    expect(log.subscribers).toBe(0);
  });

  it('keeps one log per conversation in a hub', () => {
    const hub = createStreamHub();
    hub.publish('a', delta(0, 'x'));
    hub.publish('b', delta(0, 'y'));
    hub.publish('a', delta(1, 'z'));
    expect(hub.log('a').lastId).toBe('2');
    expect(hub.log('b').lastId).toBe('1');
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
    const log = createEventLog();
    for (let i = 0; i < 4; i++) log.append(delta(i, String(i)));
    const abort = new AbortController();
    const request = new Request('http://x/stream', {
      headers: { 'last-event-id': '2' },
      signal: abort.signal,
    });
    const response = createSseResponse({ request, source: log, keepAliveMs: 0 });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    setTimeout(() => log.append(delta(4, '4')), 5);
    const frames = await collect(response.body!, 3);
    abort.abort();
    expect(frames.map((f) => f.id)).toEqual(['3', '4', '5']);
    expect(frames.map((f) => JSON.parse(f.data!).text)).toEqual(['2', '3', '4']);
  });

  it('sends retry once when asked', async () => {
    const log = createEventLog();
    log.append(delta(0, 'a'));
    const body = createSseStream({ source: log, retryMs: 250, keepAliveMs: 0 });
    const frames = await collect(body, 1);
    expect(frames[0]).toMatchObject({ retry: 250 });
  });

  it('writes a keep-alive comment every 15 s by default', async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const body = createSseStream({ source: createEventLog(), signal: abort.signal });
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
    const log = createEventLog();
    const abort = new AbortController();
    const timersBefore = vi.getTimerCount();
    const body = createSseStream({ source: log, signal: abort.signal, keepAliveMs: 1000 });
    const reader = body.getReader();
    expect(vi.getTimerCount()).toBe(timersBefore + 1);
    expect(log.subscribers).toBe(1);
    log.append(delta(0, 'a'));
    expect((await reader.read()).value).toBeDefined();
    abort.abort();
    expect((await reader.read()).done).toBe(true);
    expect(log.subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(timersBefore);
    // Events after the close go nowhere and throw nothing.
    expect(() => log.append(delta(1, 'b'))).not.toThrow();
  });

  it('cleans up when the reader cancels', async () => {
    vi.useFakeTimers();
    const log = createEventLog();
    const before = vi.getTimerCount();
    const reader = createSseStream({ source: log, keepAliveMs: 1000 }).getReader();
    await reader.cancel();
    expect(log.subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(before);
  });

  it('does not open at all for an already aborted request', async () => {
    const log = createEventLog();
    const body = createSseStream({ source: log, signal: AbortSignal.abort() });
    expect((await body.getReader().read()).done).toBe(true);
    expect(log.subscribers).toBe(0);
  });

  it('streams an async iterable, skipping invalid events through onError', async () => {
    const errors: unknown[] = [];
    async function* events(): AsyncGenerator<SseEntry> {
      yield { id: 'a', event: delta(0, 'x') };
      yield { id: 'b', event: { type: 'nope' } as never };
      yield { id: 'c', event: delta(1, 'y') };
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
    expect(() => createSseStream({ source: createEventLog(), keepAliveMs: -1 })).toThrow(
      /\[seqline\] \[sse\] keepAliveMs/,
    );
  });
});

describe('toNodeHandler (node:http)', () => {
  it('streams to a real socket and closes the stream when the client disconnects', async () => {
    const log = createEventLog();
    log.append(delta(0, 'a'));
    log.append(delta(1, 'b'));
    const server = createServer(
      toNodeHandler((request) => createSseResponse({ request, source: log, keepAliveMs: 0 })),
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
