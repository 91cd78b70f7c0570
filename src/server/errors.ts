import { CodedSeqlineError } from '../core/errors';

/** What went wrong in an allocator, for programmatic handling. */
export type SequenceAllocatorErrorCode =
  /** The scope is not a non-empty string of at most 255 UTF-8 bytes. */
  | 'INVALID_SCOPE'
  /** `count` for `nextRange` is not a positive safe integer. */
  | 'INVALID_COUNT'
  /** The allocator was constructed with bad options (e.g. an invalid table name). */
  | 'INVALID_CONFIG'
  /** `next`/`nextRange` would take the counter past `Number.MAX_SAFE_INTEGER`; nothing was reserved. */
  | 'OVERFLOW'
  /** A Redis counter was missing and no `floor` callback was given to re-seed it. */
  | 'FLOOR_REQUIRED'
  /** The backend failed (connection lost, deadlock retries exhausted, …); see `cause`. */
  | 'BACKEND';

/**
 * Thrown by every `SequenceAllocator`. `code` says which kind of failure it
 * is; `cause` keeps the driver's original error.
 *
 * @example
 * try { await allocator.next(conversationId) }
 * catch (error) {
 *   if (error instanceof SequenceAllocatorError && error.code === 'INVALID_SCOPE') return badRequest();
 *   throw error;
 * }
 */
export class SequenceAllocatorError extends CodedSeqlineError<SequenceAllocatorErrorCode> {
  override name = 'SequenceAllocatorError';
}
