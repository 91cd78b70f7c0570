import type { Meta, StoryObj } from '@storybook/react-vite';
import { OrderedMessageList } from 'seqline/react';
import { expect, waitFor, within } from 'storybook/test';
import { renderedRows } from './support/assertions';
import { ChatDemo } from './support/ChatDemo';
import { mockServerIn } from './support/mockServer';

/**
 * A 10,000-message conversation, as a chat app shows one: it opens at the
 * newest message with one request (the latest page), loads older pages as
 * you scroll up without moving what you are reading, follows new messages
 * while you are at the bottom, and offers "new messages" when you are not.
 */
const meta = {
  title: 'seqline/OrderedMessageList/Long conversations',
  component: OrderedMessageList,
  parameters: { controls: { disable: true } },
} satisfies Meta<typeof OrderedMessageList>;

export default meta;
type Story = StoryObj<typeof meta>;

const TEN_THOUSAND = Array.from({ length: 10_000 }, (_, i) => ({
  role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
  content:
    i % 2 === 0
      ? `Message ${i + 1}: a question`
      : `Message ${i + 1}: an answer, sometimes long enough to wrap onto a second line of the list`,
}));

const reply = (text: string) => ({ text: () => text, chunkSize: 4, intervalMs: 40 });
const REPLY =
  'A reply that streams in while you read older messages: the list does not move, and the "new messages" button tells you it is there.';

/** The chat's scrolling list. */
const listIn = (canvas: HTMLElement) =>
  canvas.querySelector<HTMLElement>('.seqline-chat__list') ?? fail('no list');
const rowOf = (canvas: HTMLElement, sequence: number) =>
  canvas.querySelector<HTMLElement>(`[data-sequence="${sequence}"]`) ?? fail(`no row ${sequence}`);
/** Where `row` is, relative to the top of the list's viewport. */
const offsetIn = (list: HTMLElement, row: HTMLElement) =>
  row.getBoundingClientRect().top - list.getBoundingClientRect().top;
const isInView = (list: HTMLElement, row: HTMLElement) => {
  const box = list.getBoundingClientRect();
  const rect = row.getBoundingClientRect();
  return rect.bottom > box.top && rect.top < box.bottom + 1;
};

function fail(message: string): never {
  throw new Error(message);
}

async function openedAtTheBottom(canvas: HTMLElement) {
  await waitFor(() => expect(renderedRows(canvas)).toHaveLength(200), { timeout: 10_000 });
  const list = listIn(canvas);
  await waitFor(() => expect(isInView(list, rowOf(canvas, 10_000))).toBe(true));
  return list;
}

/** Opens at the newest message: the latest page (200 messages), scrolled to the bottom. */
export const OpensAtTheBottom: Story = {
  args: { conversationId: '' },
  render: () => <ChatDemo server={{ name: 'ten-thousand', history: TEN_THOUSAND }} />,
  play: async ({ canvasElement }) => {
    const list = await openedAtTheBottom(canvasElement);
    await expect(list.scrollHeight - list.scrollTop - list.clientHeight).toBeLessThanOrEqual(1);
    await expect(renderedRows(canvasElement)[0]!.sequence).toBe(9801);
  },
};

/**
 * Scroll to the top: the sentinel loads the page above (also a "Load older
 * messages" button for keyboards), and the message you were looking at
 * stays exactly where it was.
 */
export const ScrollingUpThroughOlderPages: Story = {
  args: { conversationId: '' },
  render: () => <ChatDemo server={{ name: 'older-pages', history: TEN_THOUSAND }} />,
  play: async ({ canvasElement }) => {
    const list = await openedAtTheBottom(canvasElement);
    for (const [oldest, loaded] of [
      [9801, 400],
      [9601, 600],
    ] as const) {
      list.scrollTop = 0;
      const anchor = rowOf(canvasElement, oldest);
      const before = offsetIn(list, anchor);
      await waitFor(() => expect(renderedRows(canvasElement)).toHaveLength(loaded), {
        timeout: 10_000,
      });
      // Let the browser lay out and paint the new page before measuring.
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)));
      await expect(Math.abs(offsetIn(list, anchor) - before)).toBeLessThanOrEqual(1);
      await expect(list.scrollTop).toBeGreaterThan(1000);
    }
    await expect(
      within(canvasElement).getByRole('button', { name: 'Load older messages' }),
    ).toBeInTheDocument();
  },
};

/**
 * A reply streams in while you read older messages: the list does not move
 * and "new messages" shows. Jump to the latest, and the next reply is
 * followed as it streams.
 */
export const ReplyWhileScrolledUp: Story = {
  args: { conversationId: '' },
  render: () => (
    <ChatDemo server={{ name: 'scrolled-up', history: TEN_THOUSAND, reply: reply(REPLY) }} />
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const list = await openedAtTheBottom(canvasElement);
    const server = mockServerIn(canvasElement);
    list.scrollTop -= 600;
    await waitFor(() =>
      expect(canvas.getByRole('button', { name: /Jump to latest/ })).toBeVisible(),
    );
    const scrolledTo = list.scrollTop;

    // Another device asks; the assistant's reply streams into the conversation.
    await server.handlers.db.send(server.conversationId, {
      clientId: 'other-device-1',
      role: 'user',
      content: 'A question from another device',
    });
    const jump = await canvas.findByRole('button', { name: /2 new messages/ });
    await waitFor(() => expect(rowOf(canvasElement, 10_002).dataset.status).toBe('streaming'));
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await expect(list.scrollTop).toBe(scrolledTo);
    }
    await server.idle();
    await expect(list.scrollTop).toBe(scrolledTo);

    // At the bottom again, the next streaming reply stays in view as it grows.
    jump.click();
    await waitFor(() =>
      expect(canvas.queryByRole('button', { name: /new message|Jump/ })).toBeNull(),
    );
    await server.handlers.db.send(server.conversationId, {
      clientId: 'other-device-2',
      role: 'user',
      content: 'And another one',
    });
    await waitFor(() => expect(rowOf(canvasElement, 10_004).dataset.status).toBe('streaming'));
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      const last = rowOf(canvasElement, 10_004).getBoundingClientRect();
      await expect(last.bottom).toBeLessThanOrEqual(list.getBoundingClientRect().bottom + 1);
    }
    await server.idle();
    await expect(list.scrollHeight - list.scrollTop - list.clientHeight).toBeLessThanOrEqual(1);
  },
};
