import { compareMessages, type SendOrder, type TimelineMessage } from './compareMessages';
import { StreamEventError, ValidationError, type ValidationIssue } from './errors';
import {
  chunkKeys,
  findKey,
  flattenKeys,
  insertKey,
  type KeyChunks,
  lowerBound,
  NO_KEYS,
  neighbours,
  removeKey,
} from './orderedKeys';
import { PersistentMap } from './PersistentMap';
import {
  type DeltaEvent,
  draftSchema,
  type Message,
  type MessageRole,
  type MessageStatus,
  messageSchema,
  parseStreamEvent,
  parseWith,
  type StatusEvent,
} from './schemas';
import { addWaitingDelta } from './waitingDeltas';
import { warn } from './warn';

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

/**
 * An empty timeline for one conversation.
 *
 * @example
 * let timeline = createTimeline('conversation-1');
 * timeline = mergeMessages(timeline, page.messages);
 */
export function createTimeline(conversationId: string, options: TimelineOptions = {}): Timeline {
  if (typeof conversationId !== 'string' || conversationId.length === 0) {
    throw new ValidationError('conversationId', [
      { path: [], message: 'must be a non-empty string (the conversation id)' },
    ]);
  }
  const after = options.after ?? 0;
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new ValidationError('timeline options', [
      { path: ['after'], message: 'must be a non-negative integer (a sequence)' },
    ]);
  }
  return new TimelineValue(
    conversationId,
    NO_KEYS,
    0,
    [],
    after,
    after,
    PersistentMap.empty(),
    PersistentMap.empty(),
    PersistentMap.empty(),
    0,
  );
}

/**
 * Merges messages from the server (a history page, a refetch, a POST
 * response) into the timeline. Merging never removes a message, never
 * shortens content and never moves a status backwards, so a stale snapshot
 * cannot undo newer streamed state. Input is validated first: on a
 * `ValidationError` nothing is applied.
 *
 * @example
 * timeline = mergeMessages(timeline, (await fetchPage()).messages);
 */
export function mergeMessages(timeline: Timeline, messages: readonly unknown[]): Timeline {
  const base = asValue(timeline);
  if (!Array.isArray(messages)) {
    throw new ValidationError('messages', [{ path: [], message: 'must be an array of messages' }]);
  }
  const parsed = messages.map((input, index) => parseServerMessage(base, input, [index]));
  const change = new Change(base);
  for (const message of parsed) change.upsert(message, 'mergeMessages');
  return change.finish();
}

/**
 * Merges the newest page of a conversation's history (`GET …/messages`
 * with neither `after` nor `before`). A timeline that has not seen a server
 * message yet then starts just below the page, so the older messages it
 * does not hold are not reported as gaps: load them page by page with
 * `before` and `mergeMessages`. Otherwise it is `mergeMessages`.
 *
 * @example
 * timeline = mergeLatestPage(timeline, (await get('/messages?limit=50')).messages);
 */
export function mergeLatestPage(timeline: Timeline, messages: readonly unknown[]): Timeline {
  const base = asValue(timeline);
  const merged = mergeMessages(base, messages);
  if (base.lastSequence !== base.start) return merged;
  let lowest = Number.POSITIVE_INFINITY;
  for (const message of asValue(merged).entries.values()) {
    if (message.sequence !== null && message.sequence < lowest) lowest = message.sequence;
  }
  if (lowest === Number.POSITIVE_INFINITY || lowest - 1 <= base.start) return merged;
  return startAfter(asValue(merged), lowest - 1);
}

/**
 * Shows a message the user is sending, before the server has stored it. It
 * has no sequence yet: while pending it sorts after every sequenced message
 * (history and replies that arrive later go above it, since the server
 * stored them first), and among other unconfirmed messages by send order,
 * so two pending messages never swap. `failOptimistic` anchors a failed one
 * where it was shown.
 * Calling it again with the `clientId` of a failed message marks it pending
 * again (a retry: it is a new send, so it moves after everything, like any
 * new message); with a pending or confirmed one, it changes nothing.
 *
 * @example
 * const clientId = createClientId();
 * timeline = addOptimistic(timeline, { clientId, content: 'Hello' });
 */
