import type { Meta, StoryObj } from '@storybook/react-vite';
import { delay, HttpResponse, http } from 'msw';
import { OrderedMessageList } from 'seqline/react';
import { createConversationStream, createSseResponse } from 'seqline/server';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { expectListMatchesServer, renderedRows } from './support/assertions';
import { ChatDemo } from './support/ChatDemo';
import { type MockServer, mockServerIn } from './support/mockServer';

/**
 * Every state a message list goes through, each on its own mock server
 * (seqline/msw in the browser) and its own `QueryClient`, so the stories on
 * this page never share data.
 *
 * The chat around the list is what an app would write: `useMessageStream`
 * for live events, `useSendMessage` for the composer, and
 * `OrderedMessageList` for the rows. Rows show their server sequence (`#3`),
 * or `#…` while the server has not confirmed them yet.
 */
const meta = {
  title: 'seqline/OrderedMessageList',
  component: OrderedMessageList,
  tags: ['autodocs'],
  argTypes: {
    conversationId: {
      description:
        'Which conversation to show. The hooks and lists of one conversation under one `QueryClient` share its messages.',
    },
    renderMessage: {
      table: {
        defaultValue: { summary: 'a row with pending, streaming and failed (Retry) states' },
      },
    },
    renderGap: {
      table: { defaultValue: { summary: 'a "Loading messages from–to…" status line' } },
    },
    history: { table: { defaultValue: { summary: '{} (the default fetcher, same origin)' } } },
    as: { table: { defaultValue: { summary: "'div'" } } },
  },
  parameters: {
    // The props are documented below; the stories are scenarios, not prop toggles.
    controls: { disable: true },
    docs: {
      description: {
        component: `
\`OrderedMessageList\` renders one conversation in its one correct order: the server's
history, your optimistic sends and the assistant's streamed replies, merged by the
seqline timeline. Messages never jump, duplicate or disappear, across refetches,
retries and reconnects.

- **Order** comes from the server's \`sequence\` number, never from clocks. A message
  you just sent has no sequence yet; it waits right after the last message you saw.
- **Keys** are \`clientId ?? id\`: when the server confirms a sent message, its row
  keeps the same DOM node (no flicker, no lost focus).
- **Speed**: the list re-renders only when the order changes; a streamed word
  re-renders just its own row, however long the conversation.
- **Gaps**: if messages are missing in the middle (a sequence number was skipped),
  \`renderGap\` shows a placeholder where they belong until they are fetched.

Put it under the same \`QueryClientProvider\` as the hooks. Without \`renderMessage\`
you get a plain default row with pending, streaming and failed (Retry) states.
`,
      },
    },
  },
} satisfies Meta<typeof OrderedMessageList>;

export default meta;
type Story = StoryObj<typeof meta>;

const conversation = [
  { role: 'user' as const, content: 'Can you keep messages in order?' },
  { role: 'assistant' as const, content: 'Yes: every message gets a sequence from the server.' },
  { role: 'user' as const, content: 'Even after a refresh?' },
  { role: 'assistant' as const, content: 'Even then. The order is stored, not guessed.' },
  { role: 'user' as const, content: 'And two messages in the same millisecond?' },
  { role: 'assistant' as const, content: 'They still get two different numbers.' },
];

/** The POST route of a story's mock server, for overrides. */
const postPath = (server: MockServer) => `*${server.baseUrl}/conversations/:id/messages`;

/** No messages yet: the `empty` slot. Sending the first message replaces it (try it). */
export const Empty: Story = {
  args: { conversationId: '' },
  render: () => <ChatDemo server={{ name: 'empty' }} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByText('No messages yet. Say hello.')).toBeVisible();
    await expect(renderedRows(canvasElement)).toEqual([]);
  },
};

/** History is still on its way (this server never answers): a skeleton, not an empty chat. */
export const Loading: Story = {
  args: { conversationId: '' },
  render: () => (
    <ChatDemo
      server={{
        name: 'loading',
        history: conversation,
        overrides: (server) => [
          http.get(`*${server.baseUrl}/conversations/:id/messages`, () => delay('infinite')),
        ],
      }}
    />
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const status = await canvas.findByRole('status');
    await expect(status).toHaveTextContent('Loading conversation…');
    await expect(status).toHaveAttribute('aria-busy', 'true');
    await delay(300);
    await expect(canvas.queryByRole('list', { name: 'Messages' })).toBeNull();
  },
};

/** A conversation loaded from the server: rows in sequence order, no live activity. */
export const HistoryOnly: Story = {
  args: { conversationId: '' },
  render: () => <ChatDemo server={{ name: 'history', history: conversation }} />,
  play: async ({ canvasElement }) => {
    await expectListMatchesServer(canvasElement, mockServerIn(canvasElement));
    await expect(renderedRows(canvasElement).map((row) => row.sequence)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  },
};

/** Sent, not confirmed: the row shows at once, at the end, marked "Sending…" (this server never answers). */
export const PendingSend: Story = {
  args: { conversationId: '' },
  render: () => (
    <ChatDemo
      server={{
        name: 'pending',
        history: conversation.slice(0, 2),
        overrides: (server) => [http.post(postPath(server), () => delay('infinite'))],
      }}
      autoSend={['Is this thing on?']}
    />
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByText('Sending…')).toBeVisible();
    const rows = renderedRows(canvasElement);
    await expect(rows.map((row) => row.content)).toEqual([
      conversation[0]!.content,
      conversation[1]!.content,
      'Is this thing on?',
    ]);
    await expect(rows[2]).toMatchObject({ sequence: null, status: 'pending' });
    await expect(mockServerIn(canvasElement).truth()).toHaveLength(2);
  },
};

