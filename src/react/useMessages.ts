import { type UseQueryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useSyncExternalStore } from 'react';
import {
  type MessagesData,
  type MessagesQueryInput,
  messagesQueryOptions,
} from '../client/messagesQueryOptions';
import { fetchOlderWith, getOlderHistory, hasOlderHistory } from '../client/olderHistory';
import type { SequenceGap, Timeline, TimelineMessage } from '../index';
import { useFetchOptions } from './SeqlineProvider';
import { useConversationStore } from './useConversationStore';

/** Options for `useMessages`: how to fetch, plus TanStack Query's usual knobs. */
export interface UseMessagesOptions
  extends MessagesQueryInput,
    Pick<
      UseQueryOptions<MessagesData>,
      'enabled' | 'staleTime' | 'gcTime' | 'refetchInterval' | 'refetchOnWindowFocus' | 'retry'
    > {}

/** What `useMessages` returns. */
export interface UseMessagesResult {
  /** History, optimistic sends and streamed replies, in display order. */
  messages: readonly TimelineMessage[];
  /** The timeline itself (`keys`, `get`, `getById`, …). */
  timeline: Timeline;
  /** Sequence ranges not loaded yet; `useMessageStream` fetches them. */
  gaps: readonly SequenceGap[];
  /** True until the first history response (or error). */
  isLoading: boolean;
  /** True while history is being fetched (first load or refetch). */
  isFetching: boolean;
  /**
   * The history query's error, if its last fetch failed: at once, while TanStack Query
   * still retries (e.g. a page the schema rejects, a `ValidationError`).
   */
  error: Error | null;
  /** Refetches what is newer than the timeline holds; merged, so live state never goes back. */
  refetch: () => Promise<unknown>;
  /** There may be messages above the loaded ones (the last page below was full). */
  hasOlder: boolean;
  /** True while `fetchOlder` is loading a page. */
  isFetchingOlder: boolean;
  /** Why the last `fetchOlder` failed, until one succeeds. */
  fetchOlderError: Error | null;
  /**
   * Loads the page just below the oldest loaded message (`?before=`) and
   * merges it; live state is untouched. Calls while one is loading join it;
   * it never rejects (see `fetchOlderError`).
   */
  fetchOlder: () => Promise<void>;
}

/**
 * A conversation's messages in their one correct order: server history
 * (through TanStack Query) merged with optimistic sends and streamed replies.
 * Opening costs one request (the latest page); `fetchOlder` loads the
 * pages above it. A refetch asks only for what is newer, and is merged,
 * never replaces: it cannot shorten a streaming reply or drop a message
 * sent after it started. Re-renders on every change,
 * streamed tokens included; for long lists render `OrderedMessageList`,
 * which re-renders only the row that changed.
 *
 * @example
 * const { messages, isLoading, hasOlder, fetchOlder } = useMessages('c1', { baseUrl: '/api' });
 */
export function useMessages(
  conversationId: string,
  options: UseMessagesOptions = {},
): UseMessagesResult {
  const { baseUrl, fetch, headers, fetchMessages, pageSize, ...query } = useFetchOptions(options);
  const queryClient = useQueryClient();
  const store = useConversationStore(conversationId);
  const result = useQuery({
    ...messagesQueryOptions(conversationId, { baseUrl, fetch, headers, fetchMessages, pageSize }),
    ...query,
  });
  const timeline = useSyncExternalStore(store.subscribe, store.getTimeline, store.getTimeline);
  const older = getOlderHistory(store);
  const olderState = useSyncExternalStore(older.subscribe, older.getState, older.getState);
  const input = useRef({ fetchMessages, baseUrl, fetch, headers, pageSize });
  input.current = { fetchMessages, baseUrl, fetch, headers, pageSize };
  const fetchOlder = useCallback(
    () => fetchOlderWith(queryClient, store, input.current),
    [queryClient, store],
  );
  return {
    messages: timeline.messages,
    timeline,
    gaps: timeline.gaps,
    isLoading: result.isLoading,
    isFetching: result.isFetching,
    // While TanStack Query retries, its `error` is still null: the last failure is `failureReason`.
    error: result.error ?? result.failureReason,
    refetch: result.refetch,
    hasOlder: hasOlderHistory(olderState, timeline),
    isFetchingOlder: olderState.isFetchingOlder,
    fetchOlderError: olderState.error,
    fetchOlder,
  };
}