export function addOptimistic(timeline: Timeline, draft: OptimisticDraft): Timeline {
  const base = asValue(timeline);
  const {
    clientId,
    content,
    role = 'user',
    createdAt,
    ...extra
  } = parseWith(
    draftSchema,
    draft,
    (issues, cause) => new ValidationError('optimistic message', issues, { cause }),
  );

  const existing = base.entries.get(clientId);
  if (existing && !(existing.sequence === null && existing.status === 'failed')) return base;

  const change = new Change(base);
  // An unsent message will be stored after every message the client knows of now or learns
  // of before it is stored (one sender's sends leave in order), so it sorts after all of
  // them: a sequenced message that arrives later is inserted above it, never the other way.
  // Anchoring it at the last sequence known at send() let a newer send sort above an older one.
  const sendOrder: SendOrder = { afterSequence: Number.POSITIVE_INFINITY, index: base.sendCount };
  change.sendCount++;
  const message: TimelineMessage = existing
    ? { ...withoutError(existing), content, status: 'pending', sendOrder }
    : {
        ...extra,
        id: clientId,
        clientId,
        conversationId: base.conversationId,
        sequence: null,
        createdAt: createdAt ?? new Date().toISOString(),
        role,
        content,
        status: 'pending',
        sendOrder,
      };
  change.put(clientId, message, existing);
  return change.finish();
}

/**
 * Replaces an optimistic message with the server's stored copy (e.g. the POST
 * response). The message keeps its key (`clientId`), so a React row is not
 * remounted. If the stream already delivered the same message, it is merged,
 * never duplicated.
 *
 * @example
 * const { message } = await response.json();
 * timeline = confirmOptimistic(timeline, clientId, message);
 */
export function confirmOptimistic(
  timeline: Timeline,
  clientId: string,
  message: unknown,
): Timeline {
  const base = asValue(timeline);
  const parsed = parseServerMessage(base, message, []);
  if (parsed.clientId !== undefined && parsed.clientId !== clientId) {
    throw new ValidationError('confirmation', [
      {
        path: ['clientId'],
        message: `the server message carries clientId "${parsed.clientId}", not "${clientId}"`,
      },
    ]);
  }
  if (
    process.env.NODE_ENV !== 'production' &&
    !base.entries.has(clientId) &&
    !base.keyById.has(parsed.id)
  ) {
    warn(
      'confirmOptimistic',
      `no optimistic message with clientId "${clientId}"; the server message "${parsed.id}" was added as new. Call addOptimistic before sending.`,
    );
  }
  const change = new Change(base);
  change.upsert({ ...parsed, clientId }, 'confirmOptimistic');
  return change.finish();
}

/**
 * Marks an unconfirmed optimistic message failed (e.g. its POST failed). It
 * stays where it is shown: it is anchored after the last sequence known now,
 * so messages that arrive later sort below it. A message the server already
 * confirmed (its echo arrived) is left as it is: it was stored, so it is not
 * failed.
 *
 * @example
 * timeline = failOptimistic(timeline, clientId, 'Network error');
 */
export function failOptimistic(timeline: Timeline, clientId: string, error?: string): Timeline {
  const base = asValue(timeline);
  const existing = base.entries.get(clientId);
  if (!existing || existing.sequence !== null) return base;
  if (existing.status === 'failed' && existing.error === error) return base;
  const change = new Change(base);
  // A failed message stays where it was shown (after everything known now) instead of
  // following the messages that arrive after it: it is anchored at the last sequence.
  const anchor = base.lastSequence === base.start ? Number.POSITIVE_INFINITY : base.lastSequence;
  const sendOrder = existing.sendOrder && { ...existing.sendOrder, afterSequence: anchor };
  const failed: TimelineMessage = {
    ...withoutError(existing),
    status: 'failed',
    ...(sendOrder && { sendOrder }),
  };
  change.put(clientId, error === undefined ? failed : { ...failed, error }, existing);
  return change.finish();
}

/**
 * Removes an optimistic message the server has not confirmed (e.g. the user
 * gave up on a failed send). Confirmed messages are never removed.
 */