/**
 * A chat whose first POST is refused (422: a 4xx is final; a 503 would be retried by
 * itself): "Hello?" is sent on mount, and fails.
 */
const failingOnce = (name: string) => (
  <ChatDemo
    server={{
      name,
      overrides: (server) => {
        let failures = 1;
        return [
          http.post(postPath(server), () =>
            failures-- > 0
              ? HttpResponse.json(
                  { error: { code: 'REFUSED', message: 'the moderation check is down' } },
                  { status: 422 },
                )
              : undefined,
          ),
        ];
      },
    }}
    autoSend={['Hello?']}
  />
);

/** Waits for the failed row: "Not sent", with Retry, and nothing stored on the server. */
async function expectFailedRow(canvasElement: HTMLElement) {
  const canvas = within(canvasElement);
  const alert = await canvas.findByRole('alert');
  await expect(alert).toHaveTextContent('Not sent');
  await expect(within(alert).getByRole('button', { name: 'Retry' })).toBeVisible();
  await expect(mockServerIn(canvasElement).truth()).toHaveLength(0);
}

/**
 * The POST was refused (422): the row stays where it was, marked "Not sent", with
 * Retry. The story rests here; click Retry to see it confirmed (the server
 * answers from then on), or open "Failed Send Retried".
 */
export const FailedSend: Story = {
  args: { conversationId: '' },
  render: () => failingOnce('failed'),
  play: async ({ canvasElement }) => {
    await expectFailedRow(canvasElement);
    await expect(renderedRows(canvasElement)).toMatchObject([
      { content: 'Hello?', sequence: null, status: 'failed' },
    ]);
  },
};

/**
 * The same failure, then Retry: the same `clientId` is sent again, so the
 * server stores the message once, and the row is confirmed in place.
 */
export const FailedSendRetried: Story = {
  args: { conversationId: '' },
  render: () => failingOnce('retried'),
  play: async ({ canvasElement }) => {
    await expectFailedRow(canvasElement);
    const server = mockServerIn(canvasElement);
    const row = canvasElement.querySelector('[data-status="failed"]');
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Retry' }));
    await expectListMatchesServer(canvasElement, server);
    const truth = server.truth();
    await expect(truth.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Hello?'],
      ['assistant', truth[1]!.content],
    ]);
    // Confirmed in place: the same DOM node, not a remount.
    await expect(canvasElement.querySelector('[data-sequence="1"]')).toBe(row);
  },
};

const story = [
  'Once upon a time, two messages were written in the same millisecond. Nobody could tell which came first, until the server gave each a number. From then on, every reload showed them in the same order, and everyone lived in order ever after.',
  'But the story does not end there. One evening the network dropped in the middle of a long reply. The client waited a moment, reconnected, and told the server the last event it had seen. The server picked up exactly where it had stopped — not a word repeated, not a word lost.',
  'Later, someone opened the same chat on a phone while the laptop was still streaming. Both screens showed the same reply growing, letter by letter, in the same place. Nobody had to refresh anything. And when the reply was finally complete, it simply stopped growing, and stayed where it was.',
].join('\n\n');

/**
 * The assistant's reply arrives a few letters at a time over the stream, at
 * reading pace: the story stays in this state for about half a minute. Only the
 * reply's row re-renders.
 */
export const StreamingReply: Story = {
  args: { conversationId: '' },
  render: () => (
    <ChatDemo
      server={{
        name: 'streaming',
        history: conversation.slice(0, 2),
        reply: { text: () => story, chunkSize: 4, intervalMs: 150 },
      }}
      autoSend={['Tell me a story']}
    />
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('img', { name: 'typing' });
    const reply = () => renderedRows(canvasElement)[3]!;
    await expect(reply()).toMatchObject({ sequence: 4, status: 'streaming' });
    const before = reply().content;
    await waitFor(() => expect(reply().content.length).toBeGreaterThan(before.length + 5));
    await expect(story.startsWith(reply().content)).toBe(true);
  },
};

/** A question and its finished reply: the reply got the sequence right after the question. */
export const CompletedReply: Story = {
  args: { conversationId: '' },
  render: () => (
    <ChatDemo
      server={{ name: 'completed', history: conversation }}
      autoSend={['What is seqline?']}
    />
  ),
  play: async ({ canvasElement }) => {
    const server = mockServerIn(canvasElement);
    await expectListMatchesServer(canvasElement, server);
    const rows = renderedRows(canvasElement);
    await expect(rows.slice(-2).map((row) => [row.sequence, row.status])).toEqual([
      [7, 'complete'],
      [8, 'complete'],
    ]);
    await expect(within(canvasElement).queryByRole('img', { name: 'typing' })).toBeNull();
  },
};

