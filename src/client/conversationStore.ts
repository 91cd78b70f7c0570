import type { QueryClient } from '@tanstack/query-core';
import { warn } from '../core/warn';
import {
  changedKeys,
  createTimeline,
  mergeLatestPage,
  mergeMessages,
  type SequenceGap,
  type Timeline,
} from '../index';
import type { FetchMessages } from './fetchers';

/** The query key of a conversation's history: `['seqline', 'messages', conversationId]`. */
export function messagesQueryKey(conversationId: string) {
  return ['seqline', 'messages', conversationId] as const;
}

/**
 * The cache hash of a conversation's history query, as `queryClient` computes it
 * (so a custom `queryKeyHashFn` in its defaults is followed). Through the client,
 * not `hashKey`, so this layer imports nothing of TanStack Query at run time.
 */
export function historyQueryHash(queryClient: QueryClient, conversationId: string): string {
  return queryClient.defaultQueryOptions({ queryKey: messagesQueryKey(conversationId) }).queryHash;
}

/**
 * One conversation's live state, shared by every seqline hook under one
 * `QueryClient`: the timeline (history + optimistic + streamed), with a
 * subscription for the whole list and one per message key. Everything the
 * hooks do goes through `update`, so every change is one core operation.
 */
export interface ConversationStore {
  readonly conversationId: string;
  /** The current timeline (a new value only when something changed). */
  getTimeline(): Timeline;
  /**
   * Applies a core operation, e.g. `(t) => applyStreamEvent(t, event)`.
   * Listeners are told only when it returns a different timeline; a key's
   * listeners only when that key's message changed. Throws what `op`
   * throws, and then nothing changed.
   */
  update(op: (timeline: Timeline) => Timeline): Timeline;
  /** Called after every change. */
  subscribe(listener: () => void): () => void;
  /** Called when the message with this key (`clientId ?? id`) changes, appears or goes. */
  subscribeKey(key: string, listener: () => void): () => void;
  /** The resend for a failed optimistic message, registered by `useSendMessage`. */
  getRetry(key: string): (() => void) | undefined;
  setRetry(key: string, retry: (() => void) | undefined): void;
  /**
   * Fetches each missing range once (`after = from - 1`, `limit = to - from + 1`)
   * and merges it. A range that is still missing after its fetch is a real
   * hole (e.g. a Redis allocator gap) and is not fetched again.
   */
  fillGaps(fetchMessages: FetchMessages): Promise<void>;
}

const stores = new WeakMap<QueryClient, Map<string, ConversationStore>>();

/**
 * The store of one conversation under `queryClient`, created on first use.
 * While something subscribes to it (a mounted hook, a started stream
 * controller) it follows the history query (`messagesQueryKey`): data from a
 * fetch, a prefetch or `setQueryData` is merged into the timeline — merged,
 * never replacing newer live state — and what landed while nobody listened is
 * merged when the first listener comes. The last listener's leaving ends its
 * query-cache subscription; idle for the history query's `gcTime` (default
 * 5 minutes), the store is released, like an inactive query, and the next use
 * starts a new one from the cached history. A new client (a page refresh)
 * starts from the server's history again.
 *
 * @example
 * const store = getConversationStore(queryClient, 'c1');
 * store.update((t) => applyStreamEvent(t, event)); // e.g. events from your own WebSocket
 */
export function getConversationStore(
  queryClient: QueryClient,
  conversationId: string,
): ConversationStore {
  let byId = stores.get(queryClient);
  if (!byId) {
    byId = new Map();
    stores.set(queryClient, byId);
  }
  let store = byId.get(conversationId);
  if (!store) {
    const held = byId;
    store = createConversationStore(queryClient, conversationId, (released) => {
      if (held.get(conversationId) === released) held.delete(conversationId);
    });
    byId.set(conversationId, store);
  }
  return store;
}

// ---------------------------------------------------------------------------

