/**
 * seqline/react: hooks and a list component over the seqline timeline,
 * with TanStack Query for history and sends.
 */
export type { CreateEventSource, EventSourceLike, EventSourceMessage } from './eventSource';
export { createFetchEventSource } from './eventSource';
export type {
  JumpToLatestProps,
  LoadOlderProps,
  MessageRowProps,
  OrderedMessageListProps,
} from './OrderedMessageList';
export { OrderedMessageList } from './OrderedMessageList';
export type { Outbox, OutboxEntry, WebStorageLike, WebStorageOutboxOptions } from './outbox';
export { createMemoryOutbox, createWebStorageOutbox } from './outbox';
// The server-safe part (query options, key, fetchers, store), also published as seqline/query.
export * from './query';
export type { SendRetryOptions } from './sendRetry';
export { isTransientSendError } from './sendRetry';
export type { UseMessageStreamOptions, UseMessageStreamResult } from './useMessageStream';
export { useMessageStream } from './useMessageStream';
export type { UseMessagesOptions, UseMessagesResult } from './useMessages';
export { useMessages } from './useMessages';
export type { SendInput, UseSendMessageOptions, UseSendMessageResult } from './useSendMessage';
export { useSendMessage } from './useSendMessage';
