import type { TimelineMessage } from '../compareMessages';
import type { MessageRole } from '../schemas';

/** An inclusive range of sequences the timeline has not seen, e.g. `{ from: 4, to: 6 }`. */
export interface SequenceGap {
  readonly from: number;
  readonly to: number;
}

/**
 * One conversation's messages in display order, as an immutable value. Every
 * operation (`mergeMessages`, `addOptimistic`, `applyStreamEvent`, …) returns
 * a new timeline that shares what did not change, or the same timeline when
 * nothing changed, so `Object.is` tells whether to re-render.
 */
export interface Timeline {
  /** The conversation every message here belongs to. */
  readonly conversationId: string;
  /**
   * Message keys (`clientId ?? id`) in display order. The same array, by
   * reference, until a message is added, removed or moves: a streamed delta
   * does not change it. Use these as React keys.
   */
  readonly keys: readonly string[];
  /** The messages in display order. Built on first read (O(n)) and cached; hot paths use `keys` and `get`. */
  readonly messages: readonly TimelineMessage[];
  /**
   * Sequence ranges missing between the timeline's start and `lastSequence`,
   * ascending. Fetch them with `GET …/messages?after={from - 1}&limit={to - from + 1}`.
   */
  readonly gaps: readonly SequenceGap[];
  /** The highest sequence seen (or the `after` the timeline was created with). */
  readonly lastSequence: number;
  /**
   * Sequences at or below this one are not expected, so never gaps: the
   * `after` it was created with, or where `mergeLatestPage` started it.
   */
  readonly start: number;
  /** Number of messages. */
  readonly size: number;
  /** The message with this key (`clientId ?? id`). */
  get(key: string): TimelineMessage | undefined;
  /** The message with this server id (or, for an unconfirmed optimistic message, this clientId). */
  getById(id: string): TimelineMessage | undefined;
}

/** Options for `createTimeline`. */
export interface TimelineOptions {
  /**
   * Sequences up to and including this one are not expected, so they are
   * never reported as gaps: set it when you load a conversation from the
   * middle (e.g. only its latest page).
   * @default 0
   */
  after?: number;
}

/** A message the user is sending, shown at once before the server confirms it. */
export interface OptimisticDraft {
  /** A unique id the client generates (see `createClientId`); the server stores it and echoes it back. */
  clientId: string;
  content: string;
  /** @default 'user' */
  role?: MessageRole;
  /**
   * Shown to the user only: the order of unconfirmed messages never depends on the client clock.
   * @default new Date().toISOString()
   */
  createdAt?: string;
  /** Extra fields (attachments, metadata, …) are kept on the message. */
  [extra: string]: unknown;
}
