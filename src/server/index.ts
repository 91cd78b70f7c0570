export type { AllocateOptions, SequenceAllocator, SequenceRange } from './allocator';
export {
  assertValidCount,
  assertValidScope,
  MAX_SCOPE_BYTES,
  MAX_SEQUENCE,
} from './allocator';
export type { FinishAbandonedRepliesOptions } from './bus/abandonedReplies';
export { finishAbandonedReplies } from './bus/abandonedReplies';
export type { BusDriver, DriverListener } from './bus/busDriver';
export type {
  ConversationStreamOptions,
  LoadSnapshot,
} from './bus/createConversationStream';
export { createConversationStream } from './bus/createConversationStream';
export type { CreateMessageBusOptions, FannedOutBus } from './bus/createMessageBus';
export { createMessageBus } from './bus/createMessageBus';
export type { ReplyUpdate, ReplyWriter, ReplyWriterOptions } from './bus/createReplyWriter';
export { createReplyWriter } from './bus/createReplyWriter';
export type { BusCursorOrder } from './bus/cursor';
export { integerCursors, streamIdCursors } from './bus/cursor';
export type { MemoryBus, MemoryBusOptions } from './bus/memory';
export { createMemoryBus } from './bus/memory';
export type { BusEntry, BusSink, MessageBus, MessageBusErrorCode } from './bus/messageBus';
export { MessageBusError } from './bus/messageBus';
export type { SequenceAllocatorErrorCode } from './errors';
export { SequenceAllocatorError } from './errors';
export type {
  HistoryQuery,
  HistoryQueryErrorCode,
  HistoryQueryOptions,
} from './historyQuery';
export {
  HistoryQueryError,
  MAX_HISTORY_LIMIT,
  parseHistoryQuery,
  selectHistoryPage,
} from './historyQuery';
export type { InsertWithSequenceOptions, InsertWithSequenceResult } from './insertWithSequence';
export { insertWithSequence } from './insertWithSequence';
export type { MemoryAllocator } from './memory';
export { createMemoryAllocator } from './memory';
export type {
  Authorize,
  MessageRouteErrorCode,
  MessageRoutes,
  MessageRoutesOptions,
  RouteAction,
  SendMessageInput,
} from './routes/createMessageRoutes';
export { createMessageRoutes, MessageRouteError } from './routes/createMessageRoutes';
export type { MemoryMessageStoreOptions } from './store/createMemoryMessageStore';
export { createMemoryMessageStore } from './store/createMemoryMessageStore';
export type {
  AppendInput,
  AppendResult,
  HistoryPageQuery,
  MessageStore,
  MessageStoreErrorCode,
} from './store/messageStore';
export { MessageStoreError } from './store/messageStore';
export type { NodeHandlerOptions, NodeRequestLike, NodeResponseLike } from './stream/node';
export { DEFAULT_MAX_BODY_BYTES, sendResponse, toNodeHandler } from './stream/node';
export type { SseEntry, SseSink, SseSource, SseStreamOptions } from './stream/sse';
export {
  createSseResponse,
  createSseStream,
  DEFAULT_MAX_BUFFERED_BYTES,
  formatSseEvent,
  readLastEventId,
  SSE_HEADERS,
} from './stream/sse';
