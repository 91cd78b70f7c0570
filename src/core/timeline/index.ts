/**
 * The timeline: one conversation's messages in display order, as an
 * immutable value. This file is its public API (create, merge, stream
 * events); the rest of the folder, by job:
 *
 * - optimistic.ts: messages the user is sending (add, confirm, fail, discard)
 * - Change.ts: the working copy of one operation (put, remove, upsert) that
 *   builds the next value
 * - waiting.ts, waitingDeltas.ts: deltas and statuses that arrived before
 *   their message or ahead of its content
 * - ordering.ts, orderedKeys.ts: the display order, kept sorted in chunks
 * - gaps.ts: the sequences not seen yet
 * - mergeMessage.ts: folding a server snapshot into what the timeline has
 * - TimelineValue.ts, PersistentMap.ts, types.ts: the value and its types
 *
 * Statuses only move forward along the order in ../status.ts.
 */
import { StreamEventError, ValidationError } from '../errors';
import { parseStreamEvent } from '../schemas';
import { Change } from './Change';
import { NO_KEYS } from './orderedKeys';
import { PersistentMap } from './PersistentMap';
import { checkConversation, parseServerMessage } from './parse';
import { asValue, startAfter, TimelineValue } from './TimelineValue';
import type { Timeline, TimelineOptions } from './types';

export {
  addOptimistic,
  confirmOptimistic,
  discardOptimistic,
  failOptimistic,
} from './optimistic';
export type { OptimisticDraft, SequenceGap, Timeline, TimelineOptions } from './types';

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
