/**
 * A chat wired as an app wires seqline/react — history, stream, sends and
 * `OrderedMessageList` under one QueryClient — against a story's own mock
 * server. Every story renders one; its props pick the scenario.
 */
import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SequenceGap } from 'seqline';
import type { ChaosOptions } from 'seqline/msw';
import {
  type JumpToLatestProps,
  type MessageRowProps,
  messagesQueryKey,
  messagesQueryOptions,
  OrderedMessageList,
  useMessageStream,
  useSendMessage,
} from 'seqline/react';
import { createMockServer, type MockServer, type MockServerOptions } from './mockServer';
import './chat.css';

export interface ChatDemoProps {
  /** The story's mock server: created once per mount, kept across Refresh. */
  server: MockServerOptions;
  /** Chaos on the mock server; a change applies to new requests and reconnects the stream. */
  chaos?: ChaosOptions;
  /** Messages sent as soon as the chat mounts, so the state shows without a click. */
  autoSend?: readonly string[];
  /** Shows the server's stored messages beside the list. */
  showServer?: boolean;
  /** Shows Refresh (remount with a fresh QueryClient) and Refetch history. */
  refreshable?: boolean;
  /** Shows a button that sends this many messages at once. */
  burst?: number;
  /** Milliseconds before the stream reconnects after a drop (doubles per failure in a row). */
  reconnectDelay?: number;
  /** Counts calls of the row render prop (for the long-list story). */
  rowRenders?: { current: number };
  /** Runs once the chat is mounted, e.g. to write a message "from another device". */
  onServer?: (server: MockServer) => (() => void) | undefined;
}

/** A chat on its own mock server; Refresh remounts it with a fresh QueryClient. */
export function ChatDemo(props: ChatDemoProps) {
  const [server] = useState(() => createMockServer(props.server));
  useEffect(() => () => server.dispose(), [server]);
  const { onServer } = props;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per mount, like the scenario it scripts
  useEffect(() => onServer?.(server), [server]);
  const chaosKey = JSON.stringify(props.chaos ?? {});
  const applied = useRef<string | undefined>(undefined);
  if (props.chaos && applied.current !== chaosKey) {
    // During render, so requests made by this render's effects already see it.
    server.setChaos(props.chaos);
    applied.current = chaosKey;
  }
  const [generation, setGeneration] = useState(0);
  return (
    <div className="seqline-demo" data-conversation-id={server.conversationId}>
      <ChatSession
        key={generation}
        {...props}
        mock={server}
        streamKey={chaosKey}
        onRefresh={props.refreshable ? () => setGeneration((g) => g + 1) : undefined}
      />
      {props.showServer && <ServerTruth server={server} />}
    </div>
  );
}

// ---------------------------------------------------------------------------

interface SessionProps extends ChatDemoProps {
  mock: MockServer;
  streamKey: string;
  onRefresh: (() => void) | undefined;
}

/** One "page load": its own QueryClient, so nothing survives a Refresh but the server. */
function ChatSession(props: SessionProps) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } },
      }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <Chat {...props} />
    </QueryClientProvider>
  );
}

function Chat({
  mock,
  streamKey,
  onRefresh,
  autoSend,
  burst,
  reconnectDelay,
  rowRenders,
}: SessionProps) {
  const { conversationId, baseUrl, fetch } = mock;
  const api = useMemo(() => ({ baseUrl, fetch }), [baseUrl, fetch]);
  const queryClient = useQueryClient();
  const history = useQuery({
    ...messagesQueryOptions(conversationId, api),
    notifyOnChangeProps: ['isLoading', 'error'],
  });
  const { send } = useSendMessage(conversationId, api);
  const [draft, setDraft] = useState('');

  const sentOnMount = useRef(false);
  const loaded = !history.isLoading;
  useEffect(() => {
    // After the history: a pending message sorts after the last sequence the client
    // had seen when it was sent, so one sent before history loads shows above it.
    if (sentOnMount.current || !autoSend || !loaded) return;
    sentOnMount.current = true;
    for (const text of autoSend) send(text);
  }, [autoSend, send, loaded]);

  const renderMessage = useCallback(
    (row: MessageRowProps) => {
      if (rowRenders) rowRenders.current++;
      return <MessageRow {...row} />;
    },
    [rowRenders],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft.trim() === '') return;
    send(draft);
    setDraft('');
  };

  return (
    <section className="seqline-chat" aria-label="Chat">
      <header className="seqline-chat__bar">
        <StreamStatus
          key={streamKey}
          conversationId={conversationId}
          baseUrl={baseUrl}
          fetch={fetch}
          reconnectDelay={reconnectDelay}
        />
        {onRefresh && (
          <>
            <button
              type="button"
              onClick={() =>
                queryClient.refetchQueries({ queryKey: messagesQueryKey(conversationId) })
              }
            >
              Refetch history
            </button>
            <button type="button" onClick={onRefresh}>
              Refresh
            </button>
          </>
        )}
      </header>
      {history.isLoading ? (
        <div className="seqline-chat__loading" role="status" aria-busy="true">
          <span className="seqline-skeleton" />
          <span className="seqline-skeleton seqline-skeleton--short" />
          <span className="seqline-skeleton" />
          Loading conversation…
        </div>
      ) : history.error ? (
        <p role="alert">Could not load the conversation: {history.error.message}</p>
      ) : (
        <OrderedMessageList
          as="ol"
          className="seqline-chat__list"
          aria-label="Messages"
          conversationId={conversationId}
          history={api}
          renderMessage={renderMessage}
          renderGap={renderGap}
          empty={<p className="seqline-chat__empty">No messages yet. Say hello.</p>}
          renderJumpToLatest={renderJumpToLatest}
        />
      )}
      <form className="seqline-chat__composer" onSubmit={submit}>
        <input
          aria-label="Message"
          placeholder="Write a message"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button type="submit">Send</button>
        {burst ? (
          <button
            type="button"
            onClick={() => {
              for (let i = 1; i <= burst; i++) send(`Burst ${i} of ${burst}`);
            }}
          >
            Send {burst} at once
          </button>
        ) : null}
      </form>
    </section>
  );
}