export function discardOptimistic(timeline: Timeline, clientId: string): Timeline {
  const base = asValue(timeline);
  const existing = base.entries.get(clientId);
  if (!existing || existing.sequence !== null) return base;
  const change = new Change(base);
  change.remove(clientId, existing);
  return change.finish();
}

/**
 * Applies one stream event: `message` upserts a snapshot, `delta` appends
 * text at an offset (idempotent; a delta ahead of the content waits until
 * the gap is filled), `status` completes or fails a message. Events may
 * arrive in any order, twice, or replayed after a reconnect: the result is
 * the same. Invalid events throw `StreamEventError` and change nothing.
 *
 * @example
 * source.onmessage = (e) => { timeline = applyStreamEvent(timeline, JSON.parse(e.data)); };
 */
export function applyStreamEvent(timeline: Timeline, event: unknown): Timeline {
  const base = asValue(timeline);
  const parsed = parseStreamEvent(event);
  const change = new Change(base);
  switch (parsed.type) {
    case 'message':
      checkConversation(
        base,
        parsed.message,
        ['message'],
        (issues) => new StreamEventError('stream event', issues),
      );
      change.upsert(parsed.message, 'applyStreamEvent');
      break;
    case 'delta':
      change.delta(parsed);
      break;
    case 'status':
      change.status(parsed);
      break;
  }
  return change.finish();
}

/**
 * The keys whose message differs between two values of one timeline: added,
 * removed or changed (e.g. by a streamed delta). Only the parts the two
 * values do not share are compared, so this costs O(changes · log n), not
 * O(n): a UI can re-render exactly the rows whose message changed.
 *
 * @example
 * const next = applyStreamEvent(timeline, event);
 * for (const key of changedKeys(timeline, next)) notifyRow(key);
 */
export function changedKeys(previous: Timeline, next: Timeline): string[] {
  if (previous === next) return [];
  return asValue(previous).entries.changedKeys(asValue(next).entries);
}

/**
 * A fresh client id for `addOptimistic` (a random UUID).
 *
 * @example
 * const clientId = createClientId(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 */
export function createClientId(): string {
  return globalThis.crypto.randomUUID();
}

// ---------------------------------------------------------------------------

/** Deltas and status changes that arrived before their message (or ahead of its content). */
interface Waiting {
  readonly deltas: readonly DeltaEvent[];
  readonly status?: StatusEvent;
}

class TimelineValue implements Timeline {
  #messages: readonly TimelineMessage[] | undefined;

  constructor(
    readonly conversationId: string,
    /** Keys in display order, in chunks (see orderedKeys.ts). */
    readonly order: KeyChunks,
    readonly size: number,
    readonly gaps: readonly SequenceGap[],
    readonly lastSequence: number,
    /** Sequences at or below this are not expected (the `after` option). */
    readonly start: number,
    readonly entries: PersistentMap<TimelineMessage>,
    /** Server id → key, for messages whose key is their clientId. */
    readonly keyById: PersistentMap<string>,
    /** Server id → events waiting for that message. */
    readonly waiting: PersistentMap<Waiting>,
    readonly sendCount: number,
  ) {}

  get keys(): readonly string[] {
    return flattenKeys(this.order);
  }

  get messages(): readonly TimelineMessage[] {
    this.#messages ??= this.keys.map((key) => this.entries.get(key)!);
    return this.#messages;
  }

  get(key: string): TimelineMessage | undefined {
    return this.entries.get(key);
  }

  getById(id: string): TimelineMessage | undefined {
    return this.entries.get(this.keyById.get(id) ?? id);
  }
}

const STATUS_RANK: Record<MessageStatus, number> = {
  pending: 0,
  streaming: 1,
  failed: 2,
  complete: 3,
};

/** Small batches are spliced in by binary search; larger ones are sorted and merged in one pass. */
const SPLICE_LIMIT = 16;

/**
 * The working copy for one operation. Operations record what they change
 * here; `finish` builds the next timeline, or returns the base when nothing
 * changed.
 */
