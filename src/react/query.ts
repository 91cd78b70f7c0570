/**
 * seqline/query: the parts of seqline/react that run anywhere — the history
 * query's options and key, the default fetchers, the conversation store —
 * without React and without `"use client"`, so a React Server Component can
 * prefetch a conversation (`queryClient.prefetchQuery(messagesQueryOptions(id))`)
 * and hand it to the client with `dehydrate`. seqline/react exports the same
 * functions (one copy: the build shares them), and so does seqline/client,
 * the framework-free layer they live in.
 */
export type { ConversationStore } from '../client/conversationStore';
export { getConversationStore, messagesQueryKey } from '../client/conversationStore';
export type {
  FetchMessages,
  FetchMessagesParams,
  FetchOptions,
  PostMessage,
  PostMessageParams,
  PostMessageResult,
  RequestErrorCode,
} from '../client/fetchers';
export { createFetchMessages, createPostMessage, RequestError } from '../client/fetchers';
export type {
  MessagesData,
  MessagesQueryInput,
  MessagesQueryOptions,
} from '../client/messagesQueryOptions';
export { messagesQueryOptions } from '../client/messagesQueryOptions';