const twelve = Array.from({ length: 12 }, (_, i) => ({
  role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
  content:
    i % 2 === 0
      ? `Question ${i / 2 + 1}: what happens next?`
      : `Answer ${(i + 1) / 2}: ${i % 4 === 1 ? 'it waits for the server.' : 'it shows up in order.'}`,
}));

/**
 * A chat whose first history page comes back without messages 9–11 (a
 * lagging replica, say); 600 ms later a message arrives from another device
 * on the stream. Fetches of the missing range wait `rangeDelay`. The stream's
 * catch-up reads the same replica (its `loadSnapshot`), so it does not fill the gap.
 */
const lagging = (name: string, rangeDelay: number | 'infinite') => (
  <ChatDemo
    server={{
      name,
      reply: false,
      history: twelve,
      overrides: (server) => [
        http.get(`*${server.baseUrl}/conversations/:id/messages`, async ({ request }) => {
          const after = Number(new URL(request.url).searchParams.get('after') ?? 0);
          if (after === 0) {
            const page = server.truth().filter((m) => m.sequence! < 9 || m.sequence! > 11);
            return HttpResponse.json({ messages: page });
          }
          await delay(rangeDelay);
          return undefined; // on to the mock: the exact range asked for
        }),
        http.get(`*${server.baseUrl}/conversations/:id/stream`, ({ request, params }) => {
          const { db } = server.handlers;
          return createSseResponse({
            request,
            keepAliveMs: 0,
            source: createConversationStream({
              bus: db.bus,
              conversationId: String(params.id),
              loadSnapshot: (id, after) =>
                db.history(id, { after }).filter((m) => m.sequence! < 9 || m.sequence! > 11),
              after: Number(new URL(request.url).searchParams.get('after') ?? 0),
            }),
          });
        }),
      ],
    }}
    onServer={(server) => {
      const timer = setTimeout(() => {
        void server.handlers.db.insert(server.conversationId, {
          role: 'user',
          content: 'Sent from another device',
        });
      }, 600);
      return () => clearTimeout(timer);
    }}
  />
);

/**
 * Messages 9–11 are missing from the history: the list shows a placeholder
 * where they belong while exactly that range is fetched. (This server never
 * answers that fetch, so the story rests here; "Gap Filled" shows the end.)
 */
export const GapBeingFilled: Story = {
  args: { conversationId: '' },
  render: () => lagging('gap', 'infinite'),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByText('Loading messages 9–11…')).toBeVisible();
    // (#13, from another device, may follow: it is what asks for the range.)
    await expect(
      renderedRows(canvasElement)
        .map((row) => row.sequence)
        .slice(0, 9),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 12]);
  },
};

/** The same gap, fetched slowly (1.5 s): the placeholder gives way to messages 9–11. */
export const GapFilled: Story = {
  args: { conversationId: '' },
  render: () => lagging('filled', 1500),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByText('Loading messages 9–11…')).toBeVisible();
    const server = mockServerIn(canvasElement);
    await waitFor(() => expect(server.truth()).toHaveLength(13), { timeout: 5000 });
    await expectListMatchesServer(canvasElement, server);
    await expect(canvas.queryByText('Loading messages 9–11…')).toBeNull();
  },
};

const rowRenders = { current: 0 };

/**
 * 1,200 messages, of which the list opens with the latest page (200; older
 * pages load as you scroll up). Sending one and streaming its reply
 * re-renders the new rows only: the play function counts row renders while
 * the reply streams.
 */
export const LongConversation: Story = {
  args: { conversationId: '' },
  render: () => (
    <ChatDemo
      server={{
        name: 'long',
        history: Array.from({ length: 1200 }, (_, i) => ({
          role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
          content: `Message ${i + 1}: ${i % 2 === 0 ? 'a question' : 'an answer to it'}`,
        })),
      }}
      rowRenders={rowRenders}
    />
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(renderedRows(canvasElement)).toHaveLength(200), {
      timeout: 10_000,
    });
    const before = rowRenders.current;
    const started = performance.now();
    await userEvent.type(canvas.getByLabelText('Message'), 'Summarise all of that');
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    // The message shows at once (the reply may already be there too: the mock answers in the page).
    await waitFor(() => expect(renderedRows(canvasElement).length).toBeGreaterThanOrEqual(201));
    const toOptimisticRow = performance.now() - started;
    const server = mockServerIn(canvasElement);
    await expectListMatchesServer(canvasElement, server, 10_000, 202);
    const reply = server.truth().at(-1)!;
    const deltas = Math.ceil(reply.content.length / 4);
    const renders = rowRenders.current - before;
    // Each stream event re-renders one row; a list that re-rendered every row would need 200 per event.
    await expect(renders).toBeLessThan(4 * (deltas + 10));
    // Typing 21 characters and sending, on a slow CI machine, stays interactive.
    await expect(toOptimisticRow).toBeLessThan(5000);
  },
};