class Change {
  entries: PersistentMap<TimelineMessage>;
  keyById: PersistentMap<string>;
  waiting: PersistentMap<Waiting>;
  sendCount: number;
  lastSequence: number;
  gaps: readonly SequenceGap[];
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
      this.noteSequence(next.sequence);
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
    this.settle(incoming.id);
  }

  delta(event: DeltaEvent): void {
    this.settle(event.messageId, { deltas: [event] });
  }

  status(event: StatusEvent): void {
    this.settle(event.messageId, { deltas: [], status: event });
  }

  finish(): Timeline {
    const base = this.base;
    const [order, size] =
      this.moved.size === 0 && this.removed.size === 0 ? [base.order, base.size] : this.reorder();
    if (this.rebuildGaps) this.recomputeGaps();
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

  // -- events waiting for their message --------------------------------------

  /**
   * Applies the events waiting for `messageId`, plus `arriving` ones, as far
   * as the message's content allows; keeps the rest waiting (all of them
   * while the message itself has not arrived).
   */
  private settle(messageId: string, arriving?: Waiting): void {
    const stored = this.waiting.get(messageId);
    let waiting = stored;
    if (arriving) {
      let deltas = stored?.deltas ?? [];
      for (const delta of arriving.deltas) deltas = addWaitingDelta(deltas, delta);
      const status = arriving.status ?? stored?.status;
      // A replayed event that is already waiting changes nothing.
      if (stored && deltas === stored.deltas && sameStatus(status, stored.status))
        arriving = undefined;
      else waiting = status ? { deltas, status } : { deltas };
    }
    if (!waiting) return;
    const key = this.keyById.get(messageId) ?? messageId;
    const message = this.entries.get(key);
    if (!message) {
      if (arriving) this.waiting = this.waiting.set(messageId, waiting);
      return;
    }

    let { content, status, error } = message;
    // Kept sorted by offset (addWaitingDelta).
    const { deltas } = waiting;
    let applied = 0;
    for (const delta of deltas) {
      // Sorted by offset: once one is ahead of the content, so are the rest.
      if (delta.offset > content.length) break;
      const overlap = content.length - delta.offset;
      if (overlap < delta.text.length) content += delta.text.slice(overlap);
      if (delta.text.length > 0 && STATUS_RANK[status] < STATUS_RANK.streaming)
        status = 'streaming';
      applied++;
    }
    // A status older than what the message already shows is simply dropped.
    if (waiting.status && STATUS_RANK[waiting.status.status] >= STATUS_RANK[status]) {
      status = waiting.status.status;
      error = status === 'failed' ? (waiting.status.error ?? error) : undefined;
    }
    if (!arriving && applied === 0 && !waiting.status) return;

    const rest = applied === 0 ? deltas : deltas.slice(applied);
    // Both sorted by offset, so one linear pass compares them.
    const unchanged =
      stored !== undefined &&
      stored.status === undefined &&
      rest.length === stored.deltas.length &&
      rest.every((delta, i) => delta === stored.deltas[i]);
    // When nothing left the waiting list, keep the stored entry itself, so the timeline stays the same value.
    if (!unchanged && rest.length > 0) this.waiting = this.waiting.set(messageId, { deltas: rest });
    else if (!unchanged && stored) this.waiting = this.waiting.delete(messageId);
    if (content !== message.content || status !== message.status || error !== message.error) {
      const next: TimelineMessage = { ...withoutError(message), content, status };
      this.put(key, error === undefined ? next : { ...next, error }, message);
    }
  }

  // -- order -----------------------------------------------------------------

  private reorder(): [KeyChunks, number] {
    const count = this.moved.size + this.removed.size;
    return count <= SPLICE_LIMIT ? this.splice() : this.mergeSorted();
  }

  /** Moves each changed key by binary search: O(log n) comparisons, one chunk copied per move. */
  private splice(): [KeyChunks, number] {
    let { order, size } = this.base;
    // Keys not yet moved are positioned by their old values while we search.
    const positionedAs = new Map<string, TimelineMessage | undefined>([
      ...this.moved,
      ...this.removed,
    ]);
    const positionOf = (key: string) =>
      positionedAs.has(key) ? positionedAs.get(key)! : this.entries.get(key)!;
    const compare = (a: string, b: string) => compareMessages(positionOf(a), positionOf(b));
    for (const [key, old] of positionedAs) {
      if (old) {
        const position = findKey(order, key, compare);
        if (position) {
          order = removeKey(order, position);
          size--;
        }
      }
      positionedAs.delete(key);
      if (this.entries.has(key)) {
        const position = lowerBound(order, key, compare);
        order = insertKey(order, position, key);
        size++;
        if (process.env.NODE_ENV !== 'production') {
          for (const neighbour of neighbours(order, position)) {
            if (neighbour !== undefined)
              warnDuplicateSequence(positionOf(neighbour), positionOf(key));
          }
        }
      }
    }
    return [order, size];
  }

  /** Many changes (a history page): sort the changed keys, then merge them with the rest in one pass. */
  private mergeSorted(): [KeyChunks, number] {
    const changed = new Set([...this.moved.keys(), ...this.removed.keys()]);
    const positionOf = (key: string) => this.entries.get(key)!;
    const stay = this.base.keys.filter((key) => !changed.has(key));
    const incoming = [...this.moved.keys()].filter((key) => this.entries.has(key));
    incoming.sort((a, b) => compareMessages(positionOf(a), positionOf(b)));
    const next: string[] = [];
    let i = 0;
    let j = 0;
    while (i < stay.length || j < incoming.length) {
      const takeIncoming =
        i === stay.length ||
        (j < incoming.length &&
          compareMessages(positionOf(incoming[j]!), positionOf(stay[i]!)) < 0);
      next.push(takeIncoming ? incoming[j++]! : stay[i++]!);
    }
    if (process.env.NODE_ENV !== 'production') {
      for (let k = 1; k < next.length; k++) {
        warnDuplicateSequence(positionOf(next[k - 1]!), positionOf(next[k]!));
      }
    }
    return [chunkKeys(next), next.length];
  }

  // -- gaps ------------------------------------------------------------------

  private noteSequence(sequence: number): void {
    if (sequence <= this.base.start) return;
    if (sequence > this.lastSequence) {
      if (sequence > this.lastSequence + 1) {
        this.gaps = [...this.gaps, { from: this.lastSequence + 1, to: sequence - 1 }];
      }
      this.lastSequence = sequence;
      return;
    }
    const at = gapContaining(this.gaps, sequence);
    if (at === -1) return;
    const gap = this.gaps[at]!;
    const split: SequenceGap[] = [];
    if (gap.from < sequence) split.push({ from: gap.from, to: sequence - 1 });
    if (sequence < gap.to) split.push({ from: sequence + 1, to: gap.to });
    this.gaps = [...this.gaps.slice(0, at), ...split, ...this.gaps.slice(at + 1)];
  }

  /** A message's sequence was reassigned (a server bug): recount from scratch. */
  private recomputeGaps(): void {
    const seen = new Set<number>();
    for (const message of this.entries.values()) {
      if (message.sequence !== null && message.sequence > this.base.start)
        seen.add(message.sequence);
    }
    const sorted = [...seen].sort((a, b) => a - b);
    const gaps: SequenceGap[] = [];
    let expected = this.base.start + 1;
    for (const sequence of sorted) {
      if (sequence > expected) gaps.push({ from: expected, to: sequence - 1 });
      expected = sequence + 1;
    }
    this.gaps = gaps;
  }
}

