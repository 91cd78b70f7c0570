import type { TimelineMessage } from '../compareMessages';
import type { DeltaEvent, Message, StatusEvent } from '../schemas';
import { warn } from '../warn';
import { type GapState, noteSequence, recomputeGaps } from './gaps';
import { mergeMessage, withoutNulls } from './mergeMessage';
import { reorder, sameSortFields } from './ordering';
import type { PersistentMap } from './PersistentMap';
import { TimelineValue } from './TimelineValue';
import type { SequenceGap, Timeline } from './types';
import { settle, type Waiting, type WaitingState } from './waiting';

/**
 * The working copy for one operation. Operations record what they change
 * here (`put`, `remove`, `upsert`, `delta`, `status`); `finish` builds the
 * next timeline, or returns the base when nothing changed. The jobs live
 * in their own files: events waiting for their message (waiting.ts), the
 * display order (ordering.ts), the gaps (gaps.ts).
 */
export class Change implements GapState, WaitingState {
  entries: PersistentMap<TimelineMessage>;
  keyById: PersistentMap<string>;
  waiting: PersistentMap<Waiting>;
  sendCount: number;
  lastSequence: number;
  gaps: readonly SequenceGap[];
  readonly start: number;
  /** Keys whose position may have changed, with their value at their current position (undefined if new). */
  private readonly moved = new Map<string, TimelineMessage | undefined>();
  private readonly removed = new Map<string, TimelineMessage>();
  private rebuildGaps = false;

  constructor(private readonly base: TimelineValue) {
    this.entries = base.entries;
    this.keyById = base.keyById;
    this.waiting = base.waiting;
    this.sendCount = base.sendCount;
    this.lastSequence = base.lastSequence;
    this.gaps = base.gaps;
    this.start = base.start;
  }

  /** Stores `next` under `key`; `previous` is its value before this change (undefined if new). */
  put(key: string, next: TimelineMessage, previous: TimelineMessage | undefined): void {
    if (next === previous) return;
    this.entries = this.entries.set(key, next);
    if (!previous || !sameSortFields(previous, next)) {
      if (!this.moved.has(key)) this.moved.set(key, this.removed.get(key) ?? previous);
      this.removed.delete(key);
    }
    if (next.sequence !== null && next.sequence !== previous?.sequence) {
      if (previous?.sequence != null) this.rebuildGaps = true;
      noteSequence(this, next.sequence);
    }
  }

  remove(key: string, previous: TimelineMessage): void {
    this.entries = this.entries.delete(key);
    const positioned = this.moved.has(key) ? this.moved.get(key) : previous;
    this.moved.delete(key);
    if (positioned) this.removed.set(key, positioned);
  }

  upsert(raw: Message, source: string): void {
    const incoming = withoutNulls(raw);
    if (incoming.sequence === null && process.env.NODE_ENV !== 'production') {
      warn(
        source,
        `server message "${incoming.id}" has no sequence; assign one with a SequenceAllocator before storing it. It sorts last until it has one.`,
      );
    }
    let key = incoming.clientId ?? this.keyById.get(incoming.id) ?? incoming.id;
    let current = this.entries.get(key);
    if (current && current.sequence !== null && current.id !== incoming.id) {
      // Two stored messages claim one clientId: keep both rather than lose one.
      if (process.env.NODE_ENV !== 'production')
        warn(
          source,
          `server messages "${current.id}" and "${incoming.id}" share clientId "${key}"; make the POST idempotent on clientId. Both are kept.`,
        );
      key = incoming.id;
      current = this.entries.get(key);
    }
    if (key !== incoming.id) {
      this.keyById = this.keyById.set(incoming.id, key);
      // An echo that arrived without its clientId was stored under its id: fold it in.
      const stray = this.entries.get(incoming.id);
      if (stray && stray.clientId === undefined && stray.id === incoming.id) {
        this.remove(incoming.id, stray);
        current = current ? mergeMessage(current, stray) : stray;
      }
    }
    if (
      process.env.NODE_ENV !== 'production' &&
      current &&
      current.sequence !== null &&
      incoming.sequence !== null &&
      current.sequence !== incoming.sequence
    ) {
      warn(
        source,
        `message "${incoming.id}" changed sequence from ${current.sequence} to ${incoming.sequence}; sequences must never be reassigned (is the allocator shared by every instance?)`,
      );
    }
    const previous = this.entries.get(key);
    this.put(key, current ? mergeMessage(current, incoming) : incoming, previous);
    settle(this, incoming.id);
  }

  delta(event: DeltaEvent): void {
    settle(this, event.messageId, { deltas: [event] });
  }

  status(event: StatusEvent): void {
    settle(this, event.messageId, { deltas: [], status: event });
  }

  finish(): Timeline {
    const base = this.base;
    const [order, size] =
      this.moved.size === 0 && this.removed.size === 0
        ? [base.order, base.size]
        : reorder(base.order, base.size, this.entries, this.moved, this.removed);
    if (this.rebuildGaps) recomputeGaps(this, this.entries.values());
    if (
      order === base.order &&
      this.entries === base.entries &&
      this.keyById === base.keyById &&
      this.waiting === base.waiting &&
      this.sendCount === base.sendCount
    ) {
      return base;
    }
    return new TimelineValue(
      base.conversationId,
      order,
      size,
      this.gaps,
      this.lastSequence,
      base.start,
      this.entries,
      this.keyById,
      this.waiting,
      this.sendCount,
    );
  }
}
