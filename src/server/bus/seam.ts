import type {
  DeltaEvent,
  Message,
  MessageEvent,
  StatusEvent,
  StreamEvent,
} from '../../core/schemas';
import { FINAL_STAGE, isFinal, statusStage } from '../../core/status';
import { MAX_OPEN_REPLIES, type OpenReply } from './streamCursor';

/**
 * What one connection has already sent, so that the events that reach it
 * twice at the seam between catch-up (database) and live (bus), or again
 * after a bus resync, are forwarded once:
 *
 * - a `message` is forwarded when it is new, longer than what was sent, or
 *   further along (pending < streaming < final: `statusStage` in
 *   core/status.ts, where complete and failed are one stage); further along
 *   but shorter, only its end goes, as a `status` (a snapshot never takes
 *   text back);
 * - a `delta` is cut to the part past the content already sent, and
 *   dropped when nothing is left; a delta beyond the sent content (its
 *   start was sent on an earlier connection) is forwarded once per offset;
 * - a `status` is forwarded once, unless the message is already final
 *   (complete or failed: after a `failed`, a `complete` is not sent).
 *
 * It also tracks the watermark for the cursor: the highest sequence up to
 * which every message it saw is final, and how far the client holds each
 * open reply above it ({@link Seam.openReplies}). A seam seeded with those
 * (a resumed connection) starts from what the client has: a stored snapshot
 * that lags behind it is not sent, so no snapshot goes back.
 *
 * @internal
 */
export class Seam {
  private readonly known = new Map<string, Known>();
  /** Sequences of known messages that are not final yet. */
  private readonly open = new Set<number>();
  /** Those of `open` this connection has seen, by sequence: the cursor reads them on every send. */
  private readonly openKnown = new Map<number, Known>();
  /** Open replies the client holds by its cursor, by sequence, until their message is seen (then in `known`). */
  private readonly held = new Map<number, OpenReply>();
  private maxSequence: number;

  constructor(
    private readonly afterSequence: number,
    /**
     * The client holds every message up to this sequence, final, by its own
     * account (a stream URL's `after`): their events are never forwarded.
     * Not the resume cursor's sequence, which may cover a message this
     * connection never saw (one still in flight on the bus).
     */
    private readonly settled = 0,
    /** What the client holds of the open replies above `afterSequence`, from its resume cursor. */
    held: readonly OpenReply[] = [],
  ) {
    this.maxSequence = afterSequence;
    for (const reply of held) {
      if (reply.sequence <= afterSequence) continue;
      this.held.set(reply.sequence, reply);
      this.open.add(reply.sequence);
      if (reply.sequence > this.maxSequence) this.maxSequence = reply.sequence;
    }
  }

  /** The event to send for `event` (maybe trimmed), or `undefined` when the client already has it. */
  admit(event: StreamEvent): StreamEvent | undefined {
    switch (event.type) {
      case 'message':
        return this.message(event);
      case 'delta':
        return this.delta(event);
      case 'status':
        return this.status(event) ? event : undefined;
    }
  }

  /** Every message at or below this sequence is final as far as this connection knows. */
  get watermark(): number {
    if (this.open.size === 0) return this.maxSequence;
    let lowest = Number.POSITIVE_INFINITY;
    for (const sequence of this.open) if (sequence < lowest) lowest = sequence;
    return Math.max(this.afterSequence, lowest - 1);
  }

  /**
   * How far the client holds each open reply above the watermark, for the
   * cursor: content sent from 0 without a hole, and status. The lowest
   * {@link MAX_OPEN_REPLIES} sequences.
   */
  openReplies(): OpenReply[] {
    const replies = new Map(this.held);
    for (const [sequence, known] of this.openKnown) {
      if (known.length === 0 && known.stage === 0) continue; // holds nothing a snapshot could take back
      replies.set(sequence, {
        sequence,
        status: known.stage === 0 ? 'pending' : 'streaming',
        length: known.length,
      });
    }
    return [...replies.values()].sort((a, b) => a.sequence - b.sequence).slice(0, MAX_OPEN_REPLIES);
  }

