/**
 * The "Prove it" list of issue 5 beyond the seed and chaos runs: stable DOM
 * nodes through confirmation, one row re-rendered per token in a 1,000-row
 * list, failure and retry, invalid stream events, Last-Event-ID resume,
 * exact gap fetches, history through the query cache, dev warnings.
 */
import { act, fireEvent, waitFor } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamEventError } from '../../src/index';
import { createMessageHandlers } from '../../src/msw/index';
import {
  createFetchEventSource,
  getConversationStore,
  messagesQueryOptions,
} from '../../src/react/index';
import {
  BASE,
  FakeEventSource,
  newQueryClient,
  recordRequests,
  renderChat,
  setupMsw,
} from './harness';

const msw = setupMsw();

beforeEach(() => {
  FakeEventSource.opened = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const seeded = (
  conversationId: string,
  count: number,
  last: 'complete' | 'streaming' = 'complete',
) =>
  createMessageHandlers({
    seed: 1,
    reply: { chunkSize: 4, intervalMs: 1 },
    conversations: {
      [conversationId]: Array.from({ length: count }, (_, i) => ({
        role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
        content: i === count - 1 && last === 'streaming' ? '' : `m${i + 1}`,
        status: i === count - 1 ? last : ('complete' as const),
      })),
    },
  });

describe('optimistic → confirmed', () => {
  it('keeps the same DOM node (no remount) while the row goes from clientId to server id', async () => {
    const handlers = createMessageHandlers({ seed: 3, reply: false });
    msw.use(handlers);
    // Hold the POST so the pending row is observable.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    msw.server.use(
      handlers.history(),
      handlers.stream(),
      http.post('*/conversations/:id/messages', async () => {
        await held;
        return undefined; // fall through to the real send handler
      }),
      handlers.send(),
    );
    const chat = renderChat('identity');
    let clientId = '';
    act(() => {
      clientId = chat.send('hello');
    });
    const pending = chat.rows()[0]!;
    expect(pending.dataset.status).toBe('pending');
    expect(pending.dataset.id).toBe(clientId);
    release();
    await waitFor(() => expect(chat.rows()[0]!.dataset.status).toBe('complete'));
    const confirmed = chat.rows()[0]!;
    expect(confirmed.dataset.id).toBe(handlers.db.messages('identity')[0]!.id);
    expect(confirmed.dataset.row).toBe(clientId);
    expect(confirmed).toBe(pending);
    chat.unmount();
  });

  it('keeps every DOM node when a retried row moves past a block boundary', async () => {
    // Rows render in blocks of 64 (layoutRowBlocks): the failed row is the 64th, anchored
    // where it failed; the five messages stored after it sit in a second block, and its
    // retry (a new send) moves it past them, into that block.
    const handlers = seeded('boundary', 63);
    msw.use(handlers);
    msw.server.use(
      http.post(
        '*/conversations/:id/messages',
        () => HttpResponse.json({ error: { message: 'refused' } }, { status: 400 }),
        { once: true },
      ),
    );
    const chat = renderChat('boundary');
    await waitFor(() => expect(chat.rows()).toHaveLength(63));
    let clientId = '';
    act(() => {
      clientId = chat.send('mine');
    });
    await waitFor(() => expect(chat.rows()[63]!.dataset.status).toBe('failed'));
    for (let i = 1; i <= 5; i++) {
      await act(() => handlers.db.insert('boundary', { role: 'user', content: `other ${i}` }));
    }
    await waitFor(() => expect(chat.rows()).toHaveLength(69));
    expect(chat.rows()[63]!.dataset.row).toBe(clientId);
    const before = new Map(chat.rows().map((row) => [row.dataset.row, row]));
    act(() => chat.retry(clientId));
    await waitFor(() => expect(chat.rows()[68]!.dataset.status).toBe('complete'));
    expect(chat.rows()[68]!.dataset.row).toBe(clientId);
    // (The POST also reserved an assistant reply, sequence 70, after it.)
    expect(chat.ids()).toEqual(handlers.db.messages('boundary').map((m) => m.id));
    const after = new Map(chat.rows().map((row) => [row.dataset.row, row]));
    for (const [key, row] of before) expect(after.get(key)).toBe(row);
    chat.unmount();
  });
});

describe('a streamed delta in a 1,000-message list', () => {
  it('re-renders exactly its own row, and neither the list nor any other row', async () => {
    const handlers = seeded('big', 1_000, 'streaming');
    msw.use(handlers);
    const renders = new Map<string, number>();
    let listRenders = 0;
    const chat = renderChat('big', {
      pageSize: 1_000,
      onListRender: () => listRenders++,
      renderMessage: ({ message, messageKey }) => {
        renders.set(messageKey, (renders.get(messageKey) ?? 0) + 1);
        return (
          <p data-row={messageKey} data-id={message.id} data-status={message.status}>
            {message.content}
          </p>
        );
      },
    });
    await waitFor(() => expect(chat.rows()).toHaveLength(1_000));
    const streamingId = handlers.db.messages('big')[999]!.id;
    renders.clear();
    listRenders = 0;

    for (const [offset, text] of [
      [0, 'Hel'],
      [3, 'lo w'],
      [7, 'orld'],
    ] as const) {
      act(
        () =>
          void handlers.db.bus.publish('big', {
            type: 'delta',
            messageId: streamingId,
            offset,
            text,
          }),
      );
      await waitFor(() =>
        expect(chat.texts()[999]).toBe('Hello world'.slice(0, offset + text.length)),
      );
    }
    expect([...renders]).toEqual([[streamingId, 3]]);
    expect(listRenders).toBe(0);

    // A new message, by contrast, does re-render the list (and only the new row).
    renders.clear();
    await act(() => handlers.db.insert('big', { role: 'user', content: 'new' }));
    await waitFor(() => expect(chat.rows()).toHaveLength(1_001));
    expect(listRenders).toBeGreaterThan(0);
    expect([...renders.keys()]).toEqual([handlers.db.messages('big')[1_000]!.id]);
    chat.unmount();
  });
});

describe('a failed send', () => {
  it('is marked failed with a retry that re-sends the same clientId: stored once, shown once', async () => {
    const handlers = createMessageHandlers({ seed: 4, reply: { chunkSize: 8, intervalMs: 1 } });
    msw.use(handlers);
    // A 4xx is the server refusing the message: no automatic retry, the user decides.
    msw.server.use(
      http.post(
        '*/conversations/:id/messages',
        () => HttpResponse.json({ error: 'refused' }, { status: 422 }),
        {
          once: true,
        },
      ),
    );
    const requests = recordRequests(msw.server);
    const chat = renderChat('fail');
    let clientId = '';
    act(() => {
      clientId = chat.send('try me');
    });
    await waitFor(() => expect(chat.rows()[0]!.dataset.status).toBe('failed'));
    const failedRow = chat.rows()[0]!;
    expect(handlers.db.messages('fail')).toHaveLength(0);

    fireEvent.click(failedRow.querySelector('button')!);
    await waitFor(() => expect(handlers.db.messages('fail')).toHaveLength(2));
    await handlers.db.idle();
    await waitFor(() =>
      expect(chat.texts()).toEqual(handlers.db.messages('fail').map((m) => m.content)),
    );
    expect(chat.rows()[0]).toBe(failedRow);
    expect(chat.rows()[0]!.dataset.row).toBe(clientId);
    expect(handlers.db.messages('fail')[0]!.clientId).toBe(clientId);
    const posts = requests.seen.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    requests.stop();
    chat.unmount();
  });
});

describe('invalid stream events', () => {
  it('go to onError and leave the list unchanged; later valid events still apply', async () => {
    msw.use(seeded('bad', 2));
    const onError = vi.fn();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const chat = renderChat('bad', {
      stream: { createEventSource: FakeEventSource.create, onError },
    });
    await waitFor(() => expect(chat.texts()).toEqual(['m1', 'm2']));
    const nodes = chat.rows();
    const store = getConversationStore(chat.queryClient, 'bad');
    const before = store.getTimeline();
    const source = FakeEventSource.opened[0]!;
    const id2 = chat.ids()[1]!;
    act(() => {
      source.emit('{not json', '1');
      source.emit({ type: 'delta', messageId: id2 }, '2');
      source.emit({ type: 'explode' }, '3');
      source.emit({ type: 'status', messageId: id2, status: 'done' }, '4');
      source.emit(
        {
          type: 'message',
          message: {
            id: 'x',
            conversationId: 'other',
            sequence: 3,
            createdAt: '2026-01-01T00:00:00Z',
            role: 'user',
            content: 'x',
            status: 'complete',
          },
        },
        '5',
      );
    });
    expect(onError).toHaveBeenCalledTimes(5);
    for (const [error] of onError.mock.calls) expect(error).toBeInstanceOf(StreamEventError);
    expect(store.getTimeline()).toBe(before);
    expect(chat.texts()).toEqual(['m1', 'm2']);
    expect(chat.rows()).toEqual(nodes);

    act(() => source.emit({ type: 'delta', messageId: id2, offset: 2, text: '!' }, '6'));
    expect(chat.texts()).toEqual(['m1', 'm2!']);
    chat.unmount();
  });
});

describe('resume and gaps', () => {
  it('reconnects after a drop with the last event id as Last-Event-ID', async () => {
    msw.use(seeded('resume', 1));
    const chat = renderChat('resume', { stream: { createEventSource: FakeEventSource.create } });
    await waitFor(() => expect(chat.texts()).toEqual(['m1']));
    const first = FakeEventSource.opened[0]!;
    expect(first.lastEventId).toBeUndefined();
    act(() => first.emit({ type: 'delta', messageId: chat.ids()[0]!, offset: 2, text: '+' }, '41'));
    act(() => first.drop());
    await waitFor(() => expect(FakeEventSource.opened).toHaveLength(2));
    expect(FakeEventSource.opened[1]!.lastEventId).toBe('41');
    // The loaded range ends at m1: a fresh connection would start after it; the cursor wins when resuming.
    expect(FakeEventSource.opened[0]!.url).toBe(`${BASE}/conversations/resume/stream?after=1`);
    expect(FakeEventSource.opened[1]!.url).toBe(`${BASE}/conversations/resume/stream?after=1`);
    chat.unmount();
  });

  it('follows the server’s SSE retry: for its next reconnect, unless reconnectDelay is given', async () => {
    msw.use(seeded('retry', 1));
    const chat = renderChat('retry', {
      // No reconnectDelay: the default (1 s) would outlast waitFor's 1 s.
      stream: { createEventSource: FakeEventSource.create, reconnectDelay: undefined },
    });
    await waitFor(() => expect(chat.texts()).toEqual(['m1']));
    const first = FakeEventSource.opened[0]! as FakeEventSource & { retry?: number };
    first.retry = 5;
    act(() => first.drop());
    await waitFor(() => expect(FakeEventSource.opened).toHaveLength(2), { timeout: 500 });
    chat.unmount();
  });

  it('reads the retry: field of the stream (createFetchEventSource)', async () => {
    const body = 'retry: 25\n\nretry: soon\n\ndata: {}\n\n';
    const open = createFetchEventSource({ fetch: async () => new Response(body) });
    const source = open('http://x/stream', { lastEventId: undefined });
    await new Promise<void>((resolve) => {
      source.onerror = () => resolve(); // the body ended
    });
    expect(source.retry).toBe(25); // a non-number retry: is ignored, as the SSE spec says
  });

  it('the default stream client sends Last-Event-ID over the wire when it resumes', async () => {
    const handlers = createMessageHandlers({
      seed: 9,
      chaos: { drops: 0.5 },
      reply: { chunkSize: 2, intervalMs: 1 },
    });
    msw.use(handlers);
    const requests = recordRequests(msw.server);
    const chat = renderChat('wire');
    act(() => void chat.send('a long enough prompt to stream'));
    await waitFor(() => expect(handlers.db.messages('wire')).toHaveLength(2));
    await handlers.db.idle();
    await waitFor(() =>
      expect(chat.texts()).toEqual(handlers.db.messages('wire').map((m) => m.content)),
    );
    const streams = requests.seen.filter((r) => r.url.pathname.endsWith('/stream'));
    expect(streams.length).toBeGreaterThan(1);
    // A cursor is opaque (`createConversationStream`'s): any non-empty one is a resume.
    expect(streams.slice(1).some((r) => r.lastEventId !== null && r.lastEventId !== '')).toBe(true);
    requests.stop();
    chat.unmount();
  });

  it('fetches exactly the missing range when the stream skips sequences', async () => {
    const handlers = seeded('gap', 2);
    msw.use(handlers);
    const chat = renderChat('gap', { stream: { createEventSource: FakeEventSource.create } });
    await waitFor(() => expect(chat.texts()).toEqual(['m1', 'm2']));
    // Stored while this client was not listening (its stream is the fake).
    await handlers.db.insert('gap', { role: 'user', content: 'm3' });
    await handlers.db.insert('gap', { role: 'assistant', content: 'm4' });
    const fifth = await handlers.db.insert('gap', { role: 'user', content: 'm5' });
    const requests = recordRequests(msw.server);
    act(() => FakeEventSource.opened[0]!.emit({ type: 'message', message: fifth }, '9'));
    await waitFor(() => expect(chat.texts()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']));
    const gets = requests.seen.filter((r) => r.url.pathname.endsWith('/messages'));
    expect(gets.map((r) => r.url.search)).toEqual(['?after=2&limit=2']);
    requests.stop();
    chat.unmount();
  });
});

describe('history through the query cache', () => {
  it('prefetchQuery renders on the first paint, and setQueryData with a stale page does not regress live state', async () => {
    const handlers = seeded('cache', 2, 'streaming');
    msw.use(handlers);
    const queryClient = newQueryClient();
    const options = messagesQueryOptions('cache', { baseUrl: BASE });
    await queryClient.prefetchQuery(options);
    const chat = renderChat('cache', {
      queryClient,
      stream: { createEventSource: FakeEventSource.create },
    });
    expect(chat.texts()).toEqual(['m1', '']);
    const id2 = chat.ids()[1]!;
    // The stream opens a task later, once it knows the history has settled.
    await waitFor(() => expect(FakeEventSource.opened).toHaveLength(1));
    act(() =>
      FakeEventSource.opened[0]!.emit(
        { type: 'delta', messageId: id2, offset: 0, text: 'streamed' },
        '1',
      ),
    );
    expect(chat.texts()).toEqual(['m1', 'streamed']);
    const stale = queryClient.getQueryData(options.queryKey)!;
    act(() => queryClient.setQueryData(options.queryKey, { messages: stale.messages.slice(0, 1) }));
    act(() => queryClient.setQueryData(options.queryKey, stale));
    expect(chat.texts()).toEqual(['m1', 'streamed']);
    expect(chat.rows()[1]!.dataset.status).toBe('streaming');
    chat.unmount();
  });
});

describe('development warnings', () => {
  /** Sends `events` on the stream after the seeded m1, and returns the rendered texts. */
  const stream = async (conversationId: string, events: [id: string, sequence: number][]) => {
    msw.use(seeded(conversationId, 1));
    const chat = renderChat(conversationId, {
      stream: { createEventSource: FakeEventSource.create, gapDelay: 10_000 },
    });
    await waitFor(() => expect(chat.texts()).toEqual(['m1']));
    const at = (id: string, sequence: number) => ({
      type: 'message',
      message: {
        id,
        conversationId,
        sequence,
        createdAt: '2026-01-01T00:00:00Z',
        role: 'user',
        content: id,
        status: 'complete',
      },
    });
    act(() => {
      events.forEach(([id, sequence], i) => {
        FakeEventSource.opened[0]!.emit(at(id, sequence), String(i + 1));
      });
    });
    const texts = chat.texts();
    chat.unmount();
    return texts;
  };

  it('stay silent when the stream delivers sequences out of order (legal on the wire)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const texts = await stream('warn-reorder', [
      ['s4', 4],
      ['s3', 3],
    ]);
    expect(texts).toEqual(['m1', 's3', 's4']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('name the source and the fix when the server changes a sequence for the same id', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await stream('warn-dev', [
      ['s3', 3],
      ['s3', 5],
    ]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^\[seqline\] .*"s3" changed sequence from 3 to 5; sequences must never be reassigned/,
      ),
    );
  });

  it('are silent when NODE_ENV is production', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await stream('warn-prod', [
      ['s3', 3],
      ['s3', 5],
    ]);
    expect(warn).not.toHaveBeenCalled();
  });
});
