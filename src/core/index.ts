export type { SendOrder, TimelineMessage } from './compareMessages';
export { compareIds, compareMessages } from './compareMessages';
export type { ValidationErrorCode, ValidationIssue } from './errors';
export { SeqlineError, StreamEventError, ValidationError } from './errors';
export type {
  DeltaEvent,
  Message,
  MessageEvent,
  MessageRole,
  MessageStatus,
  StatusEvent,
  StreamEvent,
} from './schemas';
export {
  deltaEventSchema,
  messageEventSchema,
  messageRoleSchema,
  messageSchema,
  messageStatusSchema,
  parseMessage,
  parseStreamEvent,
  sequenceSchema,
  statusEventSchema,
  streamEventSchema,
  timestampSchema,
} from './schemas';
export type { OptimisticDraft, SequenceGap, Timeline, TimelineOptions } from './timeline';
export {
  addOptimistic,
  applyStreamEvent,
  changedKeys,
  confirmOptimistic,
  createClientId,
  createTimeline,
  discardOptimistic,
  failOptimistic,
  mergeLatestPage,
  mergeMessages,
} from './timeline';
