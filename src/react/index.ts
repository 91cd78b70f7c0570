/**
 * seqline/react: hooks and a list component over the seqline timeline,
 * with TanStack Query for history and sends.
 */

export type {
  JumpToLatestProps,
  LoadOlderProps,
  MessageRowProps,
  OrderedMessageListProps,
} from './OrderedMessageList';
export { OrderedMessageList } from './OrderedMessageList';
// The framework-free layer the hooks bind to (store, stream controller, fetchers, outbox,
// createSeqlineClient), as react-query re-exports query-core; also seqline/client and seqline/query.
export * from './query';
export type { SeqlineProviderProps } from './SeqlineProvider';
export { SeqlineProvider, useSeqlineClient } from './SeqlineProvider';
export type { UseMessageStreamOptions, UseMessageStreamResult } from './useMessageStream';
export { useMessageStream } from './useMessageStream';
export type { UseMessagesOptions, UseMessagesResult } from './useMessages';
export { useMessages } from './useMessages';
export type { SendInput, UseSendMessageOptions, UseSendMessageResult } from './useSendMessage';
export { useSendMessage } from './useSendMessage';
