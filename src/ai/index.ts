export type { AiRoutes, AiRoutesOptions, GenerateTurn } from './createAiRoutes';
export { createAiRoutes } from './createAiRoutes';
export type {
  SeqlineChatTransport,
  SeqlineChatTransportOptions,
} from './createSeqlineChatTransport';
export { createSeqlineChatTransport } from './createSeqlineChatTransport';
export type { AiPart } from './parts';
export { STOPPED } from './parts';
export type { PipeResult, PipeToReplyOptions, ReplySource } from './pipeToReply';
export { pipeToReply } from './pipeToReply';
export type { FromUIMessagesOptions, SeqlineMetadata, SeqlineUIMessage } from './uiMessages';
export { fromUIMessages, toModelMessages, toUIMessage } from './uiMessages';
