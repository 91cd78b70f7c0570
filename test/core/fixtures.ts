import type { Message } from '../../src/index';

/** A stored server message with sensible defaults; override any field. */
export function serverMessage(
  overrides: Partial<Message> & { id: string; sequence: number | null },
): Message {
  return {
    conversationId: 'c1',
    createdAt: '2026-01-01T00:00:00.000Z',
    role: 'user',
    content: '',
    status: 'complete',
    ...overrides,
  };
}
