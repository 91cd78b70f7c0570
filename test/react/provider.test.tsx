/**
 * Fetch options set once: `<SeqlineProvider client={createSeqlineClient(…)}>`
 * gives every hook and the list their base URL and headers, so none takes
 * them. Fails if any hook ignores the provider (its requests would go to the
 * page's origin, which the msw server refuses, or lack the header).
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import { expect, it } from 'vitest';
import { createMessageHandlers } from '../../src/msw/index';
import {
  createSeqlineClient,
  OrderedMessageList,
  SeqlineProvider,
  type UseSendMessageResult,
  useMessageStream,
  useMessages,
  useSendMessage,
} from '../../src/react/index';
import { BASE, newQueryClient, setupMsw } from './harness';

const msw = setupMsw();

const api: { current?: UseSendMessageResult; count?: number } = {};

/** A chat whose hooks and list are given no baseUrl, fetch or headers. */
function Chat() {
  api.count = useMessages('p1').messages.length;
  useMessageStream('p1');
  api.current = useSendMessage('p1', { headers: { 'x-tenant': 't1' }, outbox: false });
  return (
    <OrderedMessageList
      conversationId="p1"
      renderMessage={({ message }) => <p>{message.content}</p>}
    />
  );
}

it('gives every hook and the list the client’s base URL and headers; a hook’s own headers add to them', async () => {
  msw.use(
    createMessageHandlers({
      baseUrl: BASE,
      seed: 1,
      reply: { chunkSize: 4, intervalMs: 1 },
      conversations: { p1: [{ role: 'user', content: 'hello' }] },
    }),
  );
  const seen: { method: string; path: string; auth: string | null; tenant: string | null }[] = [];
  msw.server.events.on('request:start', ({ request }) => {
    seen.push({
      method: request.method,
      path: new URL(request.url).pathname,
      auth: request.headers.get('authorization'),
      tenant: request.headers.get('x-tenant'),
    });
  });
  const client = createSeqlineClient({ baseUrl: BASE, headers: { authorization: 'Bearer k' } });
  render(
    <QueryClientProvider client={newQueryClient()}>
      <SeqlineProvider client={client}>
        <Chat />
      </SeqlineProvider>
    </QueryClientProvider>,
  );
  await screen.findByText('hello');
  api.current!.send('again');
  await waitFor(() => expect(seen.some((r) => r.method === 'POST')).toBe(true));
  await waitFor(() => expect(api.count).toBeGreaterThanOrEqual(3)); // the reply came on the stream
  const kinds = new Set(seen.map((r) => `${r.method} ${r.path.split('/').at(-1)}`));
  expect(kinds).toEqual(new Set(['GET messages', 'GET stream', 'POST messages']));
  expect(seen.every((r) => r.auth === 'Bearer k')).toBe(true);
  expect(seen.filter((r) => r.tenant === 't1').map((r) => r.method)).toEqual(['POST']);
  msw.server.events.removeAllListeners('request:start');
});
