/**
 * A chat wired the way an app wires seqline/react — history, stream, sends
 * and the list under one QueryClient — against the shipped msw handlers.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { setupServer } from 'msw/node';
import { type ReactNode, useState } from 'react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { MessageHandlers } from '../../src/msw/index';
import {
  type MessageRowProps,
  OrderedMessageList,
  type UseMessageStreamOptions,
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
  afterEach(() => server.resetHandlers());
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
  /** Every row element, in DOM order. */
  rows(): HTMLElement[];
  /** The rendered text of every row, in order. */
  texts(): string[];
  /** The server id (or, before confirmation, clientId) of every row, in order. */
  ids(): string[];
  unmount(): void;
}

export interface ChatOptions {
  queryClient?: QueryClient;
  stream?: UseMessageStreamOptions | false;
  renderMessage?: (row: MessageRowProps) => ReactNode;
  onListRender?: () => void;
}

interface ChatProps {
  conversationId: string;
  options: ChatOptions;
  api: { current?: UseSendMessageResult };
}

function Composer({ conversationId, api }: Omit<ChatProps, 'options'>) {
  api.current = useSendMessage(conversationId, { baseUrl: BASE });
  return null;
}

function Stream({
  conversationId,
  streamOptions,
}: {
  conversationId: string;
  streamOptions: UseMessageStreamOptions;
}) {
  useMessageStream(conversationId, {
    baseUrl: BASE,
    reconnectDelay: 5,
    gapDelay: 20,
    ...streamOptions,
  });
  return null;
}

function History({ conversationId }: { conversationId: string }) {
  useMessages(conversationId, { baseUrl: BASE });
  return null;
}

/** Counts list renders: the list's container re-renders exactly when the list component does (its children are new). */
const listRenders = new WeakMap<object, () => void>();
function Container(props: { children?: ReactNode; counter: object }) {
  listRenders.get(props.counter)?.();
  return <div data-testid="list">{props.children}</div>;
}

function Chat({ conversationId, options, api }: ChatProps) {
  const [counter] = useState(() => {
    const key = {};
    if (options.onListRender) listRenders.set(key, options.onListRender);
    return key;
  });
  return (
    <>
      <History conversationId={conversationId} />
      {options.stream !== false && (
        <Stream conversationId={conversationId} streamOptions={options.stream ?? {}} />
      )}
      <Composer conversationId={conversationId} api={api} />
      <OrderedMessageList
        conversationId={conversationId}
        as={Container}
        counter={counter}
        history={{ baseUrl: BASE }}
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
  const rows = () => [...view.getByTestId('list').querySelectorAll<HTMLElement>('[data-row]')];
  return {
    send: (input) => api.current!.send(input),
    retry: (clientId) => api.current!.retry(clientId),
    rows,
    texts: () => rows().map((row) => row.textContent ?? ''),
    ids: () => rows().map((row) => row.dataset.id ?? ''),
    unmount: () => view.unmount(),
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
