import { type UseQueryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import type { SequenceGap, Timeline, TimelineMessage } from '../index';
import { getConversationStore } from './conversationStore';
import {
  type MessagesData,
  type MessagesQueryInput,
  messagesQueryOptions,
} from './messagesQueryOptions';

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
  /** The history query's error, if its last fetch failed. */
  error: Error | null;
  /** Refetches history; the result is merged, so live state never goes back. */
  refetch: () => Promise<unknown>;
}

/**
 * A conversation's messages in their one correct order: server history
 * (through TanStack Query) merged with optimistic sends and streamed replies.
 * A refetch is merged, never replaces: it cannot shorten a streaming reply
 * or drop a message sent after it started. Re-renders on every change,
 * streamed tokens included; for long lists render `OrderedMessageList`,
 * which re-renders only the row that changed.
 *
 * @example
 * const { messages, isLoading } = useMessages('c1', { baseUrl: '/api' });
 */
export function useMessages(
  conversationId: string,
  options: UseMessagesOptions = {},
): UseMessagesResult {
  const { baseUrl, fetch, headers, fetchMessages, pageSize, ...query } = options;
  const queryClient = useQueryClient();
  const store = getConversationStore(queryClient, conversationId);
  const result = useQuery({
    ...messagesQueryOptions(conversationId, { baseUrl, fetch, headers, fetchMessages, pageSize }),
    ...query,
  });
  const timeline = useSyncExternalStore(store.subscribe, store.getTimeline, store.getTimeline);
  return {
    messages: timeline.messages,
    timeline,
    gaps: timeline.gaps,
    isLoading: result.isLoading,
    isFetching: result.isFetching,
    error: result.error,
    refetch: result.refetch,
  };
}
