export type { AllocateOptions, SequenceAllocator, SequenceRange } from './allocator';
export { assertValidCount, assertValidScope, MAX_SCOPE_BYTES } from './allocator';
export type { SequenceAllocatorErrorCode } from './errors';
export { SequenceAllocatorError } from './errors';
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
