export type { AllocateOptions, SequenceAllocator, SequenceRange } from './allocator';
export { assertValidCount, assertValidScope, MAX_SCOPE_BYTES } from './allocator';
export type {
  ConversationStreamOptions,
  LoadSnapshot,
} from './bus/createConversationStream';
export { createConversationStream } from './bus/createConversationStream';
export type { ReplyUpdate, ReplyWriter, ReplyWriterOptions } from './bus/createReplyWriter';
export { createReplyWriter } from './bus/createReplyWriter';
export type { MemoryBus, MemoryBusOptions } from './bus/memory';
export { createMemoryBus } from './bus/memory';
export type { BusEntry, BusSink, MessageBus } from './bus/messageBus';
export { BUS_START, MessageBusError } from './bus/messageBus';
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
export type { EventLog, SseEntry, SseSink, SseSource, StreamHub } from './stream/eventLog';
export { createEventLog, createStreamHub } from './stream/eventLog';
export type { NodeRequestLike, NodeResponseLike } from './stream/node';
export { sendResponse, toNodeHandler } from './stream/node';
export type { SseStreamOptions } from './stream/sse';
export {
  createSseResponse,
  createSseStream,
  formatSseEvent,
  readLastEventId,
  SSE_HEADERS,
} from './stream/sse';
