import type { Message } from './schemas';
import { compareTimestampKeys, parseTimestamp } from './timestamp';

/**
 * Where an unsequenced (optimistic) message was sent: after the message with
 * sequence `afterSequence`, as the `index`-th local send. Set by
 * `addOptimistic`; dropped once the server assigns a sequence.
 */
export interface SendOrder {
  /** The highest sequence the timeline knew when the message was sent (`Infinity` if it knew none yet). */
  readonly afterSequence: number;
  /** A local send counter: orders optimistic messages among themselves, never the client clock. */
  readonly index: number;
}

/** A message as the timeline holds it: a server message, or an optimistic one with its `sendOrder`. */
export type TimelineMessage = Message & { readonly sendOrder?: SendOrder };

/**
 * The one definition of message order: a strict total order over distinct
 * messages, for `Array.prototype.sort` and binary search alike.
 *
 * 1. `sequence` ascending. An unsequenced (optimistic) message sorts right
 *    after the sequenced message it was sent after (`sendOrder.afterSequence`),
 *    or after all of them when it has no `sendOrder`; among themselves by
 *    local send counter.
 * 2. `createdAt` ascending, at full precision (microseconds included).
 * 3. `id`, numeric-aware (`"9"` before `"10"`), then by code point.
 *
 * @example
 * const ordered = [...messages].sort(compareMessages);
 */
export function compareMessages(a: TimelineMessage, b: TimelineMessage): number {
  const slotA = slot(a);
  const slotB = slot(b);
  if (slotA !== slotB) return slotA < slotB ? -1 : 1;
  // Same slot: the sequenced message comes before those sent after it.
  const sequencedA = a.sequence !== null;
  if (sequencedA !== (b.sequence !== null)) return sequencedA ? -1 : 1;
  if (!sequencedA) {
    const indexA = a.sendOrder?.index ?? Number.POSITIVE_INFINITY;
    const indexB = b.sendOrder?.index ?? Number.POSITIVE_INFINITY;
    if (indexA !== indexB) return indexA < indexB ? -1 : 1;
  }
  if (a.createdAt !== b.createdAt) {
    const byTime = compareCreatedAt(a.createdAt, b.createdAt);
    if (byTime !== 0) return byTime;
  }
  return compareIds(a.id, b.id);
}

/**
 * Compares ids numeric-aware: runs of digits compare as numbers (`"9"` before
 * `"10"`, `"msg-2"` before `"msg-10"`); ids equal that way (`"01"`, `"1"`)
 * fall back to code point order, so the order stays total.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      const endA = digitRunEnd(a, i);
      const endB = digitRunEnd(b, j);
      const byNumber = compareDigitRuns(a.slice(i, endA), b.slice(j, endB));
      if (byNumber !== 0) return byNumber;
      i = endA;
      j = endB;
    } else {
      if (ca !== cb) return ca < cb ? -1 : 1;
      i++;
      j++;
    }
  }
  if (a.length - i !== b.length - j) return a.length - i < b.length - j ? -1 : 1;
  return a < b ? -1 : 1;
}

// ---------------------------------------------------------------------------

function slot(message: TimelineMessage): number {
  return message.sequence ?? message.sendOrder?.afterSequence ?? Number.POSITIVE_INFINITY;
}

function compareCreatedAt(a: string, b: string): number {
  const keyA = parseTimestamp(a);
  const keyB = parseTimestamp(b);
  // Schema-validated messages always parse; anything else sorts last, by its text.
  if (keyA && keyB) return compareTimestampKeys(keyA, keyB);
  if (keyA || keyB) return keyA ? -1 : 1;
  return a < b ? -1 : 1;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function digitRunEnd(value: string, start: number): number {
  let end = start;
  while (end < value.length && isDigit(value.charCodeAt(end))) end++;
  return end;
}

function compareDigitRuns(a: string, b: string): number {
  const trimmedA = a.replace(/^0+/, '');
  const trimmedB = b.replace(/^0+/, '');
  if (trimmedA.length !== trimmedB.length) return trimmedA.length < trimmedB.length ? -1 : 1;
  if (trimmedA === trimmedB) return 0;
  return trimmedA < trimmedB ? -1 : 1;
}
