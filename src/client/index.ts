/**
 * seqline/client: the framework-free client layer under seqline/react —
 * the conversation store, the stream controller (reconnect, backoff, gap
 * fill), the default fetchers, the EventSource over fetch and the outbox.
 * It needs a TanStack `QueryClient` (query-core, which every TanStack
 * adapter ships) and nothing of React, so Vue, Svelte or plain JS use the
 * same code the React hooks bind to.
 */
export type { ConversationStore } from './conversationStore';
export { getConversationStore, messagesQueryKey } from './conversationStore';
export type { SeqlineClient } from './createSeqlineClient';
export { createSeqlineClient } from './createSeqlineClient';
export type { CreateEventSource, EventSourceLike, EventSourceMessage } from './eventSource';
export { createFetchEventSource } from './eventSource';
export type {
  FetchMessages,
  FetchMessagesParams,
  FetchOptions,
  PostMessage,
  PostMessageParams,
  PostMessageResult,
  RequestErrorCode,
} from './fetchers';
export { createFetchMessages, createPostMessage, RequestError } from './fetchers';
export type {
  MessagesData,
  MessagesQueryInput,
  MessagesQueryOptions,
} from './messagesQueryOptions';
export { messagesQueryOptions } from './messagesQueryOptions';
export type { Outbox, OutboxEntry, WebStorageLike, WebStorageOutboxOptions } from './outbox';
export { createMemoryOutbox, createWebStorageOutbox } from './outbox';
export type { SendRetryOptions } from './sendRetry';
export { isTransientSendError } from './sendRetry';
export type { StreamController, StreamOptions, StreamStatus } from './streamController';
export { createStreamController } from './streamController';
