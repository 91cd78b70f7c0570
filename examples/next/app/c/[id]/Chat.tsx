'use client';
import { OrderedMessageList, useMessageStream, useSendMessage } from 'seqline/react';
import { postMessage } from '@/lib/trpc';

/** The conversation: its history (hydrated from the server), live replies, and a composer. */
export function Chat({ conversationId }: { conversationId: string }) {
  const { status } = useMessageStream(conversationId, { baseUrl: '/api', onError: console.error });
  const { send } = useSendMessage(conversationId, { postMessage });
  return (
    <>
      <p data-testid="stream-status">{status === 'open' ? 'live' : status}</p>
      <OrderedMessageList
        conversationId={conversationId}
        history={{ baseUrl: '/api' }}
        empty={<p>No messages yet.</p>}
        style={{ height: '60vh', overflowY: 'auto' }}
        renderMessage={({ message, messageKey }) => (
          <div
            data-testid="message"
            data-key={messageKey}
            data-id={message.id ?? ''}
            data-sequence={message.sequence ?? ''}
            data-role={message.role}
            data-status={message.status}
          >
            <b>{message.role}</b>: <span className="content">{message.content}</span>
          </div>
        )}
      />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const input = event.currentTarget.elements.namedItem('text') as HTMLInputElement;
          if (input.value.trim()) send(input.value);
          input.value = '';
        }}
      >
        <input name="text" aria-label="Message" autoComplete="off" />
        <button type="submit">Send</button>
      </form>
    </>
  );
}