/** The same timeline starting after `start`: gaps at or below it dropped. */
function startAfter(value: TimelineValue, start: number): TimelineValue {
  const gaps = value.gaps
    .filter((gap) => gap.to > start)
    .map((gap) => (gap.from > start ? gap : { from: start + 1, to: gap.to }));
  return new TimelineValue(
    value.conversationId,
    value.order,
    value.size,
    gaps,
    Math.max(value.lastSequence, start),
    start,
    value.entries,
    value.keyById,
    value.waiting,
    value.sendCount,
  );
}

/** Development only (the callers' guard drops it from production builds). */
function warnDuplicateSequence(a: TimelineMessage, b: TimelineMessage): void {
  if (a.sequence === null || a.sequence !== b.sequence || a.id === b.id) return;
  warn(
    'timeline',
    `messages "${a.id}" and "${b.id}" share sequence ${a.sequence} in conversation "${a.conversationId}"; add UNIQUE (conversation_id, sequence) to the messages table and allocate with one SequenceAllocator.`,
  );
}

function asValue(timeline: Timeline): TimelineValue {
  if (!(timeline instanceof TimelineValue)) {
    throw new ValidationError('timeline', [
      { path: [], message: 'is not a timeline: create one with createTimeline(conversationId)' },
    ]);
  }
  return timeline;
}

