/**
 * seqline/msw: a mock of seqline's wire protocol (docs/protocol.md) for msw 2, backed by the
 * memory allocator, with chaos options that reproduce real-world races.
 */
export type { ChaosOptions } from './chaos';
export type {
  MockDb,
  MockDbOptions,
  ReplyOptions,
  SeedMessage,
  SendInput,
  SendResult,
} from './db';
export { createMockDb } from './db';
export type { EndpointOptions, MessageHandlers, MessageHandlersOptions } from './handlers';
export { createMessageHandlers, historyHandler, sendHandler, streamHandler } from './handlers';
