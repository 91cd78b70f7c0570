/**
 * The conversation store's lifecycle: it follows the query cache only while
 * something listens, catches up on what landed meanwhile, and is evicted
 * once idle for the history query's gcTime. Before issue 16 the cache
 * subscription was taken at creation and held until eviction (for ever
 * with `gcTime: Infinity`), so the first two tests failed.
 */
import { QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getConversationStore, messagesQueryKey } from '../../src/client/index';
import { message } from './fixtures';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('conversation store lifecycle', () => {
  it('subscribes to the query cache on its first listener and releases it on its last', () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } });
    const cache = queryClient.getQueryCache();
    const store = getConversationStore(queryClient, 'c');
    expect(cache.hasListeners()).toBe(false);
    const stopA = store.subscribe(() => {});
    const stopB = store.subscribeKey('m1', () => {});
    expect(cache.hasListeners()).toBe(true);
    stopA();
    stopA(); // twice: still counted once
    expect(cache.hasListeners()).toBe(true);
    stopB();
    expect(cache.hasListeners()).toBe(false);
    // gcTime Infinity: never evicted, the same store comes back.
    vi.advanceTimersByTime(10 * 60_000);
    expect(getConversationStore(queryClient, 'c')).toBe(store);
  });

  it('merges history that landed while nobody listened when the first listener comes', () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } });
    const store = getConversationStore(queryClient, 'c');
    store.subscribe(() => {})();
    queryClient.setQueryData(messagesQueryKey('c'), { messages: [message(1), message(2)] });
    expect(store.getTimeline().keys).toEqual([]); // not following the cache now
    const seen = vi.fn();
    const stop = store.subscribe(seen);
    expect(store.getTimeline().keys).toEqual(['m1', 'm2']);
    seen.mockClear();
    // Followed again: a later success is merged as it lands.
    queryClient.setQueryData(messagesQueryKey('c'), { messages: [message(3)] });
    expect(store.getTimeline().keys).toEqual(['m1', 'm2', 'm3']);
    expect(seen).toHaveBeenCalledTimes(1);
    stop();
  });

  it('is evicted after gcTime idle and recreated from the cached history', () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: 1000 } } });
    queryClient.setQueryData(messagesQueryKey('c'), { messages: [message(1)] });
    const store = getConversationStore(queryClient, 'c');
    const stop = store.subscribe(() => {});
    vi.advanceTimersByTime(5000);
    expect(getConversationStore(queryClient, 'c')).toBe(store); // held: kept
    stop();
    vi.advanceTimersByTime(999);
    expect(getConversationStore(queryClient, 'c')).toBe(store);
    // A listener that comes and goes within gcTime restarts the wait.
    store.subscribe(() => {})();
    vi.advanceTimersByTime(999);
    expect(getConversationStore(queryClient, 'c')).toBe(store);
    vi.advanceTimersByTime(1);
    expect(queryClient.getQueryCache().hasListeners()).toBe(false);
    // The idle query went too (same gcTime); the next store starts from what is cached then.
    queryClient.setQueryData(messagesQueryKey('c'), { messages: [message(1), message(2)] });
    const next = getConversationStore(queryClient, 'c');
    expect(next).not.toBe(store);
    expect(next.getTimeline().keys).toEqual(['m1', 'm2']);
  });
});