function parseServerMessage(base: TimelineValue, input: unknown, path: PropertyKey[]): Message {
  const message = parseWith(messageSchema, input, (issues, cause) => {
    const located = issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] }));
    return new ValidationError(path.length > 0 ? 'messages' : 'message', located, { cause });
  });
  checkConversation(
    base,
    message,
    path,
    (issues) => new ValidationError(path.length > 0 ? 'messages' : 'message', issues),
  );
  return message;
}

function checkConversation(
  base: TimelineValue,
  message: Message,
  path: PropertyKey[],
  fail: (issues: ValidationIssue[]) => Error,
): void {
  if (message.conversationId === base.conversationId) return;
  throw fail([
    {
      path: [...path, 'conversationId'],
      message: `is "${message.conversationId}", but this timeline holds conversation "${base.conversationId}"`,
    },
  ]);
}

/**
 * Folds a server snapshot into what the timeline has. Content never shrinks
 * (a stale snapshot keeps the longer streamed text), status never moves back
 * (pending < streaming < failed < complete), a sequence is never unset.
 */
function mergeMessage(current: TimelineMessage, incoming: Message): TimelineMessage {
  const content =
    incoming.content.length >= current.content.length ? incoming.content : current.content;
  const incomingWins = STATUS_RANK[incoming.status] >= STATUS_RANK[current.status];
  const status = incomingWins ? incoming.status : current.status;
  const error = status === 'failed' ? (incomingWins ? incoming.error : current.error) : undefined;
  const sequence = incoming.sequence ?? current.sequence;
  const { sendOrder, ...rest } = withoutError(current);
  const merged = {
    ...rest,
    ...withoutError(incoming),
    sequence,
    content,
    status,
  } as TimelineMessage;
  // The local send order only matters until the server has sequenced the message.
  const ordered = sequence === null && sendOrder ? { ...merged, sendOrder } : merged;
  if (error !== undefined) ordered.error = error;
  return deepEqual(ordered, current) ? current : ordered;
}

/** A server message without the `clientId` or `error` a SQL NULL left undefined: absent, as the timeline keeps it. */
function withoutNulls(message: Message): Message {
  if (
    !('clientId' in message && message.clientId === undefined) &&
    !('error' in message && message.error === undefined)
  )
    return message;
  const { clientId, error, ...rest } = message;
  return {
    ...rest,
    ...(clientId == null ? {} : { clientId }),
    ...(error == null ? {} : { error }),
  } as Message;
}

/** The message without its `error` field (only `failed` messages carry one). */
function withoutError<T extends { error?: string | undefined }>(message: T): T {
  if (!('error' in message)) return message;
  const { error: _, ...rest } = message;
  return rest as T;
}

function sameSortFields(a: TimelineMessage, b: TimelineMessage): boolean {
  return (
    a.sequence === b.sequence &&
    a.createdAt === b.createdAt &&
    a.id === b.id &&
    a.sendOrder?.afterSequence === b.sendOrder?.afterSequence &&
    a.sendOrder?.index === b.sendOrder?.index
  );
}

/** The same status change (or both none). */
function sameStatus(a: StatusEvent | undefined, b: StatusEvent | undefined): boolean {
  return a === b || (a?.status === b?.status && a?.error === b?.error);
}

function gapContaining(gaps: readonly SequenceGap[], sequence: number): number {
  let low = 0;
  let high = gaps.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const gap = gaps[mid]!;
    if (sequence < gap.from) high = mid - 1;
    else if (sequence > gap.to) low = mid + 1;
    else return mid;
  }
  return -1;
}

/** Structural equality for JSON-like values, so a refetched copy of unchanged metadata is "no change". */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  return keysA.every((key) => key in recordB && deepEqual(recordA[key], recordB[key]));
}
