/** The one-process example of docs/bus.md, run as written (imports point at the source). */
import { expect, it } from 'vitest';
import type { Message } from '../../src/index';
import {
  createConversationStream,
  createMemoryBus,
  createReplyWriter,
  type SseEntry,
} from '../../src/server/index';

it('docs/bus.md: a subscriber joining mid-reply gets the snapshot, then the live deltas', async () => {
  const bus = createMemoryBus();
  const rows = new Map<string, Message>();
  const loadSnapshot = (conversationId: string, after: number) =>
    [...rows.values()].filter(
      (m) => m.conversationId === conversationId && (m.sequence ?? 0) > after,
    );

  const reply: Message = {
    id: 'm2',
    conversationId: 'c1',
    sequence: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    role: 'assistant',
    content: '',
    status: 'pending',
  };
  rows.set(reply.id, reply);
  const writer = createReplyWriter({
    bus,
    message: reply,
    persistEveryChars: 5,
    persist: async (u) =>
      void rows.set(u.messageId, {
        ...rows.get(u.messageId)!,
        content: u.content,
        status: u.status,
      }),
  });
  await writer.start();
  await writer.append('Hello, ');

  const received: SseEntry[] = [];
  createConversationStream({ bus, conversationId: 'c1', loadSnapshot }).subscribe(undefined, {
    send: (entry) => received.push(entry),
    close() {},
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  await writer.append('world');
  await writer.complete();

  expect(received.map((e) => e.event.type)).toEqual(['message', 'delta', 'status']);
  expect(received[0]!.event).toMatchObject({
    message: { content: 'Hello, ', status: 'streaming' },
  });
  expect(received[1]!.event).toEqual({ type: 'delta', messageId: 'm2', offset: 7, text: 'world' });
  expect(rows.get('m2')).toMatchObject({ content: 'Hello, world', status: 'complete' });
});
