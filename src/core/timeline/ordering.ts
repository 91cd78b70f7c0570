import { compareMessages, type TimelineMessage } from '../compareMessages';
import { warn } from '../warn';
import {
  chunkKeys,
  findKey,
  flattenKeys,
  insertKey,
  type KeyChunks,
  lowerBound,
  neighbours,
  removeKey,
} from './orderedKeys';
import type { PersistentMap } from './PersistentMap';

/** Small batches are spliced in by binary search; larger ones are sorted and merged in one pass. */
const SPLICE_LIMIT = 16;

/**
 * The display order after one change (see Change.ts), and its size: `order`
 * and `size` before it, `entries` after it, the keys `moved` (with their
 * value at their current position, undefined if new) and `removed`.
 */
type Reorder = (
  order: KeyChunks,
  size: number,
  entries: PersistentMap<TimelineMessage>,
  moved: ReadonlyMap<string, TimelineMessage | undefined>,
  removed: ReadonlyMap<string, TimelineMessage>,
) => [KeyChunks, number];

/** {@link Reorder}: small batches spliced in, larger ones merged. */
export const reorder: Reorder = (order, size, entries, moved, removed) =>
  moved.size + removed.size <= SPLICE_LIMIT
    ? splice(order, size, entries, moved, removed)
    : mergeSorted(order, size, entries, moved, removed);

/** Moves each changed key by binary search: O(log n) comparisons, one chunk copied per move. */
const splice: Reorder = (order, size, entries, moved, removed) => {
  // Keys not yet moved are positioned by their old values while we search.
  const positionedAs = new Map<string, TimelineMessage | undefined>([...moved, ...removed]);
  const positionOf = (key: string) =>
    positionedAs.has(key) ? positionedAs.get(key)! : entries.get(key)!;
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
    if (entries.has(key)) {
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
};

/** Many changes (a history page): sort the changed keys, then merge them with the rest in one pass. */
const mergeSorted: Reorder = (order, _size, entries, moved, removed) => {
  const changed = new Set([...moved.keys(), ...removed.keys()]);
  const positionOf = (key: string) => entries.get(key)!;
  const stay = flattenKeys(order).filter((key) => !changed.has(key));
  const incoming = [...moved.keys()].filter((key) => entries.has(key));
  incoming.sort((a, b) => compareMessages(positionOf(a), positionOf(b)));
  const next: string[] = [];
  let i = 0;
  let j = 0;
  while (i < stay.length || j < incoming.length) {
    const takeIncoming =
      i === stay.length ||
      (j < incoming.length && compareMessages(positionOf(incoming[j]!), positionOf(stay[i]!)) < 0);
    next.push(takeIncoming ? incoming[j++]! : stay[i++]!);
  }
  if (process.env.NODE_ENV !== 'production') {
    for (let k = 1; k < next.length; k++) {
      warnDuplicateSequence(positionOf(next[k - 1]!), positionOf(next[k]!));
    }
  }
  return [chunkKeys(next), next.length];
};

/** Whether the message keeps its place: every field `compareMessages` reads is the same. */
export function sameSortFields(a: TimelineMessage, b: TimelineMessage): boolean {
  return (
    a.sequence === b.sequence &&
    a.createdAt === b.createdAt &&
    a.id === b.id &&
    a.sendOrder?.afterSequence === b.sendOrder?.afterSequence &&
    a.sendOrder?.index === b.sendOrder?.index
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
