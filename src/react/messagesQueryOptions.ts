import { queryOptions } from '@tanstack/react-query';
import type { Message } from '../index';
import { messagesQueryKey } from './conversationStore';
import {
  createFetchMessages,
  type FetchMessages,
  type FetchOptions,
  loadHistory,
} from './fetchers';

/** A conversation's history as the query cache holds it. */
export interface MessagesData {
  messages: Message[];
}

/** How the history is fetched. */
export interface MessagesQueryInput extends FetchOptions {
  /**
   * Loads one page of history.
   * @default createFetchMessages(options): GET {baseUrl}/conversations/:id/messages?after=&limit=
   */
  fetchMessages?: FetchMessages;
  /**
   * Messages per history request; pages are fetched until one comes back short.
   * @default 200
   */
  pageSize?: number;
}

/**
 * The history query of one conversation, TanStack style: the same object
 * feeds `useQuery`, `prefetchQuery`, `ensureQueryData` and (through its
 * typed `queryKey`) `setQueryData`. Whatever lands in this query is merged
 * into the conversation's timeline, never replacing newer live state.
 *
 * @example
 * await queryClient.prefetchQuery(messagesQueryOptions('c1', { baseUrl: '/api' }));
 * queryClient.setQueryData(messagesQueryOptions('c1').queryKey, { messages });
 */
export function messagesQueryOptions(conversationId: string, input: MessagesQueryInput = {}) {
  const fetchMessages = input.fetchMessages ?? createFetchMessages(input);
  const pageSize = input.pageSize ?? 200;
  return queryOptions<MessagesData>({
    queryKey: messagesQueryKey(conversationId),
    queryFn: ({ signal }) => loadHistory(fetchMessages, conversationId, pageSize, signal),
  });
}
