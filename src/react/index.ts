/**
 * seqline/react: hooks and a list component over the seqline timeline,
 * with TanStack Query for history and sends.
 */

export type { SeqlineClient } from '../client/createSeqlineClient';
export { createSeqlineClient } from '../client/createSeqlineClient';
export type { CreateEventSource, EventSourceLike, EventSourceMessage } from '../client/eventSource';
export { createFetchEventSource } from '../client/eventSource';
export type {
  Outbox,
  OutboxEntry,
  WebStorageLike,
  WebStorageOutboxOptions,
} from '../client/outbox';
export { createMemoryOutbox, createWebStorageOutbox } from '../client/outbox';
export type { SendRetryOptions } from '../client/sendRetry';
export { isTransientSendError } from '../client/sendRetry';
export type {
  JumpToLatestProps,
  LoadOlderProps,
  MessageRowProps,
  OrderedMessageListProps,
} from './OrderedMessageList';
export { OrderedMessageList } from './OrderedMessageList';
// The server-safe part (query options, key, fetchers, store), also published as seqline/query.
export * from './query';
export type { SeqlineProviderProps } from './SeqlineProvider';
export { SeqlineProvider, useSeqlineClient } from './SeqlineProvider';
export type { UseMessageStreamOptions, UseMessageStreamResult } from './useMessageStream';
export { useMessageStream } from './useMessageStream';
export type { UseMessagesOptions, UseMessagesResult } from './useMessages';
export { useMessages } from './useMessages';
export type { SendInput, UseSendMessageOptions, UseSendMessageResult } from './useSendMessage';
export { useSendMessage } from './useSendMessage';