function createConversationStore(
  queryClient: QueryClient,
  conversationId: string,
  onRelease: (store: ConversationStore) => void,
): ConversationStore {
  let timeline = createTimeline(conversationId);
  // Subscribers (hooks, stream controllers) holding the store. The first one
  // subscribes it to the query cache; at 0 it unsubscribes and the release timer runs.
  let holders = 0;
  let releaseTimer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribeCache: (() => void) | undefined;
  const hold = (unsubscribe: () => void) => {
    if (holders++ === 0) follow();
    clearTimeout(releaseTimer);
    let held = true;
    return () => {
      unsubscribe();
      if (!held) return;
      held = false;
      if (--holders === 0) {
        unsubscribeCache?.();
        unsubscribeCache = undefined;
        releaseLater();
      }
    };
  };
  const listeners = new Set<() => void>();
  const keyListeners = new Map<string, Set<() => void>>();
  const retries = new Map<string, () => void>();
  const gapsInFlight = new Set<string>();
  const gapsTried = new Set<string>();
  const queryKey = messagesQueryKey(conversationId);

  const store: ConversationStore = {
    conversationId,
    getTimeline: () => timeline,
    update(op) {
      const previous = timeline;
      const next = op(previous);
      if (next === previous) return previous;
      timeline = next;
      // Only the rows whose message changed: O(changes), not O(rows), per streamed token.
      for (const key of changedKeys(previous, next)) {
        const forKey = keyListeners.get(key);
        if (forKey) for (const listener of [...forKey]) listener();
      }
      for (const listener of [...listeners]) listener();
      return next;
    },
    subscribe(listener) {
      listeners.add(listener);
      return hold(() => listeners.delete(listener));
    },
    subscribeKey(key, listener) {
      let forKey = keyListeners.get(key);
      if (!forKey) {
        forKey = new Set();
        keyListeners.set(key, forKey);
      }
      forKey.add(listener);
      return hold(() => {
        forKey.delete(listener);
        if (forKey.size === 0) keyListeners.delete(key);
      });
    },
    getRetry: (key) => retries.get(key),
    setRetry(key, retry) {
      if (retry) retries.set(key, retry);
      else retries.delete(key);
    },
    async fillGaps(fetchMessages) {
      const wanted = timeline.gaps.filter((gap) => {
        const id = gapId(gap);
        return !gapsInFlight.has(id) && !gapsTried.has(id);
      });
      await Promise.all(
        wanted.map(async (gap) => {
          const id = gapId(gap);
          gapsInFlight.add(id);
          try {
            const page = await fetchMessages({
              conversationId,
              after: gap.from - 1,
              limit: gap.to - gap.from + 1,
            });
            store.update((t) => mergeMessages(t, page));
            gapsTried.add(id);
          } finally {
            gapsInFlight.delete(id);
          }
        }),
      );
    },
  };

  // The history data merged last: a value is merged once, however often it is seen.
  let merged: unknown;
  const mergeHistory = (data: unknown) => {
    if (data === merged) return;
    merged = data;
    const messages = (data as { messages?: unknown } | undefined)?.messages;
    if (!Array.isArray(messages)) return;
    try {
      // The first page starts the timeline, so the history above it is not reported as gaps.
      store.update((t) => mergeLatestPage(t, messages));
    } catch (error) {
      if (process.env.NODE_ENV !== 'production')
        warn(
          'messagesQueryOptions',
          `history data for "${conversationId}" was not merged: ${String(error)}`,
        );
    }
  };
  mergeHistory(queryClient.getQueryData(queryKey));
  const queryHash = historyQueryHash(queryClient, conversationId);
  /** Follows the history query while held: what landed meanwhile first, then each success. */
  function follow() {
    mergeHistory(queryClient.getQueryData(queryKey));
    unsubscribeCache = queryClient.getQueryCache().subscribe((event) => {
      if (
        event.type === 'updated' &&
        event.action.type === 'success' &&
        event.query.queryHash === queryHash
      ) {
        mergeHistory(event.query.state.data);
      }
    });
  }
  function releaseLater() {
    // The history query's gcTime: its own defaults over the client's, else TanStack Query's 5 minutes.
    const gcTime = queryClient.defaultQueryOptions({ queryKey }).gcTime ?? 300_000;
    if (gcTime === Number.POSITIVE_INFINITY) return;
    releaseTimer = setTimeout(() => {
      if (holders > 0) return;
      onRelease(store);
    }, gcTime);
    // Never keep a process (SSR, tests) alive just to release a store.
    (releaseTimer as { unref?: () => void }).unref?.();
  }
  // A store nobody subscribes to (only used imperatively) is released too.
  releaseLater();
  return store;
}

function gapId(gap: SequenceGap): string {
  return `${gap.from}-${gap.to}`;
}
