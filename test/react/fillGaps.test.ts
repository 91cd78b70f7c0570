/**
 * ConversationStore.fillGaps (the gap fill behind useMessageStream): each
 * missing range is fetched once, never twice at the same time, and a range
 * still missing after a successful fetch is a real hole (e.g. a Redis
 * allocator gap) that is not fetched again. A mutation that dropped
 * `gapsTried` survived every test before this file.
 */
import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import { mergeMessages } from '../../src/index';
import { getConversationStore } from '../../src/react/query';

const stored = (conversationId: string, sequence: number) => ({
  id: `m${sequence}`,
  conversationId,
  sequence,
  createdAt: '2026-01-01T00:00:00.000Z',
  role: 'user',
  content: `m${sequence}`,
  status: 'complete',
});

/** A store whose timeline holds sequences 1 and 4: the gap 2–3. */
function storeWithGap(conversationId: string) {
  const store = getConversationStore(new QueryClient(), conversationId);
  store.update((t) => mergeMessages(t, [stored(conversationId, 1), stored(conversationId, 4)]));
  expect(store.getTimeline().gaps).toEqual([{ from: 2, to: 3 }]);
  return store;
}

describe('ConversationStore.fillGaps', () => {
  it('fetches a gap once, and not again when the server has nothing for it (a real hole)', async () => {
    const store = storeWithGap('hole');
    const fetchMessages = vi.fn(async () => []);
    await store.fillGaps(fetchMessages);
    await store.fillGaps(fetchMessages);
    expect(fetchMessages).toHaveBeenCalledTimes(1);
    expect(fetchMessages).toHaveBeenCalledWith({ conversationId: 'hole', after: 1, limit: 2 });
    expect(store.getTimeline().gaps).toEqual([{ from: 2, to: 3 }]);
  });

  it('does not fetch a gap twice while its fetch is in flight', async () => {
    const store = storeWithGap('in-flight');
    let release!: (page: unknown[]) => void;
    const fetchMessages = vi.fn(() => new Promise<unknown[]>((resolve) => (release = resolve)));
    const first = store.fillGaps(fetchMessages);
    const second = store.fillGaps(fetchMessages);
    release([stored('in-flight', 2), stored('in-flight', 3)]);
    await Promise.all([first, second]);
    expect(fetchMessages).toHaveBeenCalledTimes(1);
    expect(store.getTimeline().gaps).toEqual([]);
  });

  it('fetches a gap again after its fetch failed', async () => {
    const store = storeWithGap('retry');
    const fetchMessages = vi
      .fn<() => Promise<unknown[]>>()
      .mockRejectedValueOnce(new Error('offline'))
      .mockResolvedValueOnce([stored('retry', 2), stored('retry', 3)]);
    await expect(store.fillGaps(fetchMessages)).rejects.toThrow('offline');
    await store.fillGaps(fetchMessages);
    expect(fetchMessages).toHaveBeenCalledTimes(2);
    expect(store.getTimeline().gaps).toEqual([]);
  });
});
