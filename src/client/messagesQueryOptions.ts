import type { DataTag, QueryClient, QueryFunction, QueryKey } from '@tanstack/query-core';
import { warn } from '../core/warn';
import { type Message, ValidationError } from '../index';
import { getConversationStore, messagesQueryKey } from './conversationStore';
import {
  createFetchMessages,
  type FetchMessages,
  type FetchOptions,
  loadNewer,
  loadPage,
} from './fetchers';
import { getOlderHistory } from './olderHistory';

/**
 * What the history query's last fetch brought: on the first fetch the
 * latest page, on a refetch only the messages newer than the timeline held.
 * Each result is merged into the conversation's timeline, which holds the
 * whole loaded history (read it with `useMessages`).
 */
export interface MessagesData {
  messages: Message[];
}

/**
 * The history query's options: its key (tagged with its data type, so
 * `setQueryData(queryKey, …)` is typed) and its `queryFn`. Spread into
 * `useQuery`, `prefetchQuery`, `ensureQueryData` or any TanStack adapter.
 */
export interface MessagesQueryOptions {
  queryKey: DataTag<QueryKey, MessagesData, Error>;
  queryFn: QueryFunction<MessagesData, QueryKey>;
}

/** How the history is fetched. */
export interface MessagesQueryInput extends FetchOptions {
  /**
   * Loads one page of history.
   * @default createFetchMessages(options): GET {baseUrl}/conversations/:id/messages?after=|before=&limit=
   */
  fetchMessages?: FetchMessages;
  /**
   * Messages per history request: the latest page on open, each older page,
   * and each page of a refetch (which pages on until one comes back short).
   * @default 200
   */
  pageSize?: number;
}

/**
 * The history query of one conversation, TanStack style: the same object
 * feeds `useQuery`, `prefetchQuery`, `ensureQueryData` and (through its
 * typed `queryKey`) `setQueryData`. The first fetch is one request for the
 * latest page; the timeline then starts below it, so older messages are not
 * gaps (`useMessages().fetchOlder` loads them). A refetch (window focus,
 * `refetchInterval`, reconnect) asks only for what is newer than the
 * timeline's `lastSequence`, in pages. Whatever lands in this query is
 * merged into the timeline, never replacing newer live state.
 *
 * @example
 * await queryClient.prefetchQuery(messagesQueryOptions('c1', { baseUrl: '/api' }));
 * queryClient.setQueryData(messagesQueryOptions('c1').queryKey, { messages });
 */
export function messagesQueryOptions(
  conversationId: string,
  input: MessagesQueryInput = {},
): MessagesQueryOptions {
  const fetchMessages = input.fetchMessages ?? createFetchMessages(input);
  const pageSize = input.pageSize ?? 200;
  // What TanStack's `queryOptions()` does (it returns its argument, typed): here without
  // importing a framework adapter, so Vue, Svelte and plain query-core users share it.
  return {
    queryKey: messagesQueryKey(conversationId) as unknown as MessagesQueryOptions['queryKey'],
    // A page the schema rejects (a server bug) is said at once, not only after the retries.
    queryFn: ({ signal, client }) =>
      load({ signal, client }).catch((error: unknown) => {
        if (process.env.NODE_ENV !== 'production' && error instanceof ValidationError)
          warn(
            'messagesQueryOptions',
            `a history page of "${conversationId}" was rejected (see useMessages().error): ${error.message}`,
          );
        throw error;
      }),
  };

  async function load({
    signal,
    client,
  }: {
    signal: AbortSignal;
    client: QueryClient | undefined;
  }): Promise<MessagesData> {
    const store = client && getConversationStore(client, conversationId);
    const timeline = store?.getTimeline();
    if (timeline && timeline.lastSequence > timeline.start) {
      const after = timeline.lastSequence;
      return {
        messages: await loadNewer(fetchMessages, conversationId, after, pageSize, signal),
      };
    }
    const messages = await loadPage(fetchMessages, { conversationId, limit: pageSize, signal });
    if (store) getOlderHistory(store).startAt(messages, pageSize);
    return { messages };
  }
}
