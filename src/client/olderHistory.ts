import type { QueryClient } from '@tanstack/query-core';
import { type Message, mergeMessages, type Timeline } from '../index';
import { type ConversationStore, messagesQueryKey } from './conversationStore';
import { createFetchMessages, type FetchMessages, loadPage } from './fetchers';
import type { MessagesQueryInput } from './messagesQueryOptions';

/** Where a conversation's loaded history ends at the top, and whether more is above it. */
export interface OlderHistoryState {
  /**
   * True while the last page loaded below was full (so there may be more),
   * `undefined` before any page was fetched here (e.g. data from
   * `setQueryData`): then the oldest loaded sequence decides.
   */
  readonly hasOlder: boolean | undefined;
  readonly isFetchingOlder: boolean;
  /** Why the last `fetchOlder` failed, until the next one succeeds. */
  readonly error: Error | null;
}

/** The older pages of one conversation store; one per store, shared by every hook. */
export interface OlderHistory {
  getState(): OlderHistoryState;
  subscribe(listener: () => void): () => void;
  /** Records the page the history starts from (the latest page). */
  startAt(page: readonly Message[], pageSize: number): void;
  /**
   * Loads the page just below the oldest loaded message, through the
   * query cache, and merges it. A call while one is in flight joins it.
   */
  fetchOlder(
    queryClient: QueryClient,
    fetchMessages: FetchMessages,
    pageSize: number,
  ): Promise<void>;
}

const histories = new WeakMap<ConversationStore, OlderHistory>();

/** The older-pages state of `store`, created on first use. */
export function getOlderHistory(store: ConversationStore): OlderHistory {
  let history = histories.get(store);
  if (!history) {
    history = createOlderHistory(store);
    histories.set(store, history);
  }
  return history;
}

/**
 * Whether there is history above what `timeline` holds: `state.hasOlder`
 * when pages were fetched, otherwise whether the oldest message has a
 * sequence above 1.
 */
export function hasOlderHistory(state: OlderHistoryState, timeline: Timeline): boolean {
  if (state.hasOlder !== undefined) return state.hasOlder;
  return (oldestSequence(timeline) ?? 0) > 1;
}

/** `fetchOlder` with the fetcher and page size of a history input (the hooks' options). */
export function fetchOlderWith(
  queryClient: QueryClient,
  store: ConversationStore,
  input: MessagesQueryInput = {},
): Promise<void> {
  const { fetchMessages, pageSize, ...fetchOptions } = input;
  return getOlderHistory(store).fetchOlder(
    queryClient,
    fetchMessages ?? createFetchMessages(fetchOptions),
    pageSize ?? 200,
  );
}

// ---------------------------------------------------------------------------

function createOlderHistory(store: ConversationStore): OlderHistory {
  let state: OlderHistoryState = { hasOlder: undefined, isFetchingOlder: false, error: null };
  let oldest: number | undefined;
  let inFlight: Promise<void> | undefined;
  const listeners = new Set<() => void>();
  const set = (next: Partial<OlderHistoryState>) => {
    state = { ...state, ...next };
    for (const listener of [...listeners]) listener();
  };
  const note = (page: readonly Message[], pageSize: number) => {
    const first = page[0]?.sequence;
    if (first != null) oldest = Math.min(oldest ?? first, first);
    // A short page is the beginning; so is a page starting at sequence 1.
    set({ hasOlder: page.length >= pageSize && first != null && first > 1 });
  };

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    startAt(page, pageSize) {
      oldest = undefined;
      note(page, pageSize);
    },
    fetchOlder(queryClient, fetchMessages, pageSize) {
      if (inFlight) return inFlight;
      const before = oldest ?? oldestSequence(store.getTimeline());
      if (before === undefined || before <= 1 || state.hasOlder === false) {
        return Promise.resolve();
      }
      const { conversationId } = store;
      set({ isFetchingOlder: true });
      const run = async () => {
        try {
          // Through the cache, so retries, deduplication and devtools apply as for any query.
          const page = await queryClient.fetchQuery({
            queryKey: [...messagesQueryKey(conversationId), { before, limit: pageSize }],
            queryFn: ({ signal }) =>
              loadPage(fetchMessages, { conversationId, before, limit: pageSize, signal }),
            // The store keeps the messages: the cache need not hold a second copy.
            gcTime: 0,
          });
          store.update((t) => mergeMessages(t, page));
          note(page, pageSize);
          set({ error: null });
        } catch (error) {
          set({ error: error as Error });
        } finally {
          inFlight = undefined;
          set({ isFetchingOlder: false });
        }
      };
      inFlight = run();
      return inFlight;
    },
  };
}

/** The sequence of the first message in display order (sequenced messages sort first). */
function oldestSequence(timeline: Timeline): number | undefined {
  const first = timeline.keys[0];
  return (first === undefined ? undefined : timeline.get(first)?.sequence) ?? undefined;
}