  private message(event: MessageEvent): StreamEvent | undefined {
    const { message } = event;
    if (message.sequence !== null && message.sequence <= this.settled) {
      // The client holds it, final: so are its deltas and status.
      this.known.set(message.id, {
        length: Number.POSITIVE_INFINITY,
        stage: FINAL_STAGE,
        sequence: message.sequence,
        ahead: new Map(),
      });
      return undefined;
    }
    const known = this.known.get(message.id) ?? this.adopt(message);
    const stage = statusStage(message.status);
    if (known && message.content.length <= known.length && stage <= known.stage) return undefined;
    if (known && message.content.length < known.length) {
      // Further along but shorter than what the client has (a reply finished from a store that lagged,
      // e.g. by finishAbandonedReplies): the status goes out, the snapshot would take text back.
      known.stage = stage;
      this.track(known);
      if (!isFinal(message.status)) return undefined;
      return {
        type: 'status',
        messageId: message.id,
        status: message.status,
        ...(message.error === undefined ? {} : { error: message.error }),
      };
    }
    const next: Known = known ?? { length: 0, stage: 0, sequence: null, ahead: new Map() };
    next.length = Math.max(next.length, message.content.length);
    next.stage = Math.max(next.stage, stage);
    if (message.sequence !== null) next.sequence = message.sequence;
    this.known.set(message.id, next);
    this.settle(next);
    this.track(next);
    return event;
  }

  private delta(delta: DeltaEvent): DeltaEvent | undefined {
    let known = this.known.get(delta.messageId);
    if (!known) {
      known = { length: 0, stage: 0, sequence: null, ahead: new Map() };
      this.known.set(delta.messageId, known);
    }
    const end = delta.offset + delta.text.length;
    if (end <= known.length || delta.text.length === 0) return undefined;
    if (delta.offset > known.length) {
      // Its start was sent on an earlier connection (or is still to come): the client's timeline holds it until it fits.
      if ((known.ahead.get(delta.offset) ?? -1) >= end) return undefined;
      known.ahead.set(delta.offset, end);
      return delta;
    }
    const from = known.length;
    known.length = end;
    this.settle(known);
    return from === delta.offset
      ? delta
      : { ...delta, offset: from, text: delta.text.slice(from - delta.offset) };
  }

  private status(status: StatusEvent): boolean {
    const known = this.known.get(status.messageId);
    if (known && known.stage >= FINAL_STAGE) return false;
    const next: Known = known ?? { length: 0, stage: 0, sequence: null, ahead: new Map() };
    next.stage = statusStage(status.status);
    this.known.set(status.messageId, next);
    this.track(next);
    return true;
  }

  /** The client's part of `message` by its resume cursor, now that its id is known. */
  private adopt(message: Message): Known | undefined {
    const held = message.sequence === null ? undefined : this.held.get(message.sequence);
    if (!held) return undefined;
    this.held.delete(held.sequence);
    const known: Known = {
      length: held.length,
      stage: statusStage(held.status),
      sequence: held.sequence,
      ahead: new Map(),
    };
    this.known.set(message.id, known);
    this.openKnown.set(held.sequence, known);
    return known;
  }

  /** Deltas sent ahead that the content has now reached extend it. */
  private settle(known: Known): void {
    for (let moved = true; moved && known.ahead.size > 0; ) {
      moved = false;
      for (const [offset, end] of known.ahead) {
        if (offset > known.length) continue;
        known.ahead.delete(offset);
        if (end > known.length) known.length = end;
        moved = true;
      }
    }
  }

  private track(known: Known): void {
    if (known.sequence === null) return;
    if (known.sequence > this.maxSequence) this.maxSequence = known.sequence;
    if (known.stage >= FINAL_STAGE) {
      this.open.delete(known.sequence);
      this.openKnown.delete(known.sequence);
    } else {
      this.open.add(known.sequence);
      this.openKnown.set(known.sequence, known);
    }
  }
}

// ---------------------------------------------------------------------------

interface Known {
  /** Characters of content sent, from 0 without a hole. */
  length: number;
  /** How far the client has the message (statusStage: both final statuses are one stage). */
  stage: number;
  sequence: number | null;
  /** offset → end of deltas sent beyond `length`. */
  ahead: Map<number, number>;
}
