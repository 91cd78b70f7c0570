/**
 * seqline/msw: a mock of seqline's wire protocol (docs/protocol.md) for msw 2, backed by the
 * memory allocator and the memory bus, serving its stream through `createConversationStream`
 * as production does, with chaos options that reproduce real-world races.
 */
export type { ChaosOptions } from './chaos';
export { createMockDb } from './db';
export type { EndpointOptions, MessageHandlers, MessageHandlersOptions } from './handlers';
export { createMessageHandlers, historyHandler, sendHandler, streamHandler } from './handlers';
export type {
  MockDb,
  MockDbOptions,
  ReplyOptions,
  SeedMessage,
  SendMessageBody,
  SendResult,
} from './types';
