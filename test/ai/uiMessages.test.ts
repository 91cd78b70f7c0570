/** seqline messages <-> AI SDK UIMessages, and history -> model messages. */
import { describe, expect, it } from 'vitest';
import { fromUIMessages, toModelMessages, toUIMessage } from '../../src/ai/index';
import type { Message } from '../../src/index';

const message = (over: Partial<Message>): Message => ({
  id: 'm1',
  conversationId: 'c1',
  sequence: 1,
  createdAt: '2026-01-01T00:00:00.123456Z',
  role: 'user',
  content: 'Hi',
  status: 'complete',
  ...over,
});

describe('toUIMessage / fromUIMessages', () => {
  it('round-trips order, time, status, clientId, error and parts', () => {
    const conversation = [
      message({ clientId: 'k1' }),
      message({
        id: 'm2',
        sequence: 2,
        role: 'assistant',
        content: 'Sunny.',
        parts: [{ type: 'reasoning', text: 'think', state: 'done' }],
      }),
      message({
        id: 'm3',
        sequence: 3,
        role: 'assistant',
        content: 'par',
        status: 'failed',
        error: 'stopped',
      }),
    ];
    const ui = conversation.map(toUIMessage);
    expect(ui[1]).toEqual({
      id: 'm2',
      role: 'assistant',
      parts: [
        { type: 'reasoning', text: 'think', state: 'done' },
        { type: 'text', text: 'Sunny.', state: 'done' },
      ],
      metadata: {
        sequence: 2,
        conversationId: 'c1',
        createdAt: '2026-01-01T00:00:00.123456Z',
        status: 'complete',
      },
    });
    expect(fromUIMessages(ui, { conversationId: 'ignored' })).toEqual(conversation);
  });

  it('a reply still empty and pending has no text part yet; streaming text is marked streaming', () => {
    expect(
      toUIMessage(message({ role: 'assistant', content: '', status: 'pending' })).parts,
    ).toEqual([]);
    expect(
      toUIMessage(message({ role: 'assistant', content: 'Hel', status: 'streaming' })).parts,
    ).toEqual([{ type: 'text', text: 'Hel', state: 'streaming' }]);
  });

  it('plain useChat messages take their array position as sequence; the last reply streams while useChat does', () => {
    const messages = fromUIMessages(
      [
        { id: 'a', role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
        {
          id: 'b',
          role: 'assistant',
          parts: [
            { type: 'text', text: 'Hel' },
            { type: 'text', text: 'lo' },
          ],
        },
      ],
      { conversationId: 'c9', streaming: true },
    );
    expect(messages.map((m) => [m.id, m.sequence, m.conversationId, m.content, m.status])).toEqual([
      ['a', 1, 'c9', 'Hi', 'complete'],
      ['b', 2, 'c9', 'Hello', 'streaming'],
    ]);
  });

  it('toModelMessages keeps user, assistant and system text, and leaves out empty and tool messages', () => {
    expect(
      toModelMessages([
        message({ role: 'system', content: 'Be brief.' }),
        message({ content: 'Hi' }),
        message({ role: 'assistant', content: '', status: 'failed' }),
        message({ role: 'tool', content: '{}' }),
        message({ role: 'assistant', content: 'Hello' }),
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
    ]);
  });
});
