/**
 * A chat wired the way an app wires seqline/react — history, stream, sends
 * and the list under one QueryClient — against the shipped msw handlers.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render } from '@testing-library/react';
import { setupServer } from 'msw/node';
import { type ReactNode, useState } from 'react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { MessageHandlers } from '../../src/msw/index';
import {
  type CreateEventSource,
  type EventSourceLike,
  type MessageRowProps,
  OrderedMessageList,
  type UseMessageStreamOptions,
  type UseSendMessageOptions,
  type UseSendMessageResult,
  useMessageStream,
  useMessages,
  useSendMessage,
} from '../../src/react/index';

/** Node's fetch needs absolute URLs; the handlers match any origin. */
export const BASE = 'http://seqline.test';

/** One msw server for the file; each test installs its own handlers with `use`. */
export function setupMsw() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    cleanup();
    server.resetHandlers();
    // The default outbox is jsdom's localStorage: a test's unsent messages must not reach the next.
    globalThis.localStorage?.clear();
  });
  afterAll(() => server.close());
  return {
    use(handlers: MessageHandlers) {
      server.use(...handlers);
    },
    server,
  };
}

export function newQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
}

export interface ChatHandle {
  send: UseSendMessageResult['send'];
  retry: UseSendMessageResult['retry'];
  discard: UseSendMessageResult['discard'];
  /** The send hook's current result (isPending, error, …). */
  sender(): UseSendMessageResult;
  /** Every row element, in DOM order. */
  rows(): HTMLElement[];
  /** The rendered text of every row, in order. */
  texts(): string[];
  /** The server id (or, before confirmation, clientId) of every row, in order. */
  ids(): string[];
  unmount(): void;
  queryClient: QueryClient;
}

export interface ChatOptions {
  queryClient?: QueryClient;
  stream?: UseMessageStreamOptions | false;
  renderMessage?: (row: MessageRowProps) => ReactNode;
  onListRender?: () => void;
  /** Options of the chat's `useSendMessage` (retry policy, outbox, …). */
  sendOptions?: UseSendMessageOptions;
  /** Where the hooks send requests (a handler set with a full-URL `baseUrl` answers only there). @default BASE */
  baseUrl?: string;
  /** Headers on every request of the hooks (e.g. authorization). */
  headers?: Record<string, string>;
  /** Messages per history page (the latest page is what a chat opens with). */
  pageSize?: number;
}

interface ChatProps {
  conversationId: string;
  options: ChatOptions;
  api: { current?: UseSendMessageResult };
}

function Composer({
  conversationId,
  api,
  sendOptions,
  baseUrl,
  headers,
}: Omit<ChatProps, 'options'> & {
  sendOptions?: UseSendMessageOptions;
  baseUrl: string;
  headers?: Record<string, string>;
}) {
  api.current = useSendMessage(conversationId, { baseUrl, headers, ...sendOptions });
  return null;
}

function Stream({
  conversationId,
  streamOptions,
  baseUrl,
  headers,
}: {
  conversationId: string;
  streamOptions: UseMessageStreamOptions;
  baseUrl: string;
  headers?: Record<string, string>;
}) {
  useMessageStream(conversationId, {
    baseUrl,
    headers,
    reconnectDelay: 5,
    gapDelay: 20,
    ...streamOptions,
  });
  return null;
}

function History({
  conversationId,
  baseUrl,
  headers,
  pageSize,
}: {
  conversationId: string;
  baseUrl: string;
  headers?: Record<string, string>;
  pageSize?: number;
}) {
  useMessages(conversationId, { baseUrl, headers, pageSize });
  return null;
}

/** Counts list renders: the list's container re-renders exactly when the list component does (its children are new). */
const listRenders = new WeakMap<object, () => void>();
function Container(props: { children?: ReactNode; counter: object }) {
  listRenders.get(props.counter)?.();
  return <div data-testid="list">{props.children}</div>;
}

function Chat({ conversationId, options, api }: ChatProps) {
  const baseUrl = options.baseUrl ?? BASE;
  const [counter] = useState(() => {
    const key = {};
    if (options.onListRender) listRenders.set(key, options.onListRender);
    return key;
  });
  return (
    <>
      <History
        conversationId={conversationId}
        baseUrl={baseUrl}
        headers={options.headers}
        pageSize={options.pageSize}
      />
      {options.stream !== false && (
        <Stream
          conversationId={conversationId}
          streamOptions={options.stream ?? {}}
          baseUrl={baseUrl}
          headers={options.headers}
        />
      )}
      <Composer
        conversationId={conversationId}
        api={api}
        sendOptions={options.sendOptions}
        baseUrl={baseUrl}
        headers={options.headers}
      />
      <OrderedMessageList
        conversationId={conversationId}
        as={Container}
        counter={counter}
        history={{ baseUrl, headers: options.headers, pageSize: options.pageSize }}
        renderMessage={options.renderMessage ?? defaultTestRow}
      />
    </>
  );
}

/** Renders a chat for `conversationId`; `send` and `retry` call the real hooks. */
export function renderChat(conversationId: string, options: ChatOptions = {}): ChatHandle {
  const queryClient = options.queryClient ?? newQueryClient();
  const api: { current?: UseSendMessageResult } = {};
  const view = render(
    <QueryClientProvider client={queryClient}>
      <Chat conversationId={conversationId} options={options} api={api} />
    </QueryClientProvider>,
  );
  const rows = () => [
    ...view.container.querySelectorAll<HTMLElement>('[data-testid="list"] [data-row]'),
  ];
  return {
    send: (input) => api.current!.send(input),
    retry: (clientId) => api.current!.retry(clientId),
    discard: (clientId) => api.current!.discard(clientId),
    sender: () => api.current!,
    rows,
    texts: () => rows().map((row) => row.textContent ?? ''),
    ids: () => rows().map((row) => row.dataset.id ?? ''),
    unmount: () => view.unmount(),
    queryClient,
  };
}

function defaultTestRow({ message, messageKey, isFailed, retry }: MessageRowProps): ReactNode {
  return (
    <p data-row={messageKey} data-id={message.id} data-status={message.status}>
      {message.content}
      {isFailed && retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </p>
  );
}

/** Every request the msw server saw: method, URL and the Last-Event-ID it carried. */
export function recordRequests(server: ReturnType<typeof setupServer>) {
  const seen: { method: string; url: URL; lastEventId: string | null }[] = [];
  const listener = ({ request }: { request: Request }) => {
    seen.push({
      method: request.method,
      url: new URL(request.url),
      lastEventId: request.headers.get('last-event-id'),
    });
  };
  server.events.on('request:start', listener);
  return { seen, stop: () => server.events.removeListener('request:start', listener) };
}

/** An EventSource test double: the test pushes raw `data:` payloads and drops the connection. */
export class FakeEventSource implements EventSourceLike {
  static opened: FakeEventSource[] = [];
  static create: CreateEventSource = (url, init) => {
    const source = new FakeEventSource(url, init.lastEventId);
    FakeEventSource.opened.push(source);
    return source;
  };
  onmessage: EventSourceLike['onmessage'] = null;
  onerror: EventSourceLike['onerror'] = null;
  onopen: EventSourceLike['onopen'] = null;
  readyState = 1;
  constructor(
    readonly url: string,
    readonly lastEventId: string | undefined,
  ) {}
  emit(data: unknown, id = '') {
    this.onmessage?.({
      data: typeof data === 'string' ? data : JSON.stringify(data),
      lastEventId: id,
    });
  }
  drop() {
    this.readyState = 2;
    this.onerror?.(new Error('connection lost'));
  }
  close() {
    this.readyState = 2;
  }
}
