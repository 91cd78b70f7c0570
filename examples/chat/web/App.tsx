import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import {
  createFetchEventSource,
  type MessageRowProps,
  OrderedMessageList,
  useMessageStream,
  useSendMessage,
} from 'seqline/react';
import { type Chaos, chaosEventSource, chaosFetch } from './chaos';

const DEFAULT_CONVERSATIONS = ['general', 'support', 'ideas'];

/** The conversation in the address (`#/c/<id>`), so a reload stays where it was. */
function readConversationId(): string {
  return decodeURIComponent(/^#\/c\/(.+)$/.exec(location.hash)?.[1] ?? 'general');
}

function useConversationId(): [string, (id: string) => void] {
  const [id, setId] = useState(readConversationId);
  useEffect(() => {
    const onHash = () => setId(readConversationId());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return [id, (next) => (location.hash = `#/c/${encodeURIComponent(next)}`)];
}

export function App() {
  const [conversationId, select] = useConversationId();
  const [chaosOn, setChaosOn] = useState(() => localStorage.getItem('seqline-chaos') === 'on');
  // One mutable object read at call time, so toggling needs no reconnect.
  const chaos = useMemo<Chaos>(() => ({ enabled: false }), []);
  chaos.enabled = chaosOn;
  const { data } = useQuery({
    queryKey: ['conversations'],
    queryFn: async () =>
      ((await (await fetch('/api/conversations')).json()) as { conversations: { id: string }[] })
        .conversations,
    refetchInterval: 3000,
  });
  const ids = [
    ...new Set([...DEFAULT_CONVERSATIONS, ...(data ?? []).map((c) => c.id), conversationId]),
  ];

  return (
    <div className="app">
      <aside>
        <h1>
          seqline <span>chat demo</span>
        </h1>
        <nav aria-label="Conversations">
          {ids.map((id) => (
            <a
              key={id}
              href={`#/c/${encodeURIComponent(id)}`}
              aria-current={id === conversationId ? 'page' : undefined}
            >
              # {id}
            </a>
          ))}
        </nav>
        <button
          type="button"
          className="secondary"
          onClick={() => select(`chat-${Math.random().toString(36).slice(2, 8)}`)}
        >
          + New conversation
        </button>
        <p className="hint">
          Every message gets its sequence from the server, reserved with its reply in one
          transaction. Reload, open a second tab, turn chaos on: the order holds.
        </p>
      </aside>
      <Conversation
        key={conversationId}
        conversationId={conversationId}
        chaos={chaos}
        chaosOn={chaosOn}
        setChaosOn={setChaosOn}
      />
    </div>
  );
}

function Conversation(props: {
  conversationId: string;
  chaos: Chaos;
  chaosOn: boolean;
  setChaosOn: (on: boolean) => void;
}) {
  const { conversationId, chaos, chaosOn, setChaosOn } = props;
  const api = useMemo(() => {
    const fetch = chaosFetch(chaos);
    return {
      baseUrl: '/api',
      fetch,
      createEventSource: chaosEventSource(createFetchEventSource({ fetch }), chaos),
    };
  }, [chaos]);
  const [drops, setDrops] = useState(0);
  const { status } = useMessageStream(conversationId, {
    ...api,
    reconnectDelay: 300,
    onError: () => setDrops((n) => n + 1),
  });
  const { send } = useSendMessage(conversationId, api);
  const [text, setText] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() === '') return;
    send(text);
    setText('');
  };
  const rapid = () => {
    for (let i = 1; i <= 10; i++) send(`Rapid message ${i} of 10`);
  };

  return (
    <main>
      <header>
        <h2># {conversationId}</h2>
        <span
          className={`status status-${status}`}
          data-testid="stream-status"
          title={`${drops} reconnects`}
        >
          {status === 'open' ? 'live' : status === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
        <label className="chaos">
          <input
            type="checkbox"
            checked={chaosOn}
            onChange={(event) => {
              localStorage.setItem('seqline-chaos', event.target.checked ? 'on' : 'off');
              setChaosOn(event.target.checked);
            }}
          />{' '}
          Chaos <small>(latency, reordering, dropped stream)</small>
        </label>
        <button type="button" onClick={rapid}>
          Send 10 rapid messages
        </button>
      </header>
      <OrderedMessageList
        as="ol"
        className="messages"
        aria-label="Messages"
        conversationId={conversationId}
        history={api}
        renderMessage={renderRow}
        empty={<li className="empty">No messages yet. Say something, or send 10 at once.</li>}
      />
      <form className="composer" onSubmit={submit}>
        <input
          aria-label="Message"
          placeholder="Write a message…"
          value={text}
          onChange={(event) => setText(event.target.value)}
          maxLength={4000}
        />
        <button type="submit">Send</button>
      </form>
    </main>
  );
}

function Row({
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
      className={`row ${message.role}`}
      data-testid="message"
      data-key={messageKey}
      data-id={message.id}
      data-sequence={message.sequence ?? ''}
      data-status={message.status}
      data-role={message.role}
    >
      <span className="sequence" title="server-assigned sequence">
        {message.sequence === null ? '…' : `#${message.sequence}`}
      </span>
      <div className="bubble">
        <span className="content">{message.content}</span>
        {isStreaming && <span className="caret" aria-hidden="true" />}
        {isPending && <small className="note"> sending…</small>}
        {message.role === 'assistant' && message.status === 'pending' && (
          <small className="note">thinking…</small>
        )}
        {isFailed && (
          <span role="alert" className="error">
            {' '}
            {message.error ?? 'Not sent.'}{' '}
            {retry && (
              <button type="button" onClick={retry}>
                Retry
              </button>
            )}
            {discard && (
              <button type="button" className="secondary" onClick={discard}>
                Discard
              </button>
            )}
          </span>
        )}
      </div>
    </li>
  );
}

const renderRow = (props: MessageRowProps) => <Row {...props} />;
// renderRow lives at module scope, so it is stable across renders as OrderedMessageList asks.
