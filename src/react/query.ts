/**
 * seqline/query: the parts of seqline/react that run anywhere — the history
 * query's options and key, the default fetchers, the conversation store —
 * without React and without `"use client"`, so a React Server Component can
 * prefetch a conversation (`queryClient.prefetchQuery(messagesQueryOptions(id))`)
 * and hand it to the client with `dehydrate`. seqline/react exports the same
 * functions (one copy: the build shares them).
 */
export type { ConversationStore } from './conversationStore';
export { getConversationStore, messagesQueryKey } from './conversationStore';
export type {
  FetchMessages,
  FetchMessagesParams,
  FetchOptions,
  PostMessage,
  PostMessageParams,
  PostMessageResult,
} from './fetchers';
export { createFetchMessages, createPostMessage, RequestError } from './fetchers';
export type { MessagesData, MessagesQueryInput } from './messagesQueryOptions';
export { messagesQueryOptions } from './messagesQueryOptions';
