/**
 * Long conversations against the shipped msw handlers: opening one costs one
 * request for the latest page, older pages load on demand with `before`, a
 * refetch asks only for what is newer, and the stream starts after the
 * loaded range.
 */
import { focusManager, QueryClientProvider } from '@tanstack/react-query';
import { act, render, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createMessageHandlers, type SeedMessage } from '../../src/msw/index';
import {
  getConversationStore,
  OrderedMessageList,
  type UseMessagesResult,
  useMessageStream,
  useMessages,
} from '../../src/react/index';
import { BASE, newQueryClient, recordRequests, setupMsw } from './harness';

const msw = setupMsw();

function seed(count: number): SeedMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
    content: `m${i + 1}`,
  }));
}

function Chat({
  id,
  api,
  onMessageEvent,
}: {
  id: string;
  api: { current?: UseMessagesResult };
  onMessageEvent: () => void;
}) {
  api.current = useMessages(id, { baseUrl: BASE });
  useMessageStream(id, {
    baseUrl: BASE,
    gapDelay: 5,
    onEvent: (event) => {
      if (event.type === 'message') onMessageEvent();
    },
  });
  return (
    <OrderedMessageList
      conversationId={id}
      history={{ baseUrl: BASE }}
      data-testid="list"
      renderMessage={({ message, messageKey }) => (
        <p data-row={messageKey} data-sequence={message.sequence ?? ''}>
          {message.content}
        </p>
      )}
    />
  );
}

const settle = (ms = 60) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

describe('a 100,000-message conversation', () => {
  it('opens with one request, pages older on demand and refetches only what is new', {
    timeout: 30_000,
  }, async () => {
    const handlers = createMessageHandlers({
      seed: 13,
      keepAliveMs: 0,
      reply: { chunkSize: 8, intervalMs: 1 },
      conversations: { huge: seed(100_000) },
    });
    msw.use(handlers);
    const requests = recordRequests(msw.server);
    let historyMessages = 0;
    msw.server.events.on('response:mocked', async ({ request, response }) => {
      if (request.method === 'GET' && new URL(request.url).pathname.endsWith('/messages')) {
        historyMessages += ((await response.clone().json()) as { messages: unknown[] }).messages
          .length;
      }
    });
    let streamedMessages = 0;
    const queryClient = newQueryClient();
    const api: { current?: UseMessagesResult } = {};
    const view = render(
      <QueryClientProvider client={queryClient}>
        <Chat id="huge" api={api} onMessageEvent={() => streamedMessages++} />
      </QueryClientProvider>,
    );
    const rows = () => [...view.container.querySelectorAll<HTMLElement>('[data-row]')];
    const sequences = () => rows().map((row) => Number(row.dataset.sequence));
    const history = () =>
      requests.seen.filter((r) => r.method === 'GET' && r.url.pathname.endsWith('/messages'));
    const streams = () => requests.seen.filter((r) => r.url.pathname.endsWith('/stream'));

    // First render: the latest page, one request, the newest message last.
    await waitFor(() => expect(rows()).toHaveLength(200));
    expect(history().map((r) => r.url.search)).toEqual(['?limit=200']);
    expect(rows().at(-1)?.textContent).toBe('m100000');
    await waitFor(() => expect(streams()).toHaveLength(1));
    expect(streams()[0]!.url.searchParams.get('after')).toBe('100000');

    // Live events: a message from elsewhere and a send with its streamed reply.
    await act(() => handlers.db.insert('huge', { role: 'user', content: 'live 1' }));
    await act(() =>
      handlers.db.send('huge', { clientId: 'c-live', role: 'user', content: 'live 2' }),
    );
    await act(() => handlers.db.idle());
    await waitFor(() => expect(sequences().at(-1)).toBe(100_003));
    await settle();
    const store = getConversationStore(queryClient, 'huge');
    expect(store.getTimeline().gaps).toEqual([]);
    // No gap fetch of the older history: still the one history request.
    expect(history()).toHaveLength(1);
    expect(historyMessages + streamedMessages).toBeLessThan(2 * 200);
    expect(rows().at(-1)?.textContent).toBe(handlers.db.messages('huge').at(-1)!.content);

    // Three older pages: three requests, each just below the oldest loaded message.
    expect(api.current!.hasOlder).toBe(true);
    for (let i = 0; i < 3; i++) await act(() => api.current!.fetchOlder());
    expect(
      history()
        .slice(1)
        .map((r) => r.url.search),
    ).toEqual(['?before=99801&limit=200', '?before=99601&limit=200', '?before=99401&limit=200']);
    await waitFor(() => expect(rows()).toHaveLength(800 + 3));
    expect(api.current!.isFetchingOlder).toBe(false);

    // A window-focus refetch asks only for what is newer than the last known sequence.
    const lastKnown = store.getTimeline().lastSequence;
    const before = history().length;
    act(() => {
      focusManager.setFocused(false);
      focusManager.setFocused(true);
    });
    await waitFor(() => expect(history().length).toBeGreaterThan(before));
    await settle();
    for (const request of history().slice(before)) {
      expect(Number(request.url.searchParams.get('after'))).toBeGreaterThanOrEqual(lastKnown);
    }
    focusManager.setFocused(undefined);

    // Nothing duplicated, nothing missing, no gap row: exactly the server's last 803 messages.
    const truth = handlers.db.messages('huge').slice(-803);
    expect(sequences()).toEqual(truth.map((m) => m.sequence));
    expect(new Set(sequences()).size).toBe(rows().length);
    expect(view.container.querySelector('[data-seqline-gap]')).toBeNull();
    expect(store.getTimeline().gaps).toEqual([]);
    requests.stop();
    view.unmount();
  });

  it('reports no older history when the latest page is the whole conversation', async () => {
    msw.use(createMessageHandlers({ seed: 1, keepAliveMs: 0, conversations: { short: seed(5) } }));
    const requests = recordRequests(msw.server);
    const api: { current?: UseMessagesResult } = {};
    const view = render(
      <QueryClientProvider client={newQueryClient()}>
        <Chat id="short" api={api} onMessageEvent={() => {}} />
      </QueryClientProvider>,
    );
    await waitFor(() => expect(api.current!.messages).toHaveLength(5));
    expect(api.current!.hasOlder).toBe(false);
    await act(() => api.current!.fetchOlder());
    expect(
      requests.seen.filter((r) => r.method === 'GET' && r.url.pathname.endsWith('/messages')),
    ).toHaveLength(1);
    requests.stop();
    view.unmount();
  });
});
