/** A stored message of conversation `conversationId` with sequence `sequence` (id `m<sequence>`). */
export function message(sequence: number, conversationId = 'c') {
  return {
    id: `m${sequence}`,
    conversationId,
    sequence,
    createdAt: '2026-01-01T00:00:00Z',
    role: 'user',
    content: `m${sequence}`,
    status: 'complete',
  };
}