/** Sticky at the bottom of the list while the reader is scrolled up. */
function renderJumpToLatest({ newCount, jump }: JumpToLatestProps) {
  return (
    <li className="seqline-chat__jump">
      <button type="button" onClick={jump}>
        {newCount > 0 ? `${newCount} new message${newCount === 1 ? '' : 's'}` : 'Jump to latest'} ↓
      </button>
    </li>
  );
}

function StreamStatus({
  conversationId,
  baseUrl,
  fetch,
  reconnectDelay,
}: {
  conversationId: string;
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  reconnectDelay: number | undefined;
}) {
  const { status } = useMessageStream(conversationId, {
    baseUrl,
    fetch,
    reconnectDelay: reconnectDelay ?? 250,
    // A dropped stream is expected under chaos: it resumes with Last-Event-ID.
    onError: () => {},
  });
  return (
    <span className="seqline-chat__status" data-stream-status={status}>
      {status === 'open' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
    </span>
  );
}

function MessageRow({
  message,
  messageKey,
  isPending,
  isStreaming,
  isFailed,
  retry,
  discard,
}: MessageRowProps) {
  return (
    <li
      className="seqline-row"
      data-message-key={messageKey}
      data-message-id={message.sequence === null ? undefined : message.id}
      data-sequence={message.sequence ?? undefined}
      data-role={message.role}
      data-status={message.status}
    >
      <span className="seqline-row__meta">
        {message.sequence === null ? '#…' : `#${message.sequence}`} {message.role}
      </span>
      <span className="seqline-row__content">{message.content}</span>
      {isStreaming && (
        <span className="seqline-row__caret" role="img" aria-label="typing">
          ▍
        </span>
      )}
      {isPending && <small className="seqline-row__note">Sending…</small>}
      {isFailed && (
        <span className="seqline-row__failed" role="alert">
          {message.sequence === null ? 'Not sent' : 'Reply failed'}
          {retry && (
            <button type="button" onClick={retry}>
              Retry
            </button>
          )}
          {discard && (
            <button type="button" onClick={discard}>
              Discard
            </button>
          )}
        </span>
      )}
    </li>
  );
}

function renderGap(gap: SequenceGap) {
  return (
    <li className="seqline-gap" role="status" data-gap={`${gap.from}-${gap.to}`}>
      Loading messages {gap.from}–{gap.to}…
    </li>
  );
}

/** The server's stored messages, and whether the list shows exactly them, in order. */
function ServerTruth({ server }: { server: MockServer }) {
  const [view, setView] = useState(() => readTruth(server, null));
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    const timer = setInterval(() => {
      const next = readTruth(server, panel.current?.parentElement ?? null);
      setView((prev) => (prev.key === next.key ? prev : next));
    }, 100);
    return () => clearInterval(timer);
  }, [server]);
  return (
    <aside
      ref={panel}
      className="seqline-truth"
      aria-label="Server"
      data-server-ids={view.ids.join(' ')}
    >
      <h3>Server (sequence order)</h3>
      <p className="seqline-truth__verdict" data-matches-server={view.matches}>
        {view.matches ? '✓ List matches the server' : '… list catching up'}
      </p>
      <ol>
        {view.messages.map((m) => (
          <li key={m.id} data-status={m.status}>
            <b>#{m.sequence}</b> {m.role}:{' '}
            {m.content.length > 40 ? `${m.content.slice(0, 40)}…` : m.content}
            {m.status === 'complete' ? '' : ` (${m.status})`}
          </li>
        ))}
      </ol>
    </aside>
  );
}

function readTruth(server: MockServer, root: Element | null) {
  const messages = server.truth();
  const ids = messages.map((m) => m.id);
  const rendered = root
    ? [...root.querySelectorAll('.seqline-chat__list [data-message-key]')].map((row) => ({
        id: row.getAttribute('data-message-id'),
        content: row.querySelector('.seqline-row__content')?.textContent,
      }))
    : [];
  const matches =
    rendered.length === messages.length &&
    rendered.every((row, i) => row.id === ids[i] && row.content === messages[i]!.content);
  return { messages, ids, matches, key: `${matches}|${JSON.stringify(messages)}` };
}
